// Tests of MessageReader: splitting byte streams into messages, MLLP frames, batches, junk, positions.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"

using testutil::find_code;
using testutil::read_configs;
using testutil::read_with;

namespace {

const std::string kMsg1 = "MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01|MSG1|P|2.5\rPID|1||111^^^H^MR||DOE^JANE\r";
const std::string kMsg2 =
    "MSH|^~\\&|SND|FAC|RCV|RF|20240101120100||ORU^R01|MSG2|P|2.5\rPID|1||222\rOBX|1|NM|GLU||5\r";
const std::string kMsg3 = "MSH|^~\\&|SND|FAC|RCV|RF|20240101120200||ADT^A08|MSG3|P|2.5\rPID|1||333\r";

// The same text with LF segment ends: line numbers count LFs only, as less and wc -l do.
std::string lf(std::string text) {
    std::replace(text.begin(), text.end(), '\r', '\n');
    return text;
}

#define FOR_EACH_CONFIG for (const auto& config : read_configs())
#define CONFIG_INFO INFO("max_read=", config.max_read, " read_size=", config.read_size)

}  // namespace

TEST_CASE("stream: one message") {
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(kMsg1, config);
        REQUIRE(r.items.size() == 1);
        const auto& it = r.items[0];
        CHECK(it.text == kMsg1);
        CHECK(it.has_message());
        CHECK_FALSE(it.junk);
        CHECK_FALSE(it.framed);
        CHECK(it.index == 1);
        CHECK(it.offset == 0);
        CHECK(it.line == 1);
        CHECK(it.header.empty());
        CHECK(it.trailer.empty());
        CHECK(it.notes.empty());
        CHECK_FALSE(r.error.has_value());
        CHECK(r.bytes_read == kMsg1.size());
    }
}

TEST_CASE("stream: empty input gives no items") {
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with("", config);
        CHECK(r.items.empty());
        CHECK_FALSE(r.error.has_value());
    }
}

TEST_CASE("stream: several messages back to back, offsets, lines and indexes") {
    const std::string input = kMsg1 + kMsg2 + kMsg3;
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 3);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[1].text == kMsg2);
        CHECK(r.items[2].text == kMsg3);
        CHECK(r.items[0].index == 1);
        CHECK(r.items[1].index == 2);
        CHECK(r.items[2].index == 3);
        CHECK(r.items[0].offset == 0);
        CHECK(r.items[1].offset == kMsg1.size());
        CHECK(r.items[2].offset == kMsg1.size() + kMsg2.size());
        // A CR alone ends no line (less shows a CR file as one line).
        CHECK(r.items[0].line == 1);
        CHECK(r.items[1].line == 1);
        CHECK(r.items[2].line == 1);
        for (const auto& it : r.items) CHECK(it.notes.empty());
        // kMsg1 has 2 segments, kMsg2 has 3: with LF ends, lines 1-2, 3-5, 6-7; CRLF alike.
        for (const std::string& end : {std::string("\n"), std::string("\r\n")}) {
            std::string ended = input;
            for (std::size_t at = 0; (at = ended.find('\r', at)) != std::string::npos; at += end.size())
                ended.replace(at, 1, end);
            r = read_with(ended, config);
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].line == 1);
            CHECK(r.items[1].line == 3);
            CHECK(r.items[2].line == 6);
        }
    }
}

TEST_CASE("stream: last message without a final terminator") {
    const std::string input = kMsg1 + "MSH|^~\\&|A|B\rPID|9";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[1].text == "MSH|^~\\&|A|B\rPID|9");
        CHECK(r.items[1].line == 1);
    }
}

TEST_CASE("stream: LF, CRLF and mixed segment ends") {
    SUBCASE("LF") {
        const std::string a = "MSH|^~\\&|A|B\nPID|1\n";
        const std::string b = "MSH|^~\\&|C|D\nPID|2\nPV1|1\n";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(a + b, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == a);
            CHECK(r.items[1].text == b);
            CHECK(r.items[1].offset == a.size());
            CHECK(r.items[1].line == 3);
        }
    }
    SUBCASE("CRLF") {
        const std::string a = "MSH|^~\\&|A|B\r\nPID|1\r\n";
        const std::string b = "MSH|^~\\&|C|D\r\nPID|2\r\nPV1|1\r\n";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(a + b, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == a);
            CHECK(r.items[1].text == b);
            CHECK(r.items[1].offset == a.size());
            CHECK(r.items[1].line == 3);  // a CRLF is one line end
        }
    }
    SUBCASE("mixed within and between messages") {
        const std::string a = "MSH|^~\\&|A|B\rPID|1\nPV1|1\r\n";
        const std::string b = "MSH|^~\\&|C|D\nPID|2\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(a + b, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == a);
            CHECK(r.items[1].text == b);
            CHECK(r.items[1].offset == a.size());
            CHECK(r.items[1].line == 3);  // a's LF and CRLF end lines, its CR does not
        }
    }
}

TEST_CASE("stream: CR at the end of a read chunk and LF at the start of the next") {
    const std::string a = "MSH|^~\\&|A\r\nPID|1\r\n";  // the first CR is byte 10
    const std::string b = "MSH|^~\\&|B\r\n";
    const std::string input = a + b;
    // Every cut position, including 11 (the first read ends right after the CR).
    for (std::size_t max_read = 1; max_read <= input.size(); ++max_read) {
        for (std::size_t read_size : {std::size_t(16), std::size_t(4096)}) {
            INFO("max_read=", max_read, " read_size=", read_size);
            auto r = read_with(input, {max_read, read_size});
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == a);
            CHECK(r.items[1].text == b);
            CHECK(r.items[1].offset == a.size());
            CHECK(r.items[1].line == 3);  // had the CRLF been split, LF would count as a line of its own
            CHECK(r.items[0].notes.empty());
            CHECK(r.items[1].notes.empty());
            auto m = hl7::Message::parse(r.items[0].text);
            REQUIRE(m.ok());
            REQUIRE(m->size() == 2);
            CHECK(m->segment_end(0) == hl7::SegmentEnd::crlf);
            CHECK(m->segment_end(1) == hl7::SegmentEnd::crlf);
        }
    }
}

TEST_CASE("stream: MLLP frames") {
    SUBCASE("with CR after the end block") {
        const std::string input = "\x0b" + kMsg1 + "\x1c\r" + "\x0b" + kMsg2 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[0].framed);
            CHECK(r.items[1].framed);
            CHECK(r.items[0].offset == 1);
            CHECK(r.items[1].offset == 1 + kMsg1.size() + 2 + 1);
            CHECK(r.items[0].index == 1);
            CHECK(r.items[1].index == 2);
            CHECK(r.items[0].notes.empty());
            CHECK(r.items[1].notes.empty());
        }
    }
    SUBCASE("without CR after the end block") {
        const std::string input = "\x0b" + kMsg1 + "\x1c" + "\x0b" + kMsg2 + "\x1c";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[1].offset == 1 + kMsg1.size() + 1 + 1);
            CHECK(r.items[0].notes.empty());
            CHECK(r.items[1].notes.empty());
        }
    }
    SUBCASE("line numbers count the LF after the end block, not the CR") {
        // <VT>MSH / PID / <FS> / <VT>MSH ...: with CRLF after each end block, the second message
        // starts on line 2; with CR alone, everything is on line 1.
        for (std::string after : {std::string("\r"), std::string("\r\n")}) {
            const std::string input = "\x0b" + kMsg1 + "\x1c" + after + "\x0b" + kMsg2 + "\x1c" + after + "\x0b" +
                                      kMsg3 + "\x1c" + after;
            FOR_EACH_CONFIG {
                CONFIG_INFO;
                INFO("after end block: ", after.size(), " bytes");
                auto r = read_with(input, config);
                REQUIRE(r.items.size() == 3);
                std::uint64_t per_frame = after.size() == 2 ? 1 : 0;
                CHECK(r.items[0].line == 1);
                CHECK(r.items[1].line == 1 + per_frame);
                CHECK(r.items[2].line == 1 + 2 * per_frame);
                CHECK(r.items[1].text == kMsg2);
                CHECK(r.items[2].offset ==
                      1 + kMsg1.size() + 1 + after.size() + 1 + kMsg2.size() + 1 + after.size() + 1);
                for (const auto& it : r.items) CHECK(it.notes.empty());
            }
        }
        // Without a CR, the next frame starts on the same line.
        const std::string bare = "\x0b" + kMsg1 + "\x1c" + "\x0b" + kMsg2 + "\x1c";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(lf(bare), config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[1].line == 3);
        }
    }
    SUBCASE("last segment ended by the end block alone") {
        const std::string input = "\x0bMSH|^~\\&|A\rPID|1\x1c\r\x0b" + kMsg2 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == "MSH|^~\\&|A\rPID|1");
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[1].line == 1);
        }
    }
    SUBCASE("an end block outside a frame is reported") {
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(kMsg1 + "\x1c\r", config);
            REQUIRE(r.items.size() == 1);
            CHECK(r.items[0].text == kMsg1);
            const auto* w = find_code(r.items[0].notes, "stray-end-block");
            REQUIRE(w != nullptr);
            CHECK(w->where.byte_offset == kMsg1.size());
        }
    }
    SUBCASE("junk between frames is skipped with a warning") {
        const std::string first = "\x0b" + kMsg1 + "\x1c\r";
        const std::string input = first + "xx\n" + "\x0b" + kMsg2 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[0].notes.empty());
            const auto* w = find_code(r.items[1].notes, "skipped-bytes");
            REQUIRE(w != nullptr);
            CHECK(w->severity == hl7::Severity::warning);
            CHECK(w->where.has_offset);
            CHECK(w->where.byte_offset == first.size());
            CHECK(w->text.find("3 bytes") != std::string::npos);
            CHECK(r.items[1].index == 2);
        }
    }
    SUBCASE("junk before a start block on the same line") {
        const std::string first = "\x0b" + kMsg1 + "\x1c\r";
        const std::string input = first + "zz\x0b" + kMsg2 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[1].offset == first.size() + 3);
            const auto* w = find_code(r.items[1].notes, "skipped-bytes");
            REQUIRE(w != nullptr);
            CHECK(w->text.find("2 bytes") != std::string::npos);
        }
    }
    SUBCASE("unterminated frame") {
        const std::string input = "\x0b" + kMsg1;
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 1);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[0].framed);
            const auto* w = find_code(r.items[0].notes, "unterminated-frame");
            REQUIRE(w != nullptr);
            CHECK(w->severity == hl7::Severity::warning);
        }
    }
    SUBCASE("empty frame") {
        const std::string input = std::string("\x0b\x1c\r") + "\x0b" + kMsg1 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 1);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[0].index == 1);
            const auto* w = find_code(r.items[0].notes, "empty-frame");
            REQUIRE(w != nullptr);
            CHECK(w->severity == hl7::Severity::warning);
        }
    }
    SUBCASE("a frame whose content is not a message is junk") {
        const std::string input = "\x0b" + kMsg1 + "\x1c\r" + "\x0b" "EVN|A01\rPID|1\r\x1c\r" + "\x0b" + kMsg2 + "\x1c\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].has_message());
            CHECK(r.items[1].junk);
            CHECK(r.items[1].text == "EVN|A01\rPID|1\r");
            CHECK(r.items[2].text == kMsg2);
            CHECK(r.items[0].index == 1);
            CHECK(r.items[1].index == 2);
            CHECK(r.items[2].index == 3);
        }
    }
}

TEST_CASE("stream: a start block inside a frame cuts it short, with a warning") {
    const std::string cut = "MSH|^~\\&|A\rPID|1";
    const std::string input = "\x0b" + cut + "\x0b" + kMsg2 + "\x1c\r";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == cut);  // delivered: the caller decides what to make of it
        CHECK(r.items[0].framed);
        const auto* w = find_code(r.items[0].notes, "frame-cut-short");
        REQUIRE(w != nullptr);
        CHECK(w->severity == hl7::Severity::warning);
        CHECK(w->where.byte_offset == 1 + cut.size());
        CHECK(r.items[1].text == kMsg2);
        CHECK(r.items[1].offset == 1 + cut.size() + 1);
        CHECK(r.items[1].notes.empty());
    }
}

TEST_CASE("stream: before the first frame, a start block ends the plain text like the end of input") {
    // A message whose last segment runs into a frame keeps that segment; text alone before the
    // first frame is junk, as it would be at the end of the input.
    const std::string plain = "MSH|^~\\&|A\rPID|1";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(plain + "\x0b" + kMsg2 + "\x1c\r", config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == plain);
        CHECK_FALSE(r.items[0].framed);
        CHECK(r.items[0].notes.empty());
        CHECK(r.items[1].text == kMsg2);
        CHECK(r.items[1].framed);
        CHECK(r.items[1].line == 1);
        CHECK(r.items[1].notes.empty());
        r = read_with("junk\x0b" + kMsg2 + "\x1c\r", config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].junk);
        CHECK(r.items[0].text == "junk");
        CHECK(r.items[1].text == kMsg2);
    }
}

TEST_CASE("stream: mllp.hl7 and two_good_one_bad.hl7 test files") {
    auto mllp = testutil::read_data("mllp.hl7");
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(mllp, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text.find("MSG00010") != std::string::npos);
        CHECK(r.items[1].text.find("MSG00011") != std::string::npos);
        CHECK(r.items[0].text.substr(0, 4) == "MSH|");
        CHECK(r.items[0].text.back() == '\r');
        CHECK(find_code(r.items[1].notes, "skipped-bytes") != nullptr);
    }
    auto bad = testutil::read_data("bad/two_good_one_bad.hl7");
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(bad, config);
        REQUIRE(r.items.size() == 3);
        CHECK(r.items[0].has_message());
        CHECK(r.items[1].junk);
        CHECK(r.items[1].text.substr(0, 4) == "EVN|");
        CHECK(r.items[2].has_message());
        CHECK(r.items[2].text.find("MSG00023") != std::string::npos);
    }
}

TEST_CASE("stream: FHS/BHS batches") {
    const std::string fhs = "FHS|^~\\&|SND|FAC|||20240101||F1";
    const std::string bhs = "BHS|^~\\&|SND|FAC|||20240101||B1";
    SUBCASE("headers go with the first message, trailers with the last") {
        const std::string input = fhs + "\r" + bhs + "\r" + kMsg1 + kMsg2 + kMsg3 + "BTS|3\rFTS|1\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[2].text == kMsg3);
            CHECK(r.items[0].header == std::vector<std::string>{fhs, bhs});
            CHECK(r.items[0].trailer.empty());
            CHECK(r.items[1].header.empty());
            CHECK(r.items[1].trailer.empty());
            CHECK(r.items[2].header.empty());
            CHECK(r.items[2].trailer == std::vector<std::string>{"BTS|3", "FTS|1"});
            CHECK(r.items[0].offset == fhs.size() + 1 + bhs.size() + 1);
            CHECK(r.items[0].line == 1);
            CHECK(r.items[0].index == 1);
            CHECK(r.items[2].index == 3);
        }
    }
    SUBCASE("empty batch") {
        const std::string input = fhs + "\r" + bhs + "\rBTS|0\rFTS|1\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 1);
            CHECK_FALSE(r.items[0].has_message());
            CHECK(r.items[0].text.empty());
            CHECK_FALSE(r.items[0].junk);
            CHECK(r.items[0].header == std::vector<std::string>{fhs, bhs});
            CHECK(r.items[0].trailer == std::vector<std::string>{"BTS|0", "FTS|1"});
        }
    }
    SUBCASE("two batches back to back") {
        const std::string input = "BHS|^~\\&|B1\r" + kMsg1 + "BTS|1\rBHS|^~\\&|B2\r" + kMsg2 + "BTS|1\r";
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(input, config);
            REQUIRE(r.items.size() == 2);
            CHECK(r.items[0].text == kMsg1);
            CHECK(r.items[0].header == std::vector<std::string>{"BHS|^~\\&|B1"});
            CHECK(r.items[0].trailer == std::vector<std::string>{"BTS|1"});
            CHECK(r.items[1].text == kMsg2);
            CHECK(r.items[1].header == std::vector<std::string>{"BHS|^~\\&|B2"});
            CHECK(r.items[1].trailer == std::vector<std::string>{"BTS|1"});
        }
    }
    SUBCASE("batch.hl7") {
        auto data = testutil::read_data("batch.hl7");
        FOR_EACH_CONFIG {
            CONFIG_INFO;
            auto r = read_with(data, config);
            REQUIRE(r.items.size() == 3);
            REQUIRE(r.items[0].header.size() == 2);
            CHECK(r.items[0].header[0].substr(0, 4) == "FHS|");
            CHECK(r.items[0].header[1].substr(0, 4) == "BHS|");
            REQUIRE(r.items[2].trailer.size() == 2);
            CHECK(r.items[2].trailer[0] == "BTS|3");
            CHECK(r.items[2].trailer[1] == "FTS|1");
            for (const auto& it : r.items) CHECK(it.has_message());
        }
    }
}

TEST_CASE("stream: UTF-8 byte order mark is skipped with a note") {
    const std::string input = "\xEF\xBB\xBF" + kMsg1 + kMsg2;
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[0].offset == 3);
        CHECK(r.items[0].line == 1);
        const auto* n = find_code(r.items[0].notes, "bom");
        REQUIRE(n != nullptr);
        CHECK(n->severity == hl7::Severity::note);
        CHECK(r.items[1].text == kMsg2);
        CHECK(r.items[1].offset == 3 + kMsg1.size());
        CHECK(r.items[1].notes.empty());
    }
}

// What `cat *.hl7` gives when the files begin with a BOM: each BOM before MSH, FHS or BHS starts a
// new message (it merged the two before).
TEST_CASE("stream: a BOM before a header segment further on begins a new message") {
    const std::string bom = "\xEF\xBB\xBF";
    const std::string input = bom + kMsg1 + bom + kMsg2 + bom + "FHS|^~\\&|F\r" + bom + "BHS|^~\\&|B\r" + kMsg1 +
                              bom + "ZZZ|1\r";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 3);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[1].text == kMsg2);
        CHECK(r.items[1].offset == 2 * 3 + kMsg1.size());
        const auto* n = find_code(r.items[1].notes, "bom");
        REQUIRE(n != nullptr);
        CHECK(n->where.byte_offset == 3 + kMsg1.size());
        CHECK(n->text == "UTF-8 byte order mark before a header segment skipped");
        REQUIRE(r.items[2].header.size() == 2);
        CHECK(r.items[2].header[0] == "FHS|^~\\&|F");
        CHECK(r.items[2].header[1] == "BHS|^~\\&|B");
        // Before any other segment a BOM is data, kept in the message.
        CHECK(r.items[2].text == kMsg1 + bom + "ZZZ|1\r");
    }
}

TEST_CASE("stream: a BOM-like sequence later in the stream is data") {
    const std::string input = kMsg1 + "MSH|^~\\&|\xEF\xBB\xBFX\r";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[1].text == "MSH|^~\\&|\xEF\xBB\xBFX\r");
        CHECK(r.items[1].notes.empty());
    }
}

TEST_CASE("stream: blank lines between messages are skipped") {
    const std::string a = "MSH|^~\\&|A\nPID|1\n";
    const std::string blanks = "\n\n  \n";
    const std::string b = "MSH|^~\\&|B\nPID|2\n";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(a + blanks + b, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == a);
        CHECK(r.items[1].text == b);
        CHECK(r.items[1].offset == a.size() + blanks.size());
        CHECK(r.items[1].line == 6);
        CHECK(r.items[1].index == 2);
    }
}

TEST_CASE("stream: text without MSH is a junk item") {
    const std::string junk = "PID|1||X\rPV1|1\r";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(junk + kMsg1, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].junk);
        CHECK_FALSE(r.items[0].has_message());
        CHECK(r.items[0].text == junk);
        CHECK(r.items[0].index == 1);
        CHECK(r.items[0].offset == 0);
        CHECK(r.items[0].line == 1);
        CHECK_FALSE(r.items[1].junk);
        CHECK(r.items[1].text == kMsg1);
        CHECK(r.items[1].index == 2);
        CHECK(r.items[1].offset == junk.size());
        CHECK(r.items[1].line == 1);
    }
}

TEST_CASE("stream: junk after a batch trailer is its own item") {
    const std::string input = "BHS|^~\\&\r" + kMsg1 + "BTS|1\rEVN|X\r";
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(input, config);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[0].trailer == std::vector<std::string>{"BTS|1"});
        CHECK(r.items[1].junk);
        CHECK(r.items[1].text == "EVN|X\r");
    }
}

TEST_CASE("stream: binary garbage does not crash and yields no message") {
    auto data = testutil::read_data("bad/garbage.bin");
    REQUIRE(data.size() == 200);
    FOR_EACH_CONFIG {
        CONFIG_INFO;
        auto r = read_with(data, config);
        for (const auto& it : r.items) CHECK_FALSE(it.has_message());
    }
}

TEST_CASE("stream: many messages with a 4096-byte read size all come through") {
    std::string input;
    std::vector<std::string> messages;
    for (int i = 1; i <= 2000; ++i) {
        std::string m = "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C" + std::to_string(i) + "|P|2.5\nPID|1||" +
                         std::to_string(i * 7) + "^^^H^MR||DOE^JANE\nPV1|1|I\n";
        messages.push_back(m);
        input += m;
    }
    for (std::size_t max_read : {std::size_t(SIZE_MAX), std::size_t(1000), std::size_t(3)}) {
        INFO("max_read=", max_read);
        hl7::ReaderOptions options;
        options.read_size = 4096;
        auto r = testutil::read_all(input, max_read, options);
        REQUIRE(r.items.size() == messages.size());
        std::uint64_t offset = 0;
        bool all_ok = true;
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const auto& it = r.items[i];
            if (it.text != messages[i] || it.index != i + 1 || it.offset != offset || it.line != 3 * i + 1) {
                all_ok = false;
                INFO("message ", i + 1);
                CHECK(it.text == messages[i]);
                CHECK(it.index == i + 1);
                CHECK(it.offset == offset);
                CHECK(it.line == 3 * i + 1);
                break;
            }
            offset += messages[i].size();
        }
        CHECK(all_ok);
        CHECK_FALSE(r.error.has_value());
        CHECK(r.bytes_read == input.size());
    }
}

TEST_CASE("stream: a message larger than max_message_size is skipped with an item saying so, and reading goes on") {
    std::string big = "MSH|^~\\&|A\n";  // LF ends, so that the lines skipped are counted
    for (int i = 0; i < 100; ++i) big += "OBX|" + std::to_string(i) + "|ST|X||VALUE\n";
    const std::string input = lf(kMsg1) + big + lf(kMsg2);
    for (std::size_t max_read : {std::size_t(1), std::size_t(7), std::size_t(SIZE_MAX)}) {
        for (std::size_t read_size : {std::size_t(16), std::size_t(4096)}) {
            INFO("max_read=", max_read, " read_size=", read_size);
            hl7::ReaderOptions options;
            options.read_size = read_size;
            options.max_message_size = 128;
            auto r = testutil::read_all(input, max_read, options);
            CHECK_FALSE(r.error.has_value());
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].text == lf(kMsg1));
            CHECK(r.items[1].text.empty());
            CHECK_FALSE(r.items[1].has_message());
            CHECK(r.items[1].oversized == big.size());
            CHECK(r.items[1].offset == lf(kMsg1).size());
            CHECK(r.items[1].line == 3);
            CHECK(r.items[1].index == 2);
            CHECK(r.items[2].text == lf(kMsg2));
            CHECK(r.items[2].index == 3);
            CHECK(r.items[2].line == 3 + 101);
            CHECK(r.bytes_read == input.size());
        }
    }
}

TEST_CASE("stream: oversized text in all its forms") {
    hl7::ReaderOptions options;
    options.read_size = 16;
    options.max_message_size = 100;
    const std::string huge_line(500, 'x');
    SUBCASE("one line larger than the limit, without an end, in a message") {
        const std::string big = "MSH|^~\\&|A\nOBX|1|ED|||" + huge_line + "\n";
        for (std::size_t max_read : {std::size_t(1), std::size_t(5), std::size_t(SIZE_MAX)}) {
            auto r = testutil::read_all(big + kMsg3 + kMsg1, max_read, options);
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].oversized == big.size());
            CHECK(r.items[0].offset == 0);
            CHECK(r.items[0].line == 1);
            CHECK(r.items[1].text == kMsg3);
            CHECK(r.items[1].line == 3);
            CHECK(r.items[2].text == kMsg1);
            CHECK(r.items[2].offset == big.size() + kMsg3.size());
        }
    }
    SUBCASE("junk larger than the limit") {
        auto r = testutil::read_all(huge_line + "\n" + huge_line + "\n" + kMsg1, 9, options);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].oversized == 2 * (huge_line.size() + 1));
        CHECK(r.items[1].text == kMsg1);
        CHECK(r.items[1].line == 3);
    }
    SUBCASE("a large message runs to the end of input") {
        auto r = testutil::read_all(kMsg1 + "MSH|^~\\&|B\r" + huge_line, 3, options);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[1].oversized == 11 + huge_line.size());
    }
    SUBCASE("a large message ends at a frame") {
        const std::string big = "MSH|^~\\&|B\r" + huge_line + "\r";
        auto r = testutil::read_all(big + "\x0b" + "MSH|^~\\&|C\r\x1c\r", 4, options);
        REQUIRE(r.items.size() == 2);
        CHECK(r.items[0].oversized == big.size());
        CHECK(r.items[1].text == "MSH|^~\\&|C\r");
        CHECK(r.items[1].framed);
    }
    SUBCASE("a large message with its batch lines; the batch trailer goes with it") {
        const std::string big = "BHS|^~\\&\rMSH|^~\\&|B\r" + huge_line + "\rBTS|1\r";
        auto r = testutil::read_all(big + "EVN|x\r" + kMsg1, 2, options);
        REQUIRE(r.items.size() == 3);
        CHECK(r.items[0].oversized == big.size());
        CHECK(r.items[1].junk);
        CHECK(r.items[1].text == "EVN|x\r");
        CHECK(r.items[2].text == kMsg1);
    }
    SUBCASE("an MLLP frame larger than the limit") {
        const std::string frame_text = "MSH|^~\\&|B\n" + huge_line + "\n";
        const std::string first = "\x0b" + lf(kMsg3) + "\x1c\r\n";
        const std::string input = first + "\x0b" + frame_text + "\x1c\r\n" + "\x0b" + kMsg2 + "\x1c\r";
        for (std::size_t max_read : {std::size_t(1), std::size_t(7), std::size_t(SIZE_MAX)}) {
            auto r = testutil::read_all(input, max_read, options);
            REQUIRE(r.items.size() == 3);
            CHECK(r.items[0].text == lf(kMsg3));
            CHECK(r.items[1].oversized == frame_text.size());
            CHECK(r.items[1].offset == first.size() + 1);
            CHECK(r.items[1].framed);
            CHECK(r.items[1].line == 4);  // lines of the dropped frame are still counted
            CHECK(r.items[2].text == kMsg2);
            CHECK(r.items[2].offset == first.size() + 1 + frame_text.size() + 3 + 1);
            CHECK(r.items[2].line == 7);
        }
    }
    SUBCASE("a message just under the limit followed by one over it") {
        options.max_message_size = kMsg1.size();
        const std::string big = "MSH|^~\\&|B\r" + huge_line + "\r";
        auto r = testutil::read_all(kMsg1 + big + kMsg1, 1, options);
        REQUIRE(r.items.size() == 3);
        CHECK(r.items[0].text == kMsg1);
        CHECK(r.items[1].oversized == big.size());
        CHECK(r.items[2].text == kMsg1);
    }
}

TEST_CASE("stream: memory stays within the limit however long a line is") {
    // A source that makes up a very long line without holding it.
    class LongLineSource final : public hl7::ByteSource {
    public:
        hl7::ReadResult read(char* buffer, std::size_t capacity) override {
            if (left_ == 0) {
                if (tail_.empty()) return {0, 0};
                std::size_t n = std::min(capacity, tail_.size());
                std::copy_n(tail_.data(), n, buffer);
                tail_.erase(0, n);
                return {n, 0};
            }
            largest_read = std::max(largest_read, capacity);
            std::size_t n = std::min(capacity, left_);
            std::fill_n(buffer, n, 'x');
            if (first_) {
                std::copy_n("MSH|^~\\&|", std::min<std::size_t>(n, 9), buffer);
                first_ = false;
            }
            left_ -= n;
            return {n, 0};
        }

        std::size_t largest_read = 0;  // the reader's free buffer space: it stays within twice the limit

    private:
        std::size_t left_ = std::size_t(8) << 20;
        bool first_ = true;
        std::string tail_ = "\r" + kMsg2;
    };
    LongLineSource source;
    hl7::ReaderOptions options;
    options.read_size = 4096;
    options.max_message_size = 1 << 16;
    hl7::MessageReader reader(source, options);
    hl7::StreamItem item;
    REQUIRE(reader.next(item));
    CHECK(item.oversized == (std::size_t(8) << 20) + 1);
    REQUIRE(reader.next(item));
    CHECK(item.text == kMsg2);
    CHECK_FALSE(reader.next(item));
    CHECK_FALSE(reader.error().has_value());
    CHECK(source.largest_read <= 2 * options.max_message_size + options.read_size);
}

namespace {

// A source that fails after handing out some bytes.
class FailingSource final : public hl7::ByteSource {
public:
    explicit FailingSource(std::string data) : data_(std::move(data)) {}
    hl7::ReadResult read(char* buffer, std::size_t capacity) override {
        if (data_.empty()) return {0, 5};  // EIO
        std::size_t n = std::min(capacity, data_.size());
        std::copy_n(data_.data(), n, buffer);
        data_.erase(0, n);
        return {n, 0};
    }

private:
    std::string data_;
};

}  // namespace

TEST_CASE("stream: a read error is reported") {
    FailingSource source(kMsg1 + kMsg2);
    hl7::MessageReader reader(source);
    hl7::StreamItem item;
    std::vector<std::string> texts;
    while (reader.next(item)) texts.emplace_back(item.text);
    REQUIRE(reader.error().has_value());
    CHECK(reader.error()->code == "read-error");
    // kMsg1 is known to be complete (the next MSH followed it); kMsg2 was still being read when the
    // error came, so it is not handed out as if it were whole.
    CHECK(texts == std::vector<std::string>{kMsg1});
}

namespace {

// Hands out fixed chunks, one per read, and remembers how many reads were asked for: a live
// sender whose next bytes have not arrived yet.
class ChunkSource final : public hl7::ByteSource {
public:
    explicit ChunkSource(std::vector<std::string> chunks) : chunks_(std::move(chunks)) {}
    hl7::ReadResult read(char* buffer, std::size_t capacity) override {
        ++reads;
        if (next_ == chunks_.size()) return {0, 0};
        const std::string& c = chunks_[next_++];
        REQUIRE(c.size() <= capacity);
        std::copy(c.begin(), c.end(), buffer);
        return {c.size(), 0};
    }
    int reads = 0;

private:
    std::vector<std::string> chunks_;
    std::size_t next_ = 0;
};

}  // namespace

TEST_CASE("stream: a frame is complete at its end block, without waiting for the bytes after it") {
    for (const char* tail : {"\x1c", "\x1c\r"}) {
        INFO("frame ends with ", tail[1] ? "FS CR" : "FS");
        ChunkSource source({"\x0b" + kMsg1 + tail, "\r\n\x0b" + kMsg2 + "\x1c\r"});
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg1);
        CHECK(source.reads == 1);  // the second chunk was not waited for
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg2);
        CHECK(item.notes.empty());  // the CR (LF) after the first frame was skipped, not reported
        CHECK_FALSE(reader.next(item));
    }
}

TEST_CASE("stream: random mixes of lines, frames and batches read the same however they are cut") {
    // Pieces of messages, batches, framing and junk, put together at random: the items must not
    // depend on how the reads are cut or on the buffer size, with a limit small enough that some
    // items are skipped as oversized.
    const std::vector<std::string> pieces = {"MSH|^~\\&|A\r", "PID|1\r",      "OBX|1|ST|||" + std::string(40, 'v') + "\r",
                                             "\n",            "\r\n",          "  \n",
                                             "BHS|^~\\&\r",   "BTS|1\r",       "EVN|x\n",
                                             "\x0b",          "\x1c",          "\x1c\r",
                                             "junk",          "MSH|^~\\&|B\n", "\xEF\xBB\xBF",
                                             std::string(90, 'w'), std::string(90, ' ')};
    std::uint32_t state = 12345;
    auto next = [&state] { return (state = state * 1664525u + 1013904223u) >> 16; };
    auto flatten = [](const testutil::ReadAll& r) {
        std::string out;
        for (const auto& it : r.items) {
            out += std::to_string(it.index) + "@" + std::to_string(it.offset) + ":" + std::to_string(it.line) + "/" +
                   std::to_string(it.oversized) + (it.junk ? "j" : "") + (it.framed ? "f" : "") + "[" + it.text + "]";
            for (const auto& h : it.header) out += "<" + h;
            for (const auto& t : it.trailer) out += ">" + t;
            for (const auto& n : it.notes) out += " " + n.code + "@" + std::to_string(n.where.byte_offset);
            out += "\n";
        }
        return out;
    };
    for (int round = 0; round < 500; ++round) {
        std::string input;
        std::size_t count = next() % 14;
        for (std::size_t i = 0; i < count; ++i) input += pieces[next() % pieces.size()];
        CAPTURE(round);
        hl7::ReaderOptions options;
        options.read_size = 4096;
        options.max_message_size = 80;
        auto whole = testutil::read_all(input, SIZE_MAX, options);
        const std::string expected = flatten(whole);
        CHECK(whole.bytes_read == input.size());
        for (std::size_t max_read : {std::size_t(1), std::size_t(2), std::size_t(5), std::size_t(13)}) {
            for (std::size_t read_size : {std::size_t(16), std::size_t(4096)}) {
                options.read_size = read_size;
                auto r = testutil::read_all(input, max_read, options);
                INFO("max_read=", max_read, " read_size=", read_size);
                CHECK(flatten(r) == expected);
            }
        }
        for (const auto& it : whole.items) {
            if (it.has_message()) CHECK(it.text.size() <= options.max_message_size);
        }
    }
}

namespace {

// A live pipe: chunks, with a pause (an idle report) where a chunk is empty.
class PausingSource final : public hl7::ByteSource {
public:
    explicit PausingSource(std::vector<std::string> chunks) : chunks_(std::move(chunks)) {}
    hl7::ReadResult read(char* buffer, std::size_t capacity) override {
        ++reads;
        if (next_ == chunks_.size()) return {0, 0};
        const std::string& c = chunks_[next_++];
        hl7::ReadResult r;
        if (c.empty()) {
            r.idle = true;
            return r;
        }
        REQUIRE(c.size() <= capacity);
        std::copy(c.begin(), c.end(), buffer);
        r.size = c.size();
        return r;
    }
    int reads = 0;

private:
    std::vector<std::string> chunks_;
    std::size_t next_ = 0;
};

}  // namespace

TEST_CASE("stream: a pause after a segment end completes a plain-ER7 message (live tails)") {
    SUBCASE("the message before the pause comes out before the bytes after it are read") {
        PausingSource source({kMsg1, "", kMsg2});
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg1);
        CHECK(source.reads == 2);  // the pause, not the next message, ended it
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg2);
        CHECK_FALSE(reader.next(item));
    }
    SUBCASE("a pause inside a line does not cut the message") {
        std::string first = kMsg1.substr(0, kMsg1.size() - 3);
        PausingSource source({first, "", kMsg1.substr(kMsg1.size() - 3), "", kMsg2});
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg1);
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg2);
    }
    SUBCASE("a CR at the end of the bytes ends its segment at a pause; an LF after it is a blank line") {
        PausingSource source({"MSH|^~\\&|A\r", "", "\nPID|1\r", "", kMsg2});
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        REQUIRE(reader.next(item));
        CHECK(item.text == "MSH|^~\\&|A\r");
        REQUIRE(reader.next(item));
        CHECK(item.junk);  // PID|1 alone is not a message
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg2);
    }
    SUBCASE("a frame is not cut by a pause") {
        PausingSource source({"\x0b" + kMsg1, "", "\x1c\r"});
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        REQUIRE(reader.next(item));
        CHECK(item.text == kMsg1);
        CHECK(item.framed);
        CHECK_FALSE(reader.next(item));
    }
}
