// Tests of each hl7map operation (hl7/map.hpp): escapes, repetitions, missing fields, absent
// segments, custom delimiters, conditions, each, tables, dates and time zones, expressions.
#include "map_helpers.hpp"

using maptest::Files;
using maptest::map_apply;
using maptest::raw;

namespace {

const std::string kMsh = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\r";

// A segment with the given fields set, the others empty.
std::string seg(std::string_view id, std::initializer_list<std::pair<int, std::string_view>> fields) {
    std::string out(id);
    int at = 0;
    for (const auto& [number, text] : fields) {
        for (; at < number; ++at) out += '|';
        out += text;
    }
    return out + "\r";
}

std::string rules(std::string_view body) { return "hl7map: 1\nrules:\n" + std::string(body); }

std::string warning_code(const maptest::Mapped& m) {
    return m.outcome.warnings.empty() ? std::string() : m.outcome.warnings.front().code;
}

}  // namespace

TEST_CASE("map set: constants are escaped on write, empty empties and creates nothing") {
    auto m = map_apply(rules("  - set: PID-5.1\n    value: \"A|B^C\\\\D\"\n  - set: PID-9\n    value: \"\"\n"
                             "  - set: ZZZ-1\n    value: \"\"\n"),
                       kMsh + "PID|1||||OLD^X||||KEEP\r");
    CHECK(raw(m.message, "PID-5") == "A\\F\\B\\S\\C\\E\\D^X");
    CHECK(raw(m.message, "PID-9") == "");
    CHECK(raw(m.message, "ZZZ") == "<absent>");
    // [*] sets every repetition there is and creates none.
    auto s = map_apply(rules("  - set: PID-3[*].5\n    value: MR\n"), kMsh + "PID|1||A~B^^^^X\r");
    CHECK(raw(s.message, "PID-3") == "A^^^^MR~B^^^^MR");
}

TEST_CASE("map set: custom delimiters") {
    const std::string msh = "MSH#$*@!#A#B#C#D#20240101##ADT$A01#1#P#2.5\r";
    auto m = map_apply(rules("  - set: PID-5.1\n    value: \"O#Brien$x\"\n  - set: PID-3[2].1\n    value: Y\n"),
                       msh + "PID#1##X$$$Z\r");
    CHECK(raw(m.message, "PID-5") == "O@F@Brien@S@x");
    CHECK(raw(m.message, "PID-3") == "X$$$Z*Y");
}

TEST_CASE("map set expr: paths, literals, +, //, functions") {
    const std::string msg = kMsh + "PID|1||\"\"|| doe ^Jane\\T\\Ann||19800215\r";
    auto m = map_apply(rules("  - set: PID-2.1\n    expr: 'PID-3[1].1 // PID-4.1 // \"UNKNOWN\"'\n"
                             "  - set: PID-6.1\n    expr: 'PID-5.1 | trim | upper'\n"
                             "  - set: PID-6.2\n    expr: 'PID-5.2 + \" \" + (PID-5.1 | trim | lower)'\n"
                             "  - set: PID-9.1\n    expr: 'PID-7 | date(\"%Y\")'\n"
                             "  - set: PID-9.2\n    expr: 'PID-5.2 | substr(1;4) | replace(\"J\";\"j\")'\n"
                             "  - set: PID-9.3\n    expr: 'PID-99 | default(\"none\")'\n"),
                       msg);
    CHECK(raw(m.message, "PID-2") == "UNKNOWN");  // the HL7 null and an absent value both fall through
    CHECK(raw(m.message, "PID-6") == "DOE^Jane\\T\\Ann doe");
    CHECK(raw(m.message, "PID-9") == "1980^jane^none");
    // An expression that yields nothing empties the target.
    auto e = map_apply(rules("  - set: PID-2\n    expr: PID-30\n"), kMsh + "PID|1|OLD\r");
    CHECK(raw(e.message, "PID-2") == "");
}

TEST_CASE("map copy and move: raw values, [*] pairs, absent sources empty the target") {
    auto m = map_apply(rules("  - copy: PID-3[*].1\n    to: PID-3[*].4\n  - move: PID-5\n    to: NK1-2\n"
                             "  - copy: PID-30\n    to: PID-2\n"),
                       kMsh + "PID|1|OLD|A\\F\\1~B||DOE^J&K\rNK1|1\r");
    CHECK(raw(m.message, "PID-3") == "A\\F\\1^^^A\\F\\1~B^^^B");
    CHECK(raw(m.message, "NK1-2") == "DOE^J&K");
    CHECK(raw(m.message, "PID-5") == "");
    CHECK(raw(m.message, "PID-2") == "");
}

TEST_CASE("map clear: present parts emptied, absent ones not created") {
    auto m = map_apply(rules("  - clear: PID-13[*].4\n  - clear: PV1-3\n  - clear: PID-40\n"),
                       kMsh + seg("PID", {{1, "1"}, {13, "a^b^c^d~e^f^g^h"}}));
    CHECK(raw(m.message, "PID-13") == "a^b^c^~e^f^g^");
    CHECK(raw(m.message, "PV1") == "<absent>");
}

TEST_CASE("map map: inline tables, default, passthrough, to:, escapes, repetitions") {
    const std::string body = "  - map: PID-8\n    table: {M: male, F: \"fe|male\"}\n"
                             "  - map: PID-10[*].1\n    table: {A: X, \"*\": \"=\"}\n"
                             "  - map: PV1-2\n    table: {\"I|P\": INPT, \"*\": OTHER}\n    to: PV1-3\n";
    auto m = map_apply(rules(body), kMsh + "PID|1|||||||F||A~B~A\rPV1|1|I\\F\\P\r");
    CHECK(raw(m.message, "PID-8") == "fe\\F\\male");
    CHECK(raw(m.message, "PID-10") == "X~B~X");
    CHECK(raw(m.message, "PV1-2") == "I\\F\\P");
    CHECK(raw(m.message, "PV1-3") == "INPT");
    // Absent, empty and the HL7 null are left alone; a composite value is a warning.
    auto e = map_apply(rules("  - map: PID-8\n    table: {M: male}\n"), kMsh + "PID|1|||||||\"\"\r");
    CHECK(raw(e.message, "PID-8") == "\"\"");
    auto c = map_apply(rules("  - map: PID-8\n    table: {M: male}\n"), kMsh + "PID|1|||||||M^X\r", {}, false);
    CHECK(warning_code(c) == "composite-value");
}

TEST_CASE("map map: CSV tables with default and passthrough, read through the loader") {
    Files files;
    files.files["maps/sex.csv"] = "# code,value\nF,female\r\n\"M\",\"ma,le\"\n\nO,\"say \"\"other\"\"\"\n";
    files.files["maps/keep.csv"] = "X,Y\n";
    Files copy = files;
    const char* text = "hl7map: 1\ntables:\n  sex: {file: sex.csv, default: U}\n  keep: {file: keep.csv, default: \"=\"}\n"
                       "rules:\n  - map: PID-8[*]\n    table: sex\n  - map: PID-9\n    table: keep\n";
    auto set = hl7::map::read_rules(text, "maps/rules.yaml", files.loader());
    REQUIRE(set.ok());
    CHECK(files.asked == std::vector<std::string>{"maps/sex.csv", "maps/keep.csv"});
    auto msg = maptest::parsed(kMsh + "PID|1|||||||F~M~O~Q|Z\r");
    auto out = hl7::map::Mapper(*set).apply(msg);
    CHECK(out.warnings.empty());
    CHECK(raw(msg, "PID-8") == "female~ma,le~say \"other\"~U");
    CHECK(raw(msg, "PID-9") == "Z");
}

TEST_CASE("map date: formats, precision kept, from:, HL7 forms") {
    const std::string msg = kMsh + seg("PID", {{1, "1"}, {7, "198002150830"}, {10, "20240301"}}) +
                            seg("PV1", {{1, "1"}, {44, "2024"}});
    auto m = map_apply(rules("  - date: PID-7\n    to: \"%d/%m/%Y %H:%M\"\n"
                             "  - date: PID-10\n    to: YYYYMMDDHHMM\n"
                             "  - date: PV1-44\n    to: \"%Y-%m-%d\"\n"),
                       msg);
    CHECK(raw(m.message, "PID-7") == "15/02/1980 08:30");
    CHECK(raw(m.message, "PID-10") == "20240301");  // never gains precision
    CHECK(raw(m.message, "PV1-44") == "2024");
    auto f = map_apply(rules("  - date: PID-7\n    from: \"%d.%m.%Y\"\n    to: YYYYMMDD\n"), kMsh + "PID|1||||||15.02.1980\r");
    CHECK(raw(f.message, "PID-7") == "19800215");
    // On a TS field the time is component 1; the rest stays.
    auto ts = map_apply(rules("  - date: PID-7\n    to: \"%Y\"\n"), kMsh + "PID|1||||||198002150830^M\r");
    CHECK(raw(ts.message, "PID-7") == "1980^M");
    auto bad = map_apply(rules("  - date: PID-7\n    to: \"%Y\"\n"), kMsh + "PID|1||||||19801315\r", {}, false);
    CHECK(warning_code(bad) == "bad-date");
    CHECK(bad.outcome.warnings[0].value == "19801315");
    auto badfrom = map_apply(rules("  - date: PID-7\n    from: \"%d.%m.%Y\"\n    to: \"%Y\"\n"),
                             kMsh + "PID|1||||||30.02.1980\r", {}, false);
    CHECK(warning_code(badfrom) == "bad-date");
}

TEST_CASE("map date: time zones") {
    auto m = map_apply(rules("  - date: PID-7\n    to: DTM\n    tz: UTC\n  - date: PID-29\n    to: \"%Y%m%d%H%M%z\"\n"
                             "    tz: \"-0500\"\n  - date: PID-33\n    to: DTM\n    tz: \"+0100\"\n"),
                       kMsh + seg("PID", {{1, "1"}, {7, "198002150030+0100"}, {29, "20240101120000.25+0000"},
                                          {33, "20240101"}}));
    CHECK(raw(m.message, "PID-7") == "198002142330+0000");
    CHECK(raw(m.message, "PID-29") == "202401010700-0500");
    CHECK(raw(m.message, "PID-33") == "20240101");  // a calendar date has no zone
    auto no = map_apply(rules("  - date: PID-7\n    to: DTM\n    tz: UTC\n"), kMsh + "PID|1||||||198002150030\r", {},
                        false);
    CHECK(warning_code(no) == "no-offset");
}

TEST_CASE("map concat and split") {
    auto m = map_apply(rules("  - concat: [PID-5.2, PID-5.3, PID-5.1]\n    separator: \" \"\n    to: PID-9.1\n"
                             "  - split: PID-11.1\n    separator: \", \"\n    to: [PID-11.1, PID-11.3, PID-11.4]\n"
                             "  - split: PID-12\n    separator: \"-\"\n    to: [PID-12.1, PID-12.2, PID-12.3]\n"),
                       kMsh + "PID|1||||DOE^JANE^^||||||1 Main St, Town, ST, extra|A-B\r");
    CHECK(raw(m.message, "PID-9") == "JANE DOE");
    CHECK(raw(m.message, "PID-11") == "1 Main St^^Town^ST, extra");
    CHECK(raw(m.message, "PID-12") == "A^B");
}

TEST_CASE("map replace: regex and literal, escapes on both sides") {
    auto m = map_apply(rules("  - replace: PID-5.1\n    regex: \"^(\\\\w+)-(\\\\w+)$\"\n    with: \"$2|$1\"\n"
                             "  - replace: PID-5.2\n    find: \"|\"\n    with: \" \"\n"
                             "  - replace: PID-3[*].1\n    regex: \"^0+\"\n    with: \"\"\n"),
                       kMsh + "PID|1||007~08~9||SMITH-JONES^A\\F\\B\r");
    CHECK(raw(m.message, "PID-5") == "JONES\\F\\SMITH^A B");
    CHECK(raw(m.message, "PID-3") == "7~8~9");
}

TEST_CASE("map substring, pad, truncate (in characters)") {
    auto m = map_apply(rules("  - substring: PID-2\n    start: 2\n    length: 3\n"
                             "  - pad: PID-3\n    width: 6\n    char: \"0\"\n"
                             "  - pad: PID-4\n    width: 4\n    side: right\n    to: PID-6\n"
                             "  - truncate: PID-5.1\n    width: 3\n"
                             "  - truncate: PID-5.2\n    width: 2\n    side: left\n"
                             "  - substring: PID-8\n    start: 2\n"),
                       "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||UNICODE UTF-8\r"
                       "PID|1|ABCDEF|42|x|M\xC3\xBCller^Anna|||\xC3\xA9t\xC3\xA9\r"
                              );
    CHECK(raw(m.message, "PID-2") == "BCD");
    CHECK(raw(m.message, "PID-3") == "000042");
    CHECK(raw(m.message, "PID-4") == "x");
    CHECK(raw(m.message, "PID-6") == "x   ");
    CHECK(raw(m.message, "PID-5") == "M\xC3\xBCl^na");
    CHECK(raw(m.message, "PID-8") == "t\xC3\xA9");
}

TEST_CASE("map add-segment / insert-segment: positions and delimiters") {
    const std::string msg = kMsh + "PID|1\rOBX|1\rOBX|2\rPV1|1\r";
    auto m = map_apply(rules("  - add-segment: \"ZPI|1|A^B\"\n"
                             "  - insert-segment: \"ZP2|1\"\n    after: PID\n"
                             "  - add-segment: \"ZP3|1\"\n    after: OBX[*]\n"
                             "  - add-segment: \"ZP4|1\"\n    before: PV1\n"
                             "  - add-segment: \"ZP5|1\"\n    before: OBX[2]\n"),
                       msg);
    CHECK(m.er7() == kMsh + "PID|1\rZP2|1\rOBX|1\rZP5|1\rOBX|2\rZP3|1\rZP4|1\rPV1|1\rZPI|1|A^B\r");
    // The rule's |^~\& become the message's delimiters; the message's delimiters in it are escaped.
    const std::string custom = "MSH#$*@!#A#B#C#D#20240101##ADT$A01#1#P#2.5\rPID#1\r";
    auto c = map_apply(rules("  - add-segment: \"ZPI|a#b^c~d\\\\F\\\\e&f\"\n"), custom);
    CHECK(c.er7() == custom + "ZPI#a@F@b$c*d@F@e!f\r");
    auto absent = map_apply(rules("  - add-segment: \"ZPI|1\"\n    after: ZZZ\n"), msg, {}, false);
    CHECK(warning_code(absent) == "no-segment");
}

TEST_CASE("map delete-segment and rename-segment") {
    const std::string msg = kMsh + "PID|1\rOBX|1\rOBX|2\rOBX|3\rZPI|1\rZPI|2\r";
    auto m = map_apply(rules("  - delete-segment: ZPI\n  - delete-segment: OBX[2]\n  - delete-segment: NTE\n"
                             "  - delete-segment: OBX[9]\n"),
                       msg);
    CHECK(m.er7() == kMsh + "PID|1\rOBX|1\rOBX|3\r");
    auto r = map_apply(rules("  - rename-segment: OBX[*]\n    to: ZBX\n  - rename-segment: ZPI[2]\n    to: ZP2\n"), msg);
    CHECK(r.er7() == kMsh + "PID|1\rZBX|1\rZBX|2\rZBX|3\rZPI|1\rZP2|2\r");
}

TEST_CASE("map conditions: each operator") {
    const std::string msg = kMsh + "PID|1||A~B|||||F|\"\"\r";
    auto check = [&](std::string_view when, bool expected) {
        CAPTURE(when);
        std::string text = rules("  - set: PID-2\n    value: Y\n    when: '" + std::string(when) + "'\n");
        auto m = map_apply(text, msg);
        CHECK(raw(m.message, "PID-2") == (expected ? "Y" : ""));
    };
    check("PID-8 = \"F\"", true);
    check("PID-8 = F", true);
    check("PID-8 == M", false);
    check("PID-8 != M", true);
    check("PID-8 != F", false);
    check("PID-8", true);
    check("PID-9", false);   // the HL7 null is not a value
    check("PID-20", false);  // absent
    check("not PID-20", true);
    check("!PID-8", false);
    check("PID-20 = \"\"", true);
    check("PID-9 = \"\"", true);  // "" is absent, empty or the HL7 null
    check("PID-9 = null", true);
    check("PID-20 = null", false);
    check("PID-9 != null", false);
    check("PID-8 in [\"M\", \"F\"]", true);
    check("PID-8 in [M, O]", false);
    check("PID-8 not in [M, O]", true);
    check("PID-3[*].1 = B", true);   // any repetition
    check("PID-3[*].1 != B", false); // none equals
    check("PID-3.1 = B", false);     // the first only
    check("PID-3 = A", true);        // a field without [rep] reads its first repetition
    check("PID-8 = F and PID-9", false);
    check("PID-8 = F and not PID-9", true);
    check("PID-8 = M or PID-3 = A", true);
    check("not (PID-8 = M or PID-3 = A)", false);
    check("MSH-9.1 = ADT and (PID-8 = M or PID-8 = F)", true);
}

TEST_CASE("map conditions: values compared unescaped") {
    auto m = map_apply(rules("  - set: PID-2\n    value: Y\n    when: 'PID-5.1 = \"A|B\"'\n"), kMsh + "PID|1||||A\\F\\B\r");
    CHECK(raw(m.message, "PID-2") == "Y");
}

TEST_CASE("map each: over segments, with relative paths, deleting the current one") {
    const std::string msg = kMsh + "PID|1|P\rOBX|1|NM|||5\rOBX|2|ST|||x\rOBX|3|NM|||7\rNTE|1\r";
    auto m = map_apply(rules("  - each: OBX\n    do:\n      - copy: PID-2\n        to: OBX-4\n"
                             "      - delete-segment: OBX\n        when: OBX-2 = ST\n"
                             "      - set: OBX-1\n        expr: 'OBX-1 + \"!\"'\n"),
                       msg);
    // The rules after a delete-segment of the current one do not run for it (nor for the next).
    CHECK(m.er7() == kMsh + "PID|1|P\rOBX|1!|NM||P|5\rOBX|3!|NM||P|7\rNTE|1\r");
    // An absent segment: each runs zero times.
    auto none = map_apply(rules("  - each: ZZZ\n    do:\n      - set: ZZZ-1\n        value: X\n"), msg);
    CHECK(none.er7() == msg);
}

TEST_CASE("map each: over repetitions, with a when for each one") {
    auto m = map_apply(rules("  - each: PID-3[*]\n    when: PID-3.5 = MR\n    do:\n      - set: PID-3.4\n"
                             "        value: HOSP\n      - map: PID-3.1\n        table: {\"*\": X}\n"),
                       kMsh + "PID|1||1^^^^MR~2^^^^PI~3^^^^MR\r");
    CHECK(raw(m.message, "PID-3") == "X^^^HOSP^MR~2^^^^PI~X^^^HOSP^MR");
    // Nested: each OBX, each of its OBX-5 repetitions.
    auto n = map_apply(rules("  - each: OBX\n    do:\n      - each: OBX-5[*]\n        do:\n"
                             "          - set: OBX-5.2\n            expr: OBX-1\n"),
                       kMsh + "OBX|1||||a~b\rOBX|2||||c\r");
    CHECK(raw(n.message, "OBX[1]-5") == "a^1~b^1");
    CHECK(raw(n.message, "OBX[2]-5") == "c^2");
}

TEST_CASE("map: a when on any rule, with include and each") {
    auto m = map_apply(rules("  - delete-segment: ZPI\n    when: PID-8 = M\n  - clear: PID-2\n    when: not PID-3\n"),
                       kMsh + "PID|1|X||||||F\rZPI|1\r");
    CHECK(m.er7() == kMsh + "PID|1|||||||F\rZPI|1\r");
}
