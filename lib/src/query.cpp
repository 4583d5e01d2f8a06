// Filters and field extraction over paths.
#include "hl7/query.hpp"

#include <fmt/format.h>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"

namespace hl7 {

Result<Filter> parse_filter(std::string_view text) {
    Filter f;
    f.text = std::string(text);
    std::size_t op = text.find_first_of("=!~");
    std::string_view path_text = text.substr(0, op);
    if (op != std::string_view::npos) {
        if (text[op] == '=') {
            f.op = Filter::Op::equals;
            f.value = std::string(text.substr(op + 1));
        } else if (text[op] == '~') {
            f.op = Filter::Op::matches;
            f.value = std::string(text.substr(op + 1));
        } else if (text.substr(op, 2) == "!=") {
            f.op = Filter::Op::not_equals;
            f.value = std::string(text.substr(op + 2));
        } else {
            return make_error("bad-filter", fmt::format("bad filter '{}': expected PATH, PATH=VALUE, PATH!=VALUE or "
                                                        "PATH~REGEX",
                                                        text));
        }
    }
    auto path = parse_path(path_text);
    if (!path) return make_error("bad-filter", fmt::format("bad filter '{}': {}", text, path.error().text));
    f.path = *path;
    if (f.op == Filter::Op::matches) {
        try {
            f.regex = std::make_shared<std::regex>(f.value, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return make_error("bad-filter", fmt::format("bad filter '{}': invalid regular expression", text));
        }
    }
    return f;
}

namespace {

// The decoded values a path names; `as_cells` writes TAB, CR and LF as \X09\ \X0D\ \X0A\ (for
// output), filters compare the text itself.
void decoded_values(const Message& message, const Path& path, Charset charset, std::vector<std::string>& out,
                    bool as_cells) {
    std::vector<PathMatch> matches;
    find_values(message, path, matches);
    const Delimiters& d = message.delimiters();
    for (const PathMatch& m : matches) {
        std::string decoded;
        EscapeStats stats;
        bool literal = is_header_segment(message.segment(m.segment_index), d.field) && path.field <= 2 && path.field > 0;
        if (literal) {
            decoded.assign(m.raw);
        } else if (m.raw == "\"\"") {
            decoded = "\"\"";  // HL7 null stays visible as such
        } else {
            append_display_value(m.raw, d, charset, decoded, stats);
        }
        if (!as_cells) {
            out.push_back(std::move(decoded));
            continue;
        }
        std::string cell;
        cell.reserve(decoded.size());
        for (char c : decoded) {
            if (c == '\t') cell.append("\\X09\\");
            else if (c == '\r') cell.append("\\X0D\\");
            else if (c == '\n') cell.append("\\X0A\\");
            else cell.push_back(c);
        }
        out.push_back(std::move(cell));
    }
}

}  // namespace

void extract_values(const Message& message, const Path& path, Charset charset, std::vector<std::string>& out) {
    decoded_values(message, path, charset, out, true);
}

bool filter_matches(const Message& message, const Filter& f, Charset charset) {
    std::vector<std::string> values;
    decoded_values(message, f.path, charset, values, false);
    switch (f.op) {
        case Filter::Op::present:
            for (const auto& v : values)
                if (!v.empty()) return true;
            return false;
        case Filter::Op::equals:
            for (const auto& v : values)
                if (v == f.value) return true;
            return false;
        case Filter::Op::not_equals:
            for (const auto& v : values)
                if (v == f.value) return false;
            return true;
        case Filter::Op::matches:
            for (const auto& v : values)
                // libstdc++'s regex recurses once per character and overflows the stack on long
                // values (base64 payloads): those never match a pattern.
                if (v.size() <= kMaxRegexValue && std::regex_search(v, *f.regex)) return true;
            return false;
    }
    return false;
}

}  // namespace hl7
