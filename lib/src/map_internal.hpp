// hl7map internals: the compiled form of a rule file (rules, conditions, expressions, date formats,
// tables) shared by the reader (map_read.cpp, map_compile.cpp) and the engine (map_apply.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hl7/datatypes.hpp"
#include "hl7/map.hpp"
#include "hl7/path.hpp"

namespace hl7::map::detail {

// A date format: literal text and conversions (Y m d H M S f z).
struct DateFormat {
    struct Piece {
        char conversion = 0;  // 0: literal
        std::string literal;
    };
    std::vector<Piece> pieces;
};

// Compiles a format (strftime-like, or an HL7 form); an error text on failure.
std::optional<DateFormat> compile_date_format(std::string_view text, bool input, std::string& why);
// Writes parts with a format, stopping before the first part the value lacks (see map.hpp).
std::string format_date(const DateTimeParts& parts, const DateFormat& format);
// Reads a value with a `from:` format; nullopt when it does not match or is not a real date.
std::optional<DateTimeParts> read_date(std::string_view text, const DateFormat* from);
// "+0100", "-0530", "UTC", "Z" -> offset seconds.
std::optional<int> parse_zone(std::string_view text);

struct Condition {
    enum class Kind : std::uint8_t { valued, is_null, equals, in, negate, all, any };
    Kind kind = Kind::valued;
    Path path;
    std::vector<std::string> values;     // equals: one; in: several
    std::vector<Condition> children;     // negate: one; all / any: several
};

Condition parse_condition(std::string_view text, std::uint64_t line);  // throws rule_file::RuleError

struct Expr {
    enum class Kind : std::uint8_t { path, literal, concat, fallback, call };
    enum class Function : std::uint8_t { upper, lower, trim, substr, replace, date, fallback_value };
    Kind kind = Kind::literal;
    Path path;
    std::string text;               // literal
    std::vector<Expr> operands;     // concat, fallback: 2+; call: the input
    Function function = Function::upper;
    std::vector<std::string> args;  // call: string arguments
    int start = 1;
    int length = -1;                // substr: -1 for the rest
    std::shared_ptr<const DateFormat> date_to, date_from;
};

Expr parse_expression(std::string_view text, std::uint64_t line);  // throws rule_file::RuleError

struct Table {
    std::unordered_map<std::string, std::string> entries;
    std::optional<std::string> fallback;  // "*" or default:; "=" keeps the value
};

enum class Op : std::uint8_t {
    set, copy, move, clear, map, date, concat, split, replace, substring, pad, truncate,
    add_segment, delete_segment, rename_segment, each, include,
};

struct Rule {
    Op op = Op::set;
    std::string name;  // the operation as written ("insert-segment")
    std::uint32_t file = 0;
    std::uint64_t line = 0;
    std::optional<Condition> when;

    Path path;                 // the rule's main path: target (set, clear), source (copy...), segment, each
    std::optional<Path> to;    // copy, move, map, replace, substring, pad, truncate, concat target
    std::vector<Path> paths;   // concat sources, split targets

    std::string value;         // set value:, replace with:, rename to:, separator, add-segment text
    std::optional<Expr> expr;  // set expr:
    const Table* table = nullptr;
    std::shared_ptr<const Table> inline_table;
    DateFormat date_to;
    std::optional<DateFormat> date_from;
    std::optional<int> zone;   // tz: seconds east of UTC
    std::string separator;
    std::shared_ptr<const std::regex> regex;
    std::string find;          // replace: literal text (when no regex)
    int start = 1;
    int length = -1;
    int width = 0;
    std::string pad_char = " ";
    bool left = true;          // pad: pad on the left; truncate: keep the left part (cut on the right)
    enum class Place : std::uint8_t { end, after, before } place = Place::end;
    Path anchor;               // add-segment after/before

    std::vector<Rule> body;    // each: do:, include: the file's rules
};

struct Program {
    std::vector<std::string> files;
    std::vector<std::unique_ptr<Table>> tables;  // stable addresses (Rule::table)
    std::unordered_map<std::string, const Table*> table_names;
    std::optional<Condition> when;
    std::vector<Rule> rules;
    std::size_t rule_count = 0;
};

}  // namespace hl7::map::detail
