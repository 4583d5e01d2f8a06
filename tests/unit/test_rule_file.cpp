// Tests of the rule-file module: YAML and strict JSON into one tree with lines, duplicate keys,
// tabs, empty files, limits, the typed helpers, and errors turned into Diagnostics.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <string_view>

#include "rule_file.hpp"

namespace rf = hl7::rule_file;
using rf::Format;
using rf::Node;

namespace {

const rf::Origin kOrigin{"map", "rules.yaml", "bad-map"};

Node load(std::string_view text, Format format = Format::yaml) {
    auto root = rf::load(text, format, kOrigin);
    REQUIRE_MESSAGE(root.ok(), (root.ok() ? std::string() : root.error().text));
    return std::move(*root);
}

std::string load_error(std::string_view text, Format format = Format::yaml) {
    auto root = rf::load(text, format, kOrigin);
    REQUIRE_FALSE(root.ok());
    CHECK(root.error().code == "bad-map");
    CHECK(root.error().severity == hl7::Severity::error);
    return root.error().text;
}

// The tree in one line, each value with its line: {a@1: [x@2, ~@3]@2}@1.
std::string dump(const Node& n) {
    std::string s;
    switch (n.kind) {
        case Node::Kind::null: s = "~"; break;
        case Node::Kind::scalar: s = "'" + n.text + "'"; break;
        case Node::Kind::sequence:
            s = "[";
            for (std::size_t i = 0; i < n.items.size(); ++i) s += (i ? ", " : "") + dump(n.items[i]);
            s += "]";
            break;
        case Node::Kind::map:
            s = "{";
            for (std::size_t i = 0; i < n.entries.size(); ++i)
                s += (i ? ", " : "") + dump(n.entries[i].key) + ": " + dump(n.entries[i].value);
            s += "}";
            break;
    }
    return s + "@" + std::to_string(n.line);
}

// Runs a reader over the text and returns the error text it ends with ("" when it succeeds).
template <class Read>
std::string read_error(std::string_view text, Read read, Format format = Format::yaml) {
    auto r = rf::read<int>(text, format, kOrigin, [&](const Node& root) {
        read(root);
        return 0;
    });
    return r.ok() ? std::string() : r.error().text;
}

}  // namespace

TEST_CASE("rule_file: YAML into a tree with lines, nested maps") {
    Node root = load("name: x\n"
                     "outer:\n"
                     "  inner:\n"
                     "    deep: [1, two, '3']\n"
                     "  empty:\n"
                     "  nothing: ~\n"
                     "  quoted: 'null'\n"
                     "list:\n"
                     "  - a\n"
                     "  - {b: c}\n");
    CHECK(dump(root) ==
          "{'name'@1: 'x'@1, 'outer'@2: {'inner'@3: {'deep'@4: ['1'@4, 'two'@4, '3'@4]@4}@4, 'empty'@5: ~@5, "
          "'nothing'@6: ~@6, 'quoted'@7: 'null'@7}@3, 'list'@8: ['a'@9, {'b'@10: 'c'@10}@10]@9}@1");
    REQUIRE(root.find("outer") != nullptr);
    const Node* deep = root.find("outer")->find("inner")->find("deep");
    REQUIRE(deep != nullptr);
    CHECK(deep->is_sequence());
    CHECK(root.find("missing") == nullptr);
    CHECK(root.find("name")->find("name") == nullptr);  // not a mapping
    CHECK(root.find("outer")->find("nothing")->is_null());
    CHECK(root.find("outer")->find("quoted")->is_scalar());
}

TEST_CASE("rule_file: JSON gives the same tree as YAML, with lines") {
    std::string_view json = "{\n"
                            "  \"name\": \"x\",\n"
                            "  \"outer\": {\n"
                            "    \"inner\": { \"deep\": [1, \"two\", \"3\", -2.5e3, true, null] },\n"
                            "    \"n\": 12\n"
                            "    ,\n"
                            "    \"last\": false\n"
                            "  }\n"
                            "}\n";
    CHECK(dump(load(json, Format::json)) ==
          "{'name'@2: 'x'@2, 'outer'@3: {'inner'@4: {'deep'@4: ['1'@4, 'two'@4, '3'@4, '-2.5e3'@4, 'true'@4, "
          "~@4]@4}@4, 'n'@5: '12'@5, 'last'@7: 'false'@7}@3}@1");
    // The YAML reading of the same text (JSON is YAML, mostly) has the same shape and values.
    Node as_yaml = load("name: x\nouter:\n  inner: {deep: [1, two, '3', -2.5e3, true, ~]}\n  n: 12\n  last: false\n");
    auto strip_lines = [](std::string s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '@') {
                while (i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') ++i;
                continue;
            }
            out.push_back(s[i]);
        }
        return out;
    };
    CHECK(strip_lines(dump(as_yaml)) == strip_lines(dump(load(json, Format::json))));
}

TEST_CASE("rule_file: CRLF line ends and a byte order mark") {
    CHECK(dump(load("a: 1\r\nb:\r\n  c: 2\r\n")) == "{'a'@1: '1'@1, 'b'@2: {'c'@3: '2'@3}@3}@1");
    CHECK(dump(load("{\r\n\"a\": 1,\r\n\"b\": 2\r\n}", Format::json)) == "{'a'@2: '1'@2, 'b'@3: '2'@3}@1");
    CHECK(dump(load("\xEF\xBB\xBF" "a: 1\n")) == "{'a'@1: '1'@1}@1");
    CHECK(dump(load("\xEF\xBB\xBF{\"a\": 1}", Format::json)) == "{'a'@1: '1'@1}@1");
    CHECK(load_error("{\r\n\"a\": 1,\r\n\"b\" 2\r\n}", Format::json).rfind("map 'rules.yaml', line 3: ", 0) == 0);
}

TEST_CASE("rule_file: JSON escapes mean what JSON says") {
    // yaml-cpp refuses surrogate pairs; JSON does not go through it.
    Node root = load(R"({"a": "\ud83d\ude00", "b": "a\/b", "c": "\u00e9\t\"", "d": ""})", Format::json);
    CHECK(root.find("a")->text == "\xF0\x9F\x98\x80");
    CHECK(root.find("b")->text == "a/b");
    CHECK(root.find("c")->text == "\xC3\xA9\t\"");
    CHECK(root.find("d")->is_scalar());
    CHECK(root.find("d")->text.empty());
}

TEST_CASE("rule_file: syntax errors carry lines") {
    SUBCASE("YAML") {
        std::string e = load_error("a: 1\nb: [1, 2\nc: 3\n");
        CHECK(e.rfind("map 'rules.yaml', line ", 0) == 0);
        CHECK(e.find(": invalid YAML: ") != std::string::npos);
        CHECK(load_error("a: 1\nb: c: d\n").rfind("map 'rules.yaml', line 2: invalid YAML: ", 0) == 0);
        CHECK(load_error("a: 1\n  b: 2\n").rfind("map 'rules.yaml', line 2: invalid YAML: ", 0) == 0);
    }
    SUBCASE("JSON") {
        CHECK(load_error("{\n  \"a\": 1,\n  \"b\" 2\n}\n", Format::json)
                  .rfind("map 'rules.yaml', line 3: invalid JSON: syntax error while parsing object separator", 0) == 0);
        CHECK(load_error("{\n\n\n  \"a\": tru\n}", Format::json).rfind("map 'rules.yaml', line 4: invalid JSON: ", 0) ==
              0);
        // YAML is not JSON.
        CHECK(load_error("a: 1\n", Format::json).rfind("map 'rules.yaml', line 1: invalid JSON: ", 0) == 0);
    }
}

TEST_CASE("rule_file: strict JSON") {
    SUBCASE("trailing commas") {
        CHECK(load_error("{\"a\": [1, 2,]}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("{\n\"a\": 1,\n}", Format::json).rfind("map 'rules.yaml', line 3: invalid JSON: ", 0) == 0);
    }
    SUBCASE("comments") {
        CHECK(load_error("{\"a\": 1 // one\n}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("/* c */ {\"a\": 1}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("# c\n{\"a\": 1}", Format::json).find("invalid JSON") != std::string::npos);
    }
    SUBCASE("other things YAML would take") {
        CHECK(load_error("{'a': 1}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("{a: 1}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("{\"a\": 1} {\"b\": 2}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("{\"a\": 01}", Format::json).find("invalid JSON") != std::string::npos);
        CHECK(load_error("{\"a\": \"x\ty\"}", Format::json).find("invalid JSON") != std::string::npos);  // raw tab
    }
}

TEST_CASE("rule_file: tabs") {
    SUBCASE("JSON: tabs are whitespace") {
        CHECK(dump(load("{\n\t\"a\": {\n\t\t\"b\":\t[1]\n\t}\n}", Format::json)) == "{'a'@2: {'b'@3: ['1'@3]@3}@2}@1");
    }
    SUBCASE("YAML: a tab inside a value is text") {
        CHECK(load("a: x\ty\n").find("a")->text == "x\ty");
        CHECK(load("a: \"x\\ty\"\n").find("a")->text == "x\ty");
    }
    SUBCASE("YAML: a tab in the indentation is an error that says so") {
        std::string e = load_error("a:\n\tb: 1\n");
        CHECK(e.rfind("map 'rules.yaml', line 2: invalid YAML: ", 0) == 0);
        CHECK(e.find("(a tab in the indentation: YAML indents with spaces only)") != std::string::npos);
        std::string mixed = load_error("a:\n  b: 1\n  \tc: 2\n");
        CHECK(mixed.rfind("map 'rules.yaml', line 3: invalid YAML: ", 0) == 0);
        CHECK(mixed.find("a tab in the indentation") != std::string::npos);
    }
}

TEST_CASE("rule_file: empty files") {
    for (std::string_view text : {"", "\n\n", "# only a comment\n", "   \n"}) {
        CAPTURE(text);
        Node root = load(text);
        CHECK(root.is_null());
        CHECK(root.line == 0);
    }
    CHECK(load("---\n...\n").is_null());
    CHECK(load_error("", Format::json).rfind("map 'rules.yaml', line 1: invalid JSON: ", 0) == 0);
    CHECK(load_error(" \n\t\n", Format::json).rfind("map 'rules.yaml', line ", 0) == 0);
    CHECK(load("null", Format::json).is_null());
    CHECK(load("{}", Format::json).is_map());
    CHECK(load("{}", Format::json).entries.empty());
    // What a reader then says about an empty file is its own business, with no line to give.
    CHECK(read_error("", [](const Node& root) {
              if (root.is_null()) rf::fail(root, "the file is empty");
          }) == "map 'rules.yaml': the file is empty");
}

TEST_CASE("rule_file: duplicate keys are errors in both formats") {
    // yaml-cpp alone keeps both entries (iteration sees two, lookup finds the first); nlohmann alone
    // keeps the last. Either way half of what the file says would be ignored without a word.
    CHECK(load_error("a: 1\nb: 2\na: 3\n") == "map 'rules.yaml', line 3: duplicate key 'a' (first given on line 1)");
    CHECK(load_error("{\n\"a\": 1,\n\"a\": 2\n}", Format::json) ==
          "map 'rules.yaml', line 3: duplicate key 'a' (first given on line 2)");
    CHECK(load_error("outer:\n  x: 1\n  y: 2\n  x: 3\n") ==
          "map 'rules.yaml', line 4: duplicate key 'x' (first given on line 2)");
    CHECK(load_error("list:\n  - {k: 1, k: 2}\n") == "map 'rules.yaml', line 2: duplicate key 'k' (first given on line 2)");
    CHECK(load_error("'a': 1\n\"a\": 2\n") == "map 'rules.yaml', line 2: duplicate key 'a' (first given on line 1)");
    // The same key in different mappings, or as a value, is fine.
    Node ok = load("a: {x: 1}\nb: {x: 2}\nc: a\n");
    CHECK(ok.entries.size() == 3);
    // Keys that differ as text differ (YAML does not read 1 and 01 as one key here).
    CHECK(load("1: a\n01: b\n").entries.size() == 2);
}

TEST_CASE("rule_file: anchors, aliases and documents") {
    Node root = load("base: &b {usage: R, max: 2}\nPID-3: *b\nlist: [&x one, *x]\n");
    CHECK(dump(*root.find("PID-3")) == "{'usage'@1: 'R'@1, 'max'@1: '2'@1}@1");
    CHECK(root.find("list")->items[1].text == "one");
    SUBCASE("an alias bomb is stopped") {
        std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
        char prev = 'a';
        for (char name = 'b'; name <= 'h'; ++name) {
            bomb += std::string(1, name) + ": &" + name + " [";
            for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
            bomb += "]\n";
            prev = name;
        }
        CHECK(load_error(bomb).find("aliases expand to more than 100000 values") != std::string::npos);
    }
    SUBCASE("a second document is refused") {
        CHECK(load_error("a: 1\n---\nb: 2\n") ==
              "map 'rules.yaml', line 2: a second YAML document ('---'): a rule file is one document");
    }
}

TEST_CASE("rule_file: nesting depth is limited") {
    std::string ok(rf::kMaxDepth, '[');
    ok += std::string(rf::kMaxDepth, ']');
    CHECK(load(ok, Format::json).is_sequence());
    CHECK(load(ok).is_sequence());
    std::string deep(rf::kMaxDepth + 1, '[');
    deep += std::string(rf::kMaxDepth + 1, ']');
    CHECK(load_error(deep, Format::json) == "map 'rules.yaml', line 1: values nested more than 100 levels deep");
    CHECK(load_error(deep) == "map 'rules.yaml', line 1: values nested more than 100 levels deep");
    // Far deeper than any stack would take when destroyed recursively: refused early.
    std::string very(200000, '[');
    CHECK(load_error(very, Format::json).find("nested more than 100 levels deep") != std::string::npos);
}

TEST_CASE("rule_file: check_keys") {
    auto read = [](std::string_view text) {
        return read_error(text, [](const Node& root) {
            rf::check_keys(root, "the map", {"set", "copy", "clear"});
            if (const Node* set = root.find("set")) rf::check_keys(rf::expect_map(*set, "set: expected a mapping"),
                                                                    "set", {"path", "value"});
        });
    };
    CHECK(read("set: {path: PID-5, value: x}\nclear: PID-7\n").empty());
    CHECK(read("set: {path: PID-5, value: x}\ncpy: x\n") ==
          "map 'rules.yaml', line 2: unknown key 'cpy' in the map (expected one of: set, copy, clear)");
    CHECK(read("set:\n  path: PID-5\n  vaule: x\n") ==
          "map 'rules.yaml', line 3: unknown key 'vaule' in set (expected one of: path, value)");
    CHECK(read("set: [x]\n") == "map 'rules.yaml', line 1: set: expected a mapping");
    CHECK(read("? [a, b]\n: c\n") == "map 'rules.yaml', line 1: unknown key '' in the map (expected one of: set, "
                                     "copy, clear)");
    CHECK(read_error("{\"set\": {}, \"Set\": {}}", [](const Node& root) { rf::check_keys(root, "the map", {"set"}); },
                     Format::json) ==
          "map 'rules.yaml', line 1: unknown key 'Set' in the map (expected one of: set)");
}

TEST_CASE("rule_file: scalars, sequences, one or more") {
    Node root = load("one: x\nmany: [x, y]\nmap: {a: b}\nnothing:\n");
    CHECK(rf::scalar(*root.find("one"), "one") == "x");
    CHECK(rf::one_or_more(*root.find("one")).size() == 1);
    CHECK(rf::one_or_more(*root.find("many")).size() == 2);
    CHECK(rf::one_or_more(*root.find("many"))[1]->text == "y");
    CHECK(&rf::expect_sequence(*root.find("many"), "x") == root.find("many"));
    auto err = [&](auto&& f) {
        try {
            f();
        } catch (const rf::RuleError& e) {
            return std::to_string(e.line()) + ": " + e.what();
        }
        return std::string("no error");
    };
    CHECK(err([&] { (void)rf::scalar(*root.find("many"), "many"); }) == "2: many: expected a single value");
    CHECK(err([&] { (void)rf::scalar(*root.find("nothing"), "nothing"); }) == "4: nothing: expected a single value");
    CHECK(err([&] { (void)rf::expect_sequence(*root.find("map"), "map: expected a list"); }) == "3: map: expected a list");
    CHECK(err([&] { (void)rf::expect_map(*root.find("one"), "one: expected a mapping"); }) ==
          "1: one: expected a mapping");
}

TEST_CASE("rule_file: integers, '*', choices, booleans") {
    Node root = load("a: 12\nb: -3\nc: '*'\nd: 1x\ne: 1234567890\nf: ''\ng: [1]\nh: re\ni: maybe\nj: TRUE\nk: no\n");
    auto err = [&](auto&& f) {
        try {
            f();
        } catch (const rf::RuleError& e) {
            return std::to_string(e.line()) + ": " + e.what();
        }
        return std::string("no error");
    };
    const Node& a = *root.find("a");
    CHECK(rf::integer(a, "a", 0, 100) == 12);
    CHECK(err([&] { (void)rf::integer(a, "a", 0, 10); }) == "1: a: expected a number from 0 to 10");
    CHECK(err([&] { (void)rf::integer(a, "a", 13, 20); }) == "1: a: expected a number from 13 to 20");
    CHECK(rf::integer(*root.find("b"), "b", -10, 10) == -3);
    CHECK(err([&] { (void)rf::integer(*root.find("b"), "b", 0, 10); }) == "2: b: expected a number from 0 to 10");
    CHECK(err([&] { (void)rf::integer(*root.find("d"), "d", 0, 10); }) == "4: d: expected a number from 0 to 10");
    CHECK(err([&] { (void)rf::integer(*root.find("e"), "e", 0, 2000000000); }) ==
          "5: e: expected a number from 0 to 2000000000");
    CHECK(err([&] { (void)rf::integer(*root.find("f"), "f", 0, 10); }) == "6: f: expected a number from 0 to 10");
    CHECK(err([&] { (void)rf::integer(*root.find("g"), "g", 0, 10); }) == "7: g: expected a single value");

    CHECK(rf::integer_or_unbounded(a, "max", 0, 99) == 12);
    CHECK(rf::integer_or_unbounded(*root.find("c"), "max", 0, 99) == std::nullopt);
    CHECK(err([&] { (void)rf::integer_or_unbounded(*root.find("d"), "max", 0, 99); }) ==
          "4: max (or '*'): expected a number from 0 to 99");

    constexpr std::array<std::string_view, 3> usages{"R", "RE", "X"};
    const Node& h = *root.find("h");
    CHECK(rf::choice(h, "usage", usages, rf::Case::ignore) == 1);
    CHECK(err([&] { (void)rf::choice(h, "usage", usages); }) == "8: usage 're': expected R, RE or X");
    constexpr std::array<std::string_view, 2> two{"keep", "drop"};
    CHECK(err([&] { (void)rf::choice(*root.find("i"), "mode", two); }) == "9: mode 'maybe': expected keep or drop");

    CHECK(rf::boolean(*root.find("j"), "j") == true);
    CHECK(err([&] { (void)rf::boolean(*root.find("k"), "k"); }) == "11: k: expected true or false");
    CHECK(rf::boolean(load("false", Format::json), "x") == false);
}

TEST_CASE("rule_file: read turns errors into Diagnostics") {
    auto ok = rf::read<std::string>("name: x\n", Format::yaml, kOrigin,
                                    [](const Node& root) { return rf::scalar(*root.find("name"), "name"); });
    REQUIRE(ok.ok());
    CHECK(*ok == "x");

    auto bad = rf::read<std::string>("name:\n  - x\n", Format::yaml, kOrigin,
                                     [](const Node& root) { return rf::scalar(*root.find("name"), "name"); });
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "bad-map");
    CHECK(bad.error().text == "map 'rules.yaml', line 2: name: expected a single value");
    CHECK(bad.error().where.line == 2);

    // Load errors come out the same way, the reader never runs.
    bool ran = false;
    auto syntax = rf::read<int>("{", Format::json, kOrigin, [&](const Node&) { return ran = true, 1; });
    CHECK_FALSE(syntax.ok());
    CHECK_FALSE(ran);

    // Control bytes from the file never reach the text raw.
    CHECK(read_error("\"a\\x1b[2Jb\": 1\n", [](const Node& root) { rf::check_keys(root, "the map", {"x"}); }) ==
          "map 'rules.yaml', line 1: unknown key 'a\\x1B[2Jb' in the map (expected one of: x)");
    CHECK(rf::error_at(kOrigin, 0, "a\nb\tc").text == "map 'rules.yaml': a\\x0Ab\\x09c");
}
