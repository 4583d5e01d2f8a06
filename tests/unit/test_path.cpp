// Tests of paths: parse_path and its errors, and find_values. Edits at a path: test_edit.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hl7/message.hpp"
#include "hl7/path.hpp"

using hl7::Message;
using hl7::Path;
using hl7::PathMatch;

namespace {

Path path(std::string_view text) {
    auto p = hl7::parse_path(text);
    REQUIRE_MESSAGE(p.ok(), text);
    return *p;
}

std::vector<PathMatch> find(const Message& m, std::string_view text) {
    std::vector<PathMatch> out;
    hl7::find_values(m, path(text), out);
    return out;
}

std::vector<std::string> raws(const Message& m, std::string_view text) {
    std::vector<std::string> out;
    for (const auto& match : find(m, text)) out.emplace_back(match.raw);
    return out;
}

using Strings = std::vector<std::string>;

const std::string kMsh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5";
const std::string kPid = "PID|1||111^^^AUTH&1.2.3&ISO~222^^^OTHER||DOE^JANE||19800101|F|||";
const std::string kObx1 = "OBX|1|NM|A^Glu||5";
const std::string kObx2 = "OBX|2|NM|B^Na||140";
const std::string kObx3 = "OBX|3|ST|C||";
const std::string kText = kMsh + "\r" + kPid + "\r" + kObx1 + "\r" + kObx2 + "\r" + kObx3 + "\r";

}  // namespace

TEST_CASE("parse_path: accepted forms") {
    SUBCASE("PID-5.1") {
        auto p = path("PID-5.1");
        CHECK(p.segment == "PID");
        CHECK(p.occurrence == 1);
        CHECK(p.field == 5);
        CHECK(p.repetition == 1);
        CHECK(p.component == 1);
        CHECK(p.subcomponent == 0);
        CHECK_FALSE(p.occurrence_given);
        CHECK_FALSE(p.repetition_given);
        CHECK(p.to_string() == "PID-5.1");
    }
    SUBCASE("PID-3[2].1") {
        auto p = path("PID-3[2].1");
        CHECK(p.field == 3);
        CHECK(p.repetition == 2);
        CHECK(p.repetition_given);
        CHECK(p.component == 1);
        CHECK(p.to_string() == "PID-3[2].1");
    }
    SUBCASE("OBX[2]-5") {
        auto p = path("OBX[2]-5");
        CHECK(p.segment == "OBX");
        CHECK(p.occurrence == 2);
        CHECK(p.occurrence_given);
        CHECK(p.field == 5);
        CHECK(p.component == 0);
        CHECK(p.to_string() == "OBX[2]-5");
    }
    SUBCASE("OBX[*]-5") {
        auto p = path("OBX[*]-5");
        CHECK(p.occurrence == Path::all);
        CHECK(p.field == 5);
        CHECK(p.to_string() == "OBX[*]-5");
    }
    SUBCASE("PID-3[*].1") {
        auto p = path("PID-3[*].1");
        CHECK(p.repetition == Path::all);
        CHECK(p.to_string() == "PID-3[*].1");
    }
    SUBCASE("MSH-9.2") {
        auto p = path("MSH-9.2");
        CHECK(p.segment == "MSH");
        CHECK(p.field == 9);
        CHECK(p.component == 2);
        CHECK(p.to_string() == "MSH-9.2");
    }
    SUBCASE("dots and dashes are interchangeable separators") {
        for (std::string_view text : {"PID.5.1", "PID-5-1", "PID.5-1"}) {
            CAPTURE(text);
            auto p = path(text);
            CHECK(p.field == 5);
            CHECK(p.component == 1);
            CHECK(p.to_string() == "PID-5.1");
        }
    }
    SUBCASE("segment only") {
        auto p = path("PID");
        CHECK(p.segment == "PID");
        CHECK(p.field == 0);
        CHECK(p.to_string() == "PID");
        CHECK(path("OBX[3]").to_string() == "OBX[3]");
    }
    SUBCASE("subcomponent") {
        auto p = path("PID-3.4.2");
        CHECK(p.component == 4);
        CHECK(p.subcomponent == 2);
        CHECK(p.to_string() == "PID-3.4.2");
    }
    SUBCASE("an explicit [1] is kept in the canonical form") {
        CHECK(path("PID[1]-3[1].1").to_string() == "PID[1]-3[1].1");
        CHECK(path("PID-3[1]").repetition_given);
    }
    SUBCASE("segment IDs with digits, multi-digit numbers") {
        CHECK(path("ZZ1-12").segment == "ZZ1");
        CHECK(path("ZZ1-12").field == 12);
        CHECK(path("OBX[10]-5[12].3.4").to_string() == "OBX[10]-5[12].3.4");
    }
}

TEST_CASE("parse_path: errors name the bad character and its position") {
    struct Bad {
        const char* text;
        const char* mentions;
    };
    for (Bad bad : {Bad{"PID-x", "'x' at position 5"}, Bad{"pid-5", "'p' at position 1"},
                    Bad{"PID-0", "'0' at position 5"}, Bad{"PID-5.", "position 7"}, Bad{"PID[", "position 5"},
                    Bad{"PID-5[0]", "'0' at position 7"}, Bad{"PID-5.0", "'0' at position 7"},
                    Bad{"PID-5.1.2.3", "'.' at position 10"}, Bad{"PI", "position 3"}, Bad{"", "position 1"},
                    Bad{"1ID-5", "'1' at position 1"}, Bad{"PID-5]", "']' at position 6"},
                    Bad{"PID[2", "position 6"}, Bad{"PID 5", "' ' at position 4"}}) {
        CAPTURE(bad.text);
        auto p = hl7::parse_path(bad.text);
        REQUIRE_FALSE(p.ok());
        CHECK(p.error().code == "bad-path");
        CHECK(p.error().text.find(bad.mentions) != std::string::npos);
        CHECK(p.error().text.find(std::string("'") + bad.text + "'") != std::string::npos);
    }
}

TEST_CASE("find_values: fields, repetitions, components, subcomponents") {
    auto m = Message::parse(kText);
    REQUIRE(m.ok());

    auto whole = find(*m, "PID-3");
    REQUIRE(whole.size() == 1);
    CHECK(whole[0].raw == "111^^^AUTH&1.2.3&ISO~222^^^OTHER");  // a field names all its repetitions
    CHECK(whole[0].depth == 1);
    CHECK(whole[0].segment_index == 1);

    auto rep2 = find(*m, "PID-3[2]");
    REQUIRE(rep2.size() == 1);
    CHECK(rep2[0].raw == "222^^^OTHER");
    CHECK(rep2[0].depth == 2);
    CHECK(rep2[0].repetition == 2);

    auto reps = find(*m, "PID-3[*]");
    REQUIRE(reps.size() == 2);
    CHECK(reps[0].raw == "111^^^AUTH&1.2.3&ISO");
    CHECK(reps[0].repetition == 1);
    CHECK(reps[1].raw == "222^^^OTHER");
    CHECK(reps[1].repetition == 2);

    auto comp = find(*m, "PID-3.1");
    REQUIRE(comp.size() == 1);
    CHECK(comp[0].raw == "111");
    CHECK(comp[0].depth == 3);

    CHECK(raws(*m, "PID-3[2].1") == Strings{"222"});
    CHECK(raws(*m, "PID-3.4") == Strings{"AUTH&1.2.3&ISO"});
    auto sub = find(*m, "PID-3.4.2");
    REQUIRE(sub.size() == 1);
    CHECK(sub[0].raw == "1.2.3");
    CHECK(sub[0].depth == 4);
    CHECK(raws(*m, "PID-3[*].4.1") == Strings{"AUTH", "OTHER"});
    CHECK(raws(*m, "PID-3[*].1") == Strings{"111", "222"});
    CHECK(raws(*m, "PID-5.2") == Strings{"JANE"});
    CHECK(raws(*m, "PID-5.2.1") == Strings{"JANE"});  // a component without subcomponents is its first
    CHECK(raws(*m, "PID-8") == Strings{"F"});

    auto seg = find(*m, "PID");
    REQUIRE(seg.size() == 1);
    CHECK(seg[0].raw == kPid);
    CHECK(seg[0].depth == 0);
}

TEST_CASE("find_values: absent parts give no match, empty parts an empty match") {
    auto m = Message::parse(kText);
    REQUIRE(m.ok());
    CHECK(raws(*m, "PID-3[3]").empty());     // no third repetition
    CHECK(raws(*m, "PID-3.5").empty());      // four components only
    CHECK(raws(*m, "PID-3.4.4").empty());    // three subcomponents only
    CHECK(raws(*m, "PID-12").empty());       // PID has 11 fields
    CHECK(raws(*m, "PID-5.3").empty());      // DOE^JANE
    CHECK(raws(*m, "PV1-1").empty());        // no such segment
    CHECK(raws(*m, "PV1").empty());
    CHECK(raws(*m, "OBX[4]-5").empty());

    CHECK(raws(*m, "PID-2") == Strings{""});   // present, empty
    CHECK(raws(*m, "PID-11") == Strings{""});  // the last field, empty
    CHECK(raws(*m, "PID-3.2") == Strings{""});
    CHECK(raws(*m, "PID-3[2].2") == Strings{""});
}

TEST_CASE("find_values: segment occurrences") {
    auto m = Message::parse(kText);
    REQUIRE(m.ok());
    CHECK(raws(*m, "OBX-5") == Strings{"5"});
    auto second = find(*m, "OBX[2]-5");
    REQUIRE(second.size() == 1);
    CHECK(second[0].raw == "140");
    CHECK(second[0].occurrence == 2);
    CHECK(second[0].segment_index == 3);

    auto all = find(*m, "OBX[*]-5");
    REQUIRE(all.size() == 3);
    CHECK(all[0].raw == "5");
    CHECK(all[1].raw == "140");
    CHECK(all[2].raw == "");  // OBX|3|ST|C|| has an empty OBX-5
    CHECK(all[0].occurrence == 1);
    CHECK(all[2].occurrence == 3);
    CHECK(all[2].segment_index == 4);

    CHECK(raws(*m, "OBX[*]-3.2") == Strings{"Glu", "Na"});  // OBX-3 of the third has one component
    CHECK(raws(*m, "OBX[*]").size() == 3);
    CHECK(raws(*m, "OBX[3]-6").empty());
}

TEST_CASE("find_values: MSH-1 and MSH-2 are atomic") {
    auto m = Message::parse(kText);
    REQUIRE(m.ok());
    CHECK(raws(*m, "MSH-1") == Strings{"|"});
    CHECK(raws(*m, "MSH-2") == Strings{"^~\\&"});
    CHECK(raws(*m, "MSH-2.1") == Strings{"^~\\&"});  // not split at its own '^'
    CHECK(raws(*m, "MSH-2.2").empty());
    CHECK(raws(*m, "MSH-2[*]") == Strings{"^~\\&"});  // not split at '~'
    CHECK(raws(*m, "MSH-2[2]").empty());
    CHECK(raws(*m, "MSH-1[2]").empty());
    CHECK(raws(*m, "MSH-3") == Strings{"SND"});
    CHECK(raws(*m, "MSH-9") == Strings{"ADT^A01"});
    CHECK(raws(*m, "MSH-9.1") == Strings{"ADT"});
    CHECK(raws(*m, "MSH-9.2") == Strings{"A01"});
    CHECK(raws(*m, "MSH-10") == Strings{"C1"});
    CHECK(raws(*m, "MSH-12") == Strings{"2.5"});
}

TEST_CASE("find_values with custom delimiters") {
    const std::string text = "MSH#$*!%#SND#FAC\rPID#1##A$B%C*D$E\r";
    auto m = Message::parse(text);
    REQUIRE(m.ok());
    CHECK(raws(*m, "MSH-1") == Strings{"#"});
    CHECK(raws(*m, "MSH-2") == Strings{"$*!%"});
    CHECK(raws(*m, "MSH-3") == Strings{"SND"});
    CHECK(raws(*m, "PID-3[*].2") == Strings{"B%C", "E"});
    CHECK(raws(*m, "PID-3.2.2") == Strings{"C"});
}
