// Profiles: the evaluation of a profile's rules against a message, the same for every profile
// format (the readers, profile_read.cpp and profile_xml.cpp, produce the ProfileModel it runs).
#include <fmt/format.h>

#include <algorithm>

#include "hl7/datatypes.hpp"
#include "hl7/escape.hpp"
#include "hl7/header.hpp"
#include "profile_model.hpp"

namespace hl7::profile_model {

namespace {

std::size_t count_chars(std::string_view utf8) {
    std::size_t n = 0;
    for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::string join_types(const std::vector<MessageType>& types) {
    std::string s;
    for (const auto& t : types) {
        if (!s.empty()) s += ", ";
        s += t.trigger == "*" ? t.type : t.type + "^" + t.trigger;
    }
    return s;
}

// std::regex matches recursively, about one stack frame per character: a pattern over a long value
// (an ED or base64 OBX-5) would overflow the stack, so longer values are not matched.
constexpr std::size_t kMaxPatternValue = 4096;

class Checker {
public:
    Checker(const ProfileModel& p, const Message& m, Charset charset, std::vector<Finding>& out)
        : p_(p), m_(m), d_(m.delimiters()), charset_(charset), out_(out) {
        std::string version = p.version;
        if (version.empty() && !m.empty()) version = std::string(read_header(m).version_text);
        // A version that cannot be read is checked by the rules of 2.5.
        if (auto v = read_version(version).version; v && v->major > 0) std::tie(major_, minor_) = std::tie(v->major, v->minor);
        auto match = defs::match_version(version);
        version_ = match.version;
    }

    void run() {
        message_type();
        for (const auto& s : p_.segments) segment(s, "");
        for (const auto& f : p_.fields) field(f, "");
        for (const auto& r : p_.rules) {
            bool holds = true;
            for (const auto& c : r.when) holds = holds && (filter_matches(m_, c.filter, charset_) != c.negate);
            if (!holds) continue;
            std::string why = fmt::format(" (when {})", r.when_text);
            for (const auto& s : r.segments) segment(s, why);
            for (const auto& f : r.fields) field(f, why);
        }
    }

private:
    void add(Severity severity, int code, Path location, std::uint32_t segment_index, std::string_view what,
             std::string_view why, std::string_view value = {}) {
        Finding f;
        f.severity = severity;
        f.code = code;
        f.rule = "profile";
        f.text = fmt::format("profile '{}': {}{}", p_.name, what, why);
        f.location = std::move(location);
        f.segment_index = segment_index;
        f.value = std::string(value);
        out_.push_back(std::move(f));
    }

    std::string decode(std::string_view raw) const {
        if (!needs_decoding(raw, d_)) return std::string(raw);
        std::string out;
        EscapeStats stats;
        decode_value(raw, d_, charset_, TextForm::plain, out, stats);
        return out;
    }

    void message_type() {
        if (p_.messages.empty() || m_.empty()) return;
        Header header = read_header(m_);
        std::string type = decode(header.type), trigger = decode(header.event);
        bool type_known = false;
        for (const auto& t : p_.messages) {
            if (t.type != type) continue;
            type_known = true;
            if (t.trigger == "*" || t.trigger == trigger) return;
        }
        Path at;
        at.segment = "MSH";
        at.field = 9;
        at.component = type_known ? 2 : 1;
        std::string allowed = join_types(p_.messages);
        if (type_known)
            add(Severity::error, kUnsupportedEvent, at, 1,
                fmt::format("MSH-9.2 trigger event not allowed (the profile accepts {})", allowed), "", trigger);
        else
            add(Severity::error, kUnsupportedMessageType, at, 1,
                fmt::format("MSH-9.1 message type not allowed (the profile accepts {})", allowed), "", type);
    }

    void segment(const SegmentRule& r, std::string_view why) {
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < m_.size(); ++i)
            if (m_.segment_id(i) == r.id) where.push_back(i);
        int count = static_cast<int>(where.size());
        auto at = [&](int occurrence) {
            Path p;
            p.segment = r.id;
            p.occurrence = occurrence;
            return p;
        };
        if (r.presence == Presence::forbidden) {
            for (int k = 0; k < count; ++k)
                add(Severity::error, kSegmentSequence, at(k + 1), static_cast<std::uint32_t>(where[k] + 1),
                    fmt::format("segment {} must not appear", r.id), why);
            return;
        }
        // min counts only when the segment appears; usage R is what makes it required.
        int min = std::max(r.min, r.presence == Presence::required ? 1 : 0);
        if (count == 0 && r.presence == Presence::required) {
            add(Severity::error, kSegmentSequence, at(1), 0, fmt::format("segment {} is required but missing", r.id),
                why);
        } else if (count > 0 && count < min) {
            add(Severity::error, kSegmentSequence, at(1), 0,
                fmt::format("segment {} appears {} time{}, at least {} required", r.id, count, count == 1 ? "" : "s",
                            min),
                why);
        }
        if (r.max && count > *r.max) {
            std::size_t first_extra = static_cast<std::size_t>(*r.max);
            add(Severity::error, kSegmentSequence, at(*r.max + 1), static_cast<std::uint32_t>(where[first_extra] + 1),
                fmt::format("segment {} appears {} times, at most {} allowed", r.id, count, *r.max), why);
        }
    }

    // The code a value set or table compares: the first leaf of the value.
    std::string code_of(std::string_view raw, int depth_above_leaf, bool atomic) const {
        if (atomic) return std::string(raw);
        std::string_view v = raw;
        if (depth_above_leaf >= 2) v = nth_part(v, d_.component, 1).value_or(v);
        if (depth_above_leaf >= 1) v = nth_part(v, d_.subcomponent, 1).value_or(v);
        return decode(v);
    }

    std::string display(std::string_view raw, bool atomic) const {
        if (atomic) return std::string(raw);
        std::string out;
        EscapeStats stats;
        append_display_value(raw, d_, charset_, out, stats);
        return out;
    }

    void field(const FieldRule& r, std::string_view why) {
        const Path& path = r.path;
        bool one_occurrence = path.occurrence_given && path.occurrence != Path::all;
        bool one_rep = path.repetition_given && path.repetition != Path::all;
        int occurrence = 0;
        for (std::size_t i = 0; i < m_.size(); ++i) {
            if (m_.segment_id(i) != path.segment) continue;
            ++occurrence;
            if (one_occurrence && occurrence != path.occurrence) continue;
            field_in_segment(r, why, i, occurrence, one_rep);
        }
    }

    void field_in_segment(const FieldRule& r, std::string_view why, std::size_t index, int occurrence, bool one_rep) {
        const Path& path = r.path;
        std::string_view seg = m_.segment(index);
        bool atomic = is_header_segment(seg, d_.field) && path.field <= 2;
        std::string_view field = field_text(seg, d_, path.field).value_or(std::string_view());
        auto seg_no = static_cast<std::uint32_t>(index + 1);
        auto at = [&](int rep, bool whole_field = false) {
            Path p;
            p.segment = path.segment;
            p.occurrence = occurrence;
            p.field = path.field;
            p.repetition = rep;
            p.repetition_given = rep > 1 || (one_rep && !whole_field);
            if (!whole_field) {
                p.component = path.component;
                p.subcomponent = path.subcomponent;
            }
            return p;
        };

        // The repetitions to look at, by number.
        std::vector<std::pair<int, std::string_view>> reps;
        if (!field.empty()) {
            if (atomic || d_.repetition == 0) {
                reps.emplace_back(1, field);
            } else {
                int n = 0;
                std::size_t start = 0;
                for (;;) {
                    std::size_t stop = field.find(d_.repetition, start);
                    ++n;
                    reps.emplace_back(n, field.substr(start, stop == std::string_view::npos ? std::string_view::npos
                                                                                              : stop - start));
                    if (stop == std::string_view::npos) break;
                    start = stop + 1;
                }
            }
        }
        if (one_rep) {
            auto it = std::find_if(reps.begin(), reps.end(), [&](auto& rp) { return rp.first == path.repetition; });
            if (it == reps.end()) reps.clear();
            else reps = {*it};
        }
        int non_empty = 0;
        for (const auto& rp : reps) non_empty += !rp.second.empty();

        // Cardinality and presence of the field itself.
        bool field_level = path.component == 0;
        if (field_level && !one_rep) {
            // min counts only when the field is present; usage R is what makes it required.
            int min = std::max(r.min.value_or(0), r.presence == Presence::required ? 1 : 0);
            if (non_empty == 0 && r.presence == Presence::required) {
                add(Severity::error, kRequiredMissing, at(1, true), seg_no,
                    fmt::format("{} is required but missing", at(1, true).to_string()), why);
            } else if (non_empty > 0 && non_empty < min) {
                add(Severity::error, kRequiredMissing, at(1, true), seg_no,
                    fmt::format("{} has {} repetition{}, at least {} required", at(1, true).to_string(), non_empty,
                                non_empty == 1 ? "" : "s", min),
                    why);
            }
            if (r.max && non_empty > *r.max && r.presence != Presence::forbidden) {
                int extra = 0, seen = 0;
                for (const auto& rp : reps)
                    if (!rp.second.empty() && ++seen == *r.max + 1) extra = rp.first;
                add(Severity::error, kDataType, at(extra), seg_no,
                    fmt::format("{} has {} repetitions, at most {} allowed", at(1, true).to_string(), non_empty,
                                *r.max),
                    why);
            }
        } else if (field_level && r.presence == Presence::required && non_empty == 0) {
            add(Severity::error, kRequiredMissing, at(path.repetition), seg_no,
                fmt::format("{} is required but missing", at(path.repetition).to_string()), why);
        }

        // The values below the field: one per repetition.
        struct Leaf {
            int rep;
            std::string_view raw;
            bool parent_present;  // the repetition of a component, the component of a subcomponent
            bool rep_present;
        };
        std::vector<Leaf> leaves;
        for (const auto& [number, rep] : reps) {
            if (path.component == 0) {
                leaves.push_back({number, rep, true, !rep.empty()});
                continue;
            }
            std::string_view comp =
                atomic ? (path.component == 1 ? rep : std::string_view())
                       : nth_part(rep, d_.component, path.component).value_or(std::string_view());
            if (path.subcomponent == 0) {
                leaves.push_back({number, comp, !rep.empty(), !rep.empty()});
                continue;
            }
            std::string_view sub = atomic ? (path.subcomponent == 1 ? comp : std::string_view())
                                          : nth_part(comp, d_.subcomponent, path.subcomponent)
                                                .value_or(std::string_view());
            leaves.push_back({number, sub, !comp.empty(), !rep.empty()});
        }

        if (!field_level && r.presence == Presence::required) {
            if (r.within_parent) {
                for (const auto& leaf : leaves)
                    if (leaf.parent_present && leaf.raw.empty())
                        add(Severity::error, kRequiredMissing, at(leaf.rep), seg_no,
                            fmt::format("{} is required but missing", at(leaf.rep).to_string()), why);
            } else if (non_empty == 0) {
                int rep = one_rep ? path.repetition : 1;
                add(Severity::error, kRequiredMissing, at(rep), seg_no,
                    fmt::format("{} is required but missing", at(rep).to_string()), why);
            } else {
                for (const auto& leaf : leaves)
                    if (leaf.rep_present && leaf.raw.empty())
                        add(Severity::error, kRequiredMissing, at(leaf.rep), seg_no,
                            fmt::format("{} is required but missing", at(leaf.rep).to_string()), why);
            }
        }

        if (r.presence == Presence::forbidden) {
            if (field_level && !one_rep) {
                if (non_empty > 0)
                    add(Severity::error, kDataType, at(1, true), seg_no,
                        fmt::format("{} must not be present", at(1, true).to_string()), why, display(field, atomic));
            } else {
                for (const auto& leaf : leaves)
                    if (!leaf.raw.empty())
                        add(Severity::error, kDataType, at(leaf.rep), seg_no,
                            fmt::format("{} must not be present", at(leaf.rep).to_string()), why,
                            display(leaf.raw, atomic));
            }
            return;
        }

        int above_leaf = path.component == 0 ? 2 : path.subcomponent == 0 ? 1 : 0;
        for (const auto& leaf : leaves) {
            if (leaf.raw.empty() || leaf.raw == "\"\"") continue;
            Path here = at(leaf.rep);
            std::string loc = here.to_string();
            std::string text = display(leaf.raw, atomic);
            if (r.fixed && text != *r.fixed)
                add(Severity::error, kTableValue, here, seg_no,
                    fmt::format("{} value differs from the fixed value '{}'", loc, *r.fixed), why, text);
            if (r.values || r.table) {
                std::string code = code_of(leaf.raw, above_leaf, atomic);
                if (r.values && !std::binary_search(r.values->begin(), r.values->end(), code)) {
                    add(Severity::error, kTableValue, here, seg_no,
                        r.values_source.empty()
                            ? fmt::format("{} value not in the value set", loc)
                            : fmt::format("{} value not in the value set '{}'", loc, r.values_source),
                        why, code);
                }
                if (r.table && !r.table->values.empty() && !r.table->find(code)) {
                    bool hl7 = r.table->kind == defs::TableKind::hl7;
                    add(hl7 ? Severity::error : Severity::warning, kTableValue, here, seg_no,
                        fmt::format("{} value not in {} table {:04}", loc, hl7 ? "HL7" : "user-defined",
                                    r.table->number),
                        why, code);
                }
            }
            if (r.pattern && text.size() > kMaxPatternValue) {
                add(Severity::warning, kDataType, here, seg_no,
                    fmt::format("{} value longer than {} bytes: pattern not checked", loc, kMaxPatternValue), why);
            } else if (r.pattern && !std::regex_match(text, *r.pattern)) {
                add(Severity::error, kDataType, here, seg_no,
                    fmt::format("{} value does not match the pattern '{}'", loc, r.pattern_text), why, text);
            }
            if (r.length && count_chars(text) > r.length)
                add(r.length_severity, kValueTooLong, here, seg_no,
                    fmt::format("{} value longer than {} characters", loc, r.length), why, text);
            if (!r.datatype.empty()) {
                const defs::DatatypeDef* dt = version_ ? version_->datatype(r.datatype) : nullptr;
                if (dt && !dt->primitive()) continue;
                if (auto problem = check_primitive(r.datatype, text, major_, minor_))
                    add(Severity::error, kDataType, here, seg_no,
                        fmt::format("{} value is not a valid {}: {}", loc, r.datatype, problem->what), why, text);
            }
        }
    }

    const ProfileModel& p_;
    const Message& m_;
    const Delimiters& d_;
    Charset charset_;
    std::vector<Finding>& out_;
    const defs::Version* version_ = nullptr;
    int major_ = 2, minor_ = 5;
};

class ModelProfile final : public Profile {
public:
    explicit ModelProfile(ProfileModel model) : model_(std::move(model)) {
        // The definitions point into model_, which does not move from here on.
        for (const auto& [id, spec] : model_.definitions) {
            auto& fields = fields_[id];
            fields.reserve(spec.fields.size());
            for (const auto& f : spec.fields) {
                defs::FieldDef def;
                def.datatype = f.datatype;
                def.description = f.description;
                def.usage = f.usage;
                def.max_repetitions = f.max_repetitions;
                def.max_length = f.max_length;
                def.table = f.table;
                fields.push_back(def);
            }
            defs::SegmentDef seg;
            seg.id = spec.id;
            seg.description = spec.description;
            seg.fields = fields;
            segments_.emplace(id, seg);
        }
    }

    const std::string& name() const override { return model_.name; }
    const std::string& version() const override { return model_.version; }
    const defs::SegmentDef* segment(std::string_view id) const override {
        auto it = segments_.find(id);
        return it == segments_.end() ? nullptr : &it->second;
    }
    void check(const Message& message, Charset charset, std::vector<Finding>& findings) const override {
        if (message.empty()) return;
        Checker(model_, message, charset, findings).run();
    }

private:
    ProfileModel model_;
    std::map<std::string, std::vector<defs::FieldDef>, std::less<>> fields_;
    std::map<std::string, defs::SegmentDef, std::less<>> segments_;
};

}  // namespace

std::shared_ptr<const Profile> make_profile(ProfileModel model) {
    return std::make_shared<const ModelProfile>(std::move(model));
}

}  // namespace hl7::profile_model
