// Tests of MessageStream: form detection however the bytes come, NDJSON resynchronisation, problems and notes placed.
#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

#include "hl7/reader.hpp"

namespace {

struct Entry {
    std::string er7;  // the message, or "" when there is none
    std::string problem;
    std::uint64_t index = 0, offset = 0, line = 0;
    bool from_json = false;
    bool operator==(const Entry&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
    return os << "{'" << e.er7 << "' " << e.problem << " #" << e.index << " @" << e.offset << " line " << e.line
              << (e.from_json ? " json" : "") << "}";
}

std::ostream& operator<<(std::ostream& os, const std::vector<Entry>& entries) {
    for (const Entry& e : entries) os << e;
    return os;
}

std::vector<Entry> entries_of(const std::string& data, std::size_t max_read, hl7::InputForm* form = nullptr) {
    hl7::StringSource source(data, max_read);
    hl7::MessageStream stream(source);
    std::vector<Entry> out;
    while (stream.next()) {
        Entry e;
        if (stream.message()) e.er7 = stream.message()->to_er7();
        if (stream.problem()) e.problem = stream.problem()->code;
        e.index = stream.item().index;
        e.offset = stream.item().offset;
        e.line = stream.item().line;
        e.from_json = stream.from_json();
        out.push_back(e);
    }
    CHECK_FALSE(stream.error().has_value());
    if (form) *form = stream.form();
    return out;
}

const std::string kA = "MSH|^~\\&|A\r";
const std::string kB = "MSH|^~\\&|B\r";

}  // namespace

TEST_CASE("MessageStream: the form is decided by the first byte that is not blank, however the bytes come") {
    const std::string ndjson = "{\"segments\":[{\"fields\":[\"MSH\",\"|\",\"^~\\\\&\",\"A\"]}]}\n";
    for (std::size_t max_read : {std::size_t(1), std::size_t(2), std::size_t(SIZE_MAX)}) {
        CAPTURE(max_read);
        hl7::InputForm form{};
        auto rows = entries_of("\n \r\n\t" + ndjson, max_read, &form);
        CHECK(form == hl7::InputForm::json);
        CHECK(rows == std::vector<Entry>{{kA, "", 1, 5, 3, true}});
        rows = entries_of("\xEF\xBB\xBF\n" + ndjson, max_read, &form);
        CHECK(form == hl7::InputForm::json);
        CHECK(rows == std::vector<Entry>{{kA, "", 1, 4, 2, true}});
        rows = entries_of("\r\n" + kA + kB, max_read, &form);
        CHECK(form == hl7::InputForm::er7);
        CHECK(rows == std::vector<Entry>{{kA, "", 1, 2, 2, false}, {kB, "", 2, 2 + kA.size(), 2, false}});
        rows = entries_of("\xEF\xBB", max_read, &form);  // part of a BOM, then nothing
        CHECK(form == hl7::InputForm::er7);
        CHECK(rows.size() == 1);  // junk
        rows = entries_of(" \n", max_read, &form);
        CHECK(form == hl7::InputForm::er7);
        CHECK(rows.empty());
    }
}

TEST_CASE("MessageStream: one bad NDJSON line does not lose the rest") {
    const std::string a = "{\"segments\":[{\"fields\":[\"MSH\",\"|\",\"^~\\\\&\",\"A\"]}]}";
    const std::string b = "{\"segments\":[{\"fields\":[\"MSH\",\"|\",\"^~\\\\&\",\"B\"]}]}";
    const std::string data = a + "\n{\"bad json\n" + b + "\n";
    for (std::size_t max_read : {std::size_t(1), std::size_t(SIZE_MAX)}) {
        auto rows = entries_of(data, max_read);
        CHECK(rows == std::vector<Entry>{{kA, "", 1, 0, 1, true},
                                         {"", "bad-json", 2, a.size() + 1, 2, true},
                                         {kB, "", 3, a.size() + 12, 3, true}});
    }
}

TEST_CASE("MessageStream: problems, notes and the JSON source") {
    SUBCASE("ER7: junk, unusable delimiters, and parse notes placed in the stream") {
        const std::string data = "PID|1\n" + kA + "\nMSH|&&&&|X\r";  // lines 1, 2 and 3
        hl7::StringSource source(data);
        hl7::MessageStream stream(source);
        REQUIRE(stream.next());
        REQUIRE(stream.problem() != nullptr);
        CHECK(stream.problem()->code == "not-a-message");
        CHECK(stream.problem()->where.byte_offset == 0);
        CHECK(stream.message() == nullptr);
        REQUIRE(stream.next());
        CHECK(stream.problem() == nullptr);
        REQUIRE(stream.message() != nullptr);
        CHECK(stream.message()->original_text() == kA + "\n");  // with its CRLF
        REQUIRE(stream.next());
        REQUIRE(stream.problem() != nullptr);
        CHECK(stream.problem()->where.has_offset);
        CHECK(stream.problem()->where.byte_offset == 6 + kA.size() + 1);
        CHECK(stream.problem()->where.line == 3);
        CHECK_FALSE(stream.next());
    }
    SUBCASE("JSON: source, batch lines, and a message too large") {
        const std::string with_source =
            "{\"segments\":[{\"fields\":[\"MSH\",\"|\",\"^~\\\\&\",\"A\"]}],\"batch\":{\"header\":[{\"fields\":[\"BHS\",\"|\",\"^~\\\\&\"]}]},"
            "\"source\":{\"file\":\"in.hl7\",\"message\":7}}";
        const std::string big = "{\"segments\":[{\"fields\":[\"MSH\",\"|\",\"^~\\\\&\",\"" + std::string(200, 'x') + "\"]}]}";
        const std::string data = with_source + "\n" + big + "\n";
        hl7::StringSource source(data);
        hl7::ReaderOptions options;
        options.max_message_size = 150;
        hl7::MessageStream stream(source, options);
        REQUIRE(stream.next());
        REQUIRE(stream.json_origin().has_value());
        CHECK(stream.json_origin()->file == "in.hl7");
        CHECK(stream.json_origin()->index == 7);
        CHECK(stream.item().header == std::vector<std::string_view>{"BHS|^~\\&"});
        CHECK(stream.item().text == kA);
        REQUIRE(stream.next());
        CHECK_FALSE(stream.json_origin().has_value());
        REQUIRE(stream.problem() != nullptr);
        CHECK(stream.problem()->code == "message-too-large");
        CHECK(stream.problem()->where.byte_offset == with_source.size() + 1);
        CHECK(stream.item().oversized == big.size());
        CHECK_FALSE(stream.next());
    }
}

TEST_CASE("MessageStream: compressed, archived and wide-character input is named by its first bytes") {
    using namespace std::string_literals;
    const std::vector<std::pair<std::string, std::string_view>> cases = {
        {"\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03junk"s, "gzip"},
        {"PK\x03\x04\x14\x00\x00\x00"s, "zip"},
        {"BZh91AY&SY"s, "bzip2"},
        {"\xFD" "7zXZ\x00\x00\x04"s, "xz"},
        {"\x28\xB5\x2F\xFD\x04\x58"s, "zstd"},
        {"%PDF-1.7\n"s, "PDF"},
        {"\xFF\xFEM\0S\0H\0|\0"s, "UTF-16"},
        {"M\0S\0H\0|\0^\0"s, "UTF-16"},
        {"\xFF\xFE\0\0M\0\0\0"s, "UTF-32"},
        {kA, ""},
        {"MSH"s, ""},  // shorter than the magic numbers: the end decides
        {"{\"segments\":[]}"s, ""},
    };
    for (const auto& [data, kind] : cases) {
        for (std::size_t max_read : {std::size_t(1), std::size_t(3), std::size_t(4096)}) {
            CAPTURE(kind);
            CAPTURE(max_read);
            hl7::StringSource source(data, max_read);
            hl7::MessageStream stream(source);
            bool first = true;
            while (stream.next()) {
                if (first) CHECK(stream.binary_kind() == kind);
                first = false;
            }
            if (first) CHECK(stream.binary_kind() == kind);
            CHECK_FALSE(stream.error().has_value());
        }
    }
}

TEST_CASE("MessageStream: a JSON array (jq -s) is read as its messages, however the bytes come") {
    const std::string a = R"({"segments":[{"fields":["MSH","|","^~\\&","A"]}]})";
    const std::string b = R"({"segments":[{"fields":["MSH","|","^~\\&","B"]}]})";
    const std::string input = "[\n  " + a + ",\n  " + b + "\n]\n[]\n" + a + "\n";
    for (std::size_t max_read : {std::size_t(1), std::size_t(7), std::size_t(4096)}) {
        CAPTURE(max_read);
        hl7::InputForm form = hl7::InputForm::unknown;
        auto rows = entries_of(input, max_read, &form);
        CHECK(form == hl7::InputForm::json);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].er7 == kA);
        CHECK(rows[1].er7 == kB);
        CHECK(rows[2].er7 == kA);
        CHECK(rows[0].index == 1);
        CHECK(rows[1].index == 2);
        CHECK(rows[1].offset == 0);  // an element is placed at its array
        CHECK(rows[2].index == 3);
        CHECK(rows[2].line == 6);
    }
    // An array of things that are not messages: each element is reported.
    auto bad = entries_of("[1, 2]", 4096);
    REQUIRE(bad.size() == 2);
    CHECK(bad[0].problem == "bad-json");
}
