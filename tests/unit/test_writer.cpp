// Tests of MessageWriter: ER7 segment-end styles, batch lines, MLLP frames, the JSON forms, and round trips through MessageStream.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/mllp.hpp"
#include "hl7/reader.hpp"
#include "hl7/writer.hpp"

using hl7::Message;
using hl7::OutputForm;
using hl7::SegmentEndStyle;

namespace {

Message parse(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE(m.ok());
    return std::move(*m);
}

hl7::MessageWriter writer_for(OutputForm form, SegmentEndStyle style = SegmentEndStyle::cr) {
    hl7::WriterOptions options;
    options.form = form;
    options.segment_end = style;
    return hl7::MessageWriter(options);
}

std::string write(const hl7::MessageWriter& writer, const Message* message, const std::vector<std::string_view>& header = {},
                  const std::vector<std::string_view>& trailer = {}) {
    std::string out = "<";  // what was there before stays
    REQUIRE(writer.write(out, message, header, trailer).ok());
    REQUIRE(out.substr(0, 1) == "<");
    return out.substr(1);
}

// Everything a stream holds, written back with `writer`.
std::string rewrite(std::string_view input, const hl7::MessageWriter& writer) {
    hl7::StringSource source(input);
    hl7::MessageStream stream(source);
    std::string out;
    while (stream.next()) {
        if (stream.problem()) continue;
        REQUIRE(writer.write(out, stream.item(), stream.message(), "in").ok());
    }
    return out;
}

const std::string kMixed = "MSH|^~\\&|A\rPID|1\nPV1|1\r\nOBX|1";  // mixed ends, the last segment without one
const std::vector<std::string_view> kHeader = {"FHS|^~\\&|F", "BHS|^~\\&|B"};
const std::vector<std::string_view> kTrailer = {"BTS|1", "FTS|1"};

}  // namespace

TEST_CASE("writer: ER7 in every segment-end style; a message never runs into what follows") {
    auto m = parse(kMixed);
    CHECK(write(writer_for(OutputForm::er7), &m) == "MSH|^~\\&|A\rPID|1\rPV1|1\rOBX|1\r");
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::lf), &m) == "MSH|^~\\&|A\nPID|1\nPV1|1\nOBX|1\n");
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::crlf), &m) ==
          "MSH|^~\\&|A\r\nPID|1\r\nPV1|1\r\nOBX|1\r\n");
    // keep: each ending as read; the last segment had none, so it gets a CR.
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::keep), &m) == kMixed + "\r");
    auto whole = parse("MSH|^~\\&|A\nPID|1\n");
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::keep), &whole) == "MSH|^~\\&|A\nPID|1\n");
}

TEST_CASE("writer: ER7 with batch lines around the message, or alone") {
    auto m = parse("MSH|^~\\&|A\rPID|1\r");
    CHECK(write(writer_for(OutputForm::er7), &m, kHeader, kTrailer) ==
          "FHS|^~\\&|F\rBHS|^~\\&|B\rMSH|^~\\&|A\rPID|1\rBTS|1\rFTS|1\r");
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::crlf), &m, kHeader, {}) ==
          "FHS|^~\\&|F\r\nBHS|^~\\&|B\r\nMSH|^~\\&|A\r\nPID|1\r\n");
    CHECK(write(writer_for(OutputForm::er7, SegmentEndStyle::keep), nullptr, kHeader, kTrailer) ==
          "FHS|^~\\&|F\rBHS|^~\\&|B\rBTS|1\rFTS|1\r");
}

TEST_CASE("writer: MLLP frames hold the batch lines too; CR segment ends by default") {
    auto m = parse(kMixed);
    CHECK(write(writer_for(OutputForm::mllp), &m) == "\x0bMSH|^~\\&|A\rPID|1\rPV1|1\rOBX|1\r\x1c\r");
    CHECK(write(writer_for(OutputForm::mllp), &m, {"BHS|^~\\&"}, {"BTS|1"}) ==
          "\x0b" "BHS|^~\\&\rMSH|^~\\&|A\rPID|1\rPV1|1\rOBX|1\rBTS|1\r\x1c\r");
    CHECK(write(writer_for(OutputForm::mllp, SegmentEndStyle::lf), &m) == "\x0bMSH|^~\\&|A\nPID|1\nPV1|1\nOBX|1\n\x1c\r");
}

TEST_CASE("writer: a message holding a framing byte cannot go in an MLLP frame") {
    auto m = parse("MSH|^~\\&|A\rOBX|1|ST|||x\x1cy\r");
    std::string out = "before";
    auto status = writer_for(OutputForm::mllp).write(out, &m, {}, {});
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "mllp-block-in-message");
    CHECK(out == "before");
    // ER7 has no such limit: the byte goes out as it came in.
    CHECK(write(writer_for(OutputForm::er7), &m) == "MSH|^~\\&|A\rOBX|1|ST|||x\x1cy\r");
}

TEST_CASE("writer: the JSON forms are write_json and write_flat_json, one record a line") {
    auto m = parse("MSH|^~\\&|A|B\rPID|1||123^^^H~9||\"\"\r");
    hl7::JsonSource source{"f.hl7", 3, 10, 2};
    std::string expected;
    hl7::write_json(expected, &m, kHeader, kTrailer, source, {}, nullptr);
    std::string out;
    REQUIRE(writer_for(OutputForm::json).write(out, &m, kHeader, kTrailer, source).ok());
    CHECK(out == expected + "\n");

    expected.clear();
    hl7::write_flat_json(expected, m, {}, nullptr);
    out.clear();
    REQUIRE(writer_for(OutputForm::flat_json).write(out, &m, {}, {}).ok());
    CHECK(out == expected + "\n");

    // Batch lines alone: in the full form, not in the flat one.
    out.clear();
    REQUIRE(writer_for(OutputForm::flat_json).write(out, nullptr, kHeader, {}).ok());
    CHECK(out.empty());
    REQUIRE(writer_for(OutputForm::json).write(out, nullptr, kHeader, {}).ok());
    CHECK(out.find("\"batch\"") != std::string::npos);
    CHECK(out.back() == '\n');
}

TEST_CASE("writer: the options reach the JSON writer") {
    auto m = parse("MSH|^~\\&|A\rPID|1||||\xE9\r");
    hl7::WriterOptions options;
    options.json.charset = hl7::Charset::iso8859_1;
    options.json.include_source = false;
    hl7::MessageWriter writer(options);
    std::string out;
    REQUIRE(writer.write(out, &m, {}, {}, hl7::JsonSource{"f", 1, 0, 1}).ok());
    CHECK(out.find("\xC3\xA9") != std::string::npos);
    CHECK(out.find("\"source\"") == std::string::npos);
}

TEST_CASE("writer: read and written back in the form it came in, a stream is unchanged") {
    for (const char* name : {"batch.hl7", "mixed_ends.hl7", "adt_a01.hl7", "orm_o01_crlf.hl7", "short_msh2.hl7"}) {
        CAPTURE(name);
        const std::string data = testutil::read_data(name);
        CHECK(rewrite(data, writer_for(OutputForm::er7, SegmentEndStyle::keep)) == data);
    }
    // ER7 -> MLLP -> ER7, and ER7 -> JSON -> ER7.
    const std::string data = testutil::read_data("batch.hl7") + testutil::read_data("oru_r01.hl7");
    const std::string framed = rewrite(data, writer_for(OutputForm::mllp));
    CHECK(framed.front() == '\x0b');
    CHECK(rewrite(framed, writer_for(OutputForm::er7)) == rewrite(data, writer_for(OutputForm::er7)));
    const std::string json = rewrite(data, writer_for(OutputForm::json));
    CHECK(rewrite(json, writer_for(OutputForm::er7)) == rewrite(data, writer_for(OutputForm::er7)));
}
