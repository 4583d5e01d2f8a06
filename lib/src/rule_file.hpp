// Rule files: the YAML and JSON files that configure the library's rule-driven parts (profiles,
// hl7map transforms, hl7anon configurations), all read one way. Internal to the library.
//
// What it promises:
// - load() reads YAML, or strict JSON (nlohmann: no comments, no trailing commas, JSON's own
//   escapes), into one tree of Nodes where every value knows its line. Both formats give the same
//   tree for the same content, so one reader serves both.
// - A key given twice in a mapping is an error in both formats (yaml-cpp alone would keep both
//   entries and find the first; nlohmann alone would keep the last): a rule file that says two
//   things about one key is a mistake, never silently half-applied.
// - Tabs are whitespace in JSON; in YAML a tab in the indentation is an error (YAML indents with
//   spaces only) whose text says so. Nesting deeper than kMaxDepth, a second YAML document, and
//   aliases that expand past kMaxAliasValues are errors too (a rule file never needs them, and
//   an alias bomb must not eat the memory).
// - Readers throw RuleError (through fail() and the helpers below) from inside read(); read()
//   turns it into a Diagnostic: "KIND 'NAME', line N: TEXT". No exception leaves read().
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hl7/error.hpp"

namespace hl7::rule_file {

enum class Format : std::uint8_t { yaml, json };

inline constexpr std::size_t kMaxDepth = 100;
inline constexpr std::size_t kMaxAliasValues = 100000;

struct Entry;

// One value of a rule file. A YAML `~`, `null` or empty value, and JSON null, are Kind::null; a
// quoted "null" is a scalar. Scalars keep their text as the file gives it after unquoting (JSON
// numbers and booleans as written: "12", "1.5e3", "true").
struct Node {
    enum class Kind : std::uint8_t { null, scalar, sequence, map };

    Kind kind = Kind::null;
    std::string text;            // a scalar's text; "" for the other kinds
    std::uint64_t line = 0;      // 1-based line where the value starts; 0: not known (an empty file)
    std::vector<Node> items;     // a sequence's values
    std::vector<Entry> entries;  // a mapping's entries in file order; scalar keys are distinct

    bool is_null() const { return kind == Kind::null; }
    bool is_scalar() const { return kind == Kind::scalar; }
    bool is_sequence() const { return kind == Kind::sequence; }
    bool is_map() const { return kind == Kind::map; }
    // The value of this mapping's entry whose key is the scalar `key`; null when there is none, or
    // when this is not a mapping.
    const Node* find(std::string_view key) const;
};

struct Entry {
    Node key;  // a scalar, except in unusual YAML (`? [a, b] : c`), which check_keys refuses
    Node value;
};

// What a rule file is, for its errors: "profile 'adt.yaml', line 3: ..." with code "bad-profile".
struct Origin {
    std::string_view kind;  // "profile", "map", "anonymisation config"
    std::string_view name;  // the file's name as the user gave it
    std::string_view code;  // Diagnostic::code of every error about the file
};

// The one error type of the module: what is wrong, and the line (0: not known).
class RuleError : public std::runtime_error {
public:
    RuleError(std::uint64_t line, const std::string& text) : std::runtime_error(text), line_(line) {}
    std::uint64_t line() const { return line_; }

private:
    std::uint64_t line_;
};

// The Diagnostic for an error about the file: "KIND 'NAME', line N: TEXT" ("KIND 'NAME': TEXT" for
// line 0), with Location::line set. Control bytes in the text are written as \xNN, so a key or value
// quoted from the file can never play tricks on a terminal or break the one-line form.
Diagnostic error_at(const Origin& origin, std::uint64_t line, std::string_view text);

// Reads the text into a tree. Errors: invalid YAML or JSON (with the parser's reason), duplicate
// keys, tabs in YAML indentation, too deep, more than one YAML document, aliases that expand too far.
Result<Node> load(std::string_view text, Format format, const Origin& origin);

// load(), then `read_root(root)` (which returns a T and may throw RuleError), with every RuleError
// turned into a Diagnostic. The one way rule readers run.
template <class T, class ReadRoot>
Result<T> read(std::string_view text, Format format, const Origin& origin, ReadRoot&& read_root) {
    auto root = load(text, format, origin);
    if (!root) return root.error();
    try {
        return T(std::forward<ReadRoot>(read_root)(*root));
    } catch (const RuleError& e) {
        return error_at(origin, e.line(), e.what());
    }
}

// --- for readers: each throws RuleError at the node's line ------------------------------------

[[noreturn]] void fail(const Node& at, const std::string& text);

// The scalar's text; "WHAT: expected a single value" otherwise.
const std::string& scalar(const Node& node, std::string_view what);
// The node itself when it is a mapping (a sequence); `text` as the error otherwise.
const Node& expect_map(const Node& node, std::string_view text);
const Node& expect_sequence(const Node& node, std::string_view text);
// A sequence's items, or the node itself: for keys that take one value or a list of them.
std::vector<const Node*> one_or_more(const Node& node);

// Every key of the mapping must be one of `keys`: "unknown key 'K' in WHAT (expected one of: a, b)".
void check_keys(const Node& map, std::string_view what, std::initializer_list<std::string_view> keys);

// A decimal integer from low to high (a leading '-' only when low < 0; at most 9 digits):
// "WHAT: expected a number from LOW to HIGH" otherwise.
int integer(const Node& node, std::string_view what, int low, int high);
// The same, or "*" for no bound (nullopt); the error says "WHAT (or '*'): ...".
std::optional<int> integer_or_unbounded(const Node& node, std::string_view what, int low, int high);

enum class Case : std::uint8_t { exact, ignore };
// The index of the scalar's text in `names`: "WHAT 'VALUE': expected A, B or C" otherwise. With a
// constexpr array of names, names[index] is the value in its canonical spelling.
std::size_t choice(const Node& node, std::string_view what, std::span<const std::string_view> names,
                   Case match = Case::exact);
// true or false (in any case); "WHAT: expected true or false" otherwise.
bool boolean(const Node& node, std::string_view what);

}  // namespace hl7::rule_file
