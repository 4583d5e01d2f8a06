// Lookups in the embedded HL7 v2 definitions (binary searches over the generated, sorted arrays
// of definitions_data.cpp) and the mapping of an MSH-12 value to a definition set.
#include "hl7/definitions.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "definitions_data.hpp"

namespace hl7::defs {

namespace {

// The element of a list sorted by `key` whose key is `name`, or nullptr.
template <typename T, typename Key>
const T* find_sorted(std::span<const T> list, std::string_view name, Key key) {
    auto it = std::lower_bound(list.begin(), list.end(), name,
                               [&](const T& item, std::string_view n) { return key(item) < n; });
    if (it == list.end() || key(*it) != name) return nullptr;
    return &*it;
}

}  // namespace

const TableValue* TableDef::find(std::string_view code) const {
    return find_sorted(values, code, [](const TableValue& v) { return v.code; });
}

const SegmentDef* Version::segment(std::string_view id) const {
    return find_sorted(segments, id, [](const SegmentDef& s) { return s.id; });
}

const DatatypeDef* Version::datatype(std::string_view type) const {
    return find_sorted(datatypes, type, [](const DatatypeDef& d) { return d.name; });
}

const MessageDef* Version::message(std::string_view structure) const {
    return find_sorted(messages, structure, [](const MessageDef& m) { return m.structure; });
}

std::span<const Version> versions() { return data::versions; }

const Version* find_version(std::string_view name) {
    for (const Version& v : data::versions) {
        if (v.name == name) return &v;
    }
    return nullptr;
}

const TableDef* table(std::uint16_t number) {
    auto list = data::tables;
    auto it = std::lower_bound(list.begin(), list.end(), number,
                               [](const TableDef& t, std::uint16_t n) { return t.number < n; });
    if (it == list.end() || it->number != number) return nullptr;
    return &*it;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// MSH-12 as a note quotes it: at most 24 characters, control characters shown as '?'.
std::string quoted(std::string_view text) {
    constexpr std::size_t kMax = 24;
    std::string out = "'";
    for (char c : text.substr(0, kMax)) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    if (text.size() > kMax) out += "...";
    out += "'";
    return out;
}

// Compares two runs of digits as numbers, whatever their length: <0, 0, >0.
int compare_number(std::string_view a, std::string_view b) {
    while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
    while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Splits "2.5.1" into its numbers; false unless it is numbers separated by single dots.
bool split_numbers(std::string_view text, std::vector<std::string_view>& parts) {
    parts.clear();
    while (true) {
        std::size_t n = 0;
        while (n < text.size() && is_digit(text[n])) ++n;
        if (n == 0) return false;
        parts.push_back(text.substr(0, n));
        if (n == text.size()) return true;
        if (text[n] != '.') return false;
        text.remove_prefix(n + 1);
    }
}

// <0, 0, >0 as version a is older than, the same as, or newer than b (missing numbers are 0).
int compare_versions(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        std::string_view x = i < a.size() ? a[i] : "0";
        std::string_view y = i < b.size() ? b[i] : "0";
        if (int c = compare_number(x, y); c != 0) return c;
    }
    return 0;
}

}  // namespace

VersionMatch match_version(std::string_view msh12) {
    VersionMatch m;
    // The first component, when the caller passes the whole field.
    const std::string_view field = msh12.substr(0, msh12.find('^'));
    std::string_view text = field;
    std::string how;  // how the value was read, for the note
    auto read = [&](std::string_view step) {
        if (!how.empty()) how += ", ";
        how += step;
    };

    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.size() != field.size()) read("spaces trimmed");
    if (text.empty()) {
        m.exact = false;
        m.note = "MSH-12 is empty: no definitions to validate against";
        return m;
    }
    if (text.size() > 1 && (text[0] == 'v' || text[0] == 'V') && is_digit(text[1])) {
        read(std::string("'") + text[0] + "' dropped");
        text.remove_prefix(1);
    }

    auto unknown = [&](std::string_view why) {
        m.version = nullptr;
        m.exact = false;
        m.normalised = std::string(text);
        m.note = "MSH-12 " + quoted(field) + " " + std::string(why) + ": no definitions to validate against";
        return m;
    };
    auto mapped = [&](const Version& v, std::string_view which) {
        m.version = &v;
        m.exact = false;
        m.note = "MSH-12 " + quoted(field) + " validated against " + std::string(v.name) + ", the " +
                 std::string(which) + " definitions here";
        if (!how.empty()) m.note += " (read as " + m.normalised + ": " + how + ")";
        return m;
    };

    const auto list = versions();
    // The demo release 2.0D: validated as 2.1, like 2.0.
    if (text == "2.0D" || text == "2.0d") {
        m.normalised = "2.0D";
        return mapped(list.front(), "oldest");
    }

    std::vector<std::string_view> parts;
    if (!split_numbers(text, parts)) return unknown("is not an HL7 version");
    if (compare_number(parts[0], "2") != 0) return unknown("is not an HL7 v2 version");
    // A trailing ".0" beyond major.minor adds nothing: 2.3.0 is 2.3.
    std::size_t keep = parts.size();
    while (keep > 2 && compare_number(parts[keep - 1], "0") == 0) --keep;
    if (keep < parts.size()) read("trailing .0 dropped");
    parts.resize(keep);
    if (parts.size() < 2) return unknown("has no minor version");
    // Version numbers are small: a part of more than two digits, a leading zero, or a part beyond
    // major.minor.patch makes the value malformed.
    if (parts.size() > 3) return unknown("is not a known HL7 version");
    for (std::string_view p : parts) {
        if (p.size() > 2 || (p.size() == 2 && p[0] == '0')) return unknown("is not a known HL7 version");
    }

    std::string name;
    for (std::string_view p : parts) {
        if (!name.empty()) name += '.';
        name += p;
    }
    m.normalised = name;
    if (name == "2.0") return mapped(list.front(), "oldest");
    if (const Version* v = find_version(name)) {
        m.version = v;
        m.exact = how.empty();
        if (!m.exact) m.note = "MSH-12 " + quoted(field) + " read as " + name + " (" + how + ")";
        return m;
    }
    std::vector<std::string_view> newest;
    split_numbers(list.back().name, newest);
    if (compare_versions(parts, newest) > 0) return mapped(list.back(), "newest");
    return unknown("is not a known HL7 version");
}

}  // namespace hl7::defs
