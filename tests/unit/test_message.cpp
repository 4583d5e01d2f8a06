// Tests of Message: delimiters, parsing, field navigation, byte-exact ER7 output and segment edits.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "hl7/message.hpp"

using hl7::Delimiters;
using hl7::Message;
using hl7::SegmentEnd;
using hl7::SegmentEndStyle;

TEST_CASE("read_delimiters: standard set") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH|^~\\&|SND|FAC", &notes);
    REQUIRE(d.ok());
    CHECK(d->field == '|');
    CHECK(d->component == '^');
    CHECK(d->repetition == '~');
    CHECK(d->escape == '\\');
    CHECK(d->subcomponent == '&');
    CHECK(d->truncation == 0);
    CHECK(d->encoding_characters() == "^~\\&");
    CHECK(notes.empty());
    CHECK(*d == Delimiters{});
}

TEST_CASE("read_delimiters: custom set") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH#$*!%#SND#FAC", &notes);
    REQUIRE(d.ok());
    CHECK(d->field == '#');
    CHECK(d->component == '$');
    CHECK(d->repetition == '*');
    CHECK(d->escape == '!');
    CHECK(d->subcomponent == '%');
    CHECK(d->truncation == 0);
    CHECK(d->encoding_characters() == "$*!%");
    CHECK(notes.empty());
}

TEST_CASE("read_delimiters: FHS and BHS headers, and a header with MSH-2 only") {
    auto f = hl7::read_delimiters("FHS|^~\\&|X");
    REQUIRE(f.ok());
    CHECK(*f == Delimiters{});
    auto b = hl7::read_delimiters("BHS#$*!%");
    REQUIRE(b.ok());
    CHECK(b->field == '#');
    CHECK(b->subcomponent == '%');
}

TEST_CASE("read_delimiters: short MSH-2 of three characters warns") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH|^~\\|SND", &notes);
    REQUIRE(d.ok());
    CHECK(d->component == '^');
    CHECK(d->repetition == '~');
    CHECK(d->escape == '\\');
    CHECK(d->subcomponent == 0);
    CHECK(d->encoding_characters() == "^~\\");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].code == "short-encoding-characters");
    CHECK(notes[0].severity == hl7::Severity::warning);
    CHECK(notes[0].where.path == "MSH-2");
}

TEST_CASE("read_delimiters: fifth character is the truncation character") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH|^~\\&#|SND", &notes);
    REQUIRE(d.ok());
    CHECK(d->subcomponent == '&');
    CHECK(d->truncation == '#');
    CHECK(d->encoding_characters() == "^~\\&#");
    CHECK(notes.empty());
}

TEST_CASE("read_delimiters: a doubled escape character (text copied out of source code) is read as one") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH|^~\\\\&|SND", &notes);
    REQUIRE(d.ok());
    CHECK(*d == Delimiters{});
    CHECK(d->truncation == 0);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].code == "doubled-escape-character");
    CHECK(notes[0].severity == hl7::Severity::warning);
    CHECK(notes[0].where.path == "MSH-2");

    SUBCASE("with a truncation character (v2.7)") {
        hl7::Diagnostics more;
        auto t = hl7::read_delimiters("MSH|^~\\\\&#|SND", &more);
        REQUIRE(t.ok());
        CHECK(t->escape == '\\');
        CHECK(t->subcomponent == '&');
        CHECK(t->truncation == '#');
        REQUIRE(more.size() == 1);
        CHECK(more[0].code == "doubled-escape-character");
    }
    SUBCASE("only that shape: other duplicates stay errors") {
        for (const char* header : {"MSH|^~&&|X", "MSH|^^\\&|X", "MSH|^~\\\\\\&|X", "MSH|^~\\\\\\\\&|X",
                                   "MSH|^~\\\\^|X", "MSH|~~\\\\&|X", "MSH|^~!!&|X"}) {
            CAPTURE(header);
            hl7::Diagnostics none;
            auto bad = hl7::read_delimiters(header, &none);
            REQUIRE_FALSE(bad.ok());
            CHECK(bad.error().code == "bad-delimiters");
            CHECK(testutil::find_code(none, "doubled-escape-character") == nullptr);
        }
    }
    SUBCASE("a message reads its fields with the repaired delimiters and writes its bytes as they came") {
        const std::string text = "MSH|^~\\\\&|SND|FAC|||20240101||ORM^O01^ORM_O01|C1|P|2.5\rPID|1||7^^^H\\T\\X\r";
        hl7::Diagnostics parse_notes;
        auto m = Message::parse(text, &parse_notes);
        REQUIRE(m.ok());
        CHECK(testutil::find_code(parse_notes, "doubled-escape-character") != nullptr);
        CHECK(m->delimiters() == Delimiters{});
        auto msh9 = hl7::field_text(m->segment(0), m->delimiters(), 9);
        REQUIRE(msh9.has_value());
        CHECK(hl7::nth_part(*msh9, m->delimiters().component, 1) == std::optional<std::string_view>("ORM"));
        CHECK(hl7::nth_part(*msh9, m->delimiters().component, 2) == std::optional<std::string_view>("O01"));
        CHECK(hl7::field_text(m->segment(0), m->delimiters(), 2) == std::optional<std::string_view>("^~\\\\&"));
        CHECK(m->to_er7() == text);
        CHECK(m->to_er7(SegmentEndStyle::cr) == text);
    }
}

TEST_CASE("read_delimiters: an empty MSH-2 is read as the standard encoding characters") {
    hl7::Diagnostics notes;
    auto d = hl7::read_delimiters("MSH||SND", &notes);
    REQUIRE(d.ok());
    CHECK(*d == Delimiters{});
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].code == "empty-encoding-characters");
    CHECK(notes[0].severity == hl7::Severity::warning);
    CHECK(notes[0].where.path == "MSH-2");

    SUBCASE("also when nothing follows the field separator") {
        hl7::Diagnostics more;
        auto bare = hl7::read_delimiters("MSH|", &more);
        REQUIRE(bare.ok());
        CHECK(*bare == Delimiters{});
        CHECK(testutil::find_code(more, "empty-encoding-characters") != nullptr);
    }
    SUBCASE("not when the field separator is one of the standard characters") {
        hl7::Diagnostics more;
        auto odd = hl7::read_delimiters("MSH^^SND", &more);
        REQUIRE(odd.ok());
        CHECK(odd->field == '^');
        CHECK(odd->component == 0);
        CHECK(testutil::find_code(more, "empty-encoding-characters") == nullptr);
        CHECK(testutil::find_code(more, "short-encoding-characters") != nullptr);
    }
    SUBCASE("the field separator is still checked (found by the fuzz smoke test: 0xFF passed)") {
        for (std::string header : {"MSH\xFF", "MSH\x7F||", "MSH\xC3"}) {
            CAPTURE(header);
            auto bad = hl7::read_delimiters(header, nullptr);
            REQUIRE_FALSE(bad.ok());
            CHECK(bad.error().code == "bad-delimiters");
        }
    }
    SUBCASE("a message splits MSH-9 into its components and writes its bytes as they came") {
        const std::string text = "MSH||SND|FAC|||20240101||ORM^O01^ORM_O01|C1|P|2.5\rPID|1||7~8\r";
        auto m = Message::parse(text);
        REQUIRE(m.ok());
        auto msh9 = hl7::field_text(m->segment(0), m->delimiters(), 9);
        REQUIRE(msh9.has_value());
        CHECK(hl7::nth_part(*msh9, m->delimiters().component, 1) == std::optional<std::string_view>("ORM"));
        CHECK(hl7::nth_part(*msh9, m->delimiters().component, 3) == std::optional<std::string_view>("ORM_O01"));
        CHECK(hl7::field_text(m->segment(0), m->delimiters(), 2) == std::optional<std::string_view>(""));
        CHECK(hl7::field_text(m->segment(0), m->delimiters(), 3) == std::optional<std::string_view>("SND"));
        CHECK(m->to_er7() == text);
    }
}

TEST_CASE("read_delimiters: errors") {
    SUBCASE("duplicates") {
        auto d = hl7::read_delimiters("MSH|&&&&|SND");
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == "bad-delimiters");
        CHECK(d.error().severity == hl7::Severity::error);
    }
    SUBCASE("subcomponent equal to the component separator") {
        auto d = hl7::read_delimiters("MSH|^~\\^|SND");
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == "bad-delimiters");
    }
    SUBCASE("a letter among the encoding characters") {
        auto d = hl7::read_delimiters("MSH|^~\\A|SND");
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == "bad-delimiters");
    }
    SUBCASE("a digit as the field separator") {
        auto d = hl7::read_delimiters("MSH1^~\\&1SND");
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == "bad-delimiters");
        CHECK(d.error().where.path == "MSH-1");
    }
    SUBCASE("no field separator at all") {
        auto d = hl7::read_delimiters("MSH");
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().code == "no-delimiters");
    }
    SUBCASE("dup_delims.hl7") {
        auto text = testutil::read_data("bad/dup_delims.hl7");
        auto m = Message::parse(text);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().code == "bad-delimiters");
    }
}

TEST_CASE("Message::parse: no MSH is an error") {
    for (std::string text : {std::string("PID|1||X\rPV1|1\r"), std::string(""), std::string("MS"),
                             std::string(" MSH|^~\\&\r")}) {
        INFO("text=", text);
        auto m = Message::parse(text);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().code == "no-msh");
    }
    auto file = testutil::read_data("bad/no_msh.hl7");
    auto m = Message::parse(file);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == "no-msh");
}

TEST_CASE("Message: segments, IDs and find_segment") {
    const std::string text =
        "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ORU^R01|C1|P|2.5\rPID|1||123\rOBX|1|NM|A||5\rNTE\rOBX|2|NM|B||6\rZZ1|x\r";
    auto m = Message::parse(text);
    REQUIRE(m.ok());
    REQUIRE(m->size() == 6);
    CHECK_FALSE(m->empty());
    CHECK(m->segment(0) == "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ORU^R01|C1|P|2.5");
    CHECK(m->segment(1) == "PID|1||123");
    CHECK(m->segment_id(0) == "MSH");
    CHECK(m->segment_id(1) == "PID");
    CHECK(m->segment_id(2) == "OBX");
    CHECK(m->segment_id(3) == "NTE");  // a bare segment ID
    CHECK(m->segment_id(5) == "ZZ1");
    CHECK(m->segment_offset(0) == 0);
    CHECK(m->segment_offset(1) == text.find("PID"));
    CHECK(m->find_segment("MSH") == std::optional<std::size_t>(0));
    CHECK(m->find_segment("OBX") == std::optional<std::size_t>(2));
    CHECK(m->find_segment("OBX", 2) == std::optional<std::size_t>(4));
    CHECK_FALSE(m->find_segment("OBX", 3).has_value());
    CHECK_FALSE(m->find_segment("PV1").has_value());
    CHECK(m->original_text() == text);
    CHECK_FALSE(m->modified());
    CHECK(m->uses_only(SegmentEnd::cr));
    CHECK_FALSE(m->had_blank_lines());
}

TEST_CASE("Message: segments are views into the input, not copies") {
    const std::string text = "MSH|^~\\&|A\rPID|1\r";
    auto m = Message::parse(text);
    REQUIRE(m.ok());
    CHECK(m->segment(0).data() == text.data());
    CHECK(m->segment(1).data() == text.data() + 11);
}

TEST_CASE("Message::parse_copy keeps its own text") {
    auto m = [] {
        std::string text = "MSH|^~\\&|A\rPID|1\r";
        return Message::parse_copy(text);
    }();
    REQUIRE(m.ok());
    REQUIRE(m->size() == 2);
    CHECK(m->segment(1) == "PID|1");
    CHECK(m->to_er7() == "MSH|^~\\&|A\rPID|1\r");
}

TEST_CASE("Message: segment ends and blank lines") {
    const std::string text = "MSH|^~\\&|A\r\nPID|1\n\nPV1|1\rOBX|1";
    hl7::Diagnostics notes;
    auto m = Message::parse(text, &notes);
    REQUIRE(m.ok());
    REQUIRE(m->size() == 4);
    CHECK(m->segment_end(0) == SegmentEnd::crlf);
    CHECK(m->segment_end(1) == SegmentEnd::lf);
    CHECK(m->segment_end(2) == SegmentEnd::cr);
    CHECK(m->segment_end(3) == SegmentEnd::none);
    CHECK(m->had_blank_lines());
    CHECK(testutil::find_code(notes, "blank-line") != nullptr);
    CHECK(m->to_er7(SegmentEndStyle::keep) == text);
    CHECK(m->to_er7(SegmentEndStyle::cr) == "MSH|^~\\&|A\rPID|1\rPV1|1\rOBX|1\r");
    CHECK(m->to_er7(SegmentEndStyle::lf) == "MSH|^~\\&|A\nPID|1\nPV1|1\nOBX|1\n");
    CHECK(m->to_er7(SegmentEndStyle::crlf) == "MSH|^~\\&|A\r\nPID|1\r\nPV1|1\r\nOBX|1\r\n");
}

TEST_CASE("field_text: MSH numbering and ordinary segments") {
    Delimiters d;
    const std::string msh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5";
    CHECK(hl7::is_header_segment(msh));
    CHECK(hl7::field_text(msh, d, 1) == std::optional<std::string_view>("|"));
    CHECK(hl7::field_text(msh, d, 2) == std::optional<std::string_view>("^~\\&"));
    CHECK(hl7::field_text(msh, d, 3) == std::optional<std::string_view>("SND"));
    CHECK(hl7::field_text(msh, d, 4) == std::optional<std::string_view>("FAC"));
    CHECK(hl7::field_text(msh, d, 7) == std::optional<std::string_view>("20240101"));
    CHECK(hl7::field_text(msh, d, 8) == std::optional<std::string_view>(""));
    CHECK(hl7::field_text(msh, d, 9) == std::optional<std::string_view>("ADT^A01"));
    CHECK(hl7::field_text(msh, d, 10) == std::optional<std::string_view>("C1"));
    CHECK(hl7::field_text(msh, d, 12) == std::optional<std::string_view>("2.5"));
    CHECK_FALSE(hl7::field_text(msh, d, 13).has_value());
    CHECK_FALSE(hl7::field_text(msh, d, 0).has_value());
    CHECK(hl7::field_count(msh, d) == 12);

    const std::string pid = "PID|1||123^^^H||\"\"|";
    CHECK_FALSE(hl7::is_header_segment(pid));
    CHECK(hl7::field_text(pid, d, 1) == std::optional<std::string_view>("1"));
    CHECK(hl7::field_text(pid, d, 2) == std::optional<std::string_view>(""));  // empty
    CHECK(hl7::field_text(pid, d, 3) == std::optional<std::string_view>("123^^^H"));
    CHECK(hl7::field_text(pid, d, 4) == std::optional<std::string_view>(""));
    CHECK(hl7::field_text(pid, d, 5) == std::optional<std::string_view>("\"\""));  // HL7 null
    CHECK(hl7::field_text(pid, d, 6) == std::optional<std::string_view>(""));
    CHECK_FALSE(hl7::field_text(pid, d, 7).has_value());  // absent
    CHECK(hl7::field_count(pid, d) == 6);

    CHECK(hl7::field_count("PID", d) == 0);
    CHECK_FALSE(hl7::field_text("PID", d, 1).has_value());
    CHECK(hl7::field_count("PID|", d) == 1);
    CHECK(hl7::field_text("PID|", d, 1) == std::optional<std::string_view>(""));

    // A segment whose ID merely starts with MSH letters is not a header.
    CHECK_FALSE(hl7::is_header_segment("MSHX|a"));
    CHECK(hl7::is_header_segment("BHS|^~\\&"));
    CHECK(hl7::is_header_segment("FHS|^~\\&"));
}

TEST_CASE("field_text with custom delimiters") {
    Delimiters d;
    d.field = '#';
    d.component = '$';
    d.repetition = '*';
    d.escape = '!';
    d.subcomponent = '%';
    const std::string msh = "MSH#$*!%#SND#FAC";
    CHECK(hl7::field_text(msh, d, 1) == std::optional<std::string_view>("#"));
    CHECK(hl7::field_text(msh, d, 2) == std::optional<std::string_view>("$*!%"));
    CHECK(hl7::field_text(msh, d, 3) == std::optional<std::string_view>("SND"));
    CHECK(hl7::field_text("PID#1#a|b", d, 2) == std::optional<std::string_view>("a|b"));
}

TEST_CASE("nth_part and count_parts") {
    CHECK(hl7::nth_part("a^b^c", '^', 1) == std::optional<std::string_view>("a"));
    CHECK(hl7::nth_part("a^b^c", '^', 2) == std::optional<std::string_view>("b"));
    CHECK(hl7::nth_part("a^b^c", '^', 3) == std::optional<std::string_view>("c"));
    CHECK_FALSE(hl7::nth_part("a^b^c", '^', 4).has_value());
    CHECK_FALSE(hl7::nth_part("a^b^c", '^', 0).has_value());
    CHECK_FALSE(hl7::nth_part("a^b^c", '^', -1).has_value());
    CHECK(hl7::nth_part("", '^', 1) == std::optional<std::string_view>(""));
    CHECK_FALSE(hl7::nth_part("", '^', 2).has_value());
    CHECK(hl7::nth_part("a^", '^', 2) == std::optional<std::string_view>(""));
    CHECK(hl7::nth_part("^a", '^', 1) == std::optional<std::string_view>(""));
    CHECK(hl7::nth_part("a^^c", '^', 2) == std::optional<std::string_view>(""));
    CHECK(hl7::nth_part("a&b", 0, 1) == std::optional<std::string_view>("a&b"));
    CHECK_FALSE(hl7::nth_part("a&b", 0, 2).has_value());

    CHECK(hl7::count_parts("", '^') == 1);
    CHECK(hl7::count_parts("a", '^') == 1);
    CHECK(hl7::count_parts("a^b^", '^') == 3);
    CHECK(hl7::count_parts("^^", '^') == 3);
    CHECK(hl7::count_parts("a^b", 0) == 1);
}

TEST_CASE("replace_part") {
    CHECK(hl7::replace_part("a^b^c", '^', 1, "X") == "X^b^c");
    CHECK(hl7::replace_part("a^b^c", '^', 2, "X") == "a^X^c");
    CHECK(hl7::replace_part("a^b^c", '^', 3, "X") == "a^b^X");
    CHECK(hl7::replace_part("a^b^c", '^', 4, "X") == "a^b^c^X");
    CHECK(hl7::replace_part("a^b^c", '^', 6, "X") == "a^b^c^^^X");  // padded with empty parts
    CHECK(hl7::replace_part("", '^', 1, "X") == "X");
    CHECK(hl7::replace_part("", '^', 3, "X") == "^^X");
    CHECK(hl7::replace_part("a^b^c", '^', 2, "") == "a^^c");
    CHECK(hl7::replace_part("a^^c", '^', 2, "LONGER") == "a^LONGER^c");
    CHECK(hl7::replace_part("a^b", 0, 1, "X") == "X");  // separator not in use: whole text
}

TEST_CASE("remove_part") {
    CHECK(hl7::remove_part("a^b^c", '^', 1) == "b^c");
    CHECK(hl7::remove_part("a^b^c", '^', 2) == "a^c");
    CHECK(hl7::remove_part("a^b^c", '^', 3) == "a^b");
    CHECK(hl7::remove_part("a^b^c", '^', 4) == "a^b^c");
    CHECK(hl7::remove_part("a^b^c", '^', 0) == "a^b^c");
    CHECK(hl7::remove_part("a", '^', 1) == "");
    CHECK(hl7::remove_part("a^", '^', 2) == "a");
    CHECK(hl7::remove_part("^b", '^', 1) == "b");
    CHECK(hl7::remove_part("a^b", 0, 1) == "a^b");
}

TEST_CASE("write_er7: byte-exact round trip of every test file") {
    auto files = testutil::hl7_data_files();
    REQUIRE(files.size() >= 16);
    std::size_t messages = 0;
    for (const auto& file : files) {
        INFO("file=", file);
        auto data = testutil::read_file(file);
        REQUIRE(!data.empty());
        auto r = testutil::read_all(data);
        for (const auto& it : r.items) {
            if (!it.has_message()) continue;
            auto m = Message::parse(it.text);
            if (!m.ok()) continue;
            ++messages;
            CHECK(m->to_er7(SegmentEndStyle::keep) == it.text);
            std::string appended = "prefix";
            m->write_er7(appended);
            CHECK(appended == "prefix" + it.text);
            // With CR segment ends, CR output is the input itself.
            if (it.text.find('\n') == std::string::npos && it.text.back() == '\r') {
                CHECK(m->to_er7(SegmentEndStyle::cr) == it.text);
            } else {
                // Otherwise: each line end becomes CR.
                std::string expected = testutil::replace_all(it.text, "\r\n", "\r");
                expected = testutil::replace_all(expected, "\n", "\r");
                if (expected.back() != '\r') expected.push_back('\r');
                CHECK(m->to_er7(SegmentEndStyle::cr) == expected);
            }
        }
    }
    CHECK(messages >= 18);
}

TEST_CASE("edits: replace, insert and remove change only what changed") {
    const std::string msh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5";
    const std::string pid = "PID|1||123^^^H||DOE^JANE";
    const std::string pv1 = "PV1|1|I";
    const std::string text = msh + "\r" + pid + "\r" + pv1 + "\r";

    SUBCASE("replace") {
        auto m = Message::parse(text);
        REQUIRE(m.ok());
        m->replace_segment(1, "PID|1||999");
        CHECK(m->modified());
        CHECK(m->segment(1) == "PID|1||999");
        CHECK(m->segment(0).data() == text.data());  // untouched segments still point at the input
        CHECK(m->segment(2).data() == text.data() + msh.size() + 1 + pid.size() + 1);
        CHECK(m->to_er7() == msh + "\rPID|1||999\r" + pv1 + "\r");
        CHECK(m->segment_offset(1) == msh.size() + 1);  // of the original segment
    }
    SUBCASE("insert in the middle, at the start of the body and at the end") {
        auto m = Message::parse(text);
        REQUIRE(m.ok());
        m->insert_segment(2, "NK1|1|ROE^JOHN");
        m->insert_segment(m->size(), "AL1|1");
        m->insert_segment(1, "EVN|A01");
        REQUIRE(m->size() == 6);
        CHECK(m->to_er7() == msh + "\rEVN|A01\r" + pid + "\rNK1|1|ROE^JOHN\r" + pv1 + "\rAL1|1\r");
        CHECK(m->segment(0).data() == text.data());
    }
    SUBCASE("remove") {
        auto m = Message::parse(text);
        REQUIRE(m.ok());
        m->remove_segment(1);
        CHECK(m->to_er7() == msh + "\r" + pv1 + "\r");
        m->remove_segment(1);
        CHECK(m->to_er7() == msh + "\r");
    }
    SUBCASE("edits keep the input's segment ends") {
        const std::string lf = msh + "\n" + pid + "\n" + pv1 + "\n";
        auto m = Message::parse(lf);
        REQUIRE(m.ok());
        m->insert_segment(2, "NK1|1");
        m->replace_segment(0, msh + "|");
        CHECK(m->to_er7() == msh + "|\n" + pid + "\nNK1|1\n" + pv1 + "\n");
        CHECK(m->to_er7(SegmentEndStyle::crlf) == msh + "|\r\n" + pid + "\r\nNK1|1\r\n" + pv1 + "\r\n");
    }
    SUBCASE("a segment added after an unterminated last segment gets a separator") {
        const std::string open = msh + "\r" + pid;
        auto m = Message::parse(open);
        REQUIRE(m.ok());
        m->insert_segment(m->size(), "PV1|1");
        std::string out = m->to_er7();
        CHECK(out.substr(0, open.size() + 1) == open + "\r");
        auto again = Message::parse(out);
        REQUIRE(again.ok());
        REQUIRE(again->size() == 3);
        CHECK(again->segment(1) == pid);
        CHECK(again->segment(2) == "PV1|1");
    }
    SUBCASE("assign reuses the object") {
        auto m = Message::parse(text);
        REQUIRE(m.ok());
        m->replace_segment(1, "PID|2");
        const std::string other = "MSH|^~\\&|X\rOBX|1\r";
        CHECK(m->assign(other).ok());
        CHECK_FALSE(m->modified());
        REQUIRE(m->size() == 2);
        CHECK(m->segment(1) == "OBX|1");
        CHECK(m->to_er7() == other);
        hl7::Status status = m->assign("PID|1\r");
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == "no-msh");
    }
}

namespace {

// Runs `misuse` in a child process; true when the child was killed by SIGABRT (a failed assertion).
template <class F>
bool aborts(F misuse) {
    std::fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
        // The child must die by the signal, not report a crash through doctest's handler and
        // print a second test summary.
        std::signal(SIGABRT, SIG_DFL);
        std::freopen("/dev/null", "w", stdout);
        std::freopen("/dev/null", "w", stderr);
        misuse();
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

}  // namespace

TEST_CASE("Message: a segment index out of range is loud with assertions on, harmless otherwise") {
    const std::string text = "MSH|^~\\&|A\rPID|1\r";
    auto m = Message::parse(text);
    REQUIRE(m.ok());
    if (hl7::detail::assertions_enabled()) {
        CHECK(aborts([&] { (void)m->segment(2); }));
        CHECK(aborts([&] { (void)m->segment_id(7); }));
        CHECK(aborts([&] { (void)m->segment_end(2); }));
        CHECK(aborts([&] { (void)m->segment_offset(2); }));
        CHECK(aborts([&] { m->replace_segment(2, "PV1|1"); }));
        CHECK(aborts([&] { m->remove_segment(5); }));
        CHECK(aborts([&] { m->insert_segment(3, "PV1|1"); }));
        CHECK_FALSE(aborts([&] { m->insert_segment(2, "PV1|1"); }));  // at the end: allowed
    } else {
        CHECK(m->segment(2).empty());
        CHECK(m->segment_id(7).empty());
        CHECK(m->segment_end(2) == SegmentEnd::none);
        CHECK(m->segment_offset(2) == 0);
        m->replace_segment(2, "PV1|1");
        m->remove_segment(5);
        CHECK_FALSE(m->modified());
        CHECK(m->to_er7() == text);
        m->insert_segment(9, "PV1|1");  // appended
        CHECK(m->to_er7() == text + "PV1|1\r");
    }
}

TEST_CASE("nth_part, count_parts, replace_part and remove_part: odd arguments are safe") {
    CHECK_FALSE(hl7::nth_part("a^b", '^', std::numeric_limits<int>::max()).has_value());
    CHECK_FALSE(hl7::nth_part("a^b", '^', std::numeric_limits<int>::min()).has_value());
    CHECK_FALSE(hl7::nth_part(std::string_view(), '^', 2).has_value());
    CHECK(hl7::nth_part(std::string_view(), '^', 1) == std::optional<std::string_view>(""));
    CHECK(hl7::count_parts(std::string_view(), '^') == 1);
    CHECK(hl7::replace_part("a^b", '^', -3, "X") == "a^b");
    CHECK(hl7::remove_part("a^b", '^', std::numeric_limits<int>::max()) == "a^b");
    CHECK(hl7::remove_part("a^b", '^', -1) == "a^b");
    CHECK_FALSE(hl7::field_text("PID|1", hl7::Delimiters{}, -5).has_value());
}
