// Conformance checking of one message against the HL7 definitions (and optional profiles):
// syntax, header, structure, fields, datatypes and tables. Findings are values; nothing prints.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hl7/ack.hpp"
#include "hl7/charset.hpp"
#include "hl7/definitions.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

// HL7 table 0357 codes used in findings.
enum ErrorCode : int {
    kSegmentSequence = 100,
    kRequiredMissing = 101,
    kDataType = 102,
    kTableValue = 103,
    kValueTooLong = 104,  // 2.7+ code; used for length findings in every version
    kUnsupportedMessageType = 200,
    kUnsupportedEvent = 201,
    kUnsupportedProcessingId = 202,
    kUnsupportedVersion = 203,
    kInternalError = 207,
};

struct Finding {
    Severity severity = Severity::error;
    int code = kInternalError;  // table 0357
    std::string rule;           // stable short name: "required", "datatype", "table", "length", ...
    Path location;              // segment (with occurrence), field, repetition, component, subcomponent
    std::uint32_t segment_index = 0;  // 1-based position in the message, 0 for the message as a whole
    std::string text;           // what is wrong; never message content
    std::string value;          // the offending value, shown only on request (patient data)
};

class Profile;  // hl7/profile.hpp

struct ValidationOptions {
    bool allow_z_segments = true;     // Z-segments anywhere (--no-z turns this off)
    std::string version_override;     // validate as this version whatever MSH-12 says
    bool length_errors = false;       // over-long values are warnings unless this is set
    std::vector<std::shared_ptr<const Profile>> profiles;
};

// Validates one parsed message. `charset` is the one its text is read in (MSH-18 or an override).
void validate_message(const Message& message, Charset charset, const ValidationOptions& options,
                      std::vector<Finding>& findings);

// The acknowledgement options for a validated message: AA when there is no error, AR when the
// message type, event, processing ID or version is not supported (codes 200-203), AE otherwise;
// one ERR per finding (notes left out). The caller adds control ID and timestamp.
AckOptions validation_ack(const std::vector<Finding>& findings);

// "PID-7", "PID[2]-3[2].1", "MSH" for a finding's location, as diagnostics print it.
std::string finding_path(const Finding& finding);

}  // namespace hl7
