// Path parsing and lookup of the values a path names.
#include "hl7/path.hpp"

#include <fmt/format.h>

namespace hl7 {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct PathParser {
    std::string_view text;
    std::size_t pos = 0;

    Diagnostic bad(std::string_view expected) const {
        if (too_large)
            return make_error("bad-path", fmt::format("number too large at position {} in path '{}' (at most 999999)",
                                                      pos + 1, text));
        std::string what = pos < text.size() ? fmt::format("bad character '{}'", text[pos]) : "unexpected end";
        return make_error("bad-path", fmt::format("{} at position {} in path '{}' (expected {})", what, pos + 1,
                                                  text, expected));
    }
    bool at(char c) const { return pos < text.size() && text[pos] == c; }

    // A number >= 1; returns 0 on failure.
    // A number from 1 to 999999; returns 0 on failure (and sets too_large for longer numbers).
    int number() {
        std::size_t start = pos;
        long value = 0;
        while (pos < text.size() && is_digit(text[pos])) {
            if (pos - start == 6) {
                too_large = true;
                return 0;
            }
            value = value * 10 + (text[pos++] - '0');
        }
        if (pos == start || value == 0) {
            pos = start;
            return 0;
        }
        return static_cast<int>(value);
    }
    bool too_large = false;

    // "[n]" or "[*]"; returns 0 on failure (error reported by caller), Path::all for *.
    int index() {
        ++pos;  // '['
        int value;
        if (at('*')) {
            ++pos;
            value = Path::all;
        } else {
            value = number();
            if (value == 0) return 0;
        }
        if (!at(']')) return 0;
        ++pos;
        return value;
    }
};

}  // namespace

std::string Path::to_string() const {
    std::string s = segment;
    auto idx = [](int v) { return v == all ? std::string("[*]") : fmt::format("[{}]", v); };
    if (occurrence != 1 || occurrence_given) s += idx(occurrence);
    if (field == 0) return s;
    s += fmt::format("-{}", field);
    if (repetition != 1 || repetition_given) s += idx(repetition);
    if (component == 0) return s;
    s += fmt::format(".{}", component);
    if (subcomponent == 0) return s;
    s += fmt::format(".{}", subcomponent);
    return s;
}

Result<Path> parse_path(std::string_view text) {
    PathParser p{text};
    Path path;
    for (int i = 0; i < 3; ++i) {
        char c = p.pos < text.size() ? text[p.pos] : '\0';
        if (!(is_upper(c) || (i > 0 && is_digit(c)))) return p.bad("a segment ID such as PID");
        ++p.pos;
    }
    path.segment = std::string(text.substr(0, 3));
    if (p.at('[')) {
        path.occurrence = p.index();
        if (path.occurrence == 0) return p.bad("[n] or [*]");
        path.occurrence_given = true;
    }
    if (p.pos == text.size()) return path;
    if (!p.at('-') && !p.at('.')) return p.bad("'-' and a field number");
    ++p.pos;
    path.field = p.number();
    if (path.field == 0) return p.bad("a field number from 1");
    if (p.at('[')) {
        path.repetition = p.index();
        if (path.repetition == 0) return p.bad("[n] or [*]");
        path.repetition_given = true;
    }
    if (p.pos == text.size()) return path;
    if (!p.at('.') && !p.at('-')) return p.bad("'.' and a component number");
    ++p.pos;
    path.component = p.number();
    if (path.component == 0) return p.bad("a component number from 1");
    if (p.pos == text.size()) return path;
    if (!p.at('.') && !p.at('-')) return p.bad("'.' and a subcomponent number");
    ++p.pos;
    path.subcomponent = p.number();
    if (path.subcomponent == 0) return p.bad("a subcomponent number from 1");
    if (p.pos != text.size()) return p.bad("end of path");
    return path;
}

namespace {

void collect_below_field(const Delimiters& d, bool atomic, std::string_view field, const Path& path,
                         PathMatch base, std::vector<PathMatch>& out) {
    auto one_rep = [&](std::string_view rep, int rep_number) {
        PathMatch m = base;
        m.repetition = rep_number;
        if (path.component == 0) {
            m.raw = rep;
            m.depth = 2;
            out.push_back(m);
            return;
        }
        auto comp = atomic ? (path.component == 1 ? std::optional(rep) : std::nullopt)
                           : nth_part(rep, d.component, path.component);
        if (!comp) return;
        if (path.subcomponent == 0) {
            m.raw = *comp;
            m.depth = 3;
            out.push_back(m);
            return;
        }
        auto sub = atomic ? (path.subcomponent == 1 ? comp : std::nullopt)
                          : nth_part(*comp, d.subcomponent, path.subcomponent);
        if (!sub) return;
        m.raw = *sub;
        m.depth = 4;
        out.push_back(m);
    };
    if (atomic) {
        if (path.repetition == 1 || path.repetition == Path::all) one_rep(field, 1);
        return;
    }
    if (path.repetition == Path::all) {
        if (field.empty()) return;
        int n = 1;
        std::size_t start = 0;
        for (;;) {
            std::size_t stop = d.repetition ? field.find(d.repetition, start) : std::string_view::npos;
            one_rep(field.substr(start, stop == std::string_view::npos ? std::string_view::npos : stop - start), n++);
            if (stop == std::string_view::npos) break;
            start = stop + 1;
        }
        return;
    }
    auto rep = nth_part(field, d.repetition, path.repetition);
    if (rep) one_rep(*rep, path.repetition);
}

}  // namespace

void find_values(const Message& message, const Path& path, std::vector<PathMatch>& out) {
    const Delimiters& d = message.delimiters();
    int occurrence = 0;
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message.segment_id(i) != path.segment) continue;
        ++occurrence;
        if (path.occurrence != Path::all && occurrence != path.occurrence) continue;
        PathMatch base;
        base.segment_index = i;
        base.occurrence = occurrence;
        std::string_view seg = message.segment(i);
        if (path.field == 0) {
            base.raw = seg;
            base.depth = 0;
            out.push_back(base);
        } else if (auto field = field_text(seg, d, path.field)) {
            bool atomic = is_header_segment(seg, d.field) && path.field <= 2;
            if (path.component == 0 && path.repetition == 1 && !path.repetition_given) {
                // The field as a whole: a path that stops at a field names all its repetitions.
                base.raw = *field;
                base.depth = 1;
                out.push_back(base);
            } else {
                collect_below_field(d, atomic, *field, path, base, out);
            }
        }
        if (path.occurrence != Path::all) break;
    }
}

}  // namespace hl7
