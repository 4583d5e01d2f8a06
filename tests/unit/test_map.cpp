// Tests of the hl7map engine (hl7/map.hpp) as a whole: the issue's example rule file, identity,
// all-or-nothing, trace, file-level when, include.
#include "map_helpers.hpp"

using maptest::map_apply;
using maptest::Files;
using maptest::raw;

namespace {

// The rule file of the hl7map issue, exactly as written there.
constexpr std::string_view kIssueExample = R"(hl7map: 1
when: MSH-9.1 = "ADT"            # the whole file applies only to matching messages
tables:
  pclass: { E: EMER, I: INPT, O: OUTP, "*": "=" }     # "=" passes the value through
  sex: { file: sex.csv, default: U }
rules:
  - set: MSH-5.1
    value: VENDORB
  - copy: PID-3[1].1
    to: PID-2.1
  - move: PV1-19
    to: PID-18
  - map: PV1-2
    table: pclass
  - date: PID-7
    to: "%Y%m%d"
  - clear: PID-13[*].4
  - each: OBX
    when: OBX-11 = ""
    do:
      - set: OBX-11
        value: F
  - delete-segment: ZPI
)";

const std::string kAdt =
    "MSH|^~\\&|SENDA|FACA|RECV^X|FACB|20240101120000||ADT^A01|MSG0001|P|2.5\r"
    "EVN|A01|20240101120000\r"
    "PID|1|OLDMRN|MRN123^^^HOSP^MR~ALT9^^^OTHER^PI||DOE^JANE||198002150830|F|||1 MAIN ST^^TOWN||"
    "555-0100^PRN^PH^a@example.org~555-0200^WPN^PH^b@example.org\r"
    "PV1|1|I|WARD^1^A||||||||||||||||V100\r"
    "OBX|1|ST|CODE^Text||val1\r"
    "OBX|2|ST|CODE^Text||val2||||||P\r"
    "OBX|3|ST|CODE^Text||val3||||||\"\"\r"
    "ZPI|1|custom\r";

Files sex_csv() {
    Files f;
    f.files["sex.csv"] = "F,F\nM,M\n";
    return f;
}

}  // namespace

TEST_CASE("map: the issue's example rule file, each effect") {
    const Files files = sex_csv();
    auto m = map_apply(kIssueExample, kAdt, files);
    CHECK(m.outcome.matched);
    CHECK(m.outcome.changed);
    CHECK(files.asked == std::vector<std::string>{"sex.csv"});
    CHECK(raw(m.message, "MSH-5") == "VENDORB^X");
    CHECK(raw(m.message, "PID-2") == "MRN123");
    CHECK(raw(m.message, "PID-18") == "V100");
    CHECK(raw(m.message, "PV1-19") == "");
    CHECK(raw(m.message, "PV1-2") == "INPT");
    CHECK(raw(m.message, "PID-7") == "19800215");
    CHECK(raw(m.message, "PID-13[1].4") == "");
    CHECK(raw(m.message, "PID-13[2].4") == "");
    CHECK(raw(m.message, "PID-13[2].2") == "WPN");
    CHECK(raw(m.message, "OBX[1]-11") == "F");
    CHECK(raw(m.message, "OBX[2]-11") == "P");  // had a value: untouched
    CHECK(raw(m.message, "OBX[3]-11") == "F");  // the HL7 null counts as empty for = ""
    CHECK(raw(m.message, "ZPI") == "<absent>");
    // The whole message, and the untouched EVN byte for byte.
    CHECK(m.er7() ==
          "MSH|^~\\&|SENDA|FACA|VENDORB^X|FACB|20240101120000||ADT^A01|MSG0001|P|2.5\r"
          "EVN|A01|20240101120000\r"
          "PID|1|MRN123|MRN123^^^HOSP^MR~ALT9^^^OTHER^PI||DOE^JANE||19800215|F|||1 MAIN ST^^TOWN||"
          "555-0100^PRN^PH^~555-0200^WPN^PH^|||||V100\r"
          "PV1|1|INPT|WARD^1^A||||||||||||||||\r"
          "OBX|1|ST|CODE^Text||val1||||||F\r"
          "OBX|2|ST|CODE^Text||val2||||||P\r"
          "OBX|3|ST|CODE^Text||val3||||||F\r");
}

TEST_CASE("map: the example's file-level when leaves other messages untouched") {
    std::string oru = kAdt;
    oru.replace(oru.find("ADT^A01"), 7, "ORU^R01");
    auto m = map_apply(kIssueExample, oru, sex_csv());
    CHECK_FALSE(m.outcome.matched);
    CHECK_FALSE(m.outcome.changed);
    CHECK(m.er7() == oru);
    CHECK_FALSE(m.message.modified());
}

TEST_CASE("map: an empty rule file is the identity, byte for byte") {
    // LF endings, a short MSH-2 and odd content: nothing is re-encoded.
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\nPID|1||X\\F\\Y^^^Z~~||\"\"|\n"
                             "ZZZ|odd \\H\\text\\N\\|\n";
    for (std::string_view rules : {std::string_view("hl7map: 1\n"), std::string_view("hl7map: 1\nrules: []\n"),
                                   std::string_view("{\"hl7map\": 1}")}) {
        CAPTURE(rules);
        auto m = map_apply(rules, text);
        CHECK(m.outcome.matched);
        CHECK_FALSE(m.outcome.changed);
        CHECK_FALSE(m.message.modified());
        CHECK(m.er7() == text);
    }
}

TEST_CASE("map: a rule that changes nothing writes nothing") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPV1|1|\\T\\I\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - map: PV1-2\n    table: {E: EMER, \"*\": \"=\"}\n"
                   "  - date: MSH-7\n    to: \"%Y%m%d\"\n",
                   text);
    CHECK_FALSE(m.outcome.changed);
    CHECK(m.er7() == text);
}

TEST_CASE("map: a rule that cannot apply leaves the whole message unchanged, with one warning") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||123||DOE\rPV1|1|X\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - set: PID-2\n    value: CHANGED\n"
                   "  - map: PV1-2\n    table: {E: EMER}\n"
                   "  - set: PID-4\n    value: NEVER\n",
                   text, {}, false);
    REQUIRE(m.outcome.warnings.size() == 1);
    const auto& w = m.outcome.warnings.front();
    CHECK(w.severity == hl7::Severity::warning);
    CHECK(w.code == "no-mapping");
    CHECK(w.text == "rules.yaml:5: map: the value at 'PV1-2' is not in the table, which has no default (\"*\")");
    CHECK(w.value == "X");  // the value only in value, never in text
    CHECK(w.where.path == "PV1-2");
    CHECK_FALSE(m.outcome.changed);
    CHECK(m.er7() == text);
}

TEST_CASE("map: all or nothing also after a before: insertion committed") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||123\rPV1|1|X\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - add-segment: \"ZPI|1\"\n    before: PV1\n"
                   "  - map: PV1-2\n    table: {E: EMER}\n",
                   text, {}, false);
    REQUIRE(m.outcome.warnings.size() == 1);
    CHECK(m.er7() == text);
}

TEST_CASE("map: editor errors become warnings with the rule's place") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rOBX|1\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - set: OBX[3]-5\n    value: X\n", text, {}, false);
    REQUIRE(m.outcome.warnings.size() == 1);
    CHECK(m.outcome.warnings[0].code == "no-segment");
    CHECK(m.outcome.warnings[0].text.rfind("rules.yaml:3: set: ", 0) == 0);
    CHECK(m.er7() == text);
}

TEST_CASE("map: a character the charset cannot hold is a warning, never dropped") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||ASCII\rPID|1\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - set: PID-5.1\n    value: \"M\xC3\xBCller\"\n", text, {}, false);
    REQUIRE(m.outcome.warnings.size() == 1);
    CHECK(m.outcome.warnings[0].code == "unrepresentable");
    CHECK(m.er7() == text);
    auto utf8 = map_apply("hl7map: 1\nrules:\n  - set: PID-5.1\n    value: \"M\xC3\xBCller\"\n",
                      "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1\r");
    CHECK(raw(utf8.message, "PID-5") == "M\xC3\xBCller");
}

TEST_CASE("map: trace records paths, and old and new values apart") {
    const std::string text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||123\rOBX|1\rOBX|2||||||||||F\r";
    auto m = map_apply("hl7map: 1\nrules:\n  - copy: PID-3\n    to: PID-2\n"
                   "  - set: PID-8\n    value: F\n    when: PID-8 = M\n"
                   "  - each: OBX\n    do:\n      - set: OBX-11\n        value: C\n",
                   text, {}, true, true);
    const auto& e = m.outcome.effects;
    REQUIRE(e.size() == 4);
    CHECK(e[0].file == "rules.yaml");
    CHECK(e[0].line == 3);
    CHECK(e[0].operation == "copy");
    CHECK(e[0].paths == std::vector<std::string>{"PID-3", "PID-2"});
    REQUIRE(e[0].values.size() == 1);
    CHECK(e[0].values[0].path == "PID-2");
    CHECK(e[0].values[0].before == "");
    CHECK(e[0].values[0].after == "123");
    CHECK(e[1].skipped);
    CHECK(e[1].line == 5);
    CHECK(e[2].paths == std::vector<std::string>{"OBX[1]-11"});
    REQUIRE(e[2].values.size() == 1);
    CHECK_FALSE(e[2].values[0].was_present);
    CHECK(e[2].values[0].after == "C");
    CHECK(e[3].paths == std::vector<std::string>{"OBX[2]-11"});
    CHECK(e[3].values[0].before == "F");
    // Without trace, nothing is recorded.
    auto quiet = map_apply("hl7map: 1\nrules:\n  - copy: PID-3\n    to: PID-2\n", text);
    CHECK(quiet.outcome.effects.empty());
}

TEST_CASE("map: include runs the included file's rules, with its own when and tables") {
    Files files;
    files.files["common.yaml"] = "hl7map: 1\ntables:\n  t: {A: B}\nrules:\n  - map: PID-8\n    table: t\n";
    files.files["sub/only-oru.yaml"] = "hl7map: 1\nwhen: MSH-9.1 = ORU\nrules:\n  - set: PID-9\n    value: ORU\n"
                                       "  - include: deeper.yaml\n";
    files.files["sub/deeper.yaml"] = "hl7map: 1\nrules:\n  - set: PID-10\n    value: DEEP\n";
    const std::string adt = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1|||||||A\r";
    const char* rules = "hl7map: 1\ninclude: common.yaml\nrules:\n  - include: sub/only-oru.yaml\n"
                        "  - set: PID-2\n    value: \"2\"\n";
    auto m = map_apply(rules, adt, files);
    CHECK(raw(m.message, "PID-8") == "B");
    CHECK(raw(m.message, "PID-9") == "<absent>");
    CHECK(raw(m.message, "PID-2") == "2");
    // Relative names are joined to the including file's directory.
    CHECK(files.asked == std::vector<std::string>{"common.yaml", "sub/only-oru.yaml", "sub/deeper.yaml"});
    auto set = maptest::rules(rules, files);
    CHECK(set.files() == std::vector<std::string>{"rules.yaml", "common.yaml", "sub/only-oru.yaml", "sub/deeper.yaml"});
    std::string oru = adt;
    oru.replace(oru.find("ADT"), 3, "ORU");
    auto o = map_apply(rules, oru, files);
    CHECK(raw(o.message, "PID-9") == "ORU");
    CHECK(raw(o.message, "PID-10") == "DEEP");
}

TEST_CASE("map: include cycles and missing includes are errors at the include's line") {
    Files files;
    files.files["a.yaml"] = "hl7map: 1\nrules:\n  - include: b.yaml\n";
    files.files["b.yaml"] = "hl7map: 1\nrules:\n  - set: PID-2\n    value: x\n  - include: a.yaml\n";
    CHECK(maptest::rule_error(files.files["a.yaml"], files, "a.yaml") ==
          "b.yaml:5: include 'a.yaml': an include cycle (a.yaml includes itself)");
    CHECK(maptest::rule_error("hl7map: 1\ninclude: [self.yaml]\n", files, "self.yaml") ==
          "self.yaml:2: include 'self.yaml': an include cycle (self.yaml includes itself)");
    CHECK(maptest::rule_error("hl7map: 1\nrules:\n  - include: nope.yaml\n", files) ==
          "rules.yaml:3: include 'nope.yaml': no such file");
    // An error inside an included file names that file and its line.
    files.files["bad.yaml"] = "hl7map: 1\nrules:\n  - frobnicate: PID-3\n";
    CHECK(maptest::rule_error("hl7map: 1\ninclude: bad.yaml\n", files).rfind("bad.yaml:3: unknown operation "
                                                                             "'frobnicate'",
                                                                             0) == 0);
}

TEST_CASE("map: a RuleSet counts its rules") {
    auto set = maptest::rules(kIssueExample, sex_csv());
    CHECK(set.rule_count() == 9);  // eight at the top, one inside each
}
