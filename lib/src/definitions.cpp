// Lookups in the embedded HL7 v2 definitions (binary searches over the generated, sorted arrays
// of definitions_data.cpp) and the mapping of an MSH-12 value to a definition set.
#include "hl7/definitions.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "definitions_data.hpp"
#include "hl7/header.hpp"

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

namespace {

// The entries of `events` for `type` and `event` (an event may have several; the preferred first), or
// those for any event of `type` when there are none.
std::span<const EventStructure> entries(std::span<const EventStructure> events, std::string_view type,
                                        std::string_view event) {
    using Key = std::pair<std::string_view, std::string_view>;
    auto less = [](const EventStructure& e, const Key& k) {
        return e.type != k.first ? e.type < k.first : e.event < k.second;
    };
    auto greater = [](const Key& k, const EventStructure& e) {
        return k.first != e.type ? k.first < e.type : k.second < e.event;
    };
    auto range = [&](std::string_view ev) {
        auto lo = std::lower_bound(events.begin(), events.end(), Key{type, ev}, less);
        auto hi = std::upper_bound(lo, events.end(), Key{type, ev}, greater);
        return events.subspan(static_cast<std::size_t>(lo - events.begin()), static_cast<std::size_t>(hi - lo));
    };
    if (type.empty()) return {};
    if (!event.empty())
        if (auto r = range(event); !r.empty()) return r;
    return range({});
}

}  // namespace

std::string_view Version::structure_for(std::string_view type, std::string_view event) const {
    auto r = entries(events, type, event);
    return r.empty() ? std::string_view() : r.front().structure;
}

bool Version::allows(std::string_view type, std::string_view event, std::string_view structure) const {
    for (const EventStructure& e : entries(events, type, event))
        if (e.structure == structure) return true;
    return false;
}

const MessageDef* Version::message_for(std::string_view type, std::string_view event) const {
    std::string_view structure = structure_for(type, event);
    return structure.empty() ? nullptr : message(structure);
}

const TableDef* Version::table(std::uint16_t number) const {
    for (const TableDef& t : tables)
        if (t.number == number) return &t;
    return defs::table(number);
}

namespace {

bool same_nodes(std::span<const StructureNode> a, std::span<const StructureNode> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const StructureNode& x = a[i];
        const StructureNode& y = b[i];
        if (x.min != y.min || x.max != y.max || x.choice != y.choice || x.is_group() != y.is_group()) return false;
        if (!x.is_group() && x.name != y.name) return false;
        if (!same_nodes(x.children, y.children)) return false;
    }
    return true;
}

}  // namespace

bool same_structure(const MessageDef& a, const MessageDef& b) { return same_nodes(a.nodes, b.nodes); }

std::string_view structure_for(std::string_view version, std::string_view type, std::string_view event) {
    const Version* v = find_version(version);
    return v ? v->structure_for(type, event) : std::string_view();
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

}  // namespace

VersionMatch match_version(std::string_view msh12) {
    VersionMatch m;
    // The first component, when the caller passes the whole field.
    const std::string_view field = msh12.substr(0, msh12.find('^'));
    VersionReading reading = read_version(field);
    m.exact = false;
    if (!reading.version) {
        if (reading.problem == "is empty") {
            m.note = "MSH-12 is empty: no definitions to validate against";
            return m;
        }
        std::string_view text = field;
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
        m.normalised = std::string(text);
        m.note = "MSH-12 " + quoted(field) + " " + reading.problem + ": no definitions to validate against";
        return m;
    }
    const VersionId& v = *reading.version;
    m.normalised = v.text;
    auto mapped = [&](const Version& set, std::string_view which) {
        m.version = &set;
        m.note = "MSH-12 " + quoted(field) + " validated against " + std::string(set.name) + ", the " +
                 std::string(which) + " definitions here";
        if (!reading.adjustments.empty()) m.note += " (read as " + m.normalised + ": " + reading.adjustments + ")";
        return m;
    };
    auto unknown = [&](std::string_view why) {
        m.note = "MSH-12 " + quoted(field) + " " + std::string(why) + ": no definitions to validate against";
        return m;
    };
    const auto list = versions();
    if (v.major != 2) return unknown("is not an HL7 v2 version");
    if (v.text == "2.0D" || v.text == "2.0") return mapped(list.front(), "oldest");
    if (const Version* set = find_version(v.text)) {
        m.version = set;
        m.exact = reading.adjustments.empty();
        if (!m.exact) m.note = "MSH-12 " + quoted(field) + " read as " + v.text + " (" + reading.adjustments + ")";
        return m;
    }
    VersionId newest = *read_version(list.back().name).version;
    if (v > newest) return mapped(list.back(), "newest");
    return unknown("is not a known HL7 version");
}

}  // namespace hl7::defs
