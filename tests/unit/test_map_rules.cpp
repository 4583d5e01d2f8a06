// Tests of reading hl7map rule files (hl7/map.hpp read_rules): every static error with its exact
// "FILE:LINE: what" text, JSON rule files, CSV table errors.
#include "map_helpers.hpp"

using maptest::Files;
using maptest::rule_error;

namespace {

std::string with_rules(std::string_view body) { return "hl7map: 1\nrules:\n" + std::string(body); }

}  // namespace

TEST_CASE("map rules: the version and the top level") {
    CHECK(rule_error("") == "rules.yaml: empty rule file: expected at least 'hl7map: 1'");
    CHECK(rule_error("rules: []\n") == "rules.yaml:1: missing 'hl7map: 1' (the rule language version)");
    CHECK(rule_error("hl7map: 2\n") == "rules.yaml:1: hl7map: version '2' is not supported (expected 1)");
    CHECK(rule_error("hl7map: 1\nrulez: []\n") ==
          "rules.yaml:2: unknown key 'rulez' in the rule file (expected one of: hl7map, when, tables, include, rules)");
    CHECK(rule_error("hl7map: 1\nrules: {set: PID-3}\n") == "rules.yaml:2: rules: expected a list of rules");
    // YAML syntax errors keep the parser's line, in the same form.
    const std::string bad_yaml = rule_error("hl7map: 1\nrules:\n  - set: [PID-3\n");
    CHECK(bad_yaml.rfind("rules.yaml:", 0) == 0);
    CHECK(bad_yaml.find("map '") == std::string::npos);
}

TEST_CASE("map rules: operations and keys") {
    CHECK(rule_error(with_rules("  - frobnicate: PID-3\n")) ==
          "rules.yaml:3: unknown operation 'frobnicate' (expected set, copy, move, clear, map, date, concat, split, "
          "replace, substring, pad, truncate, add-segment, insert-segment, delete-segment, rename-segment, each or "
          "include)");
    CHECK(rule_error(with_rules("  - set: PID-3\n    value: x\n    colour: red\n")) ==
          "rules.yaml:5: unknown key 'colour' in a set rule (expected one of: set, value, expr, when)");
    CHECK(rule_error(with_rules("  - set: PID-3\n    clear: PID-4\n")) ==
          "rules.yaml:4: a rule has one operation; this one has 'set' and 'clear'");
    CHECK(rule_error(with_rules("  - set: PID-3\n")) == "rules.yaml:3: set: missing 'value' (or 'expr')");
    CHECK(rule_error(with_rules("  - copy: PID-3\n")) == "rules.yaml:3: copy: missing 'to'");
    CHECK(rule_error(with_rules("  - set: PID-3\n    value: a\n    expr: PID-4\n")) ==
          "rules.yaml:5: set: give value or expr, not both");
}

TEST_CASE("map rules: bad paths") {
    CHECK(rule_error(with_rules("  - clear: PID-x\n")).rfind("rules.yaml:3: clear: bad path 'PID-x': ", 0) == 0);
    CHECK(rule_error(with_rules("  - set: MSH-2\n    value: x\n")) ==
          "rules.yaml:3: set: 'MSH-2' is one of the message's delimiters, which rules do not change");
    CHECK(rule_error(with_rules("  - clear: PID\n")) ==
          "rules.yaml:3: clear: 'PID' names a segment; name a field (PID-3) or below");
    CHECK(rule_error(with_rules("  - copy: OBX[*]-5\n    to: PID-3\n")) ==
          "rules.yaml:4: copy: the source 'OBX[*]-5' names several values; the target needs [*] at the same places "
          "(values are paired, never joined)");
    CHECK(rule_error(with_rules("  - delete-segment: PID-3\n")) ==
          "rules.yaml:3: delete-segment: 'PID-3' is not a segment (ZPI, OBX[2], OBX[*])");
    CHECK(rule_error(with_rules("  - delete-segment: MSH\n")) ==
          "rules.yaml:3: delete-segment: MSH starts the message and stays");
    CHECK(rule_error(with_rules("  - each: PID-3.1\n    do: []\n")) ==
          "rules.yaml:3: each: 'PID-3.1': expected segments (OBX) or a field's repetitions (PID-3[*])");
    CHECK(rule_error(with_rules("  - map: PID-3[*]\n    table: {A: B}\n    to: PID-4\n")) ==
          "rules.yaml:5: map: with to:, the source 'PID-3[*]' must name one value (or use each:)");
}

TEST_CASE("map rules: tables") {
    CHECK(rule_error(with_rules("  - map: PV1-2\n    table: pclass\n")) ==
          "rules.yaml:4: map: no table 'pclass' (define it under tables:)");
    CHECK(rule_error("hl7map: 1\ntables:\n  t: {file: x.csv, colour: red}\n") ==
          "rules.yaml:3: unknown key 'colour' in table 't' (expected one of: file, default)");
    CHECK(rule_error("hl7map: 1\ntables:\n  t: {file: x.csv}\n") == "rules.yaml:3: table file 'x.csv': no such file");
    CHECK(rule_error("hl7map: 1\ntables:\n  t: [a, b]\n") ==
          "rules.yaml:3: table 't': expected a mapping (CODE: VALUE, \"*\": default) or {file: NAME.csv, default: VALUE}");
    Files files;
    files.files["x.csv"] = "A,B\n# comment\nC\n";
    CHECK(rule_error("hl7map: 1\ntables:\n  t: {file: x.csv}\n", files) ==
          "x.csv:3: expected two columns (code,value), found 1");
    files.files["x.csv"] = "A,B\nA,C\n";
    CHECK(rule_error("hl7map: 1\ntables:\n  t: {file: x.csv}\n", files) == "x.csv:2: a code given twice");
    files.files["x.csv"] = "\"A,B\n";
    CHECK(rule_error("hl7map: 1\ntables:\n  t: {file: x.csv}\n", files) == "x.csv:1: unterminated quoted field");
}

TEST_CASE("map rules: regexes, date formats, zones") {
    CHECK(rule_error(with_rules("  - replace: PID-5\n    regex: \"(a\"\n    with: b\n"))
              .rfind("rules.yaml:4: replace: bad regex '(a': ", 0) == 0);
    CHECK(rule_error(with_rules("  - date: PID-7\n    to: \"%Y%q\"\n")) ==
          "rules.yaml:4: date: bad date format '%Y%q': unknown conversion %q (expected %Y %m %d %H %M %S %f %z or %%)");
    CHECK(rule_error(with_rules("  - date: PID-7\n    to: \"%Y\"\n    from: \"%Y%d\"\n")) ==
          "rules.yaml:5: date: bad date format '%Y%d': an input format gives the parts from the year down without "
          "gaps (%Y, %m, %d, %H, %M, %S)");
    CHECK(rule_error(with_rules("  - date: PID-7\n    to: \"%Y\"\n    tz: Europe/Paris\n")) ==
          "rules.yaml:5: date: tz 'Europe/Paris': expected +HHMM, -HHMM or UTC");
    CHECK(rule_error(with_rules("  - pad: PID-3\n    width: 4\n    char: \"ab\"\n")) ==
          "rules.yaml:5: pad: char: expected one character");
}

TEST_CASE("map rules: conditions and expressions") {
    CHECK(rule_error(with_rules("  - clear: PID-3\n    when: PID-3 = \n")) ==
          "rules.yaml:4: when 'PID-3 =': column 8: expected a value (\"text\"), found the end");
    CHECK(rule_error(with_rules("  - clear: PID-3\n    when: 'PID-3 = A B'\n")) ==
          "rules.yaml:4: when 'PID-3 = A B': column 11: expected 'and', 'or' or the end, found 'B'");
    CHECK(rule_error(with_rules("  - clear: PID-3\n    when: 'PID-3 in [A, B'\n")) ==
          "rules.yaml:4: when 'PID-3 in [A, B': column 15: expected ',' or ']', found the end");
    CHECK(rule_error(with_rules("  - clear: PID-3\n    when: 'PID-3x.1 = A'\n")).rfind(
              "rules.yaml:4: when 'PID-3x.1 = A': bad path 'PID-3x.1': ", 0) == 0);
    CHECK(rule_error("hl7map: 1\nwhen: '(MSH-9.1 = ADT'\n") ==
          "rules.yaml:2: when '(MSH-9.1 = ADT': column 15: expected ')', found the end");
    CHECK(rule_error(with_rules("  - set: PID-2\n    expr: 'PID-3 | shout'\n")) ==
          "rules.yaml:4: expr 'PID-3 | shout': unknown function 'shout' (expected upper, lower, trim, substr, replace, "
          "date or default)");
    CHECK(rule_error(with_rules("  - set: PID-2\n    expr: 'PID-3[*].1'\n")) ==
          "rules.yaml:4: expr 'PID-3[*].1': path 'PID-3[*].1' names several values; an expression reads one (use "
          "each: for several)");
    CHECK(rule_error(with_rules("  - set: PID-2\n    expr: '\"abc'\n")) ==
          "rules.yaml:4: expr '\"abc': column 1: unterminated string");
    CHECK(rule_error(with_rules("  - set: PID-2\n    expr: 'PID-3 | date(\"%Q\")'\n")) ==
          "rules.yaml:4: expr 'PID-3 | date(\"%Q\")': date format '%Q': unknown conversion %Q (expected %Y %m %d %H %M "
          "%S %f %z or %%)");
}

TEST_CASE("map rules: segment texts") {
    CHECK(rule_error(with_rules("  - add-segment: \"MSH|x\"\n")) ==
          "rules.yaml:3: add-segment: the segment must start with a segment ID such as ZPI and '|' (not MSH, FHS or BHS)");
    CHECK(rule_error(with_rules("  - add-segment: \"ZPI|1\"\n    before: MSH\n")) ==
          "rules.yaml:4: add-segment: nothing goes before MSH");
    CHECK(rule_error(with_rules("  - rename-segment: ZPI\n    to: zp1\n")) ==
          "rules.yaml:4: rename-segment: to: expected a segment ID such as ZP1 (not MSH, FHS or BHS)");
}

TEST_CASE("map rules: control bytes in errors are shown escaped") {
    const std::string text = rule_error(with_rules("  - \"fro\\x1bb\": PID-3\n"));
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("\\x1B") != std::string::npos);
}

TEST_CASE("map rules: JSON rule files read like YAML") {
    const char* json = R"({"hl7map": 1, "tables": {"t": {"A": "B"}},
  "rules": [{"map": "PID-8", "table": "t"}, {"set": "PID-2", "value": "X", "when": "PID-8 = B"}]})";
    auto m = maptest::map_apply(json, "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1|||||||A\r");
    CHECK(maptest::raw(m.message, "PID-8") == "B");
    CHECK(maptest::raw(m.message, "PID-2") == "X");
    CHECK(rule_error(R"({"hl7map": 1, "rules": [{"set": "PID-2"}]})") == "rules.yaml:1: set: missing 'value' (or 'expr')");
}
