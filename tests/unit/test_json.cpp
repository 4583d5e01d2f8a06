// Tests of the JSON form: write_json structure, charsets and diagnostics, reading back, flat form, pretty printing.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "helpers.hpp"
#include "common/presentation.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"

using hl7::Message;
using nlohmann::json;

namespace {

std::string to_json(const Message& m, const hl7::JsonSource& source = {}, const hl7::JsonWriteOptions& options = {},
                    hl7::Diagnostics* diagnostics = nullptr, const std::vector<std::string_view>& header = {},
                    const std::vector<std::string_view>& trailer = {}) {
    std::string out;
    hl7::write_json(out, &m, header, trailer, source, options, diagnostics);
    return out;
}

// The message keeps its own copy: callers pass temporaries.
Message parse(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE(m.ok());
    return std::move(*m);
}

const std::string kTiny = "MSH|^~\\&|A|B\rPID|1||123^^^H&1.2&ISO~9||\"\"|\r";

std::string strip_ansi(const std::string& s) { return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), ""); }

}  // namespace

TEST_CASE("write_json: exact output for a tiny message") {
    auto m = parse(kTiny);
    const std::string expected =
        R"({"hl7json":2,"segments":[)"
        R"({"id":"MSH","fields":["MSH",[["|"]],[["^~\\&"]],[["A"]],[["B"]]]},)"
        R"({"id":"PID","fields":["PID",[["1"]],[],[["123","","",["H","1.2","ISO"]],["9"]],[],[["\"\""]],[]]}]})";
    CHECK(to_json(m) == expected);
    // write_json appends.
    std::string out = "X";
    hl7::write_json(out, &m, {}, {}, {}, {}, nullptr);
    CHECK(out == "X" + expected);
}

TEST_CASE("write_json: absent, empty and null") {
    auto m = parse("MSH|^~\\&\rNTE|\"\"|a^\"\"^|~x||\r");
    auto j = json::parse(to_json(m));
    const json& f = j["segments"][1]["fields"];
    REQUIRE(f.size() == 6);  // NTE plus five fields: the segment's last field is empty, not absent
    CHECK(f[0] == "NTE");
    // hl7json 2: the HL7 null is the string of two quotes, as ER7 carries it; JSON null is not written.
    CHECK(f[1] == json::parse(R"([["\"\""]])"));
    CHECK(f[2] == json::parse(R"([["a","\"\"",""]])"));
    CHECK(f[3] == json::parse(R"([[""],["x"]])"));  // an empty first repetition
    CHECK(f[4] == json::parse("[]"));
    CHECK(f[5] == json::parse("[]"));
    // A quoted value that is more than the two quotes is data, not null.
    auto q = json::parse(to_json(parse("MSH|^~\\&\rNTE|\"x\"|\"\"\"\r")));
    CHECK(q["segments"][1]["fields"][1] == json::parse(R"([["\"x\""]])"));
    CHECK(q["segments"][1]["fields"][2] == json::parse(R"([["\"\"\""]])"));
}

TEST_CASE("write_json: subcomponents, escapes and the source object") {
    auto m = parse("MSH|^~\\&|A\rNTE|1|a&b&&c^d\\F\\e\\.br\\f\\E\\g\r");
    hl7::JsonSource source;
    source.file = "in.hl7";
    source.index = 2;
    source.offset = 100;
    source.line = 7;
    const std::string out = to_json(m, source);
    CHECK(out ==
          R"({"hl7json":2,"segments":[{"id":"MSH","fields":["MSH",[["|"]],[["^~\\&"]],[["A"]]]},)"
          R"({"id":"NTE","fields":["NTE",[["1"]],[[["a","b","","c"],"d|e\\.br\\f\\E\\g"]]]}],)"
          R"("source":{"file":"in.hl7","message":2,"offset":100,"line":7}})");
    hl7::JsonWriteOptions no_source;
    no_source.include_source = false;
    CHECK(to_json(m, source, no_source).find("\"source\"") == std::string::npos);
    // An index alone is enough for a source object.
    hl7::JsonSource index_only;
    index_only.index = 1;
    auto j = json::parse(to_json(m, index_only));
    CHECK(j["source"] == json::parse(R"({"file":"","message":1,"offset":0,"line":0})"));
}

TEST_CASE("write_json: JSON string escaping of control characters and quotes") {
    auto m = parse("MSH|^~\\&\rNTE|a\"b\\X09\\c\\X0D\\d\\X01\\\r");
    const std::string out = to_json(m);
    CHECK(out.find(R"(["a\"b\tc\rd\u0001"])") != std::string::npos);
    auto j = json::parse(out);
    CHECK(j["segments"][1]["fields"][1][0][0] == "a\"b\tc\rd\x01");
}

TEST_CASE("write_json: batch header and trailer") {
    auto m = parse(kTiny);
    std::vector<std::string_view> header = {"FHS|^~\\&|F", "BHS|^~\\&|B"};
    std::vector<std::string_view> trailer = {"BTS|1", "FTS|1"};
    auto j = json::parse(to_json(m, {}, {}, nullptr, header, trailer));
    REQUIRE(j.contains("batch"));
    CHECK(j["batch"]["header"] == json::parse(R"([
        {"id":"FHS","fields":["FHS",[["|"]],[["^~\\&"]],[["F"]]]},
        {"id":"BHS","fields":["BHS",[["|"]],[["^~\\&"]],[["B"]]]}])"));
    CHECK(j["batch"]["trailer"] == json::parse(R"([
        {"id":"BTS","fields":["BTS",[["1"]]]},
        {"id":"FTS","fields":["FTS",[["1"]]]}])"));
    CHECK(j["segments"].size() == 2);

    // Batch lines without a message.
    std::string out;
    hl7::write_json(out, nullptr, header, trailer, {}, {}, nullptr);
    auto only = json::parse(out);
    CHECK(only["segments"] == json::array());
    CHECK(only["batch"]["header"].size() == 2);
    CHECK(only["batch"]["trailer"].size() == 2);
    auto back = hl7::message_from_json(out);
    REQUIRE(back.ok());
    CHECK(back->er7.empty());
    CHECK(back->batch_header == std::vector<std::string>{"FHS|^~\\&|F", "BHS|^~\\&|B"});
    CHECK(back->batch_trailer == std::vector<std::string>{"BTS|1", "FTS|1"});
}

TEST_CASE("write_json: charset conversion from 8859/1") {
    const std::string text = "MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xDCLLER^JOS\xC9\r";
    auto m = parse(text);
    auto declared = hl7::declared_charset(m);
    CHECK(declared.charset == hl7::Charset::iso8859_1);
    CHECK(declared.known);
    CHECK(declared.name == "8859/1");
    hl7::Diagnostics diags;
    auto j = json::parse(to_json(m, {}, {}, &diags));
    CHECK(diags.empty());
    CHECK(j["segments"][1]["fields"][5] == json::parse(R"([["MÜLLER","JOSÉ"]])"));
    CHECK(j["segments"][0]["fields"][18] == json::parse(R"([["8859/1"]])"));
    // Read back: the text is written in ISO-8859-1 again.
    auto back = hl7::message_from_json(to_json(m));
    REQUIRE(back.ok());
    CHECK(back->er7 == text);

    // The latin1.hl7 test file.
    auto file = testutil::read_data("latin1.hl7");
    auto lm = parse(file);
    auto lj = json::parse(to_json(lm));
    auto pid = std::find_if(lj["segments"].begin(), lj["segments"].end(), [](const json& s) { return s["id"] == "PID"; });
    REQUIRE(pid != lj["segments"].end());
    CHECK((*pid)["fields"][5] == json::parse(R"([["MÜLLER","JOSÉ"]])"));
}

TEST_CASE("write_json: charset override and unknown charsets") {
    const std::string text = "MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5||||||KLINGON\rPID|1||||caf\xC3\xA9\r";
    auto m = parse(text);
    hl7::Diagnostics diags;
    auto j = json::parse(to_json(m, {}, {}, &diags));
    const auto* w = testutil::find_code(diags, "unknown-charset");
    REQUIRE(w != nullptr);
    CHECK(w->where.path == "MSH-18");
    CHECK(w->value == "KLINGON");
    CHECK(j["segments"][1]["fields"][5][0][0] == "caf\xC3\xA9");  // read as UTF-8

    hl7::JsonWriteOptions latin;
    latin.charset = hl7::Charset::iso8859_1;
    hl7::Diagnostics none;
    const std::string out = to_json(m, {}, latin, &none);
    CHECK(none.empty());
    auto lj = json::parse(out);
    CHECK(lj["charset"] == "8859/1");
    CHECK(lj["segments"][1]["fields"][5][0][0] == "caf\xC3\x83\xC2\xA9");  // two Latin-1 characters
    auto back = hl7::message_from_json(out);
    REQUIRE(back.ok());
    CHECK(back->er7 == text);
}

TEST_CASE("write_json: invalid bytes and bad escapes warn with a path") {
    SUBCASE("invalid UTF-8 in a component") {
        auto m = parse("MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1||||DO\xFF" "E^JANE\r");
        hl7::Diagnostics diags;
        auto out = to_json(m, {}, {}, &diags);
        REQUIRE(diags.size() == 1);
        CHECK(diags[0].code == "invalid-byte");
        CHECK(diags[0].severity == hl7::Severity::warning);
        CHECK(diags[0].where.path == "PID-5.1");
        CHECK(diags[0].where.segment_index == 2);
        CHECK(diags[0].where.segment_id == "PID");
        CHECK(diags[0].text.find("\xFF") == std::string::npos);  // no message content in the text
        auto j = json::parse(out);
        CHECK(j["segments"][1]["fields"][5][0][0] == "DO\\XFF\\E");
    }
    SUBCASE("in a later repetition, component and subcomponent of a repeated segment") {
        auto m = parse("MSH|^~\\&\rOBX|1\rOBX|2||a~b^c&d\xFF\r");
        hl7::Diagnostics diags;
        to_json(m, {}, {}, &diags);
        REQUIRE(diags.size() == 1);
        CHECK(diags[0].where.path == "OBX[2]-3[2].2.2");
    }
    SUBCASE("in the first subcomponent, and in a component after subcomponents") {
        auto m = parse("MSH|^~\\&\rOBX|1||a\xFF&b^c\xFE\r");
        hl7::Diagnostics diags;
        to_json(m, {}, {}, &diags);
        REQUIRE(diags.size() == 2);
        CHECK(diags[0].where.path == "OBX-3.1.1");
        CHECK(diags[1].where.path == "OBX-3.2");
    }
    SUBCASE("bad_escape.hl7") {
        auto file = testutil::read_data("bad/bad_escape.hl7");
        auto m = parse(file);
        hl7::Diagnostics diags;
        auto j = json::parse(to_json(m, {}, {}, &diags));
        REQUIRE(diags.size() == 2);
        CHECK(diags[0].code == "bad-escape");
        CHECK(diags[0].where.path == "NTE-3.1");
        CHECK(diags[1].code == "bad-escape");
        CHECK(diags[1].where.path == "NTE[2]-3.1");
        // Kept as text: the backslash is data, so \E\ in the JSON form.
        auto nte = std::find_if(j["segments"].begin(), j["segments"].end(), [](const json& s) { return s["id"] == "NTE"; });
        REQUIRE(nte != j["segments"].end());
        CHECK((*nte)["fields"][3][0][0] == "UNKNOWN \\E\\Q\\E\\ ESCAPE");
    }
    SUBCASE("invalid_utf8.hl7") {
        auto file = testutil::read_data("bad/invalid_utf8.hl7");
        auto m = parse(file);
        hl7::Diagnostics diags;
        to_json(m, {}, {}, &diags);
        REQUIRE(diags.size() == 1);
        CHECK(diags[0].code == "invalid-byte");
        CHECK(diags[0].where.path == "PID-5.1");
    }
}

TEST_CASE("message_from_json: ER7 -> JSON -> ER7 is byte-identical for every test message") {
    std::size_t messages = 0;
    for (const auto& file : testutil::hl7_data_files()) {
        INFO("file=", file);
        auto data = testutil::read_file(file);
        auto r = testutil::read_all(data);
        for (const auto& it : r.items) {
            if (!it.has_message()) continue;
            auto m = Message::parse(it.text);
            if (!m.ok()) continue;
            ++messages;
            INFO("message ", it.index);
            std::vector<std::string_view> header(it.header.begin(), it.header.end());
            std::vector<std::string_view> trailer(it.trailer.begin(), it.trailer.end());
            hl7::JsonSource source;
            source.file = file;
            source.index = it.index;
            hl7::Diagnostics diags;
            const std::string out = to_json(*m, source, {}, &diags, header, trailer);
            CHECK(diags.empty());
            json parsed;
            CHECK_NOTHROW(parsed = json::parse(out));
            auto back = hl7::message_from_json(out);
            REQUIRE(back.ok());
            CHECK(back->er7 == m->to_er7(hl7::SegmentEndStyle::cr));
            CHECK(back->batch_header == it.header);
            CHECK(back->batch_trailer == it.trailer);
            CHECK(back->file == file);
            CHECK(back->index == it.index);
            // And the JSON of the result is the same JSON.
            auto again = Message::parse(back->er7);
            REQUIRE(again.ok());
            CHECK(to_json(*again, source, {}, nullptr, header, trailer) == out);
        }
    }
    CHECK(messages >= 18);
}

TEST_CASE("message_from_json: custom and short delimiters") {
    for (std::string text :
         {std::string("MSH#$*!%#SND#FAC#RCV\rPID#1##A$B%C*D!F!E#back\\slash|pipe^caret\r"),
          std::string("MSH|^~\\|SND|SMITH & JONES\rPID|1||1 R&D WAY^^X\r"),
          std::string("MSH|^~\\&#|SND\rPID|1||CUT#^A\\P\\B\r")}) {
        CAPTURE(text);
        auto m = parse(text);
        auto back = hl7::message_from_json(to_json(m));
        REQUIRE(back.ok());
        CHECK(back->er7 == text);
    }
}

TEST_CASE("message_from_json: hand-written JSON") {
    auto r = hl7::message_from_json(
        R"({"segments":[{"id":"MSH","fields":["MSH","|","^~\\&","A"]},)"
        R"({"fields":["PID","1",null,[["x",["s1","s2"]],"rep2"],[[]],"a|b"]}]})");
    REQUIRE(r.ok());
    // Bare strings are accepted for fields and repetitions; "a|b" is escaped; null (what jq pads
    // lists with) is empty.
    CHECK(r->er7 == "MSH|^~\\&|A\rPID|1||x^s1&s2~rep2||a\\F\\b\r");
    CHECK(r->file.empty());
    CHECK(r->index == 0);
}

TEST_CASE("message_from_json: malformed input is an error, not a crash") {
    const std::vector<std::string> bad = {
        "",
        "{",
        "not json",
        "[]",
        "42",
        R"({"segments":[{"fields":["MSH",[["|"]],[["^~\\&"]],1E999]}]})",  // a number beyond a double
        R"({"hl7json":3,"segments":[]})",
        R"({"hl7json":1})",
        R"({"segments":5})",
        R"({"segments":[5]})",
        R"({"segments":[{}]})",
        R"({"segments":[{"fields":[]}]})",
        R"({"segments":[{"fields":[7]}]})",
        R"({"segments":[{"fields":"MSH"}]})",
        R"({"segments":[{"fields":["MSH"]}]})",
        R"({"segments":[{"fields":["MSH","||","^~\\&"]}]})",
        R"({"segments":[{"fields":["MSH","|"]}]})",
        R"({"segments":[{"fields":["MSH","|","&&&&"]}]})",
        R"({"segments":[{"fields":["MSH","|",5]}]})",
        R"({"segments":[{"fields":["MSH","|","^~\\&",[[5]]]}]})",
        R"({"segments":[{"fields":["MSH","|","^~\\&",[[{"a":1}]]]}]})",
        R"({"segments":[{"fields":["MSH","|","^~\\&",[[[["deep"]]]]]}]})",
        R"({"segments":[{"fields":["MSH","|","^~\\&",{"x":1}]}]})",
        R"({"segments":[{"fields":["MSH","|","^~\\&"]}],"batch":{"header":[5]}})",
        R"({"segments":[{"fields":["MSH","|","^~\\&",true]}]})",
    };
    for (const auto& text : bad) {
        CAPTURE(text);
        auto r = hl7::message_from_json(text);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == "bad-json");
        CHECK_FALSE(r.error().text.empty());
    }
}

TEST_CASE("write_flat_json: keys and values, empty ones kept so that two flat forms can be diffed") {
    auto m = parse(std::string(kTiny) + "OBX|1|NM|G||5\rOBX|2|ST|N||a\\S\\b\r");
    std::string out;
    hl7::write_flat_json(out, m, {}, nullptr);
    auto j = json::parse(out);
    const json expected = json::parse(R"({
        "MSH-1":"|", "MSH-2":"^~\\&", "MSH-3[1].1":"A", "MSH-4[1].1":"B",
        "PID-1[1].1":"1", "PID-2[1].1":"", "PID-3[1].1":"123", "PID-3[1].2":"", "PID-3[1].3":"",
        "PID-3[1].4.1":"H", "PID-3[1].4.2":"1.2", "PID-3[1].4.3":"ISO",
        "PID-3[2].1":"9", "PID-4[1].1":"", "PID-5[1].1":"\"\"", "PID-6[1].1":"",
        "OBX-1[1].1":"1", "OBX-2[1].1":"NM", "OBX-3[1].1":"G", "OBX-4[1].1":"", "OBX-5[1].1":"5",
        "OBX[2]-1[1].1":"2", "OBX[2]-2[1].1":"ST", "OBX[2]-3[1].1":"N", "OBX[2]-4[1].1":"", "OBX[2]-5[1].1":"a^b"})");
    CHECK(j == expected);
    // Keys come in message order.
    CHECK(out.substr(0, 20) == R"({"MSH-1":"|","MSH-2")");
    // An empty message body still gives an object.
    std::string bare;
    hl7::write_flat_json(bare, parse("MSH|"), {}, nullptr);
    CHECK(json::parse(bare) == json::parse(R"({"MSH-1":"|","MSH-2":""})"));
    // A segment ID that is not a segment is escaped in its key.
    std::string odd;
    hl7::write_flat_json(odd, parse("MSH|^~\\&|A\rX\"Y|1\r"), {}, nullptr);
    CHECK(json::parse(odd)["X\"Y-1[1].1"] == "1");
}

TEST_CASE("write_flat_json: large indices, output appended after what the buffer holds, control bytes") {
    // Field 105, repetition 12, component 10, subcomponent 100: the one-, two- and many-digit paths.
    std::string text = "MSH|^~\\&|A\rZZZ" + std::string(104, '|') + "|" + std::string(11, '~') + "a^^^^^^^^^b" +
                       std::string(99, '&') + "c\x01\r";
    auto m = parse(text);
    std::string out = "kept:";
    hl7::write_flat_json(out, m, {}, nullptr);
    REQUIRE(out.substr(0, 5) == "kept:");
    auto j = json::parse(out.substr(5));
    CHECK(j["ZZZ-105[12].1"] == "a");
    CHECK(j["ZZZ-105[12].10.1"] == "b");
    CHECK(j["ZZZ-105[12].10.100"] == "c\x01");
    CHECK(j["ZZZ-105[1].1"] == "");
    CHECK(j["ZZZ-104[1].1"] == "");
    // A large message grows the buffer many times over.
    std::string big = "MSH|^~\\&|A\r";
    for (int i = 0; i < 3000; ++i) big += "OBX|" + std::to_string(i) + "|ST|CODE^Name^LN||value \\E\\ " + std::to_string(i) + "\r";
    std::string big_out;
    hl7::write_flat_json(big_out, parse(big), {}, nullptr);
    auto big_json = json::parse(big_out);
    CHECK(big_json["OBX[3000]-5[1].1"] == "value \\ 2999");
    CHECK(big_json.size() == 2 + 1 + 3000 * 7);
}

TEST_CASE("pretty_json re-parses to the same value, with and without colour") {
    std::vector<std::string> inputs = {
        to_json(parse(kTiny)),
        to_json(parse("MSH|^~\\&|A\rNTE|1|x\"y{z}[w],:v\\E\\u\\.br\\t~\\F\\\r")),
        R"({})",
        R"([])",
        R"({"a":[],"b":{},"c":[1,2,{"d":null}],"e":"}]\\\"","f":true,"g":-1.5e3})",
    };
    auto file = testutil::read_data("oru_r01.hl7");
    inputs.push_back(to_json(parse(file)));
    for (const auto& compact : inputs) {
        CAPTURE(compact);
        const json expected = json::parse(compact);
        const std::string pretty = hl7::cli::pretty_json(compact, false);
        CHECK(pretty.find('\x1b') == std::string::npos);
        CHECK(json::parse(pretty) == expected);
        const std::string colored = hl7::cli::pretty_json(compact, true);
        CHECK(json::parse(strip_ansi(colored)) == expected);
        CHECK(strip_ansi(colored) == pretty);
    }
    const std::string pretty = hl7::cli::pretty_json(to_json(parse(kTiny)), false);
    CHECK(pretty.substr(0, 30) == "{\n  \"hl7json\": 2,\n  \"segments\"");
    CHECK(hl7::cli::pretty_json(to_json(parse(kTiny)), true).find("\x1b[") != std::string::npos);
}

TEST_CASE("JsonObjectReader: NDJSON and pretty-printed objects back to back") {
    auto read_objects = [](const std::string& data, std::size_t max_read) {
        hl7::StringSource source(data, max_read);
        hl7::JsonObjectReader reader(source);
        std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> out;
        hl7::JsonObjectText object;
        while (reader.next(object)) {
            CHECK(object.size == object.text.size());
            out.emplace_back(std::string(object.text), object.offset, object.line);
        }
        CHECK_FALSE(reader.error().has_value());
        return out;
    };
    using Row = std::tuple<std::string, std::uint64_t, std::uint64_t>;
    for (std::size_t max_read : {std::size_t(1), std::size_t(2), std::size_t(7), std::size_t(SIZE_MAX)}) {
        CAPTURE(max_read);
        SUBCASE("NDJSON") {
            const std::string data = "{\"a\":1}\n{\"b\":[1,2]}\n{\"s\":\"}{\\\"\"}\n";
            auto rows = read_objects(data, max_read);
            CHECK(rows == std::vector<Row>{{"{\"a\":1}", 0, 1}, {"{\"b\":[1,2]}", 8, 2}, {"{\"s\":\"}{\\\"\"}", 20, 3}});
        }
        SUBCASE("pretty-printed") {
            const std::string first = "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}";
            const std::string second = "{\n  \"c\": \"x\\ny\"\n}";
            const std::string data = first + "\n" + second + "\n";
            auto rows = read_objects(data, max_read);
            CHECK(rows == std::vector<Row>{{first, 0, 1}, {second, first.size() + 1, 7}});
        }
        SUBCASE("no newline between or after objects, blank lines before") {
            const std::string data = "\n\n  {\"a\":1}{\"b\":2}";
            auto rows = read_objects(data, max_read);
            CHECK(rows == std::vector<Row>{{"{\"a\":1}", 4, 3}, {"{\"b\":2}", 11, 3}});
        }
        SUBCASE("empty input") { CHECK(read_objects("", max_read).empty()); }
        SUBCASE("hl7parse output read back") {
            std::string data;
            auto a = parse(kTiny);
            auto b = parse("MSH|^~\\&|X\rOBX|1|ST|{}||\"]\"\r");
            data += to_json(a) + "\n" + hl7::cli::pretty_json(to_json(b), false) + "\n";
            auto rows = read_objects(data, max_read);
            REQUIRE(rows.size() == 2);
            auto ra = hl7::message_from_json(std::get<0>(rows[0]));
            auto rb = hl7::message_from_json(std::get<0>(rows[1]));
            REQUIRE(ra.ok());
            REQUIRE(rb.ok());
            CHECK(ra->er7 == kTiny);
            CHECK(rb->er7 == "MSH|^~\\&|X\rOBX|1|ST|{}||\"]\"\r");
        }
    }
}

TEST_CASE("append_json_string") {
    std::string out;
    hl7::append_json_string(out, "a\"b\\c\n\x01\xC3\xA9");
    CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\"");
}

namespace {

using ObjectRow = std::tuple<std::string, std::uint64_t, std::uint64_t>;

std::vector<ObjectRow> objects_of(const std::string& data, std::size_t max_read, std::size_t limit = std::size_t(64) << 20) {
    hl7::StringSource source(data, max_read);
    hl7::JsonObjectReader reader(source, limit);
    std::vector<ObjectRow> out;
    hl7::JsonObjectText object;
    while (reader.next(object)) {
        out.emplace_back(object.too_large ? "<too large: " + std::to_string(object.size) + ">" : std::string(object.text),
                         object.offset, object.line);
    }
    CHECK_FALSE(reader.error().has_value());
    return out;
}

}  // namespace

TEST_CASE("JsonObjectReader: a damaged object ends where it cannot go on, so the next line is read") {
    for (std::size_t max_read : {std::size_t(1), std::size_t(3), std::size_t(SIZE_MAX)}) {
        CAPTURE(max_read);
        SUBCASE("an unterminated string ends at its line end") {
            auto rows = objects_of("{\"a\":1}\n{\"bad json\n{\"c\":3}\n", max_read);
            CHECK(rows == std::vector<ObjectRow>{{"{\"a\":1}", 0, 1}, {"{\"bad json", 8, 2}, {"{\"c\":3}", 19, 3}});
        }
        SUBCASE("a missing closing brace: the next line's object starts where no value may follow") {
            auto rows = objects_of("{\"a\":[1,2]\n{\"b\":2}\n{\"c\":[3],\n{\"d\":4}\n", max_read);
            REQUIRE(rows.size() == 4);
            CHECK(std::get<0>(rows[0]) == "{\"a\":[1,2]\n");
            CHECK(std::get<2>(rows[1]) == 2);
            CHECK(std::get<0>(rows[1]) == "{\"b\":2}");
            CHECK(std::get<0>(rows[2]) == "{\"c\":[3],\n");
            CHECK(std::get<0>(rows[3]) == "{\"d\":4}");
            CHECK(std::get<1>(rows[3]) == 29);
            CHECK(std::get<2>(rows[3]) == 4);
        }
        SUBCASE("where a value may follow, a { at a line start goes on the object") {
            const std::string pretty = "{\n\"a\":\n{\"b\":1},\n\"c\": [\n{\"d\":2},\n{\"e\":3}\n]\n}";
            auto rows = objects_of(pretty + "\n{\"f\":4}", max_read);
            CHECK(rows == std::vector<ObjectRow>{{pretty, 0, 1}, {"{\"f\":4}", pretty.size() + 1, 9}});
        }
        SUBCASE("text outside objects comes a line at a time") {
            auto rows = objects_of("junk\n\"str\"\n{\"a\":1}\n", max_read);
            CHECK(rows == std::vector<ObjectRow>{{"junk", 0, 1}, {"\"str\"", 5, 2}, {"{\"a\":1}", 11, 3}});
        }
        SUBCASE("a byte order mark at the start is skipped") {
            auto rows = objects_of("\xEF\xBB\xBF{\"a\":1}\n", max_read);
            CHECK(rows == std::vector<ObjectRow>{{"{\"a\":1}", 3, 1}});
        }
        SUBCASE("an object larger than the limit is skipped to its end") {
            const std::string big = "{\"a\":\"" + std::string(300, 'x') + "\"}";
            auto rows = objects_of("{\"s\":1}\n" + big + "\n{\"t\":2}\n", max_read, 64);
            CHECK(rows == std::vector<ObjectRow>{{"{\"s\":1}", 0, 1},
                                                 {"<too large: " + std::to_string(big.size()) + ">", 8, 2},
                                                 {"{\"t\":2}", 9 + big.size(), 3}});
        }
    }
}


// Found by the fuzz_message target: a line in the middle of a message that starts with "MSH" and
// another character is a segment whose ID is that text, read with the message's delimiters.
TEST_CASE("JSON round trip: an MSH-like line inside a message keeps its text") {
    const std::string er7 = "MSH|^~\\&|A|||||||C1|P|2.5\rMSH^1J|x|y^z\rMSH|^~\\&|B\r";
    Message m = parse(er7);
    REQUIRE(m.size() == 3);
    CHECK(m.segment_id(1) == "MSH^1J");
    CHECK(m.segment_id(2) == "MSH");
    const std::string json_text = to_json(m);
    auto back = hl7::message_from_json(json_text);
    REQUIRE(back.ok());
    CHECK(back->er7 == er7);
}

// Found by the fuzz_message target: in literal text (a malformed segment ID), an invalid byte
// followed by the text \XAF\ was written \XD3\\XAF\ and read back as the two bytes D3 AF.
TEST_CASE("JSON round trip: literal text with \\X in it reads back as the same bytes") {
    for (std::string id : {std::string("\xD3\\XAF\\"), std::string("\\X5C\\"), std::string("a\\XC3\\b"),
                           std::string("\\XAB\xD3"), std::string("\\\xD3"), std::string("\\X\\XFF\\\xFF")}) {
        CAPTURE(id);
        const std::string er7 = "MSH|^~\\&|A\r" + id + "|1\r";
        Message m = parse(er7);
        const std::string json_text = to_json(m);
        auto back = hl7::message_from_json(json_text);
        REQUIRE(back.ok());
        CHECK(back->er7 == er7);
        CHECK(to_json(parse(back->er7)) == json_text);
    }
    // The form of a backslash followed by X.
    CHECK(to_json(parse("MSH|^~\\&|A\r\\XAF\\|1\r")).find(R"(\\X5C\\XAF\\")") != std::string::npos);
}

// Found by the fuzz_json target: JSON whose segment IDs ER7 cannot carry is refused, not written
// as ER7 that reads back as something else.
TEST_CASE("message_from_json: segment IDs that would not read back are refused") {
    auto read = [](const std::string& text) { return hl7::message_from_json(text); };
    const std::string msh = R"({"id":"MSH","fields":["MSH",[["|"]],[["^~\\&"]],[["A"]]]})";
    // A batch header line must be FHS or BHS, a trailer line BTS or FTS.
    auto bad_header = read(R"({"batch":{"header":[{"id":"BHSX","fields":["BHSX",[["x"]]]}]},"segments":[)" + msh + "]}");
    REQUIRE_FALSE(bad_header.ok());
    CHECK(bad_header.error().text.find("FHS or BHS") != std::string::npos);
    CHECK_FALSE(read(R"({"batch":{"trailer":[{"id":"ZZZ","fields":["ZZZ"]}]},"segments":[)" + msh + "]}").ok());
    // ... or a line the splitter takes for one (its ID followed by no letter or digit): a header whose
    // own delimiters are unusable is written split with the message's, so its ID runs on.
    auto runs_on = read(R"({"batch":{"header":[{"id":"FHS<&^~\\&","fields":["FHS<&^~\\&",[["A"]]]}]},"segments":[)" + msh + "]}");
    REQUIRE(runs_on.ok());
    REQUIRE(runs_on->batch_header.size() == 1);
    CHECK(runs_on->batch_header[0] == "FHS<&^~\\&|A");
    // An ID with the field separator or a segment end in it.
    CHECK_FALSE(read(R"({"segments":[)" + msh + R"(,{"id":"P|D","fields":["P|D"]}]})").ok());
    CHECK_FALSE(read(R"({"segments":[)" + msh + R"(,{"id":"P\rD","fields":["P\rD"]}]})").ok());
    // The check is on the ID as written: \Xhh\ of an invalid byte is one byte, not a backslash
    // (found by the fuzz smoke test, in a message whose field separator is the backslash).
    auto backslash = read(R"({"segments":[{"id":"MSH","fields":["MSH",[["\\"]],[["^~"]],[["A"]]]},{"id":"P|D\\XB1\\","fields":["P|D\\XB1\\"]}]})");
    REQUIRE(backslash.ok());
    CHECK(backslash->er7 == "MSH\\^~\\A\rP|D\xB1\r");
    // A bare "BHS" inside a message is a segment with no fields, and reads back as one (fuzz_message).
    auto bare = read(R"({"segments":[)" + msh + R"(,{"id":"BHS","fields":["BHS"]},{"id":"FHS","fields":["FHS",[["|"]]]}]})");
    REQUIRE(bare.ok());
    CHECK(bare->er7 == "MSH|^~\\&|A\rBHS\rFHS|\r");
    // A batch header whose field separator is a letter would not be a header line any more (fuzz_json).
    auto letter = read(R"({"batch":{"header":[{"id":"BHS","fields":["BHS",[["t"]],[["^~\\&"]]]}]},"segments":[)" + msh + "]}");
    REQUIRE_FALSE(letter.ok());
    CHECK(letter.error().text.find("letter or digit") != std::string::npos);
    // A header segment inside a message must use the message's field separator.
    auto inner = read(R"({"segments":[)" + msh + R"(,{"id":"MSH","fields":["MSH",[["#"]],[["^~\\&"]]]}]})");
    REQUIRE_FALSE(inner.ok());
    CHECK(inner.error().text.find("field separator") != std::string::npos);
    // ... and does not change the delimiters of the segments after it.
    auto same = read(R"({"segments":[)" + msh +
                     R"(,{"id":"MSH","fields":["MSH",[["|"]],[["$~\\&"]],[["a","b"]]]},{"id":"PID","fields":["PID",[["c","d"]]]}]})");
    REQUIRE(same.ok());
    CHECK(same->er7 == "MSH|^~\\&|A\rMSH|$~\\&|a^b\rPID|c^d\r");
}

// Found by fuzz_json: a batch header whose encoding characters held the field separator was
// written as ER7 that read back with other fields.
TEST_CASE("message_from_json: encoding characters holding the field separator or a segment end are refused") {
    for (std::string enc : {std::string("^~|\\\\&"), std::string("^~\\\\&\\r"), std::string("^~\\\\&\\n")}) {
        CAPTURE(enc);
        std::string header = R"({"hl7json":1,"batch":{"v":1,"header":[{"id":"BHS","fields":["BHS","|",")" + enc +
                             R"(","B1"]}]},"segments":[{"id":"MSH","fields":["MSH","|","^~\\&","A"]}]})";
        auto r = hl7::message_from_json(header);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().text.find("must not hold the field separator") != std::string::npos);
        std::string message = R"({"segments":[{"id":"MSH","fields":["MSH","|",")" + enc + R"(","A"]}]})";
        CHECK_FALSE(hl7::message_from_json(message).ok());
    }
}

TEST_CASE("message_from_json: a kept escape holding a delimiter goes out as text, counted, and reads back the same") {
    // '.' separates fields here, so \.br\ cannot be written: it would be cut at the '.' (fuzz_json).
    const std::string dotted = R"({"hl7json":2,"segments":[{"id":"MSH","fields":["MSH",".","^~\\&","APP",)"
                             R"("X\\.br\\Y","K\\H\\L"]}]})";
    auto first = hl7::message_from_json(dotted);
    REQUIRE(first.ok());
    CHECK(first->er7 == "MSH.^~\\&.APP.X\\F\\brY.K\\H\\L\r");
    auto message = Message::parse(first->er7);
    REQUIRE(message.ok());
    std::string again;
    hl7::write_json(again, &*message, {}, {}, {}, {}, nullptr);
    auto second = hl7::message_from_json(again);
    REQUIRE(second.ok());
    CHECK(second->er7 == first->er7);
    // With '|' as usual, the same sequence is kept as it is.
    auto usual = hl7::message_from_json(R"({"segments":[{"id":"MSH","fields":["MSH","|","^~\\&","X\\.br\\Y"]}]})");
    REQUIRE(usual.ok());
    CHECK(usual->er7 == "MSH|^~\\&|X\\.br\\Y\r");
}

// Found by fuzz_json: an FHS whose encoding characters were unusable (so the line is written with
// the message's delimiters) and held '|' came back split into fields, its escapes normalised.
TEST_CASE("message_from_json: unusable batch encoding characters must not hold the message's field separator") {
    auto cut = hl7::message_from_json(
        R"({"batch":{"header":[{"fields":["FHS",":","{{^~\\&|\\ZP","X"]}]},"segments":[{"fields":["MSH","|","^~\\&","A"]}]})");
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().text.find("must not hold the message's field separator") != std::string::npos);
    // Without the '|' the line reads back as it was written: the ID runs on over FHS-1 and FHS-2.
    auto whole = hl7::message_from_json(
        R"({"batch":{"header":[{"fields":["FHS",":","{{\\ZP","X"]}]},"segments":[{"fields":["MSH","|","^~\\&","A"]}]})");
    REQUIRE(whole.ok());
    REQUIRE(whole->batch_header.size() == 1);
    CHECK(whole->batch_header[0] == "FHS:{{\\ZP|X");
    Message m = parse(whole->er7);
    std::string out;
    std::vector<std::string_view> header(whole->batch_header.begin(), whole->batch_header.end());
    hl7::write_json(out, &m, header, {}, {}, {}, nullptr);
    auto back = hl7::message_from_json(out);
    REQUIRE(back.ok());
    CHECK(back->batch_header == whole->batch_header);
}

// Found by fuzz_json: a first segment whose ID only began with MSH was written as ER7 that reads
// back as an MSH with the next byte as its field separator.
TEST_CASE("message_from_json: the first segment's ID must be MSH itself") {
    auto longer = hl7::message_from_json(R"({"segments":[{"id":"MSH'x","fields":["MSH'x",[["|"]],[["^~\\&"]],[["A"]]]}]})");
    REQUIRE_FALSE(longer.ok());
    CHECK(longer.error().text.find("must be MSH itself") != std::string::npos);
    CHECK_FALSE(hl7::message_from_json(R"({"segments":[{"fields":["MSHX","A"]}]})").ok());
    CHECK(hl7::message_from_json(R"({"segments":[{"fields":["MSH","|","^~\\&","A"]}]})").ok());
}

TEST_CASE("message_from_json: batch lines read with the delimiters they were written with") {
    // An FHS with its own delimiters, then a trailer: the trailer was written with the message's.
    const std::string er7 = "MSH|^~\\&|A\rPID|1^2\r";
    Message m = parse(er7);
    std::string out;
    std::vector<std::string_view> header{"FHS#$*!@#F1", "BHS|^~\\&|B1"};
    std::vector<std::string_view> trailer{"BTS|1^x", "FTS|1"};
    hl7::write_json(out, &m, header, trailer, {}, {}, nullptr);
    auto back = hl7::message_from_json(out);
    REQUIRE(back.ok());
    CHECK(back->er7 == er7);
    CHECK(back->batch_header == std::vector<std::string>{"FHS#$*!@#F1", "BHS|^~\\&|B1"});
    CHECK(back->batch_trailer == std::vector<std::string>{"BTS|1^x", "FTS|1"});
    // Batch lines alone: the first header line's delimiters are the base.
    out.clear();
    std::vector<std::string_view> alone_header{"FHS#$*!@#F1"};
    std::vector<std::string_view> alone_trailer{"FTS#1$2"};
    hl7::write_json(out, nullptr, alone_header, alone_trailer, {}, {}, nullptr);
    auto alone = hl7::message_from_json(out);
    REQUIRE(alone.ok());
    CHECK(alone->batch_trailer == std::vector<std::string>{"FTS#1$2"});
}

TEST_CASE("message_from_json: the source an object carries is read back whole") {
    auto with = hl7::message_from_json(
        R"({"segments":[{"fields":["MSH","|","^~\\&","A"]}],"source":{"file":"in.hl7","message":3,"offset":120,"line":7}})");
    REQUIRE(with.ok());
    CHECK(with->has_source);
    CHECK(with->file == "in.hl7");
    CHECK(with->index == 3);
    CHECK(with->offset == 120);
    CHECK(with->line == 7);
    auto without = hl7::message_from_json(R"({"segments":[{"fields":["MSH","|","^~\\&","A"]}]})");
    REQUIRE(without.ok());
    CHECK_FALSE(without->has_source);
    CHECK(without->offset == 0);
}

TEST_CASE("message_from_json: hl7json 1 and 2 read null differently") {
    // jq's padding: setting fields[6] of a shorter list fills the gap with null.
    const std::string fields = R"("fields":["PID","1",null,[["\"\""]],null,null,[["X"]]])";
    auto v2 = hl7::message_from_json(R"({"hl7json":2,"segments":[{"fields":["MSH","|","^~\\&"]},{)" + fields + "}]}");
    REQUIRE(v2.ok());
    CHECK(v2->er7 == "MSH|^~\\&\rPID|1||\"\"|||X\r");  // null is empty, "\"\"" the HL7 null
    auto v1 = hl7::message_from_json(R"({"hl7json":1,"segments":[{"fields":["MSH","|","^~\\&"]},{)" + fields + "}]}");
    REQUIRE(v1.ok());
    CHECK(v1->er7 == "MSH|^~\\&\rPID|1|\"\"|\"\"|\"\"|\"\"|X\r");  // version 1: null was the HL7 null
    auto none = hl7::message_from_json(R"({"segments":[{"fields":["MSH","|","^~\\&"]},{)" + fields + "}]}");
    REQUIRE(none.ok());
    CHECK(none->er7 == v2->er7);  // no version: the current one
}

// Found by fuzz_message: MSH-18 with a second component ("88596^GHH") was read by the writer as
// 8859/6 and by the reader as ASCII, so a byte from 0x80 came back as UTF-8.
TEST_CASE("message_from_json: MSH-18 is read as the writer reads it") {
    for (std::string msh18 : {"88596^GHH", "8859/1", "UNKNOWN-SET", "8859/1&x"}) {
        CAPTURE(msh18);
        const std::string er7 = "MSH|^~\\&|A\xE1" "B|||||||1|P|2.5||||||" + msh18 + "\rPID|1|||M\xDC" "LLER\r";
        Message m = parse(er7);
        auto back = hl7::message_from_json(to_json(m));
        REQUIRE(back.ok());
        Message again = parse(back->er7);
        CHECK(to_json(again) == to_json(m));
    }
}
