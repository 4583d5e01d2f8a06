// hl7anon profiles: the methods, selectors, the built-in profiles as data, their description for the
// man page, and the YAML/JSON config that extends them (see hl7/anon.hpp).
#include <array>
#include <fmt/format.h>

#include "anon_internal.hpp"
#include "rule_file.hpp"

namespace hl7::anon {

namespace {

constexpr std::array<std::string_view, 14> kMethodNames = {
    "keep",       "clear",      "constant",  "pseudonym", "fake_name", "fake_address", "fake_phone",
    "fake_email", "date_shift", "year_only", "zip3",      "age",       "scrub_text",   "remove_segment",
};

}  // namespace

std::string_view method_name(Method method) { return kMethodNames[static_cast<std::size_t>(method)]; }

std::optional<Method> method_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kMethodNames.size(); ++i) {
        if (kMethodNames[i] == name) return static_cast<Method>(i);
    }
    return std::nullopt;
}

// --- selectors --------------------------------------------------------------------------------

namespace detail {

namespace {

bool read_number_or_star(std::string_view text, std::size_t& i, int& out) {
    if (i < text.size() && text[i] == '*') {
        out = -1;
        ++i;
        return true;
    }
    std::size_t start = i;
    int v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 5) v = v * 10 + (text[i++] - '0');
    if (i == start || v == 0) return false;
    out = v;
    return true;
}

}  // namespace

std::optional<PathPattern> compile_path(std::string_view text, std::string& why) {
    PathPattern p;
    std::size_t i = 0;
    while (i < text.size() && text[i] != '-') {
        const char c = text[i];
        if (c == '*') {
            p.segment_prefix = true;
            ++i;
            break;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            why = "a segment ID is upper-case letters and digits, or a prefix and '*' (Z*)";
            return std::nullopt;
        }
        p.segment += c;
        ++i;
    }
    if ((!p.segment_prefix && p.segment.size() != 3) || p.segment.size() > 3) {
        why = "a segment ID has three characters (or is a prefix and '*')";
        return std::nullopt;
    }
    if (i >= text.size() || text[i] != '-') {
        why = "expected '-' and a field number or '*' after the segment (PID-5, Z*-*)";
        return std::nullopt;
    }
    ++i;
    if (!read_number_or_star(text, i, p.field)) {
        why = "expected a field number or '*'";
        return std::nullopt;
    }
    if (i < text.size() && text[i] == '[') {
        ++i;
        int rep = 0;
        if (!read_number_or_star(text, i, rep) || i >= text.size() || text[i] != ']') {
            why = "expected a repetition [n] or [*]";
            return std::nullopt;
        }
        p.repetition = rep < 0 ? 0 : rep;
        ++i;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!read_number_or_star(text, i, p.component)) {
            why = "expected a component number or '*'";
            return std::nullopt;
        }
        if (i < text.size() && text[i] == '.') {
            ++i;
            if (!read_number_or_star(text, i, p.subcomponent)) {
                why = "expected a subcomponent number or '*'";
                return std::nullopt;
            }
        }
    }
    if (i != text.size()) {
        why = "unexpected text after the path";
        return std::nullopt;
    }
    return p;
}

bool PathPattern::matches(const Leaf& leaf) const {
    if (segment_prefix) {
        if (leaf.segment_id.substr(0, segment.size()) != segment || !is_well_formed_segment_id(leaf.segment_id))
            return false;
    } else if (leaf.segment_id != segment) {
        return false;
    }
    if (field > 0 && leaf.field != field) return false;
    if (repetition > 0 && leaf.repetition != repetition) return false;
    if (component > 0 && leaf.component != component) return false;
    if (subcomponent > 0 && leaf.subcomponent != subcomponent) return false;
    return true;
}

bool datatype_matches(std::string_view selector, const Leaf& leaf) {
    auto is = [&](std::string_view type) {
        return leaf.field_type == type || leaf.component_type == type || leaf.leaf_type == type;
    };
    if (is(selector)) return true;
    if (selector == "DTM") return is("TS") || is("DT");
    return false;
}

bool valid_datatype_name(std::string_view name) {
    if (name.size() < 2 || name.size() > 3) return false;
    for (char c : name) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

}  // namespace detail

// --- built-in profiles ------------------------------------------------------------------------

namespace {

struct RuleData {
    std::string_view path;
    std::string_view datatype;
    Method method;
    std::string_view value_class = {};
    bool staff = false;
};

using M = Method;

// Shared by every profile: the header and acknowledgement segments are protocol, never patient data
// (MSH-10 must keep matching MSA-2). MSH-7 (the message time) is handled by each profile first.
constexpr RuleData kProtocol[] = {
    {"MSH-*", "", M::keep},
    {"MSA-*", "", M::keep},
    {"ERR-*", "", M::keep},
};

// Fields that carry identifiers in primitive types (ST, IS) the datatype rules cannot see, and the
// employer fields of a guarantor or insured (XCN or XON, which would otherwise count as staff or
// as an organisation).
constexpr RuleData kIdentifierFields[] = {
    {"PID-19", "", M::pseudonym, "id"},       // SSN
    {"PID-12", "", M::pseudonym, "address"},  // county code
    {"PID-23", "", M::pseudonym, "address"},  // birth place
    {"NK1-37", "", M::pseudonym, "id"},       // contact person SSN
    {"GT1-12", "", M::pseudonym, "id"},       // guarantor SSN
    {"IN1-8", "", M::pseudonym, "id"},        // group number
    {"IN1-36", "", M::pseudonym, "id"},       // policy number
    {"IN2-2", "", M::pseudonym, "id"},        // insured's SSN
    {"IN2-6", "", M::pseudonym, "id"},        // Medicare number
    {"IN2-8", "", M::pseudonym, "id"},        // Medicaid number
    {"OBR-18", "", M::pseudonym, "id"},       // placer and filler fields
    {"OBR-19", "", M::pseudonym, "id"},
    {"OBR-20", "", M::pseudonym, "id"},
    {"OBR-21", "", M::pseudonym, "id"},
    {"IN2-3", "", M::pseudonym, "name"},      // insured's employer (XCN)
    {"NK1-13", "", M::pseudonym, "org"},      // next of kin's organisation (employer)
    {"GT1-21", "", M::pseudonym, "org"},      // guarantor organisation
    {"GT1-51", "", M::pseudonym, "org"},      // guarantor employer organisation
    {"IN1-9", "", M::pseudonym, "org"},       // group name
    {"IN1-11", "", M::pseudonym, "org"},      // insured's group employer name
};

constexpr RuleData kSupport[] = {
    {"MSH-7", "", M::date_shift},
    // Embedded documents emptied; free text scrubbed (known values and patterns).
    {"", "ED", M::clear},
    {"", "RP", M::clear},
    {"OBX-5", "TX", M::scrub_text},
    {"OBX-5", "FT", M::scrub_text},
    {"OBX-5", "ST", M::scrub_text},
    {"", "TX", M::scrub_text},
    {"", "FT", M::scrub_text},
    {"NTE-3", "", M::scrub_text},
    {"OBR-13", "", M::scrub_text},
    {"ACC-3", "", M::scrub_text},
    // Dates anywhere (in names, addresses, identifiers too), shifted by the key's days.
    {"", "DTM", M::date_shift},
    // Staff (the profile's staff setting): kept in support.
    {"", "XCN", M::pseudonym, "name", true},
    {"", "CNN", M::pseudonym, "name", true},
    {"", "NDL", M::pseudonym, "name", true},
    {"", "PPN", M::pseudonym, "name", true},
    // Identities by datatype, anywhere.
    {"", "XPN", M::pseudonym, "name"},
    {"", "XAD", M::pseudonym, "address"},
    {"", "XTN", M::pseudonym, "phone"},
    {"", "CX", M::pseudonym, "id"},
    {"", "CK", M::pseudonym, "id"},
    {"", "EI", M::pseudonym, "id"},
    {"", "EIP", M::pseudonym, "id"},
    {"", "DLN", M::pseudonym, "id"},
    // Z-segment fields no definition types: replaced (a value seen in a structured field gets the
    // replacement it got there), with a warning.
    {"Z*-*", "", M::pseudonym, "text"},
};

constexpr RuleData kSafeHarbor[] = {
    {"MSH-7", "", M::year_only},
    {"", "ED", M::clear},
    {"", "RP", M::clear},
    {"OBX-5", "TX", M::clear},
    {"OBX-5", "FT", M::clear},
    {"OBX-5", "ST", M::clear},
    {"OBX-5", "NM", M::age},  // ages in years (OBX-6 a, yr, years) of 90 and over -> 90
    {"", "TX", M::clear},
    {"", "FT", M::clear},
    {"NTE-3", "", M::clear},
    {"OBR-13", "", M::clear},
    {"ACC-3", "", M::clear},
    // Birth dates: the year, and ages over 89 aggregated (the year of 90 years before the message).
    {"PID-7", "", M::year_only, "birth"},
    {"NK1-16", "", M::year_only, "birth"},
    {"GT1-8", "", M::year_only, "birth"},
    {"IN1-18", "", M::year_only, "birth"},
    {"", "DTM", M::year_only},
    {"", "XCN", M::clear, "name", true},
    {"", "CNN", M::clear, "name", true},
    {"", "NDL", M::clear, "name", true},
    {"", "PPN", M::clear, "name", true},
    {"", "XPN", M::clear, "name"},
    {"", "XAD", M::zip3, "address"},
    {"", "XTN", M::clear, "phone"},
    {"", "CX", M::clear, "id"},
    {"", "CK", M::clear, "id"},
    {"", "EI", M::clear, "id"},
    {"", "EIP", M::clear, "id"},
    {"", "DLN", M::clear, "id"},
    {"Z*-*", "", M::clear},
};

constexpr RuleData kStrict[] = {
    {"MSH-7", "", M::date_shift},
    {"Z*-*", "", M::pseudonym, "text"},
    {"", "ED", M::clear},
    {"", "RP", M::clear},
    {"", "DTM", M::date_shift},
    {"", "XCN", M::pseudonym, "name", true},
    {"", "CNN", M::pseudonym, "name", true},
    {"", "NDL", M::pseudonym, "name", true},
    {"", "PPN", M::pseudonym, "name", true},
    {"", "XPN", M::pseudonym, "name"},
    {"", "XAD", M::pseudonym, "address"},
    {"", "XTN", M::pseudonym, "phone"},
    {"", "CX", M::pseudonym, "id"},
    {"", "CK", M::pseudonym, "id"},
    {"", "EI", M::pseudonym, "id"},
    {"", "EIP", M::pseudonym, "id"},
    {"", "DLN", M::pseudonym, "id"},
    // The allow-list: coded values, numbers and organisations kept; everything else replaced.
    {"", "ID", M::keep},
    {"", "IS", M::keep},
    {"", "CE", M::keep},
    {"", "CWE", M::keep},
    {"", "CNE", M::keep},
    {"", "CF", M::keep},
    {"", "HD", M::keep},
    {"", "NM", M::keep},
    {"", "SI", M::keep},
    {"", "TM", M::keep},
    {"", "MSG", M::keep},
    {"", "PT", M::keep},
    {"", "VID", M::keep},
    {"", "PL", M::keep},
    {"", "CQ", M::keep},
    {"*-*", "", M::pseudonym, "text"},
};

template <std::size_t N>
void append_rules(std::vector<Rule>& out, const RuleData (&data)[N], Method staff_fallback_unused = Method::keep) {
    (void)staff_fallback_unused;
    for (const RuleData& d : data) {
        Rule r;
        r.selector.path = std::string(d.path);
        r.selector.datatype = std::string(d.datatype);
        r.method = d.method;
        r.value_class = std::string(d.value_class);
        r.staff = d.staff;
        out.push_back(std::move(r));
    }
}

// The identifier fields in the method of the profile (pseudonym, or clear for safe-harbor), placed
// after the profile's first (MSH-7) rule and the protocol rules.
void append_identifier_fields(std::vector<Rule>& out, Method method) {
    const std::size_t start = out.size();
    append_rules(out, kIdentifierFields);
    for (std::size_t i = start; i < out.size(); ++i) out[i].method = method;
}

}  // namespace

std::vector<std::string_view> builtin_profile_names() { return {"support", "safe-harbor", "strict"}; }

std::optional<Profile> builtin_profile(std::string_view name) {
    Profile p;
    p.name = std::string(name);
    auto build = [&](const auto& data, Method identifier_method) {
        // MSH-7 first, then protocol segments, then identifier fields, then the profile's rules.
        append_rules(p.rules, data);
        std::vector<Rule> head(p.rules.begin(), p.rules.begin() + 1);
        append_rules(head, kProtocol);
        append_identifier_fields(head, identifier_method);
        head.insert(head.end(), p.rules.begin() + 1, p.rules.end());
        p.rules = std::move(head);
    };
    if (name == "support") {
        build(kSupport, Method::pseudonym);
    } else if (name == "safe-harbor") {
        build(kSafeHarbor, Method::clear);
        p.warn_z_segments = false;  // cleared
    } else if (name == "strict") {
        build(kStrict, Method::pseudonym);
        p.staff = StaffNames::replace;
        p.warn_z_segments = false;  // replaced
    } else {
        return std::nullopt;
    }
    return p;
}

std::string describe(const Profile& profile) {
    std::string out;
    out += fmt::format("profile {}: staff names {}, date shift per {}\n", profile.name,
                       profile.staff == StaffNames::keep ? "kept" : "replaced",
                       profile.date_scope == DateScope::run ? "run" : "patient");
    for (const Rule& r : profile.rules) {
        std::string selector = r.selector.path;
        if (!r.selector.datatype.empty()) {
            selector += selector.empty() ? "" : " ";
            selector += r.selector.path.empty() ? r.selector.datatype : "(" + r.selector.datatype + ")";
        }
        std::string method(method_name(r.method));
        if (r.method == Method::constant) method += fmt::format(" '{}'", r.constant);
        if (!r.value_class.empty()) method += fmt::format(" ({})", r.value_class);
        if (r.staff) {
            method = profile.staff == StaffNames::keep ? fmt::format("keep (staff; replaced: {})", method)
                                                       : fmt::format("{} (staff)", method);
        }
        out += fmt::format("  {:<22} {}\n", selector, method);
    }
    out += "  (anything else)        keep\n";
    return out;
}

// --- the config file --------------------------------------------------------------------------

Result<Profile> read_config(std::string_view text, std::string_view file_name, const Profile& base) {
    using rule_file::Node;
    const rule_file::Origin origin{"anonymisation config", file_name, "bad-anon-config"};
    const bool json = !text.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos &&
                      text[text.find_first_not_of(" \t\r\n")] == '{';
    return rule_file::read<Profile>(
        text, json ? rule_file::Format::json : rule_file::Format::yaml, origin, [&](const Node& root) {
            if (root.is_null()) return base;
            rule_file::expect_map(root, "expected a mapping (profile, staff, date_shift, rules)");
            rule_file::check_keys(root, "the config", {"profile", "staff", "date_shift", "rules"});
            Profile p = base;
            if (const Node* n = root.find("profile")) {
                const std::string& name = rule_file::scalar(*n, "profile");
                auto b = builtin_profile(name);
                if (!b) rule_file::fail(*n, fmt::format("profile '{}': expected support, safe-harbor or strict", name));
                p = *b;
            }
            p.name = std::string(file_name);
            if (const Node* n = root.find("staff")) {
                static constexpr std::array<std::string_view, 2> kStaff = {"keep", "replace"};
                p.staff = static_cast<StaffNames>(rule_file::choice(*n, "staff", kStaff));
            }
            if (const Node* n = root.find("date_shift")) {
                static constexpr std::array<std::string_view, 2> kScope = {"run", "patient"};
                p.date_scope = static_cast<DateScope>(rule_file::choice(*n, "date_shift", kScope));
            }
            if (const Node* n = root.find("rules")) {
                if (n->is_null()) return p;
                rule_file::expect_sequence(*n, "rules: expected a list of {path or datatype, method}");
                std::vector<Rule> added;
                for (const Node& item : n->items) {
                    rule_file::expect_map(item, "rules: each rule is a mapping with path or datatype, and method");
                    rule_file::check_keys(item, "a rule", {"path", "datatype", "method", "value", "class"});
                    Rule r;
                    r.line = item.line;
                    if (const Node* v = item.find("path")) {
                        r.selector.path = rule_file::scalar(*v, "path");
                        std::string why;
                        if (!detail::compile_path(r.selector.path, why))
                            rule_file::fail(*v, fmt::format("path '{}': {}", r.selector.path, why));
                    }
                    if (const Node* v = item.find("datatype")) {
                        r.selector.datatype = rule_file::scalar(*v, "datatype");
                        if (!detail::valid_datatype_name(r.selector.datatype))
                            rule_file::fail(*v, fmt::format("datatype '{}': expected a name such as XPN or DTM",
                                                            r.selector.datatype));
                    }
                    if (r.selector.path.empty() && r.selector.datatype.empty())
                        rule_file::fail(item, "a rule needs a path or a datatype");
                    const Node* m = item.find("method");
                    if (!m) rule_file::fail(item, "a rule needs a method");
                    r.method = static_cast<Method>(rule_file::choice(*m, "method", kMethodNames));
                    if (const Node* v = item.find("value")) {
                        if (r.method != Method::constant) rule_file::fail(*v, "value: only with method constant");
                        r.constant = rule_file::scalar(*v, "value");
                    } else if (r.method == Method::constant) {
                        rule_file::fail(*m, "method constant needs a value");
                    }
                    if (const Node* v = item.find("class")) {
                        r.value_class = rule_file::scalar(*v, "class");
                        if (r.value_class.empty()) rule_file::fail(*v, "class: expected a name");
                    }
                    added.push_back(std::move(r));
                }
                p.rules.insert(p.rules.begin(), added.begin(), added.end());
            }
            return p;
        });
}

}  // namespace hl7::anon
