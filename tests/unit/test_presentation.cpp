// Tests of the presentation in tools/common: write_tree lines and MessageSummary text and JSON.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "hl7/message.hpp"
#include "common/presentation.hpp"

using hl7::Message;

namespace {

Message parse(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE(m.ok());
    return std::move(*m);
}

std::string msh(std::string_view facility, std::string_view type, std::string_view version) {
    return "MSH|^~\\&|APP|" + std::string(facility) + "|RCV|RF|20240101||" + std::string(type) + "|C|P|" +
           std::string(version) + "\r";
}

}  // namespace

TEST_CASE("write_tree: one line per non-empty field, repetitions on lines of their own") {
    auto m = parse("MSH|^~\\&|A|B\rPID|1||123^^^H&1.2&ISO~9||\"\"|\rOBX|1\rOBX|2|A\\F\\B|x\\X0D\\y\r");
    std::string out;
    hl7::cli::write_tree(m, hl7::Charset::utf8, out);
    CHECK(out ==
          "MSH\n"
          "  MSH-1        |\n"
          "  MSH-2        ^~\\&\n"
          "  MSH-3        A\n"
          "  MSH-4        B\n"
          "PID\n"
          "  PID-1        1\n"
          "  PID-3[1]     123^^^H&1.2&ISO\n"
          "  PID-3[2]     9\n"
          "  PID-5        \"\"\n"
          "OBX\n"
          "  OBX-1        1\n"
          "OBX[2]\n"
          "  OBX[2]-1     2\n"
          "  OBX[2]-2     A|B\n"
          "  OBX[2]-3     x y\n");
}

TEST_CASE("write_tree: empty repetitions keep their numbers, large field numbers, tabs and line breaks") {
    auto m = parse("MSH|^~\\&|A\rZZZ" + std::string(11, '|') + "~~x~\t\\.br\\y" + std::string(100, '|') + "z\r");
    std::string out;
    hl7::cli::write_tree(m, hl7::Charset::utf8, out);
    CHECK(out ==
          "MSH\n"
          "  MSH-1        |\n"
          "  MSH-2        ^~\\&\n"
          "  MSH-3        A\n"
          "ZZZ\n"
          "  ZZZ-11[3]    x\n"
          "  ZZZ-11[4]     \\.br\\y\n"  // a tab shown as a space; formatting escapes kept
          "  ZZZ-111      z\n");
}

TEST_CASE("write_tree: charset and custom delimiters") {
    auto m = parse("MSH#$*!%#A#B\rPID#1####M\xDCLLER$JOS\xC9*X!F!Y\r");
    std::string out;
    hl7::cli::write_tree(m, hl7::Charset::iso8859_1, out);
    CHECK(out.find("  PID-5[1]     M\xC3\x9CLLER$JOS\xC3\x89\n") != std::string::npos);
    CHECK(out.find("  PID-5[2]     X#Y\n") != std::string::npos);
    CHECK(out.find("  MSH-1        #\n") != std::string::npos);
    CHECK(out.find("  MSH-2        $*!%\n") != std::string::npos);
}

TEST_CASE("MessageSummary: counts in text and JSON") {
    hl7::cli::MessageSummary summary;
    summary.add(parse(msh("FAC1", "ADT^A01^ADT_A01", "2.5.1")));
    summary.add(parse(msh("FAC1", "ADT^A01", "2.5.1")));
    summary.add(parse(msh("FAC2", "ORU^R01", "2.3")));
    summary.add(parse(msh("FAC1", "ADT^A08", "2.5.1")));
    summary.add(parse("MSH|^~\\&|APP||||||ACK\r"));  // no facility, no version, no trigger
    summary.set_unparseable(2);
    CHECK(summary.messages() == 5);

    std::string json;
    summary.write_json(json);
    CHECK(json ==
          R"({"messages":5,"unparseable":2,)"
          R"("type":{"ADT":3,"ACK":1,"ORU":1},)"
          R"("event":{"ADT^A01":2,"ACK":1,"ADT^A08":1,"ORU^R01":1},)"
          R"J("version":{"2.5.1":3,"(none)":1,"2.3":1},)J"
          R"J("sending_facility":{"FAC1":3,"(none)":1,"FAC2":1}})J");
    auto parsed = nlohmann::json::parse(json);
    CHECK(parsed["type"]["ADT"] == 3);

    std::string text;
    summary.write_text(text);
    CHECK(text ==
          "messages     5\n"
          "unparseable  2\n"
          "\n"
          "type\n"
          "  ADT         3\n"
          "  ACK         1\n"
          "  ORU         1\n"
          "\n"
          "event\n"
          "  ADT^A01         2\n"
          "  ACK             1\n"
          "  ADT^A08         1\n"
          "  ORU^R01         1\n"
          "\n"
          "version\n"
          "  2.5.1          3\n"
          "  (none)         1\n"
          "  2.3            1\n"
          "\n"
          "sending facility\n"
          "  FAC1           3\n"
          "  (none)         1\n"
          "  FAC2           1\n");
}

TEST_CASE("MessageSummary: empty") {
    hl7::cli::MessageSummary summary;
    std::string json;
    summary.write_json(json);
    CHECK(json == R"({"messages":0,"unparseable":0,"type":{},"event":{},"version":{},"sending_facility":{}})");
    std::string text;
    summary.write_text(text);
    CHECK(text == "messages     0\n");
}
