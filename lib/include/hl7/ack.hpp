// Building acknowledgements (ACK) for a received message, with one ERR segment per finding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

// MSA-1: original mode AA/AE/AR, enhanced mode commit CA/CE/CR.
enum class AckCode { AA, AE, AR, CA, CE, CR };
std::string_view ack_code_name(AckCode code);

struct AckFinding {
    Path location;             // where: ERR-2 (2.5+) or ERR-1 (before 2.5)
    int code = 207;            // HL7 table 0357: 100 segment sequence, 101 required field missing,
                               // 102 data type, 103 table value, 200 unsupported message type,
                               // 203 unsupported version, 207 application internal error, ...
    char severity = 'E';       // ERR-4 (table 0516): E error, W warning, I information
    std::string text;          // ERR-8 user message (2.5+); never patient data by default
};

struct AckOptions {
    AckCode code = AckCode::AA;
    std::string control_id;    // MSH-10 of the ACK; the caller chooses (the library keeps no counter)
    std::string timestamp;     // MSH-7, e.g. 20240115083000; the caller reads the clock
    std::string text;          // MSA-3, optional
    std::vector<AckFinding> findings;
    SegmentEndStyle segment_end = SegmentEndStyle::cr;
};

// Text of the 0357 code ("Data type error"), or "" if unknown.
std::string_view error_code_text(int code);

// The ACK for `original`, as ER7: MSH with sending and receiving application and facility
// swapped, MSH-9 ACK^<trigger>^ACK, MSH-11/12 copied, MSA-2 = original MSH-10, then ERR segments.
std::string build_ack(const Message& original, const AckOptions& options);

}  // namespace hl7
