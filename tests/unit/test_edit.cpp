// Tests of the editor (hl7/edit.hpp): value edits, escaping and charsets, [*], copy and move,
// segment edits, creation of absent parts, and one encoding per touched segment.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hl7/edit.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

using hl7::Editor;
using hl7::Message;
using hl7::Path;
using hl7::SegmentPosition;

namespace {

using Strings = std::vector<std::string>;

Path path(std::string_view text) {
    auto p = hl7::parse_path(text);
    REQUIRE_MESSAGE(p.ok(), text);
    return *p;
}

Message parsed(const std::string& text) {
    auto m = Message::parse_copy(text);
    REQUIRE(m.ok());
    return std::move(*m);
}

// The raw values a path names in the message as it is (after commit).
Strings raws(const Message& m, std::string_view text) {
    std::vector<hl7::PathMatch> matches;
    hl7::find_values(m, path(text), matches);
    Strings out;
    for (const auto& match : matches) out.emplace_back(match.raw);
    return out;
}

void ok(hl7::Status status) {
    CHECK_MESSAGE(status.ok(), (status.ok() ? std::string() : status.error().code + ": " + status.error().text));
}

std::string failure(hl7::Status status) {
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().severity == hl7::Severity::error);
    return status.error().code;
}

const std::string kMsh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5";
const std::string kPid = "PID|1||111^^^AUTH&1.2.3&ISO~222^^^OTHER||DOE^JANE||19800101|F|||";
const std::string kObx1 = "OBX|1|NM|A^Glu||5";
const std::string kObx2 = "OBX|2|NM|B^Na||140";
const std::string kObx3 = "OBX|3|ST|C||";
const std::string kText = kMsh + "\r" + kPid + "\r" + kObx1 + "\r" + kObx2 + "\r" + kObx3 + "\r";
const std::string kRest = "\r" + kObx1 + "\r" + kObx2 + "\r" + kObx3 + "\r";  // after PID

// A message with the given PID and the OBX segments of kText.
std::string with_pid(const std::string& pid) { return kMsh + "\r" + pid + kRest; }

}  // namespace

TEST_CASE("set_raw: replacing parts (the old set_raw_value behaviours)") {
    auto m = parsed(kText);
    Editor ed(m);
    auto set = [&](std::string_view p, std::string_view value) { ok(ed.set_raw(path(p), value)); };

    SUBCASE("component") {
        set("PID-5.1", "ROE");
        ed.commit();
        CHECK(m.to_er7() == with_pid("PID|1||111^^^AUTH&1.2.3&ISO~222^^^OTHER||ROE^JANE||19800101|F|||"));
    }
    SUBCASE("whole field: all repetitions") {
        set("PID-3", "X^Y~Z");
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"X^Y~Z"});
        CHECK(raws(m, "PID-3[2]") == Strings{"Z"});
    }
    SUBCASE("one repetition, and one past the last (padded)") {
        set("PID-3[2]", "X");
        set("PID-3[4].1", "444");
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"111^^^AUTH&1.2.3&ISO~X~~444"});
    }
    SUBCASE("subcomponent, and one past the last") {
        set("PID-3.4.3", "NEW");
        set("PID-3[2].4.3", "L");
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"111^^^AUTH&1.2.3&NEW~222^^^OTHER&&L"});
    }
    SUBCASE("MSH fields count from MSH-1") {
        set("MSH-10", "C2");
        set("MSH-9.2", "A08");
        set("MSH-15", "AL");
        ed.commit();
        CHECK(m.segment(0) == "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A08|C2|P|2.5|||AL");
    }
    SUBCASE("the value may hold the separators below its level") {
        set("PID-5", "ROE^RICHARD~ROE^DICK");
        set("PID-11.1", "1 MAIN ST&APT 2");
        ed.commit();
        CHECK(raws(m, "PID-5[2].2") == Strings{"DICK"});
        CHECK(raws(m, "PID-11.1.2") == Strings{"APT 2"});
    }
}

TEST_CASE("set_raw: a value that does not fit its level is refused, and nothing changes") {
    auto m = parsed(kText);
    Editor ed(m);
    struct Bad {
        const char* path;
        const char* raw;
    };
    for (Bad bad : {Bad{"PID-5.1", "A^B"}, Bad{"PID-5.1.1", "A&B"}, Bad{"PID-3[2]", "A~B"}, Bad{"PID-5", "A|B"},
                    Bad{"PID-5", "A\rOBX|9"}, Bad{"PID-5", "A\nB"}}) {
        CAPTURE(bad.path);
        hl7::Status status = ed.set_raw(path(bad.path), bad.raw);
        CHECK(failure(status) == "bad-value");
        CHECK(status.error().value == bad.raw);
        CHECK(status.error().where.path == bad.path);
        CHECK(status.error().text.find(bad.raw) == std::string::npos);
    }
    CHECK_FALSE(ed.pending());
    ed.commit();
    CHECK_FALSE(m.modified());
    CHECK(ed.segments_encoded() == 0);
}

TEST_CASE("set: plain text is escaped") {
    auto m = parsed(kText);
    Editor ed(m);
    SUBCASE("every delimiter and the escape character") {
        ok(ed.set(path("PID-5.1"), "A|B^C~D\\E&F"));
        ed.commit();
        CHECK(raws(m, "PID-5") == Strings{"A\\F\\B\\S\\C\\R\\D\\E\\E\\T\\F^JANE"});
    }
    SUBCASE("CR and LF cannot end the segment") {
        ok(ed.set(path("PID-5.1"), "two\r\nlines"));
        ed.commit();
        CHECK(raws(m, "PID-5.1") == Strings{"two\\X0D\\\\X0A\\lines"});
        CHECK(m.size() == 5);
    }
    SUBCASE("a path above leaf level gets the text as one value (the old set_value)") {
        ok(ed.set(path("PID-5"), "DOE^JANE"));
        ed.commit();
        CHECK(raws(m, "PID-5") == Strings{"DOE\\S\\JANE"});
        CHECK(raws(m, "PID-5.2").empty());
    }
    SUBCASE("empty text sets an empty value, creating it") {
        ok(ed.set(path("PID-5.3"), ""));
        ed.commit();
        CHECK(raws(m, "PID-5") == Strings{"DOE^JANE^"});
    }
}

TEST_CASE("set: custom delimiters") {
    const std::string text = "MSH#$*!%#SND#FAC\rPID#1##A$B%C*D$E\r";
    auto m = parsed(text);
    Editor ed(m);
    ok(ed.set(path("PID-3[2].2"), "x#y$z*w!v%u|^~\\&"));
    ok(ed.set_raw(path("PID-5"), "P$Q"));
    ed.commit();
    CHECK(m.segment(1) == "PID#1##A$B%C*D$x!F!y!S!z!R!w!E!v!T!u|^~\\&##P$Q");
}

TEST_CASE("set: charsets") {
    const std::string latin1 = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5||||||8859/1\rPID|1||1||DOE\r";

    SUBCASE("converted to the message's charset (MSH-18)") {
        auto m = parsed(latin1);
        Editor ed(m);
        CHECK(ed.charset() == hl7::Charset::iso8859_1);
        ok(ed.set(path("PID-5.2"), "Zo\xC3\xAB"));  // "Zoë"
        ed.commit();
        CHECK(raws(m, "PID-5") == Strings{"DOE^Zo\xEB"});
    }
    SUBCASE("a character the charset cannot hold fails the edit, naming the path, the value only in value") {
        auto m = parsed(latin1);
        Editor ed(m);
        // "Łódź": Ł and ź are not in Latin-1
        hl7::Status status = ed.set(path("PID-5.2"), "\xC5\x81\xC3\xB3" "d\xC5\xBA");
        CHECK(failure(status) == "unrepresentable");
        CHECK(status.error().where.path == "PID-5.2");
        CHECK(status.error().text.find("PID-5.2") != std::string::npos);
        CHECK(status.error().text.find("2 characters") != std::string::npos);
        CHECK(status.error().text.find("8859/1") != std::string::npos);
        CHECK(status.error().text.find("d\xC5\xBA") == std::string::npos);
        CHECK(status.error().value == "\xC5\x81\xC3\xB3" "d\xC5\xBA");
        CHECK_FALSE(ed.pending());
        CHECK(ed.warnings().empty());
    }
    SUBCASE("replacement when asked for: '?' and a warning that counts them") {
        auto m = parsed(latin1);
        hl7::EditOptions options;
        options.unrepresentable = hl7::Unrepresentable::replace;
        Editor ed(m, options);
        ok(ed.set(path("PID-5.2"), "\xC5\x81\xC3\xB3" "d\xC5\xBA"));
        ed.commit();
        CHECK(raws(m, "PID-5.2") == Strings{"?\xF3" "d?"});
        REQUIRE(ed.warnings().size() == 1);
        const hl7::Diagnostic& w = ed.warnings()[0];
        CHECK(w.severity == hl7::Severity::warning);
        CHECK(w.code == "unrepresentable");
        CHECK(w.where.path == "PID-5.2");
        CHECK(w.text.find("2 characters") != std::string::npos);
        CHECK(w.text.find("\xC5\x81") == std::string::npos);
        CHECK(w.value == "\xC5\x81\xC3\xB3" "d\xC5\xBA");
    }
    SUBCASE("a charset the caller gives wins over MSH-18") {
        auto m = parsed(latin1);
        hl7::EditOptions options;
        options.charset = hl7::Charset::iso8859_2;
        Editor ed(m, options);
        ok(ed.set(path("PID-5.2"), "\xC5\x81\xC3\xB3" "d\xC5\xBA"));
        ed.commit();
        CHECK(raws(m, "PID-5.2") == Strings{"\xA3\xF3" "d\xBC"});
    }
    SUBCASE("UTF-8 messages take any character") {
        auto m = parsed("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1\r");
        Editor ed(m);
        ok(ed.set(path("PID-5.1"), "\xC5\x81\xC3\xB3" "d\xC5\xBA"));
        ed.commit();
        CHECK(raws(m, "PID-5.1") == Strings{"\xC5\x81\xC3\xB3" "d\xC5\xBA"});
    }
    SUBCASE("no MSH-18 means ASCII: strict on write") {
        auto m = parsed(kText);
        Editor ed(m);
        CHECK(ed.charset() == hl7::Charset::ascii);
        CHECK(failure(ed.set(path("PID-5.2"), "Zo\xC3\xAB")) == "unrepresentable");
        ok(ed.set(path("PID-5.2"), "Zoe"));
    }
    SUBCASE("ASCII with replacement") {
        auto m = parsed(kText);
        hl7::EditOptions options;
        options.unrepresentable = hl7::Unrepresentable::replace;
        Editor ed(m, options);
        ok(ed.set(path("PID-5.2"), "Zo\xC3\xAB \xE2\x82\xAC" "5"));  // "Zoë €5"
        ed.commit();
        CHECK(raws(m, "PID-5.2") == Strings{"Zo? ?5"});
        REQUIRE(ed.warnings().size() == 1);
        CHECK(ed.warnings()[0].text.find("2 characters") != std::string::npos);
        CHECK(ed.warnings()[0].text.find("ASCII") != std::string::npos);
    }
    SUBCASE("an MSH-18 this library does not know: only ASCII") {
        auto m = parsed("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||ISO IR87\rPID|1\r");
        Editor ed(m);
        CHECK(failure(ed.set(path("PID-5.1"), "Zo\xC3\xAB")) == "unrepresentable");
    }
    SUBCASE("invalid UTF-8 in the text") {
        auto m = parsed("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1\r");
        Editor ed(m);
        CHECK(failure(ed.set(path("PID-5.1"), "A\xFF" "B")) == "invalid-utf8");
        hl7::EditOptions options;
        options.unrepresentable = hl7::Unrepresentable::replace;
        Editor lenient(m, options);
        ok(lenient.set(path("PID-5.1"), "A\xFF" "B\xC3"));
        lenient.commit();
        CHECK(raws(m, "PID-5.1") == Strings{"A?B?"});
        REQUIRE(lenient.warnings().size() == 1);
        CHECK(lenient.warnings()[0].text.find("2 characters") != std::string::npos);
    }
    SUBCASE("a delimiter in a message without an escape character cannot be written") {
        auto m = parsed("MSH|^~|A\rPID|1\r");  // MSH-2 has two characters: no escape character
        Editor ed(m);
        hl7::Status status = ed.set(path("PID-5.1"), "A^B");
        CHECK(failure(status) == "unrepresentable");
        CHECK(status.error().text.find("no escape character") != std::string::npos);
    }
}

TEST_CASE("set_null and clear: absent, empty and HL7 null stay three things") {
    auto m = parsed(kText);
    Editor ed(m);
    SUBCASE("set_null writes \"\" at any level, creating it") {
        ok(ed.set_null(path("PID-8")));
        ok(ed.set_null(path("PID-5.3")));
        ok(ed.set_null(path("PID-13")));
        ed.commit();
        CHECK(raws(m, "PID-8") == Strings{"\"\""});
        CHECK(raws(m, "PID-5") == Strings{"DOE^JANE^\"\""});
        CHECK(raws(m, "PID-13") == Strings{"\"\""});
    }
    SUBCASE("clear empties a value and keeps its position") {
        ok(ed.clear(path("PID-5.1")));
        ok(ed.clear(path("PID-3")));
        ed.commit();
        CHECK(m.segment(1) == "PID|1||||^JANE||19800101|F|||");
    }
    SUBCASE("clear of what is absent creates nothing and touches nothing") {
        ok(ed.clear(path("PID-5.7")));
        ok(ed.clear(path("PID-30")));
        ok(ed.clear(path("PV1-2")));
        ok(ed.clear(path("PID-2")));  // present and already empty
        CHECK_FALSE(ed.pending());
        ed.commit();
        CHECK_FALSE(m.modified());
        CHECK(ed.segments_encoded() == 0);
    }
}

TEST_CASE("creating what is absent") {
    SUBCASE("a field past the last pads with empty fields") {
        const std::string pid = "PID|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20";
        auto m = parsed(kMsh + "\r" + pid + "\r");
        Editor ed(m);
        ok(ed.set(path("PID-30"), "X"));
        ed.commit();
        CHECK(m.segment(1) == pid + "||||||||||X");
        CHECK(raws(m, "PID-29") == Strings{""});
        CHECK(raws(m, "PID-30") == Strings{"X"});
    }
    SUBCASE("a component past the last pads with empty components") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.set(path("PID-5.4"), "JR"));
        ed.commit();
        CHECK(m.to_er7() == with_pid("PID|1||111^^^AUTH&1.2.3&ISO~222^^^OTHER||DOE^JANE^^JR||19800101|F|||"));
    }
    SUBCASE("a bare segment gets its fields") {
        auto m = parsed(kMsh + "\rNTE\r");
        Editor ed(m);
        ok(ed.set(path("NTE-3"), "text"));
        ed.commit();
        CHECK(m.segment(1) == "NTE|||text");
    }
    SUBCASE("the next occurrence is created after the last segment of its ID") {
        auto m = parsed(kText + "NTE|1||note\r");
        Editor ed(m);
        ok(ed.set(path("OBX[4]-1"), "4"));
        ok(ed.set(path("OBX[4]-5"), "9"));  // the same new segment
        ed.commit();
        REQUIRE(m.size() == 7);
        CHECK(m.segment(5) == "OBX|4||||9");
        CHECK(m.segment(6) == "NTE|1||note");
    }
    SUBCASE("a segment with no occurrence yet goes at the end") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.set(path("PV1-2"), "I"));
        ed.commit();
        CHECK(m.to_er7() == kText + "PV1||I\r");
    }
    SUBCASE("only the next occurrence: a later one is an error") {
        auto m = parsed(kText);
        Editor ed(m);
        hl7::Status status = ed.set(path("OBX[5]-1"), "5");
        CHECK(failure(status) == "no-segment");
        CHECK(status.error().text.find("3 OBX segments") != std::string::npos);
        CHECK(failure(ed.set(path("PV1[2]-1"), "1")) == "no-segment");
        CHECK(failure(ed.set(path("MSH[2]-3"), "X")) == "no-segment");  // header segments are never created
        CHECK_FALSE(ed.pending());
    }
    SUBCASE("a repetition the message has no separator for") {
        auto m = parsed("MSH|^|A\rPID|1||X\r");  // component separator only
        Editor ed(m);
        CHECK(failure(ed.set(path("PID-3[2]"), "Y")) == "no-separator");
        CHECK(failure(ed.set(path("PID-3.1.2"), "Y")) == "no-separator");
        ok(ed.set(path("PID-3.2"), "Y"));
        ok(ed.set(path("PID-3[1].3.1"), "Z"));  // the first of each exists without a separator
        ed.commit();
        CHECK(m.segment(1) == "PID|1||X^Y^Z");
    }
}

TEST_CASE("[*]: set, set_null and clear apply to every match and never create") {
    SUBCASE("every segment") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.set(path("OBX[*]-11"), "F"));
        ed.commit();
        CHECK(raws(m, "OBX[*]-11") == Strings{"F", "F", "F"});
        CHECK(m.segment(2) == kObx1 + "||||||F");
        CHECK(ed.segments_encoded() == 3);
    }
    SUBCASE("every repetition") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.set(path("PID-3[*].4"), "HOSP"));
        ok(ed.set_null(path("PID-3[*].6")));
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"111^^^HOSP^^\"\"~222^^^HOSP^^\"\""});
    }
    SUBCASE("every repetition of every segment") {
        auto m = parsed(kMsh + "\rZZ1|A~B\rZZ1|C\rZZ1|\rZZ1\r");
        Editor ed(m);
        ok(ed.set(path("ZZ1[*]-1[*].2"), "x"));
        ed.commit();
        CHECK(raws(m, "ZZ1[*]") == Strings{"ZZ1|A^x~B^x", "ZZ1|C^x", "ZZ1|", "ZZ1"});
    }
    SUBCASE("clear") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.clear(path("OBX[*]-3.2")));
        ok(ed.clear(path("PID-3[*].4.2")));
        ed.commit();
        CHECK(raws(m, "OBX[*]-3") == Strings{"A^", "B^", "C"});
        CHECK(raws(m, "PID-3") == Strings{"111^^^AUTH&&ISO~222^^^OTHER"});
        CHECK(ed.segments_encoded() == 3);  // OBX[3] had no OBX-3.2: untouched
    }
    SUBCASE("no match is no error and no change") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.set(path("PV1[*]-2"), "I"));
        ok(ed.set(path("PID-13[*].4"), "X"));  // PID-13 is absent: no repetitions
        ok(ed.set(path("PID-2[*]"), "X"));     // PID-2 is empty: no repetitions either
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("copy") {
    SUBCASE("one value to one place, creating it") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.copy(path("PID-5"), path("PV1-9")));
        ok(ed.copy(path("PID-3[2].1"), path("PID-2")));
        ed.commit();
        CHECK(raws(m, "PV1-9") == Strings{"DOE^JANE"});
        CHECK(raws(m, "PID-2") == Strings{"222"});
    }
    SUBCASE("a whole field with its repetitions") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.copy(path("PID-3"), path("PID-13")));
        ed.commit();
        CHECK(raws(m, "PID-13") == raws(m, "PID-3"));
    }
    SUBCASE("one value to a [*] target: broadcast") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.copy(path("MSH-7"), path("OBX[*]-14")));
        ed.commit();
        CHECK(raws(m, "OBX[*]-14") == Strings{"20240101", "20240101", "20240101"});
    }
    SUBCASE("[*] to [*] pairs by index, an absent source clears its target") {
        auto m = parsed(kMsh + "\rOBX|1|NM|A||5|old\rOBX|2|NM|B\rOBX|3|NM|C||7\r");
        Editor ed(m);
        ok(ed.copy(path("OBX[*]-5"), path("OBX[*]-6")));
        ed.commit();
        CHECK(m.segment(1) == "OBX|1|NM|A||5|5");
        CHECK(m.segment(2) == "OBX|2|NM|B");  // no OBX-5: nothing copied, nothing created
        CHECK(m.segment(3) == "OBX|3|NM|C||7|7");
    }
    SUBCASE("an absent source clears a present target") {
        auto m = parsed(kMsh + "\rOBX|1|NM|A||5|old\rOBX|2|NM|B||||old\r");
        Editor ed(m);
        ok(ed.copy(path("OBX[*]-7"), path("OBX[*]-6")));
        ed.commit();
        CHECK(m.segment(1) == "OBX|1|NM|A||5|");
        CHECK(m.segment(2) == "OBX|2|NM|B|||old|old");
    }
    SUBCASE("repetitions pair by index, creating target repetitions") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.copy(path("PID-3[*].1"), path("PID-3[*].5")));
        ok(ed.copy(path("PID-3[*].4.1"), path("PID-13[*]")));
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"111^^^AUTH&1.2.3&ISO^111~222^^^OTHER^222"});
        CHECK(raws(m, "PID-13") == Strings{"AUTH~OTHER"});
    }
    SUBCASE("[*] segments to a new ID creates the occurrences in order") {
        auto m = parsed(kText + "NTE|1\r");
        Editor ed(m);
        ok(ed.copy(path("OBX[*]-3.2"), path("ZOB[*]-2")));
        ed.commit();
        // OBX[3]-3 has no second component: ZOB[3] is not created.
        CHECK(raws(m, "ZOB[*]") == Strings{"ZOB||Glu", "ZOB||Na"});
        CHECK(m.segment_id(m.size() - 1) == "ZOB");
    }
    SUBCASE("a gap before a target occurrence to create fails the copy") {
        auto m = parsed(kMsh + "\rOBX|1|NM|A||5\rOBX|2|NM|B\rOBX|3|NM|C||7\r");
        Editor ed(m);
        hl7::Status status = ed.copy(path("OBX[*]-5"), path("ZOB[*]-1"));
        CHECK(failure(status) == "no-segment");
        CHECK(status.error().where.path == "ZOB[3]-1");
        CHECK_FALSE(ed.pending());
    }
    SUBCASE("empty and null source values are copied as such") {
        auto m = parsed(kMsh + "\rPID|1|\"\"|X||Y\r");
        Editor ed(m);
        ok(ed.copy(path("PID-2"), path("PID-3")));
        ok(ed.copy(path("PID-4"), path("PID-5")));
        ed.commit();
        CHECK(m.segment(1) == "PID|1|\"\"|\"\"||");
    }
    SUBCASE("MSH-1 and MSH-2 are copied as text") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.copy(path("MSH-2"), path("ZZZ-1")));
        ok(ed.copy(path("MSH-1"), path("ZZZ-2")));
        ed.commit();
        CHECK(m.segment(m.size() - 1) == "ZZZ|\\S\\\\R\\\\E\\\\T\\|\\F\\");
    }
    SUBCASE("sources are read before any target is written") {
        auto m = parsed(kMsh + "\rOBX|1|NM|A||5\rOBX|2|NM|B||6\r");
        Editor ed(m);
        ok(ed.copy(path("OBX[*]-5"), path("OBX[*]-5.2")));
        ed.commit();
        CHECK(raws(m, "OBX[*]-5") == Strings{"5^5", "6^6"});
    }
    SUBCASE("refused, and nothing changes") {
        auto m = parsed(kText);
        Editor ed(m);
        CHECK(failure(ed.copy(path("OBX[*]-5"), path("PID-2"))) == "bad-path");       // would join values
        CHECK(failure(ed.copy(path("OBX[*]-5"), path("ZZZ-1[*]"))) == "bad-path");    // [*] at other places
        CHECK(failure(ed.copy(path("PID-3[*]"), path("OBX[*]-5[*]"))) == "bad-path");
        CHECK(failure(ed.copy(path("PID"), path("ZZZ-1"))) == "bad-path");            // a whole segment
        CHECK(failure(ed.copy(path("PID-5"), path("MSH-2"))) == "delimiter-field");
        CHECK(failure(ed.copy(path("PID-3"), path("PID-13.1"))) == "bad-value");      // repetitions into a component
        CHECK(failure(ed.copy(path("PID-3[*]"), path("OBX[*]-5"))) == "bad-path");
        // A later pair that does not fit fails the whole copy before anything is written.
        auto two = parsed(kMsh + "\rOBX|1|NM|A||5\rOBX|2|NM|B||6^7\r");
        Editor ed2(two);
        CHECK(failure(ed2.copy(path("OBX[*]-5"), path("OBX[*]-3.1"))) == "bad-value");
        CHECK_FALSE(ed2.pending());
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("move") {
    SUBCASE("copy, then clear the source") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.move(path("PID-5.1"), path("PID-5.3")));
        ed.commit();
        CHECK(raws(m, "PID-5") == Strings{"^JANE^DOE"});
    }
    SUBCASE("[*] to [*] across segments") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.move(path("OBX[*]-3.2"), path("NTE[*]-3")));
        ed.commit();
        CHECK(raws(m, "OBX[*]-3") == Strings{"A^", "B^", "C"});
        CHECK(raws(m, "NTE[*]") == Strings{"NTE|||Glu", "NTE|||Na"});
    }
    SUBCASE("to a segment that is created after the source") {
        auto m = parsed(kMsh + "\rPID|1||X\rPV1|1\r");
        Editor ed(m);
        ok(ed.move(path("PV1-1"), path("ZPV-1")));
        ok(ed.move(path("PID-3"), path("PV1-3")));
        ed.commit();
        CHECK(m.to_er7() == kMsh + "\rPID|1||\rPV1|||X\rZPV|1\r");
    }
    SUBCASE("overlapping source and target are refused") {
        auto m = parsed(kText);
        Editor ed(m);
        CHECK(failure(ed.move(path("PID-5.1"), path("PID-5"))) == "overlapping-move");
        CHECK(failure(ed.move(path("PID-5"), path("PID-5.2"))) == "bad-value");
        CHECK(failure(ed.move(path("PID-3[*].1"), path("PID-3[*]"))) == "overlapping-move");
        CHECK(failure(ed.move(path("PID-8"), path("PID-8"))) == "overlapping-move");
        CHECK(failure(ed.move(path("MSH-9.1"), path("MSH[*]-9"))) == "overlapping-move");
        CHECK(failure(ed.move(path("MSH-2"), path("ZZZ-1"))) == "delimiter-field");
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("segments: insert") {
    const std::string text = kText + "NTE|1\r";
    SUBCASE("after a segment, after an occurrence, after the last of an ID, at the end") {
        auto m = parsed(text);
        Editor ed(m);
        auto after_pid = ed.insert_segment(SegmentPosition::after("PID"), "PV1|1|I");
        REQUIRE(after_pid.ok());
        CHECK(*after_pid == 1);
        auto after_obx2 = ed.insert_segment(SegmentPosition::after("OBX", 2), "NTE|a");
        REQUIRE(after_obx2.ok());
        CHECK(*after_obx2 == 1);  // before the NTE that was last
        auto after_last = ed.insert_segment(SegmentPosition::after_last("OBX"), "NTE|b");
        REQUIRE(after_last.ok());
        CHECK(*after_last == 2);
        auto at_end = ed.insert_segment(SegmentPosition::at_end(), "ZZZ");
        REQUIRE(at_end.ok());
        CHECK(*at_end == 1);
        ed.commit();
        CHECK(m.to_er7() == kMsh + "\r" + kPid + "\rPV1|1|I\r" + kObx1 + "\r" + kObx2 + "\rNTE|a\r" + kObx3 +
                                "\rNTE|b\rNTE|1\rZZZ\r");
        CHECK(ed.segments_encoded() == 4);
    }
    SUBCASE("an inserted segment can be edited before commit") {
        auto m = parsed(text);
        Editor ed(m);
        REQUIRE(ed.insert_segment(SegmentPosition::after("MSH"), "EVN|A01").ok());
        ok(ed.set(path("EVN-2"), "20240101"));
        ok(ed.set(path("EVN-1.2"), "x"));
        ed.commit();
        CHECK(m.segment(1) == "EVN|A01^x|20240101");
        CHECK(ed.segments_encoded() == 1);
    }
    SUBCASE("refused") {
        auto m = parsed(text);
        Editor ed(m);
        auto terminator = ed.insert_segment(SegmentPosition::at_end(), "ZZZ|1\rPID|2");
        REQUIRE_FALSE(terminator.ok());
        CHECK(terminator.error().code == "bad-segment");
        CHECK(terminator.error().value == "ZZZ|1\rPID|2");
        for (std::string_view bad : {"", "zzz|1", "ZZ|1", "ZZZZ|1", "1ZZ", "MSH|^~\\&", "BHS|^~\\&", "Z-Z|1"}) {
            CAPTURE(bad);
            auto r = ed.insert_segment(SegmentPosition::at_end(), bad);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == "bad-segment");
        }
        auto absent = ed.insert_segment(SegmentPosition::after("PV1"), "ZZZ");
        REQUIRE_FALSE(absent.ok());
        CHECK(absent.error().code == "no-segment");
        auto fourth = ed.insert_segment(SegmentPosition::after("OBX", 4), "ZZZ");
        REQUIRE_FALSE(fourth.ok());
        CHECK(fourth.error().code == "no-segment");
        CHECK(fourth.error().where.path == "OBX[4]");
        auto none = ed.insert_segment(SegmentPosition::after_last("PV1"), "ZZZ");
        REQUIRE_FALSE(none.ok());
        CHECK(none.error().code == "no-segment");
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("segments: remove") {
    SUBCASE("a segment, and the occurrences after it move up") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.remove(path("OBX[2]")));
        ok(ed.set(path("OBX[2]-5"), "X"));  // the former third
        ed.commit();
        CHECK(m.to_er7() == kMsh + "\r" + kPid + "\r" + kObx1 + "\rOBX|3|ST|C||X\r");
    }
    SUBCASE("every segment of an ID") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.remove(path("OBX[*]")));
        ok(ed.remove(path("NTE[*]")));  // none: no error
        ed.commit();
        CHECK(m.to_er7() == kMsh + "\r" + kPid + "\r");
        CHECK(ed.segments_encoded() == 0);  // removing encodes nothing
    }
    SUBCASE("a repetition: the first, the last, one that is absent") {
        auto m = parsed(kText);
        Editor ed(m);
        ok(ed.remove(path("PID-3[1]")));
        ok(ed.remove(path("PID-3[5]")));
        ed.commit();
        CHECK(raws(m, "PID-3") == Strings{"222^^^OTHER"});
        Editor again(m);
        ok(again.remove(path("PID-3[1]")));
        again.commit();
        CHECK(m.segment(1) == "PID|1||||DOE^JANE||19800101|F|||");  // the field stays, empty
    }
    SUBCASE("all repetitions, in every segment") {
        auto m = parsed(kMsh + "\rZZ1|A~B|x\rZZ1|C\rZZ1\r");
        Editor ed(m);
        ok(ed.remove(path("ZZ1[*]-1[*]")));
        ed.commit();
        CHECK(raws(m, "ZZ1[*]") == Strings{"ZZ1||x", "ZZ1|", "ZZ1"});
    }
    SUBCASE("refused") {
        auto m = parsed(kText);
        Editor ed(m);
        for (std::string_view p : {"PID-3", "PID-5.1", "PID-3[2].1", "OBX[*]-5"}) {
            CAPTURE(p);
            CHECK(failure(ed.remove(path(p))) == "bad-path");
        }
        CHECK(failure(ed.remove(path("MSH"))) == "bad-path");
        CHECK(failure(ed.remove(path("MSH[*]"))) == "bad-path");
        CHECK(failure(ed.remove(path("MSH-2[1]"))) == "delimiter-field");
        CHECK(failure(ed.remove(path("ZZZ"))) == "no-segment");
        CHECK(failure(ed.remove(path("OBX[4]"))) == "no-segment");
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("segments: rename keeps the fields") {
    const std::string text = kMsh + "\rZPI|1||123^^^H||DOE^JANE\rZPI|2\rOBX|1\r";
    SUBCASE("one") {
        auto m = parsed(text);
        Editor ed(m);
        ok(ed.rename(path("ZPI"), "PID"));
        ok(ed.set(path("PID-5.2"), "JOAN"));  // the renamed segment answers to its new ID
        ed.commit();
        CHECK(m.segment(1) == "PID|1||123^^^H||DOE^JOAN");
        CHECK(m.segment(2) == "ZPI|2");
        CHECK(ed.segments_encoded() == 1);
    }
    SUBCASE("every one") {
        auto m = parsed(text);
        Editor ed(m);
        ok(ed.rename(path("ZPI[*]"), "ZP2"));
        ed.commit();
        CHECK(raws(m, "ZP2[*]-1") == Strings{"1", "2"});
        CHECK(m.to_er7() == kMsh + "\rZP2|1||123^^^H||DOE^JANE\rZP2|2\rOBX|1\r");
    }
    SUBCASE("refused") {
        auto m = parsed(text);
        Editor ed(m);
        CHECK(failure(ed.rename(path("ZPI-1"), "PID")) == "bad-path");
        CHECK(failure(ed.rename(path("MSH"), "ZSH")) == "bad-path");
        CHECK(failure(ed.rename(path("ZPI"), "MSH")) == "bad-segment");
        hl7::Status bad_id = ed.rename(path("ZPI"), "pi\x01");
        CHECK(failure(bad_id) == "bad-segment");
        CHECK(bad_id.error().value == "pi\x01");
        CHECK(bad_id.error().text.find('\x01') == std::string::npos);
        CHECK(failure(ed.rename(path("ZPI[3]"), "PID")) == "no-segment");
        CHECK_FALSE(ed.pending());
    }
}

TEST_CASE("MSH-1 and MSH-2 are not values; MSH-18 changes only itself") {
    auto m = parsed(kText);
    Editor ed(m);
    for (std::string_view p : {"MSH-1", "MSH-2", "MSH-2.1", "MSH-2[*]", "MSH[*]-1"}) {
        CAPTURE(p);
        CHECK(failure(ed.set(path(p), "X")) == "delimiter-field");
        CHECK(failure(ed.set_raw(path(p), "X")) == "delimiter-field");
        CHECK(failure(ed.set_null(path(p))) == "delimiter-field");
        CHECK(failure(ed.clear(path(p))) == "delimiter-field");
        CHECK(failure(ed.copy(path("PID-1"), path(p))) == "delimiter-field");
    }
    CHECK_FALSE(ed.pending());

    const std::string latin1 = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||Zo\xEB\r";
    auto l = parsed(latin1);
    Editor latin(l);
    ok(latin.set(path("MSH-18"), "UNICODE UTF-8"));
    ok(latin.set(path("PID-5.2"), "\xC3\xA9"));  // still written in Latin-1: the editor's charset
    latin.commit();
    CHECK(latin.charset() == hl7::Charset::iso8859_1);
    CHECK(l.segment(1) == "PID|1||||Zo\xEB^\xE9");  // not re-encoded
    CHECK(raws(l, "MSH-18") == Strings{"UNICODE UTF-8"});
}

TEST_CASE("lossless: untouched segments stay the bytes they were") {
    const std::string text = kMsh + "\n" + kPid + "\r\n" + kObx1 + "\n" + kObx2 + "\r" + kObx3;
    auto m = Message::parse(text);
    REQUIRE(m.ok());
    Editor ed(*m);
    ok(ed.set(path("OBX[2]-5"), "141"));
    std::vector<hl7::EditValue> seen;
    ed.find(path("PID-3[*].1"), seen);  // reading does not touch
    ed.commit();
    CHECK(m->segment(0).data() == text.data());
    CHECK(m->segment(1).data() == text.data() + kMsh.size() + 1);
    CHECK(m->segment(2).data() == text.data() + text.find(kObx1));
    CHECK(m->segment(4).data() == text.data() + text.find(kObx3));
    CHECK(m->to_er7() == kMsh + "\n" + kPid + "\r\n" + kObx1 + "\nOBX|2|NM|B^Na||141\r" + kObx3);
    CHECK(ed.segments_encoded() == 1);

    SUBCASE("a tree written back unchanged is the segment as it was") {
        Editor same(*m);
        ok(same.set_raw(path("PID-3[2].4"), "OTHER"));  // the value it had
        ok(same.set_raw(path("PID-11"), ""));
        same.commit();
        CHECK(m->segment(1) == kPid);
    }
}

TEST_CASE("many edits on one segment: encoded once") {
    auto m = parsed(kText);
    Editor ed(m);
    ok(ed.set(path("PID-5.1"), "ROE"));
    ok(ed.set(path("PID-5.2"), "RICHARD"));
    ok(ed.set_raw(path("PID-3[2].4"), "X&Y"));
    ok(ed.set_null(path("PID-8")));
    ok(ed.clear(path("PID-7")));
    ok(ed.copy(path("PID-5.1"), path("PID-9")));
    ok(ed.move(path("PID-1"), path("PID-2")));
    ok(ed.remove(path("PID-3[1]")));
    ok(ed.set(path("PID-30"), "last"));
    std::vector<hl7::EditValue> now;
    ed.find(path("PID-5"), now);
    REQUIRE(now.size() == 1);
    CHECK(now[0].raw == "ROE^RICHARD");  // pending edits are seen
    CHECK(m.segment(1) == kPid);          // the message is not changed before commit
    CHECK(ed.pending());
    CHECK(ed.segments_encoded() == 0);
    ed.commit();
    CHECK(ed.segments_encoded() == 1);
    CHECK(m.segment(1) == "PID||1|222^^^X&Y||ROE^RICHARD|||\"\"|ROE" + std::string(21, '|') + "last");
    CHECK(m.segment(2) == kObx1);
    CHECK_FALSE(ed.pending());

    SUBCASE("edits after a commit are a new round") {
        ok(ed.set(path("PID-1"), "9"));
        ok(ed.set(path("OBX-1"), "9"));
        ed.commit();
        CHECK(ed.segments_encoded() == 3);
        CHECK(raws(m, "PID-1") == Strings{"9"});
    }
    SUBCASE("discard drops what is pending") {
        ok(ed.set(path("PID-1"), "9"));
        ed.discard();
        CHECK_FALSE(ed.pending());
        ed.commit();
        CHECK(ed.segments_encoded() == 1);
        CHECK(raws(m, "PID-1") == Strings{""});
    }
}

TEST_CASE("find: values as they are now, with concrete paths") {
    auto m = parsed(kText);
    Editor ed(m);
    ok(ed.set(path("OBX[2]-5"), "141"));
    std::vector<hl7::EditValue> values;
    ed.find(path("OBX[*]-5"), values);
    REQUIRE(values.size() == 3);
    CHECK(values[1].raw == "141");
    CHECK(values[1].path.to_string() == "OBX[2]-5");
    CHECK(values[2].raw == "");
    values.clear();
    ed.find(path("PID-3[*].1"), values);
    REQUIRE(values.size() == 2);
    CHECK(values[1].path.to_string() == "PID-3[2].1");
    CHECK(values[1].raw == "222");
    values.clear();
    ed.find(path("MSH-2"), values);
    REQUIRE(values.size() == 1);
    CHECK(values[0].raw == "^~\\&");
    values.clear();
    ed.find(path("PV1-1"), values);
    CHECK(values.empty());
    // The same answers as find_values on an unedited message.
    for (std::string_view p : {"PID-3", "PID-3[2]", "PID-3.4.2", "PID-5.2.1", "MSH-1", "MSH-9.2", "OBX[*]", "PID-2",
                               "PID-2[*]", "PID-12", "OBX[*]-3[*].2"}) {
        CAPTURE(p);
        Editor fresh(m);
        std::vector<hl7::EditValue> mine;
        fresh.find(path(p), mine);
        Strings got;
        for (const auto& v : mine) got.push_back(v.raw);
        CHECK(got == raws(m, p));
    }
}

TEST_CASE("a hand-made path with impossible numbers is an error, not a crash") {
    auto m = parsed(kText);
    Editor ed(m);
    Path bad = path("PID-5.1");
    bad.occurrence = 0;
    CHECK(failure(ed.set(bad, "X")) == "bad-path");
    bad = path("PID-5.1");
    bad.field = -3;
    CHECK(failure(ed.set_raw(bad, "X")) == "bad-path");
    bad = path("PID-5");
    bad.subcomponent = 2;  // a subcomponent without a component
    CHECK(failure(ed.clear(bad)) == "bad-path");
    bad = path("PID-5");
    bad.segment = "P\nD";
    CHECK(failure(ed.copy(bad, path("PID-6"))) == "bad-path");
    CHECK(failure(ed.remove(bad)) == "bad-path");
    std::vector<hl7::EditValue> none;
    ed.find(bad, none);
    CHECK(none.empty());
    CHECK_FALSE(ed.pending());
}

TEST_CASE("Editor::set_raw_at and clear_at: a leaf by position, as set_raw and clear by path") {
    const std::string er7 = "MSH|^~\\&|A\rPID|1||123^^^H^MR~456^^^H^SS||DOE^JANE&X\rZPI|a\r";
    Message by_position = parsed(er7), by_path = parsed(er7);
    Editor a(by_position), b(by_path);
    REQUIRE(a.set_raw_at(1, 3, 2, 1, 1, "999").ok());
    REQUIRE(b.set_raw(path("PID-3[2].1.1"), "999").ok());
    REQUIRE(a.set_raw_at(1, 5, 1, 2, 2, "Y").ok());
    REQUIRE(b.set_raw(path("PID-5[1].2.2"), "Y").ok());
    REQUIRE(a.clear_at(1, 5, 1, 1, 1).ok());
    REQUIRE(b.clear(path("PID-5[1].1.1")).ok());
    a.commit();
    b.commit();
    CHECK(by_position.to_er7() == by_path.to_er7());
    CHECK(by_position.to_er7() == "MSH|^~\\&|A\rPID|1||123^^^H^MR~999^^^H^SS||^JANE&Y\rZPI|a\r");
    // Refused: a delimiter in the value, MSH-1/2, a segment that is not there.
    Message m = parsed(er7);
    Editor e(m);
    CHECK(e.set_raw_at(1, 3, 1, 1, 1, "1^2").error().code == "bad-value");
    CHECK(e.set_raw_at(0, 2, 1, 1, 1, "x").error().code == "delimiter-field");
    CHECK(e.set_raw_at(7, 3, 1, 1, 1, "x").error().code == "no-segment");
    // After an insert, positions of the message as read no longer name the same segments.
    REQUIRE(e.insert_segment(SegmentPosition::after("MSH"), "ZZZ|1").ok());
    CHECK(e.set_raw_at(1, 1, 1, 1, 1, "b").error().code == "no-segment");
    CHECK(e.set_raw_at(2, 1, 1, 1, 1, "b").error().code == "no-segment");
}
