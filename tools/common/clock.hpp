// The time tools stamp into what they write (ACKs), with SOURCE_DATE_EPOCH for reproducible output.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace hl7::cli {

// Now, or SOURCE_DATE_EPOCH (seconds since 1970) when it is set: tests and reproducible runs.
std::time_t current_time();
// HL7 DTM in UTC with its offset: 20240115083000+0000.
std::string hl7_timestamp(std::time_t t);
// A control ID for the n-th message a tool makes: YYMMDDHHMMSS and a 5-digit count (17 characters,
// within the 20 that MSH-10 allows).
std::string ack_control_id(std::time_t t, std::uint64_t n);

}  // namespace hl7::cli
