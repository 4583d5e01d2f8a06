// Profiles: rules that narrow the standard for one interface (required or forbidden fields,
// fixed values, value sets, patterns, cardinality, conditions), definitions of Z-segments, read
// from YAML or JSON, or from an HL7 v2 XML conformance profile (static definition).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/definitions.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/validate.hpp"

namespace hl7 {

enum class ProfileFormat { yaml, json, xml };

// Reads a file a profile refers to (a CSV value set), relative to the profile; the tool decides
// how. Returns the file's text or an error.
using ProfileFileReader = std::function<Result<std::string>(std::string_view path)>;

class Profile {
public:
    virtual ~Profile() = default;
    virtual const std::string& name() const = 0;
    // The version to validate as, when the profile names one ("" otherwise).
    virtual const std::string& version() const = 0;
    // A segment the profile defines (Z-segments, or a replacement of a standard one), or null.
    virtual const defs::SegmentDef* segment(std::string_view id) const = 0;
    // Appends the findings of the profile's own rules for `message`.
    virtual void check(const Message& message, Charset charset, std::vector<Finding>& findings) const = 0;
};

// Parses a profile. Errors name the profile and, where known, the line.
Result<std::shared_ptr<const Profile>> parse_profile(std::string_view text, ProfileFormat format,
                                                     std::string_view name, const ProfileFileReader& read_file);

// The format a file name suggests (.yaml/.yml, .json, .xml); yaml when unknown.
ProfileFormat profile_format_for(std::string_view file_name);

}  // namespace hl7
