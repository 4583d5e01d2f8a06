// The validator's header checks: the version to validate as (MSH-12, an override or a profile), the
// message type, trigger event and structure (MSH-9: the structure from the version's event map, MSH-9.3
// checked against it), and the processing ID (MSH-11).
#include <fmt/format.h>

#include <tuple>

#include "hl7/header.hpp"
#include "hl7/profile.hpp"
#include "validate_internal.hpp"

namespace hl7::detail {

void MessageValidator::header() {
    const Header h = read_header(m_);
    Path p;
    p.segment = "MSH";
    auto at = [&](int field, int component = 0) {
        Path q = p;
        q.field = field;
        q.component = component;
        return q;
    };
    // Version first: everything else depends on the definition set.
    std::string_view msh12 = h.version_text;
    std::string wanted = options_.version_override;
    for (const auto& profile : options_.profiles)
        if (wanted.empty() && !profile->version().empty()) wanted = profile->version();
    if (!wanted.empty()) {
        auto match = defs::match_version(wanted);
        version_ = match.version;
        if (!version_) {
            add(Severity::error, kUnsupportedVersion, "version", at(12), 1,
                fmt::format("version '{}' to validate as is not known", wanted));
        } else if (match.normalised != version_->name) {
            add(Severity::warning, kUnsupportedVersion, "version", at(12), 1,
                fmt::format("version '{}' validated as {}, the nearest definitions here", wanted, version_->name));
        }
    } else {
        // MSH-12 is protocol data, not patient data: the notes may quote it.
        auto match = defs::match_version(msh12);
        version_ = match.version;
        if (!version_) {
            add(Severity::error, kUnsupportedVersion, "version", at(12, 1), 1,
                msh12.empty() ? std::string("MSH-12 (version) is empty: fields and structure not checked")
                              : fmt::format("{}; fields and structure not checked", match.note),
                msh12);
        } else if (!match.exact) {
            add(Severity::warning, kUnsupportedVersion, "version", at(12, 1), 1, match.note, msh12);
            auto declared = read_version(msh12).version;
            auto used = read_version(version_->name).version;
            if (declared && used && *declared > *used) {
                newer_than_definitions_ = true;
                declared_version_ = msh12;
            }
        }
    }
    if (version_) {
        VersionId v = read_version(version_->name).version.value_or(VersionId{2, 5, 0, "2.5"});
        std::tie(major_, minor_) = std::tie(v.major, v.minor);
    }

    std::string_view type = h.type, trigger = h.event, structure = h.structure;
    if (type.empty()) {
        add(Severity::error, kRequiredMissing, "header", at(9, 1), 1, "MSH-9.1 (message type) is empty");
    } else if (const auto* t = defs::table(76); t && !t->values.empty() && !t->find(type) && type[0] != 'Z') {
        add(Severity::error, kUnsupportedMessageType, "header", at(9, 1), 1,
            "message type not in HL7 table 0076", type);
    }
    if (!trigger.empty()) {
        if (const auto* t = defs::table(3); t && !t->values.empty() && !t->find(trigger) && trigger[0] != 'Z')
            add(Severity::error, kUnsupportedEvent, "header", at(9, 2), 1, "trigger event not in HL7 table 0003",
                trigger);
    }
    // The structure: MSH-9.3 when the version defines it, checked against the one the version's event
    // map gives for MSH-9.1/9.2; that one when MSH-9.3 is missing or unknown.
    const defs::MessageDef* expected = version_ && !type.empty() ? version_->message_for(type, trigger) : nullptr;
    const defs::MessageDef* named = nullptr;
    if (!structure.empty()) {
        const defs::TableDef* t = version_ ? version_->table(354) : defs::table(354);
        bool listed = t && !t->values.empty() && t->find(structure);
        if (t && !t->values.empty() && !listed && structure[0] != 'Z')
            add(Severity::error, kUnsupportedMessageType, "header", at(9, 3), 1,
                "message structure not in HL7 table 0354", structure);
        if (version_ && listed) named = version_->message(structure);
    }
    if (version_) {
        std::string key = trigger.empty() ? std::string(type) : fmt::format("{}_{}", type, trigger);
        if (named) {
            // MSH-9.3 disagreeing with the type and event is more likely a slip in MSH-9.3 than a message
            // built for another event: the event's structure is the one checked.
            message_def_ = named;
            if (expected && !defs::same_structure(*expected, *named) && !version_->allows(type, trigger, structure)) {
                add(Severity::error, kUnsupportedMessageType, "header", at(9, 3), 1,
                    fmt::format("MSH-9.3 does not match MSH-9.1/9.2: version {} uses {} for {}^{}; checked against {}",
                                version_->name, expected->structure, type, trigger, expected->structure),
                    structure);
                message_def_ = expected;
            }
        } else {
            message_def_ = expected;
            // An MSH-9.3 the version knows not even as an event's own definition ("ADT_X99"): say which
            // structure was checked instead.
            if (expected && !structure.empty() && !version_->message(structure))
                add(Severity::warning, kUnsupportedMessageType, "header", at(9, 3), 1,
                    fmt::format("MSH-9.3 does not match the structure {} defines for {}", version_->name, key));
        }
        // Versions before 2.3.1 and events the map lacks: the "TYPE_EVENT" or "TYPE" definition, if any.
        if (!message_def_ && !trigger.empty()) message_def_ = version_->message(key);
        if (!message_def_ && !type.empty()) message_def_ = version_->message(type);
        if (!message_def_ && !type.empty()) {
            add(Severity::warning, kUnsupportedMessageType, "structure", at(9), 1,
                fmt::format("no message structure for {} in version {}: segment order not checked",
                            structure.empty() ? key : std::string(structure), version_->name));
        }
    }
    // MSH-2 gained a fifth character, the truncation character, in 2.7: before that it is not an
    // encoding character, and a receiver of the older version may not read it as one.
    if (version_ && m_.delimiters().truncation != 0 && !(major_ > 2 || (major_ == 2 && minor_ >= 7)))
        add(Severity::warning, kDataType, "header", at(2), 1,
            fmt::format("MSH-2 has a fifth character, the truncation character of version 2.7 and later; "
                        "version {} has four encoding characters",
                        version_->name));
    std::string_view processing = h.processing_id;
    if (!processing.empty()) {
        if (const auto* t = defs::table(103); t && !t->values.empty() && !t->find(processing))
            add(Severity::error, kUnsupportedProcessingId, "header", at(11, 1), 1,
                "processing ID not in HL7 table 0103", processing);
    }
}

}  // namespace hl7::detail
