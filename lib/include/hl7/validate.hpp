// Conformance checking of one message against the HL7 definitions (and optional profiles):
// syntax, header, structure (through hl7/structure.hpp), fields, datatypes and tables. Findings
// are values; nothing prints. Findings never carry message text outside `value`: not in `text`,
// not in the path.
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
#include "hl7/structure.hpp"

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
    // Segment (with occurrence), field, repetition, component, subcomponent. The segment name is
    // empty when the segment's ID is not a well-formed ID ([A-Z][A-Z0-9]{2}: a text line, control
    // bytes): such a segment is named by its position (segment_index), never by its text.
    Path location;
    // 1-based position in the message of the segment the finding is about, 0 for the message as a
    // whole. A required segment or group that is missing is reported at the segment it is missing
    // before (0 when it is missing at the end).
    std::uint32_t segment_index = 0;
    std::string text;           // what is wrong; never message content
    std::string value;          // the offending value, shown only on request (patient data)
};

class Profile;  // hl7/profile.hpp

// Work kept between messages checked with the same options: message structures prepared for
// matching (hl7/structure.hpp), one per structure met, so a stream pays for each structure once.
// It belongs to one options object: a copy starts empty, so copies never share it; an options
// object is used by one thread at a time. Bounded: it forgets what it holds past a few dozen
// structures.
class ValidationCache {
public:
    ValidationCache();
    ~ValidationCache();
    ValidationCache(const ValidationCache&);             // starts empty
    ValidationCache& operator=(const ValidationCache&);  // keeps its own
    ValidationCache(ValidationCache&&) noexcept;
    ValidationCache& operator=(ValidationCache&&) noexcept;

    // The matcher for `structure`, prepared on first use.
    StructureMatcher& matcher(const defs::MessageDef& structure);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct ValidationOptions {
    bool allow_z_segments = true;     // Z-segments anywhere (--no-z turns this off)
    std::string version_override;     // validate as this version whatever MSH-12 says
    bool length_errors = false;       // over-long values are warnings unless this is set
    std::vector<std::shared_ptr<const Profile>> profiles;
    mutable ValidationCache cache;    // see ValidationCache: not an option, work kept between messages
};

// Validates one parsed message. `charset` is the one its text is read in (MSH-18 or an override).
void validate_message(const Message& message, Charset charset, const ValidationOptions& options,
                      std::vector<Finding>& findings);

// The acknowledgement options for a validated message: AA when there is no error, AR when the
// message type, event, processing ID or version is not supported (codes 200-203), AE otherwise;
// one ERR per finding (notes left out). The caller adds control ID and timestamp.
AckOptions validation_ack(const std::vector<Finding>& findings);

// A finding's location as diagnostics print it: "PID-7", "PID[2]-3[2].1", "MSH". A segment whose
// ID is not well formed is named by its 1-based position: "segment 5", or "segment 5 field 3[2].1"
// below it (a space never occurs in a path, so the two forms cannot be confused). "" for the
// message as a whole.
std::string finding_path(const Finding& finding);

}  // namespace hl7
