// Profiles: the YAML/JSON reader, and the evaluation of a profile's rules against a message (the
// same model for every format; the XML conformance profile reader is profile_xml.cpp).
#include "hl7/profile.hpp"
#include "hl7/header.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "hl7/datatypes.hpp"
#include "hl7/escape.hpp"
#include "profile_model.hpp"

namespace hl7 {

namespace profile_model {

Diagnostic profile_error(std::string_view name, std::uint64_t line, std::string_view text) {
    return make_error("bad-profile", line ? fmt::format("profile '{}', line {}: {}", name, line, text)
                                          : fmt::format("profile '{}': {}", name, text));
}

namespace {

// --- evaluation -------------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

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
        bool atomic = is_header_segment(seg) && path.field <= 2;
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

// --- the YAML/JSON reader -----------------------------------------------------------------------

struct ReadError : std::runtime_error {
    std::uint64_t line;
    ReadError(std::uint64_t l, const std::string& text) : std::runtime_error(text), line(l) {}
};

std::uint64_t line_of(const YAML::Node& node) {
    YAML::Mark mark = node.Mark();
    return mark.line >= 0 ? static_cast<std::uint64_t>(mark.line) + 1 : 0;
}

[[noreturn]] void fail(const YAML::Node& node, const std::string& text) { throw ReadError(line_of(node), text); }

std::string scalar(const YAML::Node& node, std::string_view what) {
    if (!node.IsScalar()) fail(node, fmt::format("{}: expected a single value", what));
    return node.Scalar();
}

int integer(const YAML::Node& node, std::string_view what, int low, int high) {
    std::string s = scalar(node, what);
    long value = 0;
    bool ok = !s.empty() && s.size() <= 9;
    for (char c : s) {
        if (!is_digit(c)) ok = false;
        else value = value * 10 + (c - '0');
    }
    if (!ok || value < low || value > high)
        fail(node, fmt::format("{}: expected a number from {} to {}", what, low, high));
    return static_cast<int>(value);
}

// A maximum: a number, or "*" for unbounded (returned as nullopt).
std::optional<int> maximum(const YAML::Node& node, std::string_view what) {
    if (node.IsScalar() && node.Scalar() == "*") return std::nullopt;
    return integer(node, fmt::format("{} (or '*')", what), 0, 999999);
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

// R, RE, O, C, CE, X (any case).
std::string usage_code(const YAML::Node& node) {
    std::string u = upper(scalar(node, "usage"));
    if (u != "R" && u != "RE" && u != "O" && u != "C" && u != "CE" && u != "X")
        fail(node, fmt::format("usage '{}': expected R, RE, O, C, CE or X", node.Scalar()));
    return u;
}

Presence presence_of(std::string_view usage) {
    if (usage == "R") return Presence::required;
    if (usage == "X") return Presence::forbidden;
    return Presence::none;
}

bool known_datatype(std::string_view name) {
    if (name == "varies") return true;
    for (const auto& v : defs::versions())
        if (v.datatype(name)) return true;
    return has_format_check(name);
}

std::string key_list(std::initializer_list<std::string_view> keys) {
    std::string s;
    for (auto k : keys) {
        if (!s.empty()) s += ", ";
        s += k;
    }
    return s;
}

void check_keys(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> keys) {
    for (const auto& kv : map) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            fail(kv.first, fmt::format("unknown key '{}' in {} (expected one of: {})", key, what, key_list(keys)));
    }
}

bool well_formed_segment_id(std::string_view id) {
    auto upper_or_digit = [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); };
    return id.size() == 3 && id[0] >= 'A' && id[0] <= 'Z' && upper_or_digit(id[1]) && upper_or_digit(id[2]);
}

class YamlReader {
public:
    YamlReader(std::string_view name, const ProfileFileReader& read_file) : read_file_(read_file) {
        model_.name = std::string(name);
    }

    ProfileModel read(const YAML::Node& root) {
        if (root.IsNull()) fail(root, "the profile is empty");
        if (!root.IsMap()) fail(root, "expected a mapping of keys (name, version, messages, segments, fields, rules)");
        check_keys(root, "the profile", {"name", "description", "version", "messages", "segments", "fields", "rules"});
        if (auto n = root["name"]) model_.name = scalar(n, "name");
        if (auto v = root["version"]) {
            model_.version = scalar(v, "version");
            if (!defs::match_version(model_.version).version)
                fail(v, fmt::format("version '{}' is not a known HL7 version", model_.version));
        }
        if (auto m = root["messages"]) messages(m);
        if (auto s = root["segments"]) segments(s);
        if (auto f = root["fields"]) {
            if (!f.IsMap()) fail(f, "fields: expected a mapping of paths to constraints");
            for (const auto& kv : f) constraint(kv.first, kv.second, model_.segments, model_.fields);
        }
        if (auto r = root["rules"]) rules(r);
        return std::move(model_);
    }

private:
    void messages(const YAML::Node& node) {
        std::vector<YAML::Node> items;
        if (node.IsSequence()) {
            for (const auto& item : node) items.push_back(item);
        } else {
            items.push_back(node);
        }
        for (const auto& item : items) {
            std::string s = scalar(item, "messages");
            MessageType t;
            std::size_t caret = s.find('^');
            t.type = s.substr(0, caret);
            t.trigger = caret == std::string::npos ? "*" : s.substr(caret + 1);
            if (t.trigger.empty()) t.trigger = "*";
            bool ok = !t.type.empty() && t.type.find_first_of("^ ") == std::string::npos &&
                      t.trigger.find_first_of("^ ") == std::string::npos;
            if (!ok) fail(item, fmt::format("messages: '{}' is not TYPE^TRIGGER (ADT^A01), TYPE^* or TYPE", s));
            model_.messages.push_back(std::move(t));
        }
    }

    void segments(const YAML::Node& node) {
        if (!node.IsMap()) fail(node, "segments: expected a mapping of segment IDs");
        for (const auto& kv : node) {
            std::string id = scalar(kv.first, "segment ID");
            if (!well_formed_segment_id(id)) fail(kv.first, fmt::format("'{}' is not a segment ID such as ZPI", id));
            const YAML::Node& spec = kv.second;
            if (spec.IsNull()) continue;
            if (!spec.IsMap()) fail(spec, fmt::format("segment {}: expected a mapping (usage, min, max, fields)", id));
            check_keys(spec, fmt::format("segment {}", id), {"usage", "min", "max", "description", "name", "fields"});
            SegmentRule rule;
            rule.id = id;
            bool any = segment_rule(spec, rule);
            if (any) model_.segments.push_back(rule);
            if (auto fields = spec["fields"]) definition(id, spec, fields);
        }
    }

    // usage/min/max of a segment; true when any is given.
    bool segment_rule(const YAML::Node& spec, SegmentRule& rule) {
        bool any = false;
        if (auto u = spec["usage"]) {
            rule.presence = presence_of(usage_code(u));
            any = true;
        }
        if (auto m = spec["min"]) {
            rule.min = integer(m, "min", 0, 999999);
            any = true;
        }
        if (auto m = spec["max"]) {
            rule.max = maximum(m, "max");
            any = true;
        }
        return any;
    }

    void definition(const std::string& id, const YAML::Node& spec, const YAML::Node& fields) {
        if (!fields.IsMap()) fail(fields, fmt::format("segment {} fields: expected a mapping of field numbers", id));
        SegmentSpec def;
        def.id = id;
        if (auto d = spec["description"]) def.description = scalar(d, "description");
        else if (auto n = spec["name"]) def.description = scalar(n, "name");
        for (const auto& kv : fields) {
            int number = integer(kv.first, fmt::format("segment {} field number", id), 1, 999);
            const YAML::Node& f = kv.second;
            if (!f.IsMap() && !f.IsNull())
                fail(f, fmt::format("{}-{}: expected a mapping (name, datatype, usage, length, table, repeat, ...)",
                                    id, number));
            if (def.fields.size() < static_cast<std::size_t>(number)) def.fields.resize(static_cast<std::size_t>(number));
            FieldSpec& fs = def.fields[static_cast<std::size_t>(number - 1)];
            if (f.IsNull()) continue;
            std::string where = fmt::format("{}-{}", id, number);
            check_keys(f, where,
                       {"name", "description", "datatype", "usage", "length", "table", "repeat", "min", "max",
                        "values", "value-set", "fixed", "pattern"});
            if (auto n = f["name"]) fs.description = scalar(n, "name");
            else if (auto d = f["description"]) fs.description = scalar(d, "description");
            if (auto dt = f["datatype"]) {
                fs.datatype = scalar(dt, "datatype");
                if (!known_datatype(fs.datatype)) fail(dt, fmt::format("unknown datatype '{}'", fs.datatype));
            }
            FieldRule rule;
            rule.path.segment = id;
            rule.path.field = number;
            bool any = false;
            if (auto u = f["usage"]) {
                std::string code = usage_code(u);
                fs.usage = code == "R"                   ? defs::Usage::required
                           : code == "C" || code == "CE" ? defs::Usage::conditional
                                                         : defs::Usage::optional;
                if (code == "X") {
                    rule.presence = Presence::forbidden;
                    any = true;
                }
            }
            if (auto l = f["length"]) fs.max_length = static_cast<std::uint32_t>(integer(l, "length", 1, 999999));
            if (auto t = f["table"]) fs.table = static_cast<std::uint16_t>(integer(t, "table", 1, 65535));
            auto repeat = f["repeat"] ? f["repeat"] : f["max"];
            if (f["repeat"] && f["max"]) fail(f["max"], fmt::format("{}: give repeat or max, not both", where));
            if (repeat) {
                auto max = maximum(repeat, "repeat");
                if (max && *max == 0) fail(repeat, "repeat: expected a number from 1, or '*'");
                fs.max_repetitions = max ? static_cast<std::uint16_t>(std::min(*max, 65535)) : 0;
            }
            if (auto m = f["min"]) {
                rule.min = integer(m, "min", 0, 999999);
                any = true;
            }
            any = value_constraints(f, rule) || any;
            if (any) model_.fields.push_back(std::move(rule));
        }
        model_.definitions[id] = std::move(def);
    }

    // values, value-set, fixed, pattern, length, datatype, table; true when any is given.
    bool value_constraints(const YAML::Node& spec, FieldRule& rule) {
        bool any = false;
        if (spec["values"] && spec["value-set"])
            fail(spec["value-set"], "give values or value-set, not both");
        if (auto v = spec["values"]) {
            std::vector<std::string> codes;
            if (v.IsSequence()) {
                for (const auto& item : v) codes.push_back(scalar(item, "values"));
            } else {
                codes.push_back(scalar(v, "values"));
            }
            std::sort(codes.begin(), codes.end());
            rule.values = std::make_shared<const std::vector<std::string>>(std::move(codes));
            any = true;
        }
        if (auto v = spec["value-set"]) {
            std::string file = scalar(v, "value-set");
            rule.values = value_set(v, file);
            rule.values_source = file;
            any = true;
        }
        if (auto f = spec["fixed"]) {
            rule.fixed = scalar(f, "fixed");
            any = true;
        }
        if (auto p = spec["pattern"]) {
            rule.pattern_text = scalar(p, "pattern");
            try {
                rule.pattern = std::make_shared<const std::regex>(rule.pattern_text, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                fail(p, fmt::format("pattern '{}' is not a valid regular expression", rule.pattern_text));
            }
            any = true;
        }
        return any;
    }

    // A constraint in `fields:` or a rule's `then:`; a path without a field is a segment rule.
    void constraint(const YAML::Node& key, const YAML::Node& spec, std::vector<SegmentRule>& segments,
                    std::vector<FieldRule>& fields) {
        std::string text = scalar(key, "path");
        auto path = parse_path(text);
        if (!path) fail(key, path.error().text);
        if (!spec.IsMap()) fail(spec, fmt::format("{}: expected a mapping (usage, min, max, values, ...)", text));
        if (path->field == 0) {
            check_keys(spec, text, {"usage", "min", "max", "description"});
            if (path->occurrence_given) fail(key, fmt::format("{}: a segment rule counts every occurrence; "
                                                              "leave out [n]", text));
            SegmentRule rule;
            rule.id = path->segment;
            segment_rule(spec, rule);
            segments.push_back(std::move(rule));
            return;
        }
        check_keys(spec, text,
                   {"usage", "min", "max", "values", "value-set", "fixed", "pattern", "length", "datatype", "table",
                    "description"});
        FieldRule rule;
        rule.path = *path;
        if (auto u = spec["usage"]) rule.presence = presence_of(usage_code(u));
        bool field_level = path->component == 0 && !(path->repetition_given && path->repetition != Path::all);
        if (auto m = spec["min"]) {
            if (!field_level) fail(m, fmt::format("{}: min counts repetitions: give it on a field path", text));
            rule.min = integer(m, "min", 0, 999999);
        }
        if (auto m = spec["max"]) {
            if (!field_level) fail(m, fmt::format("{}: max counts repetitions: give it on a field path", text));
            rule.max = maximum(m, "max");
        }
        value_constraints(spec, rule);
        if (auto l = spec["length"]) rule.length = static_cast<std::uint32_t>(integer(l, "length", 1, 999999));
        if (auto dt = spec["datatype"]) {
            rule.datatype = scalar(dt, "datatype");
            if (!known_datatype(rule.datatype)) fail(dt, fmt::format("unknown datatype '{}'", rule.datatype));
        }
        if (auto t = spec["table"]) {
            int number = integer(t, "table", 1, 65535);
            rule.table = defs::table(static_cast<std::uint16_t>(number));
            if (!rule.table) fail(t, fmt::format("table {:04} is not an HL7 table the library knows", number));
        }
        fields.push_back(std::move(rule));
    }

    Condition condition(const YAML::Node& node) {
        std::string text = scalar(node, "when");
        std::string_view s = text;
        auto trim = [](std::string_view v) {
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            return v;
        };
        s = trim(s);
        Condition c;
        if (s.substr(0, 4) == "not " || s.substr(0, 4) == "not\t") {
            c.negate = true;
            s = trim(s.substr(4));
        }
        std::size_t op = s.find_first_of("=!~");
        std::string filter;
        if (op == std::string_view::npos) {
            filter = std::string(s);
        } else {
            std::size_t op_len = s.substr(op, 2) == "!=" ? 2 : 1;
            filter = fmt::format("{}{}{}", trim(s.substr(0, op)), s.substr(op, op_len), trim(s.substr(op + op_len)));
        }
        auto f = parse_filter(filter);
        if (!f) fail(node, fmt::format("when '{}': {}", text, f.error().text));
        c.filter = std::move(*f);
        return c;
    }

    void rules(const YAML::Node& node) {
        if (!node.IsSequence()) fail(node, "rules: expected a list of {when, then}");
        for (const auto& item : node) {
            if (!item.IsMap()) fail(item, "rules: each rule is a mapping with when and then");
            check_keys(item, "a rule", {"when", "then", "description"});
            auto when = item["when"];
            auto then = item["then"];
            if (!when) fail(item, "rule without when");
            if (!then) fail(item, "rule without then");
            ConditionalRule rule;
            if (when.IsSequence()) {
                for (const auto& w : when) {
                    rule.when.push_back(condition(w));
                    if (!rule.when_text.empty()) rule.when_text += " and ";
                    rule.when_text += w.Scalar();
                }
                if (rule.when.empty()) fail(when, "when: empty list");
            } else {
                rule.when.push_back(condition(when));
                rule.when_text = when.Scalar();
            }
            if (!then.IsMap()) fail(then, "then: expected a mapping of paths to constraints");
            for (const auto& kv : then) constraint(kv.first, kv.second, rule.segments, rule.fields);
            model_.rules.push_back(std::move(rule));
        }
    }

    // A CSV file of codes: first column; a header row whose first cell starts with "code" is skipped.
    std::shared_ptr<const std::vector<std::string>> value_set(const YAML::Node& node, const std::string& file) {
        if (!read_file_) fail(node, fmt::format("value-set '{}': files cannot be read here", file));
        auto text = read_file_(file);
        if (!text) fail(node, fmt::format("value-set '{}': {}", file, text.error().text));
        std::vector<std::string> codes;
        std::string_view rest = *text;
        if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
        bool first = true;
        while (!rest.empty()) {
            std::size_t nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            std::string cell;
            if (!line.empty() && line.front() == '"') {
                std::size_t i = 1;
                for (; i < line.size(); ++i) {
                    if (line[i] == '"') {
                        if (i + 1 < line.size() && line[i + 1] == '"') {
                            cell.push_back('"');
                            ++i;
                        } else {
                            break;
                        }
                    } else {
                        cell.push_back(line[i]);
                    }
                }
            } else {
                std::string_view c = line.substr(0, line.find(','));
                while (!c.empty() && (c.front() == ' ' || c.front() == '\t')) c.remove_prefix(1);
                while (!c.empty() && (c.back() == ' ' || c.back() == '\t')) c.remove_suffix(1);
                cell = std::string(c);
            }
            if (cell.empty() || cell.front() == '#') continue;
            if (first) {
                first = false;
                std::string lower = cell;
                for (char& ch : lower)
                    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
                if (lower.rfind("code", 0) == 0) continue;
            }
            codes.push_back(std::move(cell));
        }
        if (codes.empty()) fail(node, fmt::format("value-set '{}' has no codes", file));
        std::sort(codes.begin(), codes.end());
        return std::make_shared<const std::vector<std::string>>(std::move(codes));
    }

    const ProfileFileReader& read_file_;
    ProfileModel model_;
};

std::uint64_t line_at(std::string_view text, std::size_t byte) {
    byte = std::min(byte, text.size());
    return 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
}

Result<ProfileModel> read_yaml_profile(std::string_view text, ProfileFormat format, std::string_view name,
                                       const ProfileFileReader& read_file) {
    std::string source(text);
    if (format == ProfileFormat::json) {
        // Strict JSON first (yaml-cpp would accept more), then the same reader as YAML. Valid JSON
        // has no raw TAB inside strings, so TABs are whitespace, which YAML indentation refuses.
        try {
            nlohmann::json parsed = nlohmann::json::parse(source);
            (void)parsed;
        } catch (const nlohmann::json::parse_error& e) {
            std::string what = e.what();
            // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..."
            std::size_t colon = what.find(": ");
            std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
            std::size_t byte = e.byte > 0 ? e.byte - 1 : 0;
            return profile_error(name, line_at(text, byte), fmt::format("invalid JSON: {}", detail));
        }
        std::replace(source.begin(), source.end(), '\t', ' ');
    }
    try {
        YAML::Node root = YAML::Load(source);
        return YamlReader(name, read_file).read(root);
    } catch (const ReadError& e) {
        return profile_error(name, e.line, e.what());
    } catch (const YAML::Exception& e) {
        std::uint64_t line = e.mark.line >= 0 ? static_cast<std::uint64_t>(e.mark.line) + 1 : 0;
        return profile_error(name, line, fmt::format("invalid {}: {}", format == ProfileFormat::json ? "JSON" : "YAML",
                                                      e.msg));
    }
}

}  // namespace

std::shared_ptr<const Profile> make_profile(ProfileModel model) {
    return std::make_shared<const ModelProfile>(std::move(model));
}

}  // namespace profile_model

Result<std::shared_ptr<const Profile>> parse_profile(std::string_view text, ProfileFormat format,
                                                     std::string_view name, const ProfileFileReader& read_file) {
    auto model = format == ProfileFormat::xml ? profile_model::read_xml_profile(text, name)
                                              : profile_model::read_yaml_profile(text, format, name, read_file);
    if (!model) return model.error();
    if (model->name.empty()) model->name = std::string(name);
    return profile_model::make_profile(std::move(*model));
}

ProfileFormat profile_format_for(std::string_view file_name) {
    auto ends_with = [&](std::string_view suffix) {
        if (file_name.size() < suffix.size()) return false;
        std::string_view tail = file_name.substr(file_name.size() - suffix.size());
        for (std::size_t i = 0; i < suffix.size(); ++i) {
            char c = tail[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != suffix[i]) return false;
        }
        return true;
    };
    if (ends_with(".json")) return ProfileFormat::json;
    if (ends_with(".xml")) return ProfileFormat::xml;
    return ProfileFormat::yaml;
}

}  // namespace hl7
