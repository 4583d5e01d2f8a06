// hl7map's small languages, compiled once when a rule file is read: conditions (when:), expressions
// (expr:) and date formats, plus reading and writing dates with those formats.
#include <fmt/format.h>

#include "map_internal.hpp"
#include "rule_file.hpp"

namespace hl7::map::detail {

namespace {

using rule_file::RuleError;

struct Token {
    enum class Kind : std::uint8_t { end, path, string, word, number, symbol };
    Kind kind = Kind::end;
    std::string text;
    std::size_t column = 0;  // 1-based
};

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits condition and expression text. Paths start with a capital letter and run through letters,
// digits, '-', '.', '*' and bracketed groups; strings are "..." with \" and \\; words are lower-case
// names (and, or, not, in, null, functions) or, in conditions, bare values.
class Lexer {
public:
    Lexer(std::string_view text, std::uint64_t line, std::string_view what) : text_(text), line_(line), what_(what) {
        advance();
    }

    const Token& peek() const { return current_; }
    Token take() {
        Token t = current_;
        advance();
        return t;
    }
    bool accept_symbol(std::string_view s) {
        if (current_.kind == Token::Kind::symbol && current_.text == s) {
            advance();
            return true;
        }
        return false;
    }
    bool accept_word(std::string_view s) {
        if (current_.kind == Token::Kind::word && current_.text == s) {
            advance();
            return true;
        }
        return false;
    }
    [[noreturn]] void fail(std::string_view expected) const {
        std::string found = current_.kind == Token::Kind::end ? std::string("the end")
                                                              : fmt::format("'{}'", current_.text);
        throw RuleError(line_, fmt::format("{} '{}': column {}: expected {}, found {}", what_, text_,
                                           current_.kind == Token::Kind::end ? text_.size() + 1 : current_.column,
                                           expected, found));
    }
    Path path(const Token& t) const {
        auto p = parse_path(t.text);
        if (!p) throw RuleError(line_, fmt::format("{} '{}': bad path '{}': {}", what_, text_, t.text, p.error().text));
        return *p;
    }
    std::uint64_t line() const { return line_; }
    std::string_view what() const { return what_; }
    std::string_view text() const { return text_; }

private:
    void advance() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
        current_ = Token{};
        current_.column = pos_ + 1;
        if (pos_ >= text_.size()) return;
        const char c = text_[pos_];
        const std::size_t start = pos_;
        if (c == '"') {
            current_.kind = Token::Kind::string;
            ++pos_;
            while (true) {
                if (pos_ >= text_.size())
                    throw RuleError(line_, fmt::format("{} '{}': column {}: unterminated string", what_, text_,
                                                       start + 1));
                char d = text_[pos_++];
                if (d == '"') break;
                if (d == '\\' && pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\\')) d = text_[pos_++];
                current_.text.push_back(d);
            }
            return;
        }
        if (is_upper(c)) {
            current_.kind = Token::Kind::path;
            int depth = 0;
            while (pos_ < text_.size()) {
                const char d = text_[pos_];
                if (d == '[') ++depth;
                else if (d == ']' && depth > 0) --depth;
                else if (depth == 0 && !(is_upper(d) || is_lower(d) || is_digit(d) || d == '-' || d == '.' || d == '*'))
                    break;
                ++pos_;
            }
        } else if (is_digit(c)) {
            current_.kind = Token::Kind::number;
            while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
        } else if (is_lower(c) || c == '_') {
            current_.kind = Token::Kind::word;
            while (pos_ < text_.size() && (is_lower(text_[pos_]) || is_digit(text_[pos_]) || text_[pos_] == '_' ||
                                           text_[pos_] == '-'))
                ++pos_;
        } else {
            current_.kind = Token::Kind::symbol;
            static constexpr std::string_view kTwo[] = {"!=", "==", "//"};
            bool two = false;
            for (std::string_view s : kTwo) {
                if (text_.substr(pos_, 2) == s) two = true;
            }
            pos_ += two ? 2 : 1;
        }
        current_.text = std::string(text_.substr(start, pos_ - start));
    }

    std::string_view text_;
    std::uint64_t line_;
    std::string_view what_;
    std::size_t pos_ = 0;
    Token current_;
};

// --- conditions ----------------------------------------------------------------------------------

Condition parse_or(Lexer& lex);

std::string condition_value(Lexer& lex) {
    const Token& t = lex.peek();
    // A bare value may look like a path (ADT), a word or a number; anything but a symbol.
    if (t.kind == Token::Kind::string || t.kind == Token::Kind::path || t.kind == Token::Kind::number ||
        t.kind == Token::Kind::word)
        return lex.take().text;
    lex.fail("a value (\"text\")");
}

Condition parse_comparison(Lexer& lex) {
    if (lex.peek().kind != Token::Kind::path) lex.fail("a path");
    Condition c;
    c.path = lex.path(lex.take());
    if (lex.accept_symbol("=") || lex.accept_symbol("==")) {
        if (lex.peek().kind == Token::Kind::word && lex.peek().text == "null") {
            lex.take();
            c.kind = Condition::Kind::is_null;
            return c;
        }
        c.kind = Condition::Kind::equals;
        c.values.push_back(condition_value(lex));
        return c;
    }
    if (lex.accept_symbol("!=")) {
        Condition eq;
        eq.path = c.path;
        if (lex.accept_word("null")) {
            eq.kind = Condition::Kind::is_null;
        } else {
            eq.kind = Condition::Kind::equals;
            eq.values.push_back(condition_value(lex));
        }
        Condition n;
        n.kind = Condition::Kind::negate;
        n.children.push_back(std::move(eq));
        return n;
    }
    bool negated = false;
    if (lex.peek().kind == Token::Kind::word && lex.peek().text == "not") {
        lex.take();
        negated = true;
        if (!(lex.peek().kind == Token::Kind::word && lex.peek().text == "in")) lex.fail("'in' after 'not'");
    }
    if (lex.accept_word("in")) {
        c.kind = Condition::Kind::in;
        if (!lex.accept_symbol("[")) lex.fail("'[' and a list of values");
        if (!lex.accept_symbol("]")) {
            do {
                c.values.push_back(condition_value(lex));
            } while (lex.accept_symbol(","));
            if (!lex.accept_symbol("]")) lex.fail("',' or ']'");
        }
        if (!negated) return c;
        Condition n;
        n.kind = Condition::Kind::negate;
        n.children.push_back(std::move(c));
        return n;
    }
    c.kind = Condition::Kind::valued;
    return c;
}

Condition parse_unary(Lexer& lex) {
    if (lex.accept_word("not") || lex.accept_symbol("!")) {
        Condition n;
        n.kind = Condition::Kind::negate;
        n.children.push_back(parse_unary(lex));
        return n;
    }
    if (lex.accept_symbol("(")) {
        Condition c = parse_or(lex);
        if (!lex.accept_symbol(")")) lex.fail("')'");
        return c;
    }
    return parse_comparison(lex);
}

Condition parse_and(Lexer& lex) {
    Condition first = parse_unary(lex);
    if (!(lex.peek().kind == Token::Kind::word && lex.peek().text == "and")) return first;
    Condition all;
    all.kind = Condition::Kind::all;
    all.children.push_back(std::move(first));
    while (lex.accept_word("and")) all.children.push_back(parse_unary(lex));
    return all;
}

Condition parse_or(Lexer& lex) {
    Condition first = parse_and(lex);
    if (!(lex.peek().kind == Token::Kind::word && lex.peek().text == "or")) return first;
    Condition any;
    any.kind = Condition::Kind::any;
    any.children.push_back(std::move(first));
    while (lex.accept_word("or")) any.children.push_back(parse_and(lex));
    return any;
}

// --- expressions ---------------------------------------------------------------------------------

Expr parse_pipe(Lexer& lex);

std::string string_argument(Lexer& lex) {
    if (lex.peek().kind != Token::Kind::string) lex.fail("a string argument (\"...\")");
    return lex.take().text;
}

int number_argument(Lexer& lex, int low) {
    if (lex.peek().kind != Token::Kind::number || lex.peek().text.size() > 6) lex.fail("a number");
    const int n = std::stoi(lex.peek().text);
    if (n < low) lex.fail(fmt::format("a number of at least {}", low));
    lex.take();
    return n;
}

Expr parse_primary(Lexer& lex) {
    const Token& t = lex.peek();
    Expr e;
    if (t.kind == Token::Kind::path) {
        e.kind = Expr::Kind::path;
        e.path = lex.path(lex.take());
        if (e.path.occurrence == Path::all || e.path.repetition == Path::all)
            throw RuleError(lex.line(), fmt::format("{} '{}': path '{}' names several values; an expression reads "
                                                    "one (use each: for several)",
                                                    lex.what(), lex.text(), e.path.to_string()));
        return e;
    }
    if (t.kind == Token::Kind::string) {
        e.kind = Expr::Kind::literal;
        e.text = lex.take().text;
        return e;
    }
    if (lex.accept_symbol("(")) {
        e = parse_pipe(lex);
        if (!lex.accept_symbol(")")) lex.fail("')'");
        return e;
    }
    lex.fail("a path, a \"string\" or '('");
}

Expr parse_sum(Lexer& lex) {
    Expr first = parse_primary(lex);
    if (!(lex.peek().kind == Token::Kind::symbol && lex.peek().text == "+")) return first;
    Expr e;
    e.kind = Expr::Kind::concat;
    e.operands.push_back(std::move(first));
    while (lex.accept_symbol("+")) e.operands.push_back(parse_primary(lex));
    return e;
}

Expr parse_fallback(Lexer& lex) {
    Expr first = parse_sum(lex);
    if (!(lex.peek().kind == Token::Kind::symbol && lex.peek().text == "//")) return first;
    Expr e;
    e.kind = Expr::Kind::fallback;
    e.operands.push_back(std::move(first));
    while (lex.accept_symbol("//")) e.operands.push_back(parse_sum(lex));
    return e;
}

Expr parse_call(Lexer& lex, Expr input) {
    if (lex.peek().kind != Token::Kind::word) lex.fail("a function (upper, lower, trim, substr, replace, date, default)");
    const std::string name = lex.take().text;
    Expr e;
    e.kind = Expr::Kind::call;
    e.operands.push_back(std::move(input));
    using F = Expr::Function;
    auto open = [&] {
        if (!lex.accept_symbol("(")) lex.fail(fmt::format("'(' after {}", name));
    };
    auto close = [&] {
        if (!lex.accept_symbol(")")) lex.fail("')'");
    };
    auto semicolon = [&] {
        if (!lex.accept_symbol(";")) lex.fail("';' between arguments");
    };
    if (name == "upper") {
        e.function = F::upper;
    } else if (name == "lower") {
        e.function = F::lower;
    } else if (name == "trim") {
        e.function = F::trim;
    } else if (name == "substr") {
        e.function = F::substr;
        open();
        e.start = number_argument(lex, 1);
        if (lex.accept_symbol(";")) e.length = number_argument(lex, 0);
        close();
    } else if (name == "replace") {
        e.function = F::replace;
        open();
        e.args.push_back(string_argument(lex));
        semicolon();
        e.args.push_back(string_argument(lex));
        close();
        if (e.args[0].empty()) lex.fail("replace: a non-empty text to find");
    } else if (name == "date") {
        e.function = F::date;
        open();
        std::string why;
        std::string to = string_argument(lex);
        auto out = compile_date_format(to, false, why);
        if (!out) throw RuleError(lex.line(), fmt::format("{} '{}': date format '{}': {}", lex.what(), lex.text(), to, why));
        e.date_to = std::make_shared<const DateFormat>(std::move(*out));
        if (lex.accept_symbol(";")) {
            std::string from = string_argument(lex);
            auto in = compile_date_format(from, true, why);
            if (!in)
                throw RuleError(lex.line(),
                                fmt::format("{} '{}': date format '{}': {}", lex.what(), lex.text(), from, why));
            e.date_from = std::make_shared<const DateFormat>(std::move(*in));
        }
        close();
    } else if (name == "default") {
        e.function = F::fallback_value;
        open();
        e.args.push_back(string_argument(lex));
        close();
    } else {
        throw RuleError(lex.line(), fmt::format("{} '{}': unknown function '{}' (expected upper, lower, trim, substr, "
                                                "replace, date or default)",
                                                lex.what(), lex.text(), name));
    }
    return e;
}

Expr parse_pipe(Lexer& lex) {
    Expr e = parse_fallback(lex);
    while (lex.accept_symbol("|")) e = parse_call(lex, std::move(e));
    return e;
}

// --- dates ---------------------------------------------------------------------------------------

int precision_rank(char conversion) {
    switch (conversion) {
    case 'Y': return 0;
    case 'm': return 1;
    case 'd': return 2;
    case 'H': return 3;
    case 'M': return 4;
    case 'S': return 5;
    default: return -1;
    }
}

bool has_part(const DateTimeParts& p, char conversion) {
    const int rank = precision_rank(conversion);
    if (rank < 0) return true;
    if (!p.has_date && rank < 3) return false;
    return static_cast<int>(p.precision) >= rank;
}

void append_number(std::string& out, int value, int digits) { out += fmt::format("{:0{}}", value, digits); }

}  // namespace

Condition parse_condition(std::string_view text, std::uint64_t line) {
    Lexer lex(text, line, "when");
    if (lex.peek().kind == Token::Kind::end) throw RuleError(line, "when: expected a condition");
    Condition c = parse_or(lex);
    if (lex.peek().kind != Token::Kind::end) lex.fail("'and', 'or' or the end");
    return c;
}

Expr parse_expression(std::string_view text, std::uint64_t line) {
    Lexer lex(text, line, "expr");
    if (lex.peek().kind == Token::Kind::end) throw RuleError(line, "expr: expected an expression");
    Expr e = parse_pipe(lex);
    if (lex.peek().kind != Token::Kind::end) lex.fail("'|', '//', '+' or the end");
    return e;
}

std::optional<DateFormat> compile_date_format(std::string_view text, bool input, std::string& why) {
    DateFormat f;
    auto literal = [&](char c) {
        if (f.pieces.empty() || f.pieces.back().conversion != 0) f.pieces.push_back({});
        f.pieces.back().literal.push_back(c);
    };
    auto conversion = [&](char c) { f.pieces.push_back({c, {}}); };
    // The HL7 forms: YYYY[MM[DD[HH[MM[SS]]]]][ZZZZ], and DTM.
    std::string_view hl7 = text;
    bool zone = false;
    if (hl7.size() > 4 && hl7.substr(hl7.size() - 4) == "ZZZZ") {
        zone = true;
        hl7.remove_suffix(4);
    }
    static constexpr std::string_view kForms[] = {"YYYY", "YYYYMM", "YYYYMMDD", "YYYYMMDDHH", "YYYYMMDDHHMM",
                                                  "YYYYMMDDHHMMSS"};
    static constexpr char kConversions[] = {'Y', 'm', 'd', 'H', 'M', 'S'};
    for (std::size_t i = 0; i < std::size(kForms); ++i) {
        if (hl7 == kForms[i]) {
            for (std::size_t c = 0; c <= i; ++c) conversion(kConversions[c]);
            if (zone) conversion('z');
            return f;
        }
    }
    if (text == "DTM") {
        for (char c : kConversions) conversion(c);
        conversion('f');
        conversion('z');
        return f;
    }
    if (text.empty()) {
        why = "empty (expected %Y%m%d and the like, or an HL7 form such as YYYYMMDD)";
        return std::nullopt;
    }
    bool seen[6] = {};
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            literal(text[i]);
            continue;
        }
        if (i + 1 >= text.size()) {
            why = "a '%' at the end (write %% for a percent sign)";
            return std::nullopt;
        }
        const char c = text[++i];
        if (c == '%') {
            literal('%');
        } else if (precision_rank(c) >= 0 || c == 'f' || c == 'z') {
            if (precision_rank(c) >= 0) {
                if (seen[precision_rank(c)]) {
                    why = fmt::format("%{} given twice", c);
                    return std::nullopt;
                }
                seen[precision_rank(c)] = true;
            }
            conversion(c);
        } else {
            why = fmt::format("unknown conversion %{} (expected %Y %m %d %H %M %S %f %z or %%)", c);
            return std::nullopt;
        }
    }
    if (input) {
        // A value read must give its parts from the year down, without gaps, for its precision.
        bool gap = false;
        for (int r = 0; r < 6; ++r) {
            if (!seen[r]) gap = true;
            else if (gap) {
                why = "an input format gives the parts from the year down without gaps (%Y, %m, %d, %H, %M, %S)";
                return std::nullopt;
            }
        }
        if (!seen[0]) {
            why = "an input format needs %Y";
            return std::nullopt;
        }
    }
    return f;
}

std::string format_date(const DateTimeParts& p, const DateFormat& format) {
    std::string out;
    bool cut = false;
    for (const auto& piece : format.pieces) {
        if (piece.conversion == 0) {
            if (!cut) out += piece.literal;
            continue;
        }
        if (!has_part(p, piece.conversion)) {
            // Never invent precision: drop the rest, but keep the offset and fraction if asked.
            if (!cut) {
                // Literal text written since the last conversion belongs to the part that is missing.
                std::size_t keep = out.size();
                for (auto it = &piece; it != format.pieces.data(); --it) {
                    const auto& prev = *(it - 1);
                    if (prev.conversion != 0) break;
                    keep -= prev.literal.size();
                }
                out.resize(keep);
            }
            cut = true;
            continue;
        }
        switch (piece.conversion) {
        case 'Y': append_number(out, p.year, 4); break;
        case 'm': append_number(out, p.month, 2); break;
        case 'd': append_number(out, p.day, 2); break;
        case 'H': append_number(out, p.hour, 2); break;
        case 'M': append_number(out, p.minute, 2); break;
        case 'S': append_number(out, p.second, 2); break;
        case 'f':
            if (!cut && p.precision == DateTimePrecision::second && p.fraction_digits > 0) {
                out.push_back('.');
                append_number(out, p.fraction, p.fraction_digits);
            }
            break;
        case 'z':
            if (p.has_offset) {
                out.push_back(p.offset_sign);
                append_number(out, p.offset_hours, 2);
                append_number(out, p.offset_minutes, 2);
            }
            break;
        default: break;
        }
    }
    return out;
}

std::optional<DateTimeParts> read_date(std::string_view text, const DateFormat* from) {
    if (!from) return parse_date_time("DTM", text, 2, 5);
    // Read the parts the format gives, then check them by writing the DTM and reading that back.
    int values[6] = {};
    int last = -1;
    std::string fraction, zone;
    std::size_t i = 0;
    auto digits = [&](std::size_t n, int& out) {
        if (i + n > text.size()) return false;
        int v = 0;
        for (std::size_t k = 0; k < n; ++k) {
            if (!is_digit(text[i + k])) return false;
            v = v * 10 + (text[i + k] - '0');
        }
        i += n;
        out = v;
        return true;
    };
    for (const auto& piece : from->pieces) {
        if (piece.conversion == 0) {
            if (text.substr(i, piece.literal.size()) != piece.literal) return std::nullopt;
            i += piece.literal.size();
            continue;
        }
        const int rank = precision_rank(piece.conversion);
        if (rank >= 0) {
            if (!digits(rank == 0 ? 4 : 2, values[rank])) return std::nullopt;
            last = std::max(last, rank);
        } else if (piece.conversion == 'f') {
            if (i < text.size() && text[i] == '.') {
                std::size_t start = i++;
                while (i < text.size() && is_digit(text[i])) ++i;
                fraction = std::string(text.substr(start, i - start));
            }
        } else if (piece.conversion == 'z') {
            if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
                zone = std::string(text.substr(i, 5));
                i += 5;
            } else if (i < text.size() && text[i] == 'Z') {
                zone = "+0000";
                ++i;
            }
        }
    }
    if (i != text.size() || last < 0) return std::nullopt;
    std::string dtm;
    for (int r = 0; r <= last; ++r) append_number(dtm, values[r], r == 0 ? 4 : 2);
    if (last == 5) dtm += fraction;
    dtm += zone;
    return parse_date_time("DTM", dtm, 2, 5);
}

std::optional<int> parse_zone(std::string_view text) {
    if (text == "UTC" || text == "Z" || text == "utc") return 0;
    if (text.size() != 5 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
    for (std::size_t i = 1; i < 5; ++i) {
        if (!is_digit(text[i])) return std::nullopt;
    }
    const int hours = (text[1] - '0') * 10 + (text[2] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (minutes > 59 || hours > 14) return std::nullopt;
    const int seconds = (hours * 60 + minutes) * 60;
    return text[0] == '-' ? -seconds : seconds;
}

}  // namespace hl7::map::detail
