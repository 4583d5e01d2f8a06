// Presentation for people and scripts: the tree view, the stream summary, pretty JSON, -f rows.
#include "common/presentation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "hl7/escape.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "hl7/query.hpp"

namespace hl7::cli {

namespace {

// A repetition for display on one line.
// A repetition's value for people, appended: the HL7 null as "", line breaks and tabs as spaces.
void append_display(std::string& out, std::string_view raw, const Delimiters& d, Charset charset,
                    std::string& scratch) {
    if (raw == "\"\"") {
        out.append("\"\"");
        return;
    }
    scratch.clear();
    EscapeStats stats;
    append_display_value(raw, d, charset, scratch, stats);
    for (char& c : scratch)
        if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    out.append(scratch);
}

// Small numbers are the rule in labels (field 5, repetition 2).
void append_number(std::string& out, int n) {
    if (n >= 0 && n < 10) {
        out.push_back(static_cast<char>('0' + n));
    } else if (n >= 10 && n < 100) {
        const char two[2] = {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
        out.append(two, 2);
    } else {
        fmt::format_int digits(n);
        out.append(digits.data(), digits.size());
    }
}

// "  LABEL        " : the label padded to 12 columns, then a space, as fmt's {:<12} did. `prefix`
// is "  PID-".
void append_label(std::string& out, std::string_view prefix, int field, int repetition) {
    std::size_t start = out.size();
    out.append(prefix);
    append_number(out, field);
    if (repetition > 0) {
        out.push_back('[');
        append_number(out, repetition);
        out.push_back(']');
    }
    std::size_t width = out.size() - start - 2;
    if (width < 12) out.append(12 - width, ' ');
    out.push_back(' ');
}

}  // namespace

// One pass per field, one table lookup per byte: a repetition of printable ASCII without the
// escape character is shown as it is, without decoding (most values).
void write_tree(const Message& message, Charset charset, std::string& out) {
    const Delimiters& d = message.delimiters();
    enum : std::uint8_t { kPlain = 0, kCare, kField, kRepetition };
    std::array<std::uint8_t, 256> classes{};
    for (int b = 0; b < 256; ++b) classes[static_cast<std::size_t>(b)] = (b < 0x20 || b >= 0x7F) ? kCare : kPlain;
    if (d.escape != 0) classes[static_cast<unsigned char>(d.escape)] = kCare;
    if (d.repetition != 0) classes[static_cast<unsigned char>(d.repetition)] = kRepetition;
    classes[static_cast<unsigned char>(d.field)] = kField;
    struct Repetition {
        const char* begin;
        const char* end;
        bool care;
    };
    std::vector<Repetition> repetitions;
    std::vector<std::pair<std::string_view, int>> seen;
    std::string seg, prefix, scratch;
    for (std::size_t i = 0; i < message.size(); ++i) {
        std::string_view id = message.segment_id(i);
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        int occurrence = it == seen.end() ? (seen.emplace_back(id, 1), 1) : ++it->second;
        seg.assign(id);
        if (occurrence > 1) {
            seg.push_back('[');
            append_number(seg, occurrence);
            seg.push_back(']');
        }
        out.append(seg);
        out.push_back('\n');
        prefix.assign("  ");
        prefix.append(seg);
        prefix.push_back('-');
        std::string_view text = message.segment(i);
        const char* p = text.data();
        const char* end = p + text.size();
        int field = 0;
        if (is_header_segment(text, d.field)) {
            // MSH-1 and MSH-2 as they are: they are the delimiters.
            append_label(out, prefix, 1, 0);
            out.push_back(d.field);
            out.push_back('\n');
            p += 4;
            const char* e = p;
            while (e < end && *e != d.field) ++e;
            if (e > p) {
                append_label(out, prefix, 2, 0);
                out.append(p, static_cast<std::size_t>(e - p));
                out.push_back('\n');
            }
            p = e;
            field = 2;
        } else {
            while (p < end && *p != d.field) ++p;
        }
        while (p < end) {  // at a field separator
            ++p;
            ++field;
            repetitions.clear();
            Repetition r{p, p, false};
            for (;; ++r.end) {
                std::uint8_t k = r.end < end ? classes[static_cast<unsigned char>(*r.end)] : std::uint8_t{kField};
                if (k == kPlain) continue;
                if (k == kCare) {
                    r.care = true;
                    continue;
                }
                repetitions.push_back(r);
                if (k == kField) break;
                r = Repetition{r.end + 1, r.end, false};  // the loop steps end past the separator
            }
            p = repetitions.back().end;
            bool repeats = repetitions.size() > 1;
            int repetition = 0;
            for (const Repetition& rep : repetitions) {
                ++repetition;
                if (rep.end == rep.begin) continue;
                append_label(out, prefix, field, repeats ? repetition : 0);
                std::string_view raw(rep.begin, static_cast<std::size_t>(rep.end - rep.begin));
                if (rep.care) {
                    append_display(out, raw, d, charset, scratch);
                } else {
                    out.append(raw);
                }
                out.push_back('\n');
            }
        }
    }
}

void MessageSummary::add(const Message& m) {
    ++messages_;
    const Delimiters& d = m.delimiters();
    Header header = read_header(m);
    auto text = [&](std::string_view raw) {
        std::string out;
        EscapeStats stats;
        append_display_value(raw, d, header.charset.charset, out, stats);
        return out;
    };
    auto or_none = [](std::string s) { return s.empty() ? std::string("(none)") : s; };
    std::string type = text(header.type), trigger = text(header.event);
    ++type_[or_none(type)];
    ++event_[or_none(trigger.empty() ? type : type + "^" + trigger)];
    ++version_[or_none(text(header.version_text))];
    ++facility_[or_none(text(header.sending_facility.namespace_id))];
}

namespace {

std::vector<std::pair<std::string, std::uint64_t>> by_count(const std::map<std::string, std::uint64_t>& m) {
    std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return v;
}

}  // namespace

void MessageSummary::write_text(std::string& out) const {
    out.append(fmt::format("messages     {}\n", messages_));
    if (unparseable_) out.append(fmt::format("unparseable  {}\n", unparseable_));
    auto section = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
        if (m.empty()) return;
        out.append(fmt::format("\n{}\n", title));
        std::size_t width = 0;
        for (auto& [k, v] : m) width = std::max(width, k.size());
        for (auto& [k, v] : by_count(m)) out.append(fmt::format("  {:<{}}  {:>8}\n", k, width, v));
    };
    section("type", type_);
    section("event", event_);
    section("version", version_);
    section("sending facility", facility_);
}

void MessageSummary::write_json(std::string& out) const {
    out.append(fmt::format("{{\"messages\":{},\"unparseable\":{}", messages_, unparseable_));
    auto section = [&](const char* name, const std::map<std::string, std::uint64_t>& m) {
        out.append(fmt::format(",\"{}\":{{", name));
        bool first = true;
        for (auto& [k, v] : by_count(m)) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, k);
            out.append(fmt::format(":{}", v));
        }
        out.push_back('}');
    };
    section("type", type_);
    section("event", event_);
    section("version", version_);
    section("sending_facility", facility_);
    out.push_back('}');
}

namespace {

class PrettyPrinter {
public:
    PrettyPrinter(std::string_view s, bool color) : s_(s), color_(color) {}

    std::string run() {
        std::size_t i = 0;
        value(i, 0);
        return std::move(out_);
    }

private:
    // Colours as jq prints them by default.
    static constexpr const char* kKey = "\x1b[34;1m";
    static constexpr const char* kString = "\x1b[0;32m";
    static constexpr const char* kNull = "\x1b[1;30m";
    static constexpr const char* kOther = "\x1b[0;39m";
    static constexpr const char* kPunct = "\x1b[1;39m";
    static constexpr const char* kReset = "\x1b[0m";

    void paint(const char* colour, std::string_view text) {
        if (color_) out_.append(colour);
        out_.append(text);
        if (color_) out_.append(kReset);
    }
    void newline(int depth) {
        out_.push_back('\n');
        out_.append(static_cast<std::size_t>(depth) * 2, ' ');
    }
    std::size_t string_end(std::size_t i) const {  // i at the opening quote; returns one past the closing
        std::size_t j = i + 1;
        while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
        return std::min(j + 1, s_.size());
    }
    // End of the value at i, and whether it holds an object.
    std::size_t value_end(std::size_t i, bool& has_object) const {
        int level = 0;
        for (std::size_t j = i; j < s_.size();) {
            char c = s_[j];
            if (c == '"') {
                j = string_end(j);
                if (level == 0) return j;
                continue;
            }
            if (c == '{') has_object = true;
            if (c == '{' || c == '[') ++level;
            if (c == '}' || c == ']') {
                if (--level == 0) return j + 1;
            }
            if (level == 0 && (c == ',' || c == ':')) return j;
            ++j;
        }
        return s_.size();
    }

    void value(std::size_t& i, int depth) {
        if (i >= s_.size()) return;
        char c = s_[i];
        if (c == '"') {
            std::size_t e = string_end(i);
            paint(kString, s_.substr(i, e - i));
            i = e;
        } else if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            bool has_object = false;
            std::size_t e = value_end(i, has_object);
            bool inline_array = c == '[' && !has_object && e - i <= 100;
            paint(kPunct, std::string_view(&c, 1));
            ++i;
            if (i < s_.size() && s_[i] == close) {
                paint(kPunct, std::string_view(&close, 1));
                ++i;
                return;
            }
            for (bool first = true; i < s_.size() && s_[i] != close; first = false) {
                if (!first) {
                    paint(kPunct, ",");
                    ++i;  // the comma
                }
                if (inline_array) {
                    if (!first) out_.push_back(' ');
                } else {
                    newline(depth + 1);
                }
                if (c == '{') {
                    std::size_t k = string_end(i);
                    paint(kKey, s_.substr(i, k - i));
                    paint(kPunct, ":");
                    out_.push_back(' ');
                    i = k + 1;  // past the colon
                }
                value(i, depth + 1);
            }
            if (!inline_array) newline(depth);
            paint(kPunct, std::string_view(&close, 1));
            ++i;
        } else {
            std::size_t j = i;
            while (j < s_.size() && s_[j] != ',' && s_[j] != ']' && s_[j] != '}') ++j;
            std::string_view word = s_.substr(i, j - i);
            paint(word == "null" ? kNull : kOther, word);
            i = j;
        }
    }

    std::string_view s_;
    bool color_;
    std::string out_;
};

}  // namespace

std::string pretty_json(std::string_view s, bool color) { return PrettyPrinter(s, color).run(); }

std::optional<PseudoField> parse_pseudo_field(std::string_view text) {
    static constexpr std::pair<std::string_view, PseudoField> kNames[] = {
        {"@file", PseudoField::file},     {"@message", PseudoField::message}, {"@offset", PseudoField::offset},
        {"@line", PseudoField::line},     {"@length", PseudoField::length},   {"@type", PseudoField::type}};
    for (const auto& [name, field] : kNames)
        if (text == name) return field;
    return std::nullopt;
}

Result<Column> parse_column(std::string_view text) {
    Column column;
    if (!text.empty() && text.front() == '@') {
        column.pseudo = parse_pseudo_field(text);
        if (!column.pseudo)
            return make_error("bad-path", fmt::format("unknown pseudo-field '{}' (known: {})", text, kPseudoFieldNames));
        return column;
    }
    auto path = parse_path(text);
    if (!path) return path.error();
    column.path = *path;
    return column;
}

std::string pseudo_value(PseudoField field, const Message& message, const MessageOrigin& origin) {
    switch (field) {
        case PseudoField::file: return std::string(origin.file);
        case PseudoField::message: return std::to_string(origin.index);
        case PseudoField::offset: return std::to_string(origin.offset);
        case PseudoField::line: return std::to_string(origin.line);
        case PseudoField::length: return std::to_string(origin.length);
        case PseudoField::type: {
            Header h = read_header(message);
            std::string type(h.type);
            if (!h.event.empty() || !h.structure.empty()) type += "^" + std::string(h.event);
            if (!h.structure.empty()) type += "^" + std::string(h.structure);
            return type;
        }
    }
    return {};
}

void extract_row(const Message& message, const std::vector<Column>& columns, const MessageOrigin& origin,
                 Charset charset, std::string_view joiner, std::string& out) {
    std::vector<std::string> values;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out.push_back('\t');
        if (columns[i].pseudo) {
            // A file name may hold a tab or a newline; the row must stay one row.
            for (char c : pseudo_value(*columns[i].pseudo, message, origin))
                out.push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
            continue;
        }
        values.clear();
        extract_values(message, columns[i].path, charset, values);
        for (std::size_t k = 0; k < values.size(); ++k) {
            if (k) out.append(joiner);
            out.append(values[k]);
        }
    }
}

std::vector<Column> columns_for_segment(const Message& message, std::size_t segment, const std::vector<Column>& columns) {
    std::vector<Column> out = columns;
    for (Column& c : out) {
        if (c.pseudo || c.path.occurrence_given) continue;
        // The nearest segment with the path's ID at or before `segment`, counted as an occurrence.
        int occurrence = 0, nearest = 0;
        for (std::size_t i = 0; i < message.size(); ++i) {
            if (message.segment_id(i) != c.path.segment) continue;
            ++occurrence;
            if (i <= segment) nearest = occurrence;
            else break;
        }
        if (nearest > 0) c.path.occurrence = nearest;
    }
    return out;
}

void extract_rows_each(const Message& message, std::string_view each, const std::vector<Column>& columns,
                       const MessageOrigin& origin, Charset charset, std::string_view joiner, std::string& out) {
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message.segment_id(i) != each) continue;
        extract_row(message, columns_for_segment(message, i, columns), origin, charset, joiner, out);
        out.push_back('\n');
    }
}

void extract_json(const Message& message, const std::vector<Column>& columns, const MessageOrigin& origin,
                  const std::vector<std::string>& names, Charset charset, std::string& out) {
    std::vector<std::string> values;
    out.push_back('{');
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, names[i]);
        out.push_back(':');
        if (const auto& pseudo = columns[i].pseudo) {
            std::string value = pseudo_value(*pseudo, message, origin);
            bool number = *pseudo != PseudoField::file && *pseudo != PseudoField::type;
            if (number) out.append(value);
            else append_json_string(out, value);
            continue;
        }
        const Path& path = columns[i].path;
        values.clear();
        extract_values(message, path, charset, values);
        bool many = path.occurrence == Path::all || path.repetition == Path::all;
        if (many) out.push_back('[');
        for (std::size_t k = 0; k < values.size(); ++k) {
            if (k) out.push_back(',');
            append_json_string(out, values[k]);  // the HL7 null as "\"\"", as in hl7json 2
        }
        if (many) {
            out.push_back(']');
        } else if (values.empty()) {
            out.append("null");
        }
    }
    out.push_back('}');
}

}  // namespace hl7::cli
