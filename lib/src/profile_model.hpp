// The one evaluation model behind every profile format: the YAML/JSON reader (profile_read.cpp) and
// the XML conformance profile reader (profile_xml.cpp) both produce a ProfileModel, which
// make_profile (profile_check.cpp) turns into a Profile. Internal to the library.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/definitions.hpp"
#include "hl7/error.hpp"
#include "hl7/path.hpp"
#include "hl7/profile.hpp"
#include "hl7/query.hpp"

namespace hl7::profile_model {

// What a usage means for the profile's own checks: R -> required, X -> forbidden, RE/O/C/CE -> none.
enum class Presence : std::uint8_t { none, required, forbidden };

// Constraints on the values a path names (every occurrence of the segment unless the path gives
// one, every repetition unless the path gives one).
struct FieldRule {
    Path path;
    Presence presence = Presence::none;
    // Usage applies only where the parent (the field repetition of a component, the component of
    // a subcomponent) is present: the XML profiles' meaning. YAML rules are absolute: a required
    // PID-5.1 is missing when PID-5 is.
    bool within_parent = false;
    std::optional<int> min;  // non-empty repetitions of the field, counted only when it is present
    std::optional<int> max;
    std::shared_ptr<const std::vector<std::string>> values;  // sorted codes
    std::string values_source;                               // "" inline, else the CSV file
    const defs::TableDef* table = nullptr;
    std::optional<std::string> fixed;
    std::shared_ptr<const std::regex> pattern;
    std::string pattern_text;
    std::uint32_t length = 0;  // characters; 0: none
    Severity length_severity = Severity::error;
    std::string datatype;      // checked when primitive
};

struct SegmentRule {
    std::string id;
    Presence presence = Presence::none;
    int min = 0;             // occurrences in the message, counted only when it appears
    std::optional<int> max;  // none: unbounded
};

struct Condition {
    Filter filter;
    bool negate = false;
};

struct ConditionalRule {
    std::vector<Condition> when;  // all must hold
    std::string when_text;        // as written, for the findings
    std::vector<SegmentRule> segments;
    std::vector<FieldRule> fields;
};

// A segment definition the profile gives (Z-segments); strings owned here.
struct FieldSpec {
    std::string datatype = "ST";
    std::string description;
    defs::Usage usage = defs::Usage::optional;
    std::uint16_t max_repetitions = 1;
    std::uint32_t max_length = 0;
    std::uint16_t table = 0;
};

struct SegmentSpec {
    std::string id;
    std::string description;
    std::vector<FieldSpec> fields;  // fields[0] is field 1
};

struct MessageType {
    std::string type;     // "ADT"
    std::string trigger;  // "A01", or "*" for any
};

struct ProfileModel {
    std::string name;
    std::string version;
    std::vector<MessageType> messages;  // empty: any
    std::vector<SegmentRule> segments;
    std::vector<FieldRule> fields;
    std::vector<ConditionalRule> rules;
    std::map<std::string, SegmentSpec, std::less<>> definitions;
};

// The Profile that checks messages against the model (profile_check.cpp).
std::shared_ptr<const Profile> make_profile(ProfileModel model);

// The XML reader (profile_xml.cpp). Errors name the profile and the line.
Result<ProfileModel> read_xml_profile(std::string_view text, std::string_view name);

// "profile 'NAME', line N: TEXT" as a Diagnostic (line 0: not known).
Diagnostic profile_error(std::string_view name, std::uint64_t line, std::string_view text);

}  // namespace hl7::profile_model
