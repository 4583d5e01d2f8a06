// Header facts: one reader of MSH (type, event, structure, control ID, processing ID, version,
// charset, routing) and the one parser of HL7 version numbers that every part of hl7kit uses.
//
// Values are raw ER7 text (escapes not decoded) viewing the message: they stay valid as long as
// the message and its bytes do, and until the MSH segment is edited. Header values are protocol
// data (codes, identifiers of systems), but MSH-10 and the routing fields may still be worth
// keeping out of diagnostics; callers decide.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"

namespace hl7 {

// An HL7 version as numbers: 2.5.1 is {2, 5, 1}; 2.5 is {2, 5, 0}.
struct VersionId {
    int major = 0;
    int minor = 0;
    int patch = 0;
    std::string text;  // normalised: "2.5.1", "2.3" (for "2.3.0"), "2.0D" (the demo release)

    bool at_least(int want_major, int want_minor, int want_patch = 0) const {
        return std::tie(major, minor, patch) >= std::tie(want_major, want_minor, want_patch);
    }
    friend std::strong_ordering operator<=>(const VersionId& a, const VersionId& b) {
        return std::tie(a.major, a.minor, a.patch) <=> std::tie(b.major, b.minor, b.patch);
    }
    friend bool operator==(const VersionId& a, const VersionId& b) { return (a <=> b) == 0; }
};

// What read_version made of a version text.
struct VersionReading {
    std::optional<VersionId> version;  // nullopt: not a version
    std::string adjustments;           // how the text was read when not as written: "spaces trimmed, 'v' dropped"
    std::string problem;               // why there is no version: "is empty", "is not an HL7 version", ...
};

// Reads a version as MSH-12.1 (or a profile, or a command line) gives it: "2.5.1", "2.3.0" (read
// as 2.3), "v2.4", " 2.5 ", "2.0D". Parts are at most two digits without a leading zero, at most
// three of them; anything else is not a version. The major number is not checked: "3.0" is a
// version, just not an HL7 v2 one.
VersionReading read_version(std::string_view text);

// The MSH-18 charset of a message (its first repetition), and whether this library knows it.
struct DeclaredCharset {
    Charset charset = Charset::ascii;  // ASCII when MSH-18 is empty or absent; UTF-8 when unknown
    bool known = true;
    std::string_view name;  // as written
};

// A hierarchic designator field (HD): MSH-3 to MSH-6.
struct Designator {
    std::string_view field;         // the whole field, as written ("LAB^1.2.3^ISO")
    std::string_view namespace_id;  // its first component ("LAB")
};

// The facts of an MSH segment. An absent field or component is an empty view.
struct Header {
    Designator sending_application;    // MSH-3
    Designator sending_facility;       // MSH-4
    Designator receiving_application;  // MSH-5
    Designator receiving_facility;     // MSH-6
    std::string_view timestamp;        // MSH-7.1
    std::string_view message_type;     // MSH-9: the whole field, "ADT^A01^ADT_A01"
    std::string_view type;             // MSH-9.1 ("ADT")
    std::string_view event;            // MSH-9.2 ("A01")
    std::string_view structure;        // MSH-9.3 ("ADT_A01"); often empty before 2.3.1
    std::string_view control_id;       // MSH-10 (its first component)
    std::string_view processing_id;    // MSH-11.1 ("P", "T", "D")
    std::string_view processing_mode;  // MSH-11.2
    std::string_view version_text;     // MSH-12.1, as written
    std::optional<VersionId> version;  // MSH-12.1 read by read_version
    std::string_view accept_ack_type;       // MSH-15 (AL, NE, ER, SU): enhanced mode when valued
    std::string_view application_ack_type;  // MSH-16
    DeclaredCharset charset;           // MSH-18

    bool enhanced_ack_mode() const { return !accept_ack_type.empty() || !application_ack_type.empty(); }
};

// Reads the header of a message whose first segment is MSH (an empty Header otherwise).
Header read_header(const Message& message);

// The declared charset alone (cheaper than read_header when that is all a caller needs).
DeclaredCharset declared_charset(const Message& message);

// Component `component` (1-based) of the first repetition of field `field` of a header segment
// (MSH, BHS or FHS) given as text; empty when absent. For reading batch header segments too.
std::string_view header_component(std::string_view segment_text, const Delimiters& delimiters, int field,
                                  int component);

}  // namespace hl7
