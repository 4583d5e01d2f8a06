// Profiles: YAML and JSON profiles read into the ProfileModel (through the rule-file module), and
// parse_profile, which picks the reader for the format (XML: profile_xml.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "hl7/datatypes.hpp"
#include "hl7/profile.hpp"
#include "profile_model.hpp"
#include "rule_file.hpp"

namespace hl7 {

namespace profile_model {

namespace {

constexpr std::string_view kKind = "profile";
constexpr std::string_view kCode = "bad-profile";

using rule_file::check_keys;
using rule_file::fail;
using rule_file::integer;
using rule_file::Node;
using rule_file::scalar;

// A maximum: a number, or "*" for unbounded (returned as nullopt).
std::optional<int> maximum(const Node& node, std::string_view what) {
    return rule_file::integer_or_unbounded(node, what, 0, 999999);
}

// R, RE, O, C, CE, X (any case), as the upper-case code.
constexpr std::array<std::string_view, 6> kUsages{"R", "RE", "O", "C", "CE", "X"};

std::string_view usage_code(const Node& node) {
    return kUsages[rule_file::choice(node, "usage", kUsages, rule_file::Case::ignore)];
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

bool well_formed_segment_id(std::string_view id) {
    auto upper_or_digit = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    return id.size() == 3 && id[0] >= 'A' && id[0] <= 'Z' && upper_or_digit(id[1]) && upper_or_digit(id[2]);
}

class ProfileReader {
public:
    ProfileReader(std::string_view name, const ProfileFileReader& read_file) : read_file_(read_file) {
        model_.name = std::string(name);
    }

    ProfileModel read(const Node& root) {
        if (root.is_null()) fail(root, "the profile is empty");
        rule_file::expect_map(root, "expected a mapping of keys (name, version, messages, segments, fields, rules)");
        check_keys(root, "the profile", {"name", "description", "version", "messages", "segments", "fields", "rules"});
        if (const Node* n = root.find("name")) model_.name = scalar(*n, "name");
        if (const Node* v = root.find("version")) {
            model_.version = scalar(*v, "version");
            if (!defs::match_version(model_.version).version)
                fail(*v, fmt::format("version '{}' is not a known HL7 version", model_.version));
        }
        if (const Node* m = root.find("messages")) messages(*m);
        if (const Node* s = root.find("segments")) segments(*s);
        if (const Node* f = root.find("fields")) {
            rule_file::expect_map(*f, "fields: expected a mapping of paths to constraints");
            for (const auto& e : f->entries) constraint(e.key, e.value, model_.segments, model_.fields);
        }
        if (const Node* r = root.find("rules")) rules(*r);
        return std::move(model_);
    }

private:
    void messages(const Node& node) {
        for (const Node* item : rule_file::one_or_more(node)) {
            std::string s = scalar(*item, "messages");
            MessageType t;
            std::size_t caret = s.find('^');
            t.type = s.substr(0, caret);
            if (caret != std::string::npos) t.trigger = s.substr(caret + 1);
            // TYPE and TYPE^ mean any trigger (push_back: GCC 12's -Wrestrict misfires on = "*" here)
            if (t.trigger.empty()) t.trigger.push_back('*');
            bool ok = !t.type.empty() && t.type.find_first_of("^ ") == std::string::npos &&
                      t.trigger.find_first_of("^ ") == std::string::npos;
            if (!ok) fail(*item, fmt::format("messages: '{}' is not TYPE^TRIGGER (ADT^A01), TYPE^* or TYPE", s));
            model_.messages.push_back(std::move(t));
        }
    }

    void segments(const Node& node) {
        rule_file::expect_map(node, "segments: expected a mapping of segment IDs");
        for (const auto& [key, spec] : node.entries) {
            std::string id = scalar(key, "segment ID");
            if (!well_formed_segment_id(id)) fail(key, fmt::format("'{}' is not a segment ID such as ZPI", id));
            if (spec.is_null()) continue;
            rule_file::expect_map(spec, fmt::format("segment {}: expected a mapping (usage, min, max, fields)", id));
            check_keys(spec, fmt::format("segment {}", id), {"usage", "min", "max", "description", "name", "fields"});
            SegmentRule rule;
            rule.id = id;
            bool any = segment_rule(spec, rule);
            if (any) model_.segments.push_back(rule);
            if (const Node* fields = spec.find("fields")) definition(id, spec, *fields);
        }
    }

    // usage/min/max of a segment; true when any is given.
    bool segment_rule(const Node& spec, SegmentRule& rule) {
        bool any = false;
        if (const Node* u = spec.find("usage")) {
            rule.presence = presence_of(usage_code(*u));
            any = true;
        }
        if (const Node* m = spec.find("min")) {
            rule.min = integer(*m, "min", 0, 999999);
            any = true;
        }
        if (const Node* m = spec.find("max")) {
            rule.max = maximum(*m, "max");
            any = true;
        }
        return any;
    }

    void definition(const std::string& id, const Node& spec, const Node& fields) {
        rule_file::expect_map(fields, fmt::format("segment {} fields: expected a mapping of field numbers", id));
        SegmentSpec def;
        def.id = id;
        if (const Node* d = spec.find("description")) def.description = scalar(*d, "description");
        else if (const Node* n = spec.find("name")) def.description = scalar(*n, "name");
        for (const auto& [key, f] : fields.entries) {
            int number = integer(key, fmt::format("segment {} field number", id), 1, 999);
            if (!f.is_map() && !f.is_null())
                fail(f, fmt::format("{}-{}: expected a mapping (name, datatype, usage, length, table, repeat, ...)",
                                    id, number));
            if (def.fields.size() < static_cast<std::size_t>(number)) def.fields.resize(static_cast<std::size_t>(number));
            FieldSpec& fs = def.fields[static_cast<std::size_t>(number - 1)];
            if (f.is_null()) continue;
            std::string where = fmt::format("{}-{}", id, number);
            check_keys(f, where,
                       {"name", "description", "datatype", "usage", "length", "table", "repeat", "min", "max",
                        "values", "value-set", "fixed", "pattern"});
            if (const Node* n = f.find("name")) fs.description = scalar(*n, "name");
            else if (const Node* d = f.find("description")) fs.description = scalar(*d, "description");
            if (const Node* dt = f.find("datatype")) {
                fs.datatype = scalar(*dt, "datatype");
                if (!known_datatype(fs.datatype)) fail(*dt, fmt::format("unknown datatype '{}'", fs.datatype));
            }
            FieldRule rule;
            rule.path.segment = id;
            rule.path.field = number;
            bool any = false;
            if (const Node* u = f.find("usage")) {
                std::string_view code = usage_code(*u);
                fs.usage = code == "R"                   ? defs::Usage::required
                           : code == "C" || code == "CE" ? defs::Usage::conditional
                                                         : defs::Usage::optional;
                if (code == "X") {
                    rule.presence = Presence::forbidden;
                    any = true;
                }
            }
            if (const Node* l = f.find("length"))
                fs.max_length = static_cast<std::uint32_t>(integer(*l, "length", 1, 999999));
            if (const Node* t = f.find("table")) fs.table = static_cast<std::uint16_t>(integer(*t, "table", 1, 65535));
            const Node* repeat = f.find("repeat") ? f.find("repeat") : f.find("max");
            if (f.find("repeat") && f.find("max"))
                fail(*f.find("max"), fmt::format("{}: give repeat or max, not both", where));
            if (repeat) {
                auto max = maximum(*repeat, "repeat");
                if (max && *max == 0) fail(*repeat, "repeat: expected a number from 1, or '*'");
                fs.max_repetitions = max ? static_cast<std::uint16_t>(std::min(*max, 65535)) : 0;
            }
            if (const Node* m = f.find("min")) {
                rule.min = integer(*m, "min", 0, 999999);
                any = true;
            }
            any = value_constraints(f, rule) || any;
            if (any) model_.fields.push_back(std::move(rule));
        }
        model_.definitions[id] = std::move(def);
    }

    // values, value-set, fixed, pattern; true when any is given.
    bool value_constraints(const Node& spec, FieldRule& rule) {
        bool any = false;
        if (spec.find("values") && spec.find("value-set"))
            fail(*spec.find("value-set"), "give values or value-set, not both");
        if (const Node* v = spec.find("values")) {
            std::vector<std::string> codes;
            for (const Node* item : rule_file::one_or_more(*v)) codes.push_back(scalar(*item, "values"));
            std::sort(codes.begin(), codes.end());
            rule.values = std::make_shared<const std::vector<std::string>>(std::move(codes));
            any = true;
        }
        if (const Node* v = spec.find("value-set")) {
            std::string file = scalar(*v, "value-set");
            rule.values = value_set(*v, file);
            rule.values_source = file;
            any = true;
        }
        if (const Node* f = spec.find("fixed")) {
            rule.fixed = scalar(*f, "fixed");
            any = true;
        }
        if (const Node* p = spec.find("pattern")) {
            rule.pattern_text = scalar(*p, "pattern");
            try {
                rule.pattern = std::make_shared<const std::regex>(rule.pattern_text, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                fail(*p, fmt::format("pattern '{}' is not a valid regular expression", rule.pattern_text));
            }
            any = true;
        }
        return any;
    }

    // A constraint in `fields:` or a rule's `then:`; a path without a field is a segment rule.
    void constraint(const Node& key, const Node& spec, std::vector<SegmentRule>& segments,
                    std::vector<FieldRule>& fields) {
        std::string text = scalar(key, "path");
        auto path = parse_path(text);
        if (!path) fail(key, path.error().text);
        rule_file::expect_map(spec, fmt::format("{}: expected a mapping (usage, min, max, values, ...)", text));
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
        if (const Node* u = spec.find("usage")) rule.presence = presence_of(usage_code(*u));
        bool field_level = path->component == 0 && !(path->repetition_given && path->repetition != Path::all);
        if (const Node* m = spec.find("min")) {
            if (!field_level) fail(*m, fmt::format("{}: min counts repetitions: give it on a field path", text));
            rule.min = integer(*m, "min", 0, 999999);
        }
        if (const Node* m = spec.find("max")) {
            if (!field_level) fail(*m, fmt::format("{}: max counts repetitions: give it on a field path", text));
            rule.max = maximum(*m, "max");
        }
        value_constraints(spec, rule);
        if (const Node* l = spec.find("length"))
            rule.length = static_cast<std::uint32_t>(integer(*l, "length", 1, 999999));
        if (const Node* dt = spec.find("datatype")) {
            rule.datatype = scalar(*dt, "datatype");
            if (!known_datatype(rule.datatype)) fail(*dt, fmt::format("unknown datatype '{}'", rule.datatype));
        }
        if (const Node* t = spec.find("table")) {
            int number = integer(*t, "table", 1, 65535);
            rule.table = defs::table(static_cast<std::uint16_t>(number));
            if (!rule.table) fail(*t, fmt::format("table {:04} is not an HL7 table the library knows", number));
        }
        fields.push_back(std::move(rule));
    }

    Condition condition(const Node& node) {
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
        if (!f->pseudo.empty()) fail(node, fmt::format("when '{}': a condition names a path, not {}", text, f->pseudo));
        c.filter = std::move(*f);
        return c;
    }

    void rules(const Node& node) {
        rule_file::expect_sequence(node, "rules: expected a list of {when, then}");
        for (const Node& item : node.items) {
            rule_file::expect_map(item, "rules: each rule is a mapping with when and then");
            check_keys(item, "a rule", {"when", "then", "description"});
            const Node* when = item.find("when");
            const Node* then = item.find("then");
            if (!when) fail(item, "rule without when");
            if (!then) fail(item, "rule without then");
            ConditionalRule rule;
            if (when->is_sequence()) {
                for (const Node& w : when->items) {
                    rule.when.push_back(condition(w));
                    if (!rule.when_text.empty()) rule.when_text += " and ";
                    rule.when_text += w.text;
                }
                if (rule.when.empty()) fail(*when, "when: empty list");
            } else {
                rule.when.push_back(condition(*when));
                rule.when_text = when->text;
            }
            rule_file::expect_map(*then, "then: expected a mapping of paths to constraints");
            for (const auto& e : then->entries) constraint(e.key, e.value, rule.segments, rule.fields);
            model_.rules.push_back(std::move(rule));
        }
    }

    // A CSV file of codes: first column; a header row whose first cell starts with "code" is skipped.
    std::shared_ptr<const std::vector<std::string>> value_set(const Node& node, const std::string& file) {
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

Result<ProfileModel> read_rule_profile(std::string_view text, rule_file::Format format, std::string_view name,
                                       const ProfileFileReader& read_file) {
    rule_file::Origin origin{kKind, name, kCode};
    return rule_file::read<ProfileModel>(text, format, origin,
                                         [&](const Node& root) { return ProfileReader(name, read_file).read(root); });
}

}  // namespace

Diagnostic profile_error(std::string_view name, std::uint64_t line, std::string_view text) {
    return rule_file::error_at(rule_file::Origin{kKind, name, kCode}, line, text);
}

}  // namespace profile_model

Result<std::shared_ptr<const Profile>> parse_profile(std::string_view text, ProfileFormat format,
                                                     std::string_view name, const ProfileFileReader& read_file) {
    auto model = format == ProfileFormat::xml
                     ? profile_model::read_xml_profile(text, name)
                     : profile_model::read_rule_profile(
                           text, format == ProfileFormat::json ? rule_file::Format::json : rule_file::Format::yaml,
                           name, read_file);
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
