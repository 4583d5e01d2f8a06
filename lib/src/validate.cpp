// The validator's entry point: the order of the checks, findings and their paths, and the ACK a
// validation leads to. The checks themselves: validate_header.cpp, validate_structure.cpp,
// validate_fields.cpp.
#include "hl7/validate.hpp"

#include <fmt/format.h>

#include "hl7/profile.hpp"
#include "validate_internal.hpp"

namespace hl7 {

namespace detail {

void MessageValidator::run() {
    header();
    segment_ids_and_occurrences();
    if (version_) structure();
    for (std::size_t i = 0; i < m_.size(); ++i) fields(i);
    for (const auto& profile : options_.profiles) profile->check(m_, charset_, out_);
}

Finding& MessageValidator::add(Severity severity, int code, std::string rule, Path location,
                               std::uint32_t segment_index, std::string text, std::string_view value) {
    Finding f;
    f.severity = severity;
    f.code = code;
    f.rule = std::move(rule);
    f.location = std::move(location);
    f.segment_index = segment_index;
    f.text = std::move(text);
    f.value = std::string(value);
    out_.push_back(std::move(f));
    return out_.back();
}

Path MessageValidator::path_of(std::size_t segment, int field, int repetition, int component,
                               int subcomponent) const {
    Path p;
    if (is_well_formed_segment_id(ids_[segment])) {
        p.segment = std::string(ids_[segment]);
        p.occurrence = occurrences_[segment];
    }
    p.field = field;
    p.repetition = repetition;
    p.repetition_given = repetition > 1;
    p.component = component;
    p.subcomponent = subcomponent;
    return p;
}

const defs::SegmentDef* MessageValidator::segment_def(std::string_view id) const {
    for (const auto& profile : options_.profiles)
        if (const auto* s = profile->segment(id)) return s;
    return version_ ? version_->segment(id) : nullptr;
}

}  // namespace detail

struct ValidationCache::Impl {
    std::vector<std::pair<const defs::MessageDef*, StructureMatcher>> matchers;
};

ValidationCache::ValidationCache() = default;
ValidationCache::~ValidationCache() = default;
ValidationCache::ValidationCache(const ValidationCache&) {}
ValidationCache& ValidationCache::operator=(const ValidationCache&) { return *this; }
ValidationCache::ValidationCache(ValidationCache&&) noexcept = default;
ValidationCache& ValidationCache::operator=(ValidationCache&&) noexcept = default;

StructureMatcher& ValidationCache::matcher(const defs::MessageDef& structure) {
    constexpr std::size_t kMaxStructures = 64;
    if (!impl_) impl_ = std::make_unique<Impl>();
    auto& list = impl_->matchers;
    for (auto& [def, matcher] : list)
        if (def == &structure) return matcher;
    if (list.size() == kMaxStructures) list.clear();
    return list.emplace_back(&structure, StructureMatcher(structure)).second;
}

void validate_message(const Message& message, Charset charset, const ValidationOptions& options,
                      std::vector<Finding>& findings) {
    if (message.empty()) return;
    detail::MessageValidator(message, charset, options, findings).run();
}

AckOptions validation_ack(const std::vector<Finding>& findings) {
    AckOptions ack;
    ack.code = AckCode::AA;
    for (const Finding& f : findings) {
        if (f.severity == Severity::note) continue;
        if (f.severity == Severity::error) {
            bool unsupported = f.code >= 200 && f.code <= 203;
            if (unsupported) ack.code = AckCode::AR;
            else if (ack.code == AckCode::AA) ack.code = AckCode::AE;
        }
        AckFinding a;
        a.location = f.location;
        a.code = f.code;
        a.severity = f.severity == Severity::error ? 'E' : 'W';
        a.text = f.text;
        ack.findings.push_back(std::move(a));
    }
    return ack;
}

std::string finding_path(const Finding& f) {
    if (!f.location.segment.empty()) return f.location.to_string();
    if (f.segment_index == 0) return "";
    // A segment whose ID is not well formed: by position, never by its text.
    const Path& p = f.location;
    std::string out = fmt::format("segment {}", f.segment_index);
    if (p.field <= 0) return out;
    out += fmt::format(" field {}", p.field);
    if (p.repetition != 1 || p.repetition_given)
        out += p.repetition == Path::all ? std::string("[*]") : fmt::format("[{}]", p.repetition);
    if (p.component > 0) out += fmt::format(".{}", p.component);
    if (p.component > 0 && p.subcomponent > 0) out += fmt::format(".{}", p.subcomponent);
    return out;
}

}  // namespace hl7
