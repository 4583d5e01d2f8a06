// The editor: edits at a path on a lazily split copy of each segment they reach, written back once.
#include "hl7/edit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "hl7/escape.hpp"
#include "hl7/header.hpp"

namespace hl7 {

namespace detail {

// A segment as a tree: the root is split at field separators (parts[0] is the segment ID), a field
// at repetition separators, and so on. A node keeps its ER7 text until an edit or a read goes below
// it; splitting and joining at the same separator give back the same bytes, so a tree written back
// unchanged is the segment as it was.
struct EditNode {
    std::string text;             // while not split
    std::vector<EditNode> parts;  // once split: one or more
    bool split = false;
};

struct EditEntry {
    static constexpr std::size_t kNew = ~std::size_t{0};
    std::size_t original = kNew;   // index in the message; kNew for an inserted or created segment
    bool header = false;           // MSH, FHS, BHS: fields 1 and 2 are the delimiters
    bool dirty = false;            // changed since the last commit: encoded by the next one
    std::optional<EditNode> tree;  // made on first use
};

// repetition 0: the whole field (all repetitions); component 0: the whole repetition; and so on.
struct EditSpot {
    int field = 0;
    int repetition = 0;
    int component = 0;
    int subcomponent = 0;
};

struct EditTarget {
    static constexpr std::size_t kCreate = ~std::size_t{0};
    std::size_t entry = kCreate;  // kCreate: the segment is created (occurrence `occurrence`)
    int occurrence = 0;
    EditSpot spot;
    Path path;  // concrete, for diagnostics
};

}  // namespace detail

namespace {

using Node = detail::EditNode;
using Entry = detail::EditEntry;
using Spot = detail::EditSpot;

// Levels of a node, by what it is: its parts are split at separator(level).
enum Level : int { kSegment = 0, kField = 1, kRepetition = 2, kComponent = 3, kSubcomponent = 4 };

char separator(const Delimiters& d, int level) {
    switch (level) {
        case kSegment: return d.field;
        case kField: return d.repetition;
        case kRepetition: return d.component;
        case kComponent: return d.subcomponent;
        default: return 0;
    }
}

const char* level_name(int level) {
    switch (level) {
        case kField: return "field";
        case kRepetition: return "repetition";
        case kComponent: return "component";
        default: return "subcomponent";
    }
}

void split_node(Node& node, char sep) {
    if (node.split) return;
    std::string text = std::move(node.text);
    node.text = std::string();
    node.parts.clear();
    std::size_t start = 0;
    for (;;) {
        std::size_t stop = sep == 0 ? std::string::npos : text.find(sep, start);
        node.parts.push_back(Node{text.substr(start, stop == std::string::npos ? stop : stop - start), {}, false});
        if (stop == std::string::npos) break;
        start = stop + 1;
    }
    node.split = true;
}

void append_joined(const Node& node, const Delimiters& d, int level, std::string& out) {
    if (!node.split) {
        out.append(node.text);
        return;
    }
    for (std::size_t i = 0; i < node.parts.size(); ++i) {
        if (i > 0) out.push_back(separator(d, level));
        append_joined(node.parts[i], d, level + 1, out);
    }
}

std::string joined(const Node& node, const Delimiters& d, int level) {
    std::string out;
    append_joined(node, d, level, out);
    return out;
}

bool node_empty(const Node& node) {
    return node.split ? node.parts.size() == 1 && node_empty(node.parts[0]) : node.text.empty();
}

// Part n (1-based) of `node` split as a node of `level`, or null when there are fewer parts.
Node* child(Node& node, const Delimiters& d, int level, int n) {
    split_node(node, separator(d, level));
    if (n < 1 || static_cast<std::size_t>(n) > node.parts.size()) return nullptr;
    return &node.parts[static_cast<std::size_t>(n) - 1];
}

// The same, adding empty parts when there are fewer (the caller has checked that the separator
// exists when n > 1).
Node& padded_child(Node& node, const Delimiters& d, int level, int n) {
    split_node(node, separator(d, level));
    if (node.parts.size() < static_cast<std::size_t>(n)) node.parts.resize(static_cast<std::size_t>(n));
    return node.parts[static_cast<std::size_t>(n) - 1];
}

bool is_header_id(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

bool valid_segment_id(std::string_view id) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return id.size() == 3 && upper(id[0]) && (upper(id[1]) || digit(id[1])) && (upper(id[2]) || digit(id[2]));
}

// The 1-based part of the segment root that holds field `field`.
int part_of_field(bool header, int field) { return header ? field : field + 1; }

Spot spot_of(const Path& path) {
    Spot s;
    s.field = path.field;
    bool whole_field = path.component == 0 && path.repetition == 1 && !path.repetition_given;
    s.repetition = whole_field ? 0 : path.repetition;
    s.component = path.component;
    s.subcomponent = path.subcomponent;
    return s;
}

int level_of(const Spot& s) {
    if (s.repetition == 0) return kField;
    if (s.component == 0) return kRepetition;
    if (s.subcomponent == 0) return kComponent;
    return kSubcomponent;
}

int level_of(const Path& path) {
    Spot s = spot_of(path);
    if (path.repetition == Path::all) s.repetition = 1;
    return level_of(s);
}

// One spot inside the other (or the same): writing one changes the other.
bool overlaps(const Spot& a, const Spot& b) {
    if (a.field != b.field) return false;
    if (a.repetition == 0 || b.repetition == 0) return true;
    if (a.repetition != b.repetition) return false;
    if (a.component == 0 || b.component == 0) return true;
    if (a.component != b.component) return false;
    if (a.subcomponent == 0 || b.subcomponent == 0) return true;
    return a.subcomponent == b.subcomponent;
}

Diagnostic edit_error(const char* code, const Path& path, std::string text, std::string_view value = {}) {
    Diagnostic d = make_error(code, std::move(text));
    d.where.path = path.to_string();
    d.where.segment_id = path.segment;
    d.value = std::string(value);
    return d;
}

std::string plural(std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

// Numbers a hand-made Path may hold that parse_path never gives.
std::optional<Diagnostic> check_shape(const Path& path, const char* verb) {
    bool ok = (path.occurrence >= 1 || path.occurrence == Path::all) && path.field >= 0 &&
              (path.repetition >= 1 || path.repetition == Path::all) && path.component >= 0 &&
              path.subcomponent >= 0 && (path.subcomponent == 0 || path.component > 0) &&
              (path.component == 0 || path.field > 0) && valid_segment_id(path.segment);
    if (ok) return std::nullopt;
    // Not printed: the numbers and segment ID of a hand-made path may be anything.
    return make_error("bad-path", fmt::format("cannot {}: the path is not one parse_path would give", verb));
}

// A path a value edit can write at.
std::optional<Diagnostic> check_value_path(const Path& path, const char* verb, const Delimiters& d) {
    if (auto bad = check_shape(path, verb)) return bad;
    if (path.field == 0)
        return edit_error("bad-path", path,
                          fmt::format("cannot {} '{}': name a field, repetition, component or subcomponent", verb,
                                      path.to_string()));
    if (is_header_id(path.segment) && path.field <= 2)
        return edit_error("delimiter-field", path,
                          fmt::format("cannot {} '{}': {}-1 and {}-2 are the message's delimiters", verb,
                                      path.to_string(), path.segment, path.segment));
    auto missing = [&](const char* what) {
        return edit_error("no-separator", path,
                          fmt::format("cannot {} '{}': the message's encoding characters have no {} separator", verb,
                                      path.to_string(), what));
    };
    if (path.repetition > 1 && d.repetition == 0) return missing("repetition");
    if (path.component > 1 && d.component == 0) return missing("component");
    if (path.subcomponent > 1 && d.subcomponent == 0) return missing("subcomponent");
    return std::nullopt;
}

// Raw ER7 must not hold a separator of its own level or above: it would change the structure
// around the value (and CR or LF would end the segment).
std::optional<Diagnostic> check_raw(const Path& path, const char* verb, int level, std::string_view raw,
                                    const Delimiters& d) {
    auto holds = [raw](char c) { return c != 0 && raw.find(c) != std::string_view::npos; };
    const char* what = nullptr;
    if (holds('\r') || holds('\n')) what = "a segment terminator (CR or LF)";
    else if (holds(d.field)) what = "a field separator";
    else if (level >= kRepetition && holds(d.repetition)) what = "a repetition separator";
    else if (level >= kComponent && holds(d.component)) what = "a component separator";
    else if (level >= kSubcomponent && holds(d.subcomponent)) what = "a subcomponent separator";
    if (!what) return std::nullopt;
    return edit_error("bad-value", path,
                      fmt::format("cannot {} '{}': the value holds {}, which a {} cannot", verb, path.to_string(),
                                  what, level_name(level)),
                      raw);
}

// Length of the valid UTF-8 sequence at p (no overlongs, surrogates or values past U+10FFFF), 0 if
// the bytes there are not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char b = byte(i);
    std::size_t need;
    std::uint32_t cp, min;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) need = 2, cp = b & 0x1Fu, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) need = 3, cp = b & 0x0Fu, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) need = 4, cp = b & 0x07u, min = 0x10000;
    else return 0;
    if (text.size() - i < need) return 0;
    for (std::size_t k = 1; k < need; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return need;
}

}  // namespace

Editor::Editor(Message& message, EditOptions options) : message_(&message), options_(options) {
    if (options_.charset) {
        charset_ = *options_.charset;
    } else {
        DeclaredCharset declared = declared_charset(message);
        charset_ = declared.known ? declared.charset : Charset::ascii;
    }
    sync();
}

Editor::~Editor() = default;

void Editor::sync() {
    entries_.clear();
    entries_.resize(message_->size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        entries_[i].original = i;
        entries_[i].header = is_header_segment(message_->segment(i), message_->delimiters().field);
    }
}

Node& Editor::tree(std::size_t e) const {
    Entry& entry = entries_[e];
    if (!entry.tree) {
        entry.tree = Node{std::string(message_->segment(entry.original)), {}, false};
        split_node(*entry.tree, message_->delimiters().field);
    }
    return *entry.tree;
}

std::string_view Editor::entry_id(std::size_t e) const {
    const Entry& entry = entries_[e];
    if (!entry.tree) return message_->segment_id(entry.original);
    std::string_view head = entry.tree->parts[0].text;  // never split: no path goes below it
    return head.size() > 3 && is_header_segment(head, message_->delimiters().field) ? head.substr(0, 3) : head;
}

std::vector<std::pair<std::size_t, int>> Editor::segments_with(std::string_view id) const {
    std::vector<std::pair<std::size_t, int>> out;
    for (std::size_t e = 0; e < entries_.size(); ++e)
        if (entry_id(e) == id) out.emplace_back(e, static_cast<int>(out.size()) + 1);
    return out;
}

int Editor::repetitions(std::size_t e, int field) const {
    const Delimiters& d = message_->delimiters();
    Node& root = tree(e);
    if (entries_[e].header && field <= 2) return field == 1 || root.parts.size() >= 2 ? 1 : 0;  // atomic
    Node* f = child(root, d, kSegment, part_of_field(entries_[e].header, field));
    if (!f || node_empty(*f)) return 0;  // as find_values: an empty field has no repetitions
    split_node(*f, d.repetition);
    return static_cast<int>(f->parts.size());
}

Node* Editor::find_node(std::size_t e, const Spot& s) const {
    const Delimiters& d = message_->delimiters();
    Node* node = child(tree(e), d, kSegment, part_of_field(entries_[e].header, s.field));
    if (!node || s.repetition == 0) return node;
    if (!(node = child(*node, d, kField, s.repetition)) || s.component == 0) return node;
    if (!(node = child(*node, d, kRepetition, s.component)) || s.subcomponent == 0) return node;
    return child(*node, d, kComponent, s.subcomponent);
}

std::optional<std::string> Editor::read(std::size_t e, const Spot& s) const {
    const Delimiters& d = message_->delimiters();
    if (entries_[e].header && s.field <= 2) {
        // The delimiters: atomic, as find_values reads them.
        if (s.repetition > 1 || s.component > 1 || s.subcomponent > 1) return std::nullopt;
        Node& root = tree(e);
        if (s.field == 1) {
            std::string_view head = root.parts[0].text;
            return std::string(1, head.size() > 3 ? head[3] : d.field);
        }
        if (root.parts.size() < 2) return std::nullopt;
        return joined(root.parts[1], d, kField);
    }
    Node* node = find_node(e, s);
    if (!node) return std::nullopt;
    return joined(*node, d, level_of(s));
}

void Editor::write(std::size_t e, const Spot& s, std::string_view raw) {
    const Delimiters& d = message_->delimiters();
    entries_[e].dirty = true;
    Node* node = &padded_child(tree(e), d, kSegment, part_of_field(entries_[e].header, s.field));
    if (s.repetition > 0) node = &padded_child(*node, d, kField, s.repetition);
    if (s.component > 0) node = &padded_child(*node, d, kRepetition, s.component);
    if (s.subcomponent > 0) node = &padded_child(*node, d, kComponent, s.subcomponent);
    *node = Node{std::string(raw), {}, false};
}

bool Editor::clear_spot(std::size_t e, const Spot& s) {
    Node* node = find_node(e, s);
    if (!node || node_empty(*node)) return false;  // nothing to empty: the segment stays untouched
    *node = Node{};
    entries_[e].dirty = true;
    return true;
}

std::size_t Editor::create_segment(std::string_view id) {
    std::size_t at = entries_.size();
    for (std::size_t e = entries_.size(); e-- > 0;) {
        if (entry_id(e) == id) {
            at = e + 1;
            break;
        }
    }
    Entry entry;
    entry.dirty = true;
    entry.tree = Node{std::string(id), {}, false};
    split_node(*entry.tree, message_->delimiters().field);
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at), std::move(entry));
    return at;
}

// Segments to create are planned by occurrence (several targets may share one); `planned` counts
// the occurrences planned so far in this edit.
Result<std::vector<Editor::Target>> Editor::targets(const Path& path, const char* verb, bool create,
                                                    int& planned) const {
    std::vector<Target> out;
    auto segments = segments_with(path.segment);
    auto add = [&](std::size_t entry, int occurrence) {
        Target t;
        t.entry = entry;
        t.occurrence = occurrence;
        t.spot = spot_of(path);
        t.path = path;
        t.path.occurrence = occurrence;
        t.path.occurrence_given = path.occurrence_given || path.occurrence == Path::all;
        if (path.repetition != Path::all) {
            out.push_back(t);
            return;
        }
        int n = entry == Target::kCreate ? 0 : repetitions(entry, path.field);
        for (int r = 1; r <= n; ++r) {
            t.spot.repetition = r;
            t.path.repetition = r;
            t.path.repetition_given = true;
            out.push_back(t);
        }
    };
    if (path.occurrence == Path::all) {
        for (auto [entry, occurrence] : segments) add(entry, occurrence);
        return out;
    }
    std::size_t have = segments.size();
    std::size_t want = static_cast<std::size_t>(path.occurrence);
    if (want <= have) {
        add(segments[want - 1].first, path.occurrence);
    } else if (create) {
        if (is_header_id(path.segment))
            return edit_error("no-segment", path,
                              fmt::format("cannot {} '{}': a {} segment is never created", verb, path.to_string(),
                                          path.segment));
        if (want > have + static_cast<std::size_t>(planned) + 1)
            return edit_error("no-segment", path,
                              fmt::format("cannot {} '{}': the message has {} (only the next one is created)", verb,
                                          path.to_string(), plural(have, (path.segment + " segment").c_str())));
        if (want == have + static_cast<std::size_t>(planned) + 1) ++planned;
        add(Target::kCreate, path.occurrence);
    }
    return out;
}

std::size_t Editor::created_entry(std::vector<std::pair<int, std::size_t>>& created, const Target& target) {
    for (auto& [occurrence, entry] : created)
        if (occurrence == target.occurrence) return entry;
    std::size_t entry = create_segment(target.path.segment);
    created.emplace_back(target.occurrence, entry);
    return entry;
}

Result<std::string> Editor::encode_text(const Path& path, std::string_view text, std::size_t& replaced) const {
    const bool replace = options_.unrepresentable == Unrepresentable::replace;
    const bool ascii_only = charset_ == Charset::ascii;
    // Invalid UTF-8, and in ASCII anything past 7 bits, before the charset conversion (which
    // would copy invalid bytes through and take ASCII as UTF-8).
    const std::string_view original = text;
    std::size_t invalid = 0, non_ascii = 0;
    std::string sanitized;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = utf8_length(text, i);
        bool bad = n == 0 || (ascii_only && n > 1);
        if (bad && invalid + non_ascii == 0) sanitized.assign(text.substr(0, i));
        if (bad) {
            (n == 0 ? invalid : non_ascii) += 1;
            sanitized.push_back('?');
        } else if (invalid + non_ascii > 0) {
            sanitized.append(text.substr(i, n));
        }
        i += n == 0 ? 1 : n;
    }
    if (invalid > 0 && !replace)
        return edit_error("invalid-utf8", path,
                          fmt::format("cannot set '{}': the text has {} not valid in UTF-8", path.to_string(),
                                      plural(invalid, "byte")),
                          original);
    if (invalid + non_ascii > 0) text = sanitized;
    std::string raw;
    EscapeStats stats;
    encode_value(text, message_->delimiters(), ascii_only ? Charset::utf8 : charset_, TextForm::plain, raw, stats);
    std::size_t unrepresentable = non_ascii + stats.unmappable;
    if (unrepresentable > 0 && !replace) {
        std::string why = message_->delimiters().escape == 0 && stats.unmappable > 0
                              ? "or escaped (the message has no escape character)"
                              : fmt::format("in {}", charset_name(charset_));
        return edit_error("unrepresentable", path,
                          fmt::format("cannot set '{}': {} of the text cannot be written {}", path.to_string(),
                                      plural(unrepresentable, "character"), why),
                          original);
    }
    replaced = invalid + unrepresentable;
    return raw;
}

void Editor::note_replaced(const Path& path, std::size_t replaced, std::string_view text) {
    if (replaced == 0) return;
    Diagnostic w;
    w.severity = Severity::warning;
    w.code = "unrepresentable";
    w.text = fmt::format("'{}': {} that cannot be written in {} written as '?'", path.to_string(),
                         plural(replaced, "character"), charset_name(charset_));
    w.where.path = path.to_string();
    w.where.segment_id = path.segment;
    w.value = std::string(text);
    warnings_.push_back(std::move(w));
}

Status Editor::write_all(const Path& path, const char* verb, std::string_view raw, std::size_t replaced,
                         std::string_view text) {
    const Delimiters& d = message_->delimiters();
    if (auto bad = check_raw(path, verb, level_of(path), raw, d)) return *bad;
    int planned = 0;
    auto planned_targets = targets(path, verb, true, planned);
    if (!planned_targets) return planned_targets.error();
    std::vector<std::pair<int, std::size_t>> created;
    for (const Target& t : *planned_targets)
        write(t.entry == Target::kCreate ? created_entry(created, t) : t.entry, t.spot, raw);
    if (!planned_targets->empty()) note_replaced(path, replaced, text);
    return Status::success();
}

Status Editor::set(const Path& path, std::string_view text) {
    if (auto bad = check_value_path(path, "set", message_->delimiters())) return *bad;
    std::size_t replaced = 0;
    auto raw = encode_text(path, text, replaced);
    if (!raw) return raw.error();
    return write_all(path, "set", *raw, replaced, text);
}

Status Editor::set_raw(const Path& path, std::string_view raw) {
    if (auto bad = check_value_path(path, "set", message_->delimiters())) return *bad;
    return write_all(path, "set", raw, 0, {});
}

Status Editor::set_null(const Path& path) {
    if (auto bad = check_value_path(path, "set", message_->delimiters())) return *bad;
    return write_all(path, "set", "\"\"", 0, {});
}

Status Editor::clear(const Path& path) {
    if (auto bad = check_value_path(path, "clear", message_->delimiters())) return *bad;
    int planned = 0;
    auto planned_targets = targets(path, "clear", false, planned);
    if (!planned_targets) return planned_targets.error();
    for (const Target& t : *planned_targets) clear_spot(t.entry, t.spot);
    return Status::success();
}

Result<std::size_t> Editor::entry_at(std::size_t segment_index, int field) const {
    if (segment_index >= entries_.size() || entries_[segment_index].original != segment_index)
        return make_error("no-segment", fmt::format("segment {} is not where it was read", segment_index + 1));
    if (entries_[segment_index].header && field <= 2)
        return make_error("delimiter-field", "fields 1 and 2 of a header segment are its delimiters");
    if (field < 1) return make_error("bad-path", "fields are numbered from 1");
    const Delimiters& d = message_->delimiters();
    if (!d.repetition || !d.component || !d.subcomponent)
        return make_error("no-separator", "the message's MSH-2 lacks a separator: edit by path");
    return segment_index;
}

Status Editor::set_raw_at(std::size_t segment_index, int field, int repetition, int component, int subcomponent,
                          std::string_view raw) {
    auto e = entry_at(segment_index, field);
    if (!e) return e.error();
    const Delimiters& d = message_->delimiters();
    for (char c : raw)
        if (c == d.field || c == d.repetition || c == d.component || c == d.subcomponent || c == '\r' || c == '\n')
            return make_error("bad-value", "a leaf value must not hold a delimiter or a segment end");
    write(*e, Spot{field, std::max(repetition, 1), std::max(component, 1), std::max(subcomponent, 1)}, raw);
    return Status::success();
}

Status Editor::clear_at(std::size_t segment_index, int field, int repetition, int component, int subcomponent) {
    auto e = entry_at(segment_index, field);
    if (!e) return e.error();
    clear_spot(*e, Spot{field, std::max(repetition, 1), std::max(component, 1), std::max(subcomponent, 1)});
    return Status::success();
}

Status Editor::copy(const Path& from, const Path& to) { return transfer(from, to, false); }

Status Editor::move(const Path& from, const Path& to) { return transfer(from, to, true); }

Status Editor::transfer(const Path& from, const Path& to, bool move) {
    const char* verb = move ? "move" : "copy";
    const Delimiters& d = message_->delimiters();
    if (auto bad = check_shape(from, verb)) return *bad;
    if (from.field == 0)
        return edit_error("bad-path", from,
                          fmt::format("cannot {} from '{}': name a field, repetition, component or subcomponent",
                                      verb, from.to_string()));
    if (move && is_header_id(from.segment) && from.field <= 2)
        return edit_error("delimiter-field", from,
                          fmt::format("cannot move '{}': {}-1 and {}-2 are the message's delimiters (copy them)",
                                      from.to_string(), from.segment, from.segment));
    if (auto bad = check_value_path(to, verb, d)) return *bad;
    const bool all_occurrences = from.occurrence == Path::all;
    const bool all_repetitions = from.repetition == Path::all;
    if ((all_occurrences || all_repetitions) &&
        (all_occurrences != (to.occurrence == Path::all) || all_repetitions != (to.repetition == Path::all)))
        return edit_error("bad-path", to,
                          fmt::format("cannot {} '{}' to '{}': a [*] source needs [*] at the same places in the "
                                      "target (several values are not joined into one)",
                                      verb, from.to_string(), to.to_string()));

    // Every source value first, so that a copy reads the message as it was before it.
    struct Source {
        std::size_t entry = Target::kCreate;  // kCreate: the segment is absent
        int occurrence = 0;
        Spot spot;
        std::optional<std::string> raw;
    };
    std::vector<Source> sources;
    const bool literal = is_header_id(from.segment) && from.field <= 2;
    auto add_source = [&](std::size_t entry, int occurrence, int repetition) {
        Source s;
        s.entry = entry;
        s.occurrence = occurrence;
        s.spot = spot_of(from);
        if (repetition > 0) s.spot.repetition = repetition;
        if (entry != Target::kCreate) s.raw = read(entry, s.spot);
        if (literal && s.raw) {  // the delimiters themselves, copied as text
            std::string escaped;
            EscapeStats stats;
            encode_value(*s.raw, d, Charset::utf8, TextForm::plain, escaped, stats);
            s.raw = std::move(escaped);
        }
        sources.push_back(std::move(s));
    };
    auto segments = segments_with(from.segment);
    auto add_segment = [&](std::size_t entry, int occurrence) {
        if (!all_repetitions) {
            add_source(entry, occurrence, 0);
            return;
        }
        for (int r = 1, n = repetitions(entry, from.field); r <= n; ++r) add_source(entry, occurrence, r);
    };
    if (all_occurrences) {
        for (auto [entry, occurrence] : segments) add_segment(entry, occurrence);
    } else if (static_cast<std::size_t>(from.occurrence) <= segments.size()) {
        add_segment(segments[static_cast<std::size_t>(from.occurrence) - 1].first, from.occurrence);
    } else {
        add_source(Target::kCreate, from.occurrence, 0);
    }

    // Then the targets: one source to each match of the target, or the n-th to the n-th.
    struct Pair {
        Target target;
        const Source* source;
    };
    std::vector<Pair> pairs;
    int planned = 0;
    const int level = level_of(to);
    for (const Source& s : sources) {
        Path concrete = to;
        if (all_occurrences) {
            concrete.occurrence = s.occurrence;
            concrete.occurrence_given = true;
        }
        if (all_repetitions) {
            concrete.repetition = s.spot.repetition;
            concrete.repetition_given = true;
        }
        auto planned_targets = targets(concrete, verb, s.raw.has_value(), planned);
        if (!planned_targets) return planned_targets.error();
        for (Target& t : *planned_targets) {
            if (s.raw) {
                if (auto bad = check_raw(t.path, verb, level, *s.raw, d)) return *bad;
            }
            pairs.push_back({std::move(t), &s});
        }
    }
    if (move) {
        for (const Pair& p : pairs) {
            if (p.target.entry == Target::kCreate) continue;
            for (const Source& s : sources) {
                if (s.raw && s.entry == p.target.entry && overlaps(s.spot, p.target.spot))
                    return edit_error("overlapping-move", from,
                                      fmt::format("cannot move '{}' to '{}': the one is inside the other",
                                                  from.to_string(), to.to_string()));
            }
        }
        // Sources are cleared first: targets may create segments, which moves what follows them.
        // With no overlap the order does not change the result.
        for (const Source& s : sources)
            if (s.raw) clear_spot(s.entry, s.spot);
    }
    std::vector<std::pair<int, std::size_t>> created;
    for (const Pair& p : pairs) {
        if (p.source->raw) {
            write(p.target.entry == Target::kCreate ? created_entry(created, p.target) : p.target.entry,
                  p.target.spot, *p.source->raw);
        } else {
            clear_spot(p.target.entry, p.target.spot);  // never kCreate: absent sources create nothing
        }
    }
    return Status::success();
}

Result<int> Editor::insert_segment(const SegmentPosition& where, std::string_view segment_text) {
    const Delimiters& d = message_->delimiters();
    std::string_view id = segment_text.substr(0, std::min(segment_text.find(d.field), segment_text.size()));
    Diagnostic bad;
    if (segment_text.find_first_of("\r\n") != std::string_view::npos) {
        bad = make_error("bad-segment", "cannot insert the segment: it holds a segment terminator (CR or LF)");
    } else if (!valid_segment_id(id) || is_header_id(id)) {
        bad = make_error("bad-segment", "cannot insert the segment: it does not start with a segment ID such as ZPI "
                                        "(three capital letters or digits, not MSH, FHS or BHS)");
    }
    if (!bad.code.empty()) {
        bad.value = std::string(segment_text);
        return bad;
    }
    std::size_t at = entries_.size();
    if (where.kind != SegmentPosition::Kind::at_end) {
        if (!valid_segment_id(where.id) || (where.kind == SegmentPosition::Kind::after && where.occurrence < 1)) {
            Diagnostic d2 = make_error("bad-path", "cannot insert the segment: the position names no segment");
            d2.value = where.id;
            return d2;
        }
        Path anchor;
        anchor.segment = where.id;
        anchor.occurrence = where.occurrence;
        anchor.occurrence_given = where.kind == SegmentPosition::Kind::after && where.occurrence != 1;
        auto segments = segments_with(where.id);
        if (where.kind == SegmentPosition::Kind::after_last) {
            if (segments.empty())
                return edit_error("no-segment", anchor,
                                  fmt::format("cannot insert after the last {}: the message has none", where.id));
            at = segments.back().first + 1;
        } else {
            if (static_cast<std::size_t>(where.occurrence) > segments.size())
                return edit_error("no-segment", anchor,
                                  fmt::format("cannot insert after '{}': the message has {}", anchor.to_string(),
                                              plural(segments.size(), (where.id + " segment").c_str())));
            at = segments[static_cast<std::size_t>(where.occurrence) - 1].first + 1;
        }
    }
    Entry entry;
    entry.dirty = true;
    entry.tree = Node{std::string(segment_text), {}, false};
    split_node(*entry.tree, d.field);
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(at), std::move(entry));
    int occurrence = 0;
    for (std::size_t e = 0; e <= at; ++e) occurrence += entry_id(e) == id;
    return occurrence;
}

Status Editor::remove(const Path& path) {
    if (auto bad = check_shape(path, "remove")) return *bad;
    const bool segment_level = path.field == 0;
    const bool repetition_level = path.field > 0 && path.component == 0 &&
                                  (path.repetition_given || path.repetition == Path::all);
    if (!segment_level && !repetition_level)
        return edit_error("bad-path", path,
                          fmt::format("cannot remove '{}': name a segment (OBX[2], OBX[*]) or repetitions (PID-3[2], "
                                      "PID-3[*]); a field or component is emptied with clear",
                                      path.to_string()));
    if (repetition_level && is_header_id(path.segment) && path.field <= 2)
        return edit_error("delimiter-field", path,
                          fmt::format("cannot remove '{}': {}-1 and {}-2 are the message's delimiters",
                                      path.to_string(), path.segment, path.segment));
    auto segments = segments_with(path.segment);
    std::vector<std::size_t> chosen;
    if (path.occurrence == Path::all) {
        for (auto [entry, occurrence] : segments) chosen.push_back(entry);
    } else if (static_cast<std::size_t>(path.occurrence) <= segments.size()) {
        chosen.push_back(segments[static_cast<std::size_t>(path.occurrence) - 1].first);
    } else {
        return edit_error("no-segment", path,
                          fmt::format("cannot remove '{}': the message has {}", path.to_string(),
                                      plural(segments.size(), (path.segment + " segment").c_str())));
    }
    if (segment_level) {
        if (!chosen.empty() && chosen.front() == 0)
            return edit_error("bad-path", path,
                              fmt::format("cannot remove '{}': the MSH segment that starts the message stays",
                                          path.to_string()));
        for (auto it = chosen.rbegin(); it != chosen.rend(); ++it)
            entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(*it));
        return Status::success();
    }
    const Delimiters& d = message_->delimiters();
    for (std::size_t e : chosen) {
        Spot field_spot;
        field_spot.field = path.field;
        Node* field = find_node(e, field_spot);
        if (!field) continue;
        if (path.repetition == Path::all) {
            clear_spot(e, field_spot);
            continue;
        }
        split_node(*field, d.repetition);
        std::size_t r = static_cast<std::size_t>(path.repetition);
        if (r > field->parts.size()) continue;
        field->parts.erase(field->parts.begin() + static_cast<std::ptrdiff_t>(r - 1));
        if (field->parts.empty()) field->parts.emplace_back();
        entries_[e].dirty = true;
    }
    return Status::success();
}

Status Editor::rename(const Path& path, std::string_view new_id) {
    if (auto bad = check_shape(path, "rename")) return *bad;
    if (path.field != 0)
        return edit_error("bad-path", path,
                          fmt::format("cannot rename '{}': name segments, such as ZPI or ZPI[*]", path.to_string()));
    if (is_header_id(path.segment))
        return edit_error("bad-path", path,
                          fmt::format("cannot rename '{}': {} fields are numbered differently", path.to_string(),
                                      path.segment));
    if (!valid_segment_id(new_id) || is_header_id(new_id)) {
        return edit_error("bad-segment", path,
                          fmt::format("cannot rename '{}': the new ID is not a segment ID such as PID (three capital "
                                      "letters or digits, not MSH, FHS or BHS)",
                                      path.to_string()),
                          new_id);
    }
    auto segments = segments_with(path.segment);
    std::vector<std::size_t> chosen;
    if (path.occurrence == Path::all) {
        for (auto [entry, occurrence] : segments) chosen.push_back(entry);
    } else if (static_cast<std::size_t>(path.occurrence) <= segments.size()) {
        chosen.push_back(segments[static_cast<std::size_t>(path.occurrence) - 1].first);
    } else {
        return edit_error("no-segment", path,
                          fmt::format("cannot rename '{}': the message has {}", path.to_string(),
                                      plural(segments.size(), (path.segment + " segment").c_str())));
    }
    for (std::size_t e : chosen) {
        tree(e).parts[0] = Node{std::string(new_id), {}, false};
        entries_[e].dirty = true;
    }
    return Status::success();
}

void Editor::find(const Path& path, std::vector<EditValue>& out) const {
    if (check_shape(path, "find")) return;
    const Delimiters& d = message_->delimiters();
    for (const auto& match : segments_with(path.segment)) {
        // Named copies, not a structured binding: lambdas may not capture bindings before C++20,
        // and clang 14 (the fuzz build) does not take them.
        const std::size_t entry = match.first;
        const int occurrence = match.second;
        if (path.occurrence != Path::all && occurrence != path.occurrence) continue;
        EditValue value;
        value.path = path;
        value.path.occurrence = occurrence;
        value.path.occurrence_given = path.occurrence_given || path.occurrence == Path::all;
        if (path.field == 0) {
            value.raw = joined(tree(entry), d, kSegment);
            out.push_back(value);
            continue;
        }
        Spot spot = spot_of(path);
        auto emit = [&](int repetition) {
            if (repetition > 0) {
                spot.repetition = repetition;
                value.path.repetition = repetition;
                value.path.repetition_given = true;
            }
            if (auto raw = read(entry, spot)) {
                value.raw = std::move(*raw);
                out.push_back(value);
            }
        };
        if (path.repetition != Path::all) {
            emit(0);
        } else {
            for (int r = 1, n = repetitions(entry, path.field); r <= n; ++r) emit(r);
        }
    }
}

bool Editor::pending() const {
    if (entries_.size() != message_->size()) return true;
    for (std::size_t e = 0; e < entries_.size(); ++e)
        if (entries_[e].original != e || entries_[e].dirty) return true;
    return false;
}

void Editor::commit() {
    const Delimiters& d = message_->delimiters();
    std::vector<bool> kept(message_->size(), false);
    for (const Entry& entry : entries_)
        if (entry.original != Entry::kNew) kept[entry.original] = true;
    for (std::size_t i = kept.size(); i-- > 0;)
        if (!kept[i]) message_->remove_segment(i);
    // Now the message holds the kept segments in order; entry p goes to position p.
    for (std::size_t p = 0; p < entries_.size(); ++p) {
        Entry& entry = entries_[p];
        if (entry.original != Entry::kNew && !entry.dirty) continue;
        std::string text;
        append_joined(*entry.tree, d, kSegment, text);
        if (entry.original == Entry::kNew) {
            message_->insert_segment(p, std::move(text));
        } else {
            message_->replace_segment(p, std::move(text));
        }
        ++segments_encoded_;
    }
    sync();
}

void Editor::discard() {
    warnings_.clear();
    sync();
}

}  // namespace hl7
