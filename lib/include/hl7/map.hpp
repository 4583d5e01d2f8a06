// hl7map rule files: declarative transforms of messages (set, copy, map through tables, dates,
// segments...) read from YAML or JSON, checked when read, and applied to messages one at a time.
//
// What it promises:
// - read_rules() checks everything it can without a message: unknown operations and keys, bad
//   paths (and writes to MSH-1/MSH-2), missing tables, bad regexes, bad date formats and zones,
//   bad conditions and expressions, includes that are missing or form a cycle. Its errors have
//   code "bad-rules" and the text "FILE:LINE: what" (FILE as given to read_rules or named by an
//   include). So `hl7map check` is read_rules alone. Expressions, conditions, regexes and date
//   formats are compiled once, there.
// - The library opens no file: included rule files and CSV tables come through the caller's
//   IncludeLoader, named by the path as written, joined to the directory of the file that names
//   it when it is relative.
// - A rule file with no rules (just `hl7map: 1`) is the identity: the message is not touched and
//   goes out byte for byte. More generally every segment no rule changed stays byte for byte (the
//   edits go through hl7::Editor, hl7/edit.hpp), and a rule whose result equals the value it read
//   (a passthrough mapping, a date already in its format) writes nothing.
// - All or nothing per message: when a rule cannot apply (MapOutcome::warnings says which and
//   why), the rules stop there and the message is left exactly as it came in; the caller passes
//   it through with the warning, or rejects it (--strict).
// - Values are read unescaped (text, UTF-8) and written escaped in the message's delimiters and
//   charset; a character the charset cannot hold stops the rule with a warning, never silently.
// - No patient data in diagnostic texts: values go to Diagnostic::value and ValueChange only.
// - Nothing is printed, thrown, or read from global state; a RuleSet is immutable once read and
//   may be applied from several threads, each with its own messages.
//
// The rule language, as the man page gives it: see the comment at the end of this file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/edit.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"

namespace hl7::map {

// Returns the text of an included rule file or a CSV table, or an error (which read_rules reports
// at the line that named the file, keeping the loader's text).
using IncludeLoader = std::function<Result<std::string>(std::string_view path)>;

namespace detail {
struct Program;
}

// A rule file as read and checked, with its includes and tables. Cheap to copy (shared, immutable).
class RuleSet {
public:
    // The number of rules, counting those of included files and inside `each`.
    std::size_t rule_count() const;
    // The files read: the main one first, then the includes in the order they were read.
    const std::vector<std::string>& files() const;

    std::shared_ptr<const detail::Program> program;
};

// Reads and checks a rule file (YAML, or JSON when it starts with '{').
Result<RuleSet> read_rules(std::string_view text, std::string_view file_name, const IncludeLoader& load);

// One value as a rule found it and left it (for --trace --show-values). Raw ER7 text.
struct ValueChange {
    std::string path;  // concrete: "OBX[2]-11", "PID-3[1].1"; a segment path for segment rules
    std::string before;
    std::string after;
    bool was_present = false;  // before holds a value (absent is not empty)
    bool is_present = false;
};

// What one rule did to one message (for --trace). `operation` and `paths` carry no values.
struct RuleEffect {
    std::string file;
    std::uint64_t line = 0;
    std::string operation;           // "set", "copy", ..., "each", "include"
    bool skipped = false;            // its `when` did not hold
    std::vector<std::string> paths;  // the concrete paths it wrote or would have written
    std::vector<ValueChange> values; // old and new values at those paths (show only with --show-values)
};

struct MapOptions {
    bool trace = false;     // fill MapOutcome::effects
    EditOptions edit = {};  // the charset written; Unrepresentable::replace is honoured but not advised
};

struct MapOutcome {
    bool matched = true;   // the file's top-level `when` held (false: message untouched)
    bool changed = false;  // the message was modified
    // Rules that could not apply (at most one: the rules stop at the first). Non-empty means the
    // message was left unchanged. Each is a Severity::warning whose text is "FILE:LINE: OP: why" and
    // whose code says why:
    //   the editor's codes (hl7/edit.hpp): "no-segment" (OBX[5] of three, an anchor segment that is
    //   absent), "unrepresentable", "invalid-utf8", "no-separator", "bad-value", "bad-segment",
    //   "overlapping-move";
    //   "no-mapping"      a value not in its table, and the table has no default ("*");
    //   "bad-date"        a value that does not read as a date (as DTM, or with `from:`);
    //   "no-offset"       `tz:` on a value with a time but no offset;
    //   "composite-value" a text operation on a value with separators inside (name the component);
    //   "value-too-long"  a regex over a value longer than hl7::kMaxRegexValue.
    // Not warnings: an absent source, absent segments to delete or rename, [*] that matches nothing,
    // a false `when`.
    Diagnostics warnings;
    std::vector<RuleEffect> effects;  // with MapOptions::trace, in the order rules ran
};

// Applies a rule set to messages. Holds no per-message state; apply() is const.
class Mapper {
public:
    explicit Mapper(RuleSet rules) : rules_(std::move(rules)) {}
    MapOutcome apply(Message& message, const MapOptions& options = {}) const;

private:
    RuleSet rules_;
};

}  // namespace hl7::map

// The rule language (hl7map: 1)
//
// Top level: `hl7map: 1` (required; other versions are refused), then optionally `when:` (a
// condition: the file applies only to messages where it holds), `tables:` (name -> table),
// `include:` (a file or a list of files whose rules run first, in order), `rules:` (a list).
//
// Paths are hl7/path.hpp's (SEG[occ]-F[rep].C.S; [*] for all). A path without [occ] names the
// first segment, except where a rule says otherwise. Every rule may have `when:`.
//
//   set: PATH, value: TEXT | expr: EXPR     write TEXT (escaped); an empty result empties the
//                                           target and creates nothing; [*] writes every match
//   copy: PATH, to: PATH                    raw ER7 copy (hl7::Editor::copy: [*] pairs by index,
//   move: PATH, to: PATH                    an absent source empties the target); move clears it
//   clear: PATH                             empty what is there, create nothing
//   map: PATH, table: NAME | {inline}, [to: PATH]
//                                           translate each value through the table; "*" is the
//                                           default, "=" (as a default or a value) keeps the value;
//                                           no match and no default: warning "no-mapping"
//   date: PATH, to: FORMAT, [from: FORMAT], [tz: +HHMM|-HHMM|UTC]
//                                           re-format a date/time; on a field or repetition it acts
//                                           on component 1 (TS)
//   concat: [PATH, ...], to: PATH, [separator: TEXT]    empty sources are skipped
//   split: PATH, to: [PATH, ...], separator: TEXT       the rest goes into the last target;
//                                                       targets without a part are emptied
//   replace: PATH, regex: RE | find: TEXT, with: TEXT, [to: PATH]
//                                           ECMAScript regex, every match ($1 in `with`), or every
//                                           literal occurrence of `find`
//   substring: PATH, start: N, [length: N], [to: PATH]  1-based, in characters
//   pad: PATH, width: N, [char: C], [side: left|right], [to: PATH]      default ' ' and left
//   truncate: PATH, width: N, [side: left|right], [to: PATH]  keeps the first N characters
//                                           (side: left keeps the last N)
//   add-segment: ER7, [after: SEG | SEG[n] | SEG[*]] | [before: SEG | SEG[n]]
//   insert-segment: (the same)              ER7 written with |^~\& whatever the message uses;
//                                           default at the end; SEG[*]: after the last one
//   delete-segment: SEG | SEG[n]            SEG without [n] deletes them all (inside `each`, the
//                                           current one); absent ones are not an error
//   rename-segment: SEG | SEG[n], to: ID    likewise
//   each: SEG | PATH-F[*], do: [rules]      run the rules for each segment / repetition; inside,
//                                           a path with that segment and no [occ] means the current
//                                           segment (and with that field and no [rep], the current
//                                           repetition); `when` is tested for each one. A rule that
//                                           deletes or renames the current segment ends the body
//                                           for it
//   include: FILE                           the file's rules here (its own `when` applies to them)
//
// Values in text operations (map, date, replace, substring, pad, truncate, concat, split, expr)
// are read unescaped; absent, empty and the HL7 null `""` all read as empty and are left alone by
// map, date, replace, substring, pad and truncate.
//
// Conditions: PATH (holds a value: neither absent, empty nor `""`), not PATH, PATH = "text",
// PATH != "text", PATH in ["A", "B"], PATH not in [...], PATH = null (exactly the HL7 null `""`),
// and, or, not, parentheses. Values may be quoted or bare words. `= ""` holds for absent, empty and
// the HL7 null alike. With [*], = and in hold when any value does, != when none equals. As in
// hl7/path.hpp, a field without [rep] read by a condition or an expression is its first repetition
// (PID-3 = "A" holds for A~B); a composite value compares as its ER7 text.
//
// Expressions (expr:): PATH (its unescaped value; empty when absent, empty or `""`), "literal",
// A + B (concatenation), A // B (A unless empty, else B), X | f (functions: upper, lower, trim,
// substr(START; LENGTH), replace("find"; "with"), date("TO") or date("TO"; "FROM"), default("x")).
// Precedence, loosest first: |, //, +. Parentheses group.
//
// Date formats: %Y %m %d %H %M %S, %f (".ffff" fraction as written, or nothing), %z (+HHMM offset,
// or nothing), %%; or the HL7 forms YYYY, YYYYMM, YYYYMMDD, YYYYMMDDHH, YYYYMMDDHHMM, YYYYMMDDHHMMSS
// (each may end with ZZZZ for the offset), and DTM (the value's own precision, fraction and offset).
// A value never gains precision: output stops before the first part the value does not have (only
// %z and %f are still written). Without `from:` the value is read as an HL7 DTM.
