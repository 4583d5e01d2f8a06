// Filters and field extraction over paths.
#include "hl7/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"

namespace hl7 {

namespace {

// UTF-8 to code points for std::wregex (wchar_t holds UTF-32 here): '.' then matches a character,
// not a byte, so ^M.LLER$ matches MÜLLER. Invalid bytes become U+FFFD.
std::wstring to_wide(std::string_view s) {
    std::wstring out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        bool ok = n != 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (cc & 0x3F);
        }
        if (!ok) {
            out.push_back(static_cast<wchar_t>(0xFFFD));
            ++i;
            continue;
        }
        out.push_back(static_cast<wchar_t>(cp));
        i += n;
    }
    return out;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_text(std::string_view a, std::string_view b, bool ignore_case) {
    if (!ignore_case) return a == b;
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// A decimal number as NM allows (sign, digits, one point), or nullopt.
std::optional<double> number(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    bool digits = false, point = false;
    for (std::size_t k = i; k < s.size(); ++k) {
        if (s[k] >= '0' && s[k] <= '9') digits = true;
        else if (s[k] == '.' && !point) point = true;
        else return std::nullopt;
    }
    if (!digits) return std::nullopt;
    // Locale-free: digits by hand.
    double value = 0, scale = 1;
    bool after = false;
    for (std::size_t k = i; k < s.size(); ++k) {
        if (s[k] == '.') {
            after = true;
            continue;
        }
        if (after) scale /= 10;
        value = value * 10 + (s[k] - '0');
    }
    value *= scale;
    return s[0] == '-' ? -value : value;
}

// The digits of a date/time before any fraction or offset ("20240101120000.5+0100" ->
// "20240101120000"), or empty when it does not start with 8 digits.
std::string_view date_digits(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    return n >= 8 ? s.substr(0, n) : std::string_view();
}

// <0, 0 or >0: `value` against the filter's `bound`.
int compare(std::string_view value, std::string_view bound) {
    std::string_view vd = date_digits(value), bd = date_digits(bound);
    if (!bd.empty() && all_digits(bound.substr(0, bd.size())) && !vd.empty()) {
        // Dates by their digits, the shorter padded with zeros: 20210301 is 20210301000000.
        std::size_t n = std::max(vd.size(), bd.size());
        for (std::size_t i = 0; i < n; ++i) {
            char a = i < vd.size() ? vd[i] : '0', b = i < bd.size() ? bd[i] : '0';
            if (a != b) return a < b ? -1 : 1;
        }
        return 0;
    }
    auto vn = number(value), bn = number(bound);
    if (vn && bn) return *vn < *bn ? -1 : *vn > *bn ? 1 : 0;
    return value.compare(bound) < 0 ? -1 : value.compare(bound) > 0 ? 1 : 0;
}

}  // namespace

Result<Filter> parse_filter(std::string_view text, bool ignore_case) {
    Filter f;
    f.text = std::string(text);
    f.ignore_case = ignore_case;
    auto bad = [&](std::string_view why) {
        return make_error("bad-filter", fmt::format("bad filter '{}': {}", text, why));
    };
    std::string_view rest = text;
    bool negated_presence = !rest.empty() && rest.front() == '!';
    if (negated_presence) rest.remove_prefix(1);
    std::size_t op = rest.find_first_of("=!~<>");
    std::string_view path_text = rest.substr(0, op);
    if (op != std::string_view::npos) {
        if (negated_presence) return bad("!PATH takes no comparison (use PATH!=VALUE or PATH!~REGEX)");
        std::string_view o = rest.substr(op);
        auto take = [&](Filter::Op kind, std::size_t length) {
            f.op = kind;
            f.value = std::string(o.substr(length));
        };
        if (o.substr(0, 2) == "!=") take(Filter::Op::not_equals, 2);
        else if (o.substr(0, 3) == "!~*") take(Filter::Op::not_matches, 3), f.ignore_case = true;
        else if (o.substr(0, 2) == "!~") take(Filter::Op::not_matches, 2);
        else if (o.substr(0, 2) == "~*") take(Filter::Op::matches, 2), f.ignore_case = true;
        else if (o[0] == '~') take(Filter::Op::matches, 1);
        else if (o[0] == '=') take(Filter::Op::equals, 1);
        else if (o.substr(0, 2) == "<=") take(Filter::Op::less_equal, 2);
        else if (o.substr(0, 2) == ">=") take(Filter::Op::greater_equal, 2);
        else if (o[0] == '<') take(Filter::Op::less, 1);
        else if (o[0] == '>') take(Filter::Op::greater, 1);
        else
            return bad("expected PATH, !PATH, PATH=V, PATH!=V, PATH~RE, PATH!~RE, PATH~*RE, PATH<V, PATH<=V, PATH>V or "
                       "PATH>=V");
    } else if (negated_presence) {
        f.op = Filter::Op::absent;
    }
    if (!path_text.empty() && path_text.front() == '@') {
        f.pseudo = std::string(path_text);
    } else {
        auto path = parse_path(path_text);
        if (!path) return bad(path.error().text);
        f.path = *path;
    }
    if (f.op == Filter::Op::matches || f.op == Filter::Op::not_matches) {
        auto flags = std::regex::ECMAScript;
        if (f.ignore_case) flags |= std::regex::icase;
        try {
            f.regex = std::make_shared<std::wregex>(to_wide(f.value), flags);
        } catch (const std::regex_error&) {
            return bad("invalid regular expression");
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
    return filter_matches_values(f, values);
}

bool filter_matches_values(const Filter& f, const std::vector<std::string>& values) {
    auto any = [&](auto&& holds) {
        for (const auto& v : values)
            if (holds(v)) return true;
        return false;
    };
    // libstdc++'s regex recurses once per character and overflows the stack on long values
    // (base64 payloads): those never match a pattern.
    auto found = [&](const std::string& v) {
        return v.size() <= kMaxRegexValue && std::regex_search(to_wide(v), *f.regex);
    };
    switch (f.op) {
        case Filter::Op::present: return any([](const std::string& v) { return !v.empty(); });
        case Filter::Op::absent: return !any([](const std::string& v) { return !v.empty(); });
        case Filter::Op::equals: return any([&](const std::string& v) { return equal_text(v, f.value, f.ignore_case); });
        case Filter::Op::not_equals:
            return !any([&](const std::string& v) { return equal_text(v, f.value, f.ignore_case); });
        case Filter::Op::matches: return any(found);
        case Filter::Op::not_matches: return !any(found);
        case Filter::Op::less: return any([&](const std::string& v) { return !v.empty() && compare(v, f.value) < 0; });
        case Filter::Op::less_equal:
            return any([&](const std::string& v) { return !v.empty() && compare(v, f.value) <= 0; });
        case Filter::Op::greater: return any([&](const std::string& v) { return !v.empty() && compare(v, f.value) > 0; });
        case Filter::Op::greater_equal:
            return any([&](const std::string& v) { return !v.empty() && compare(v, f.value) >= 0; });
    }
    return false;
}

}  // namespace hl7
