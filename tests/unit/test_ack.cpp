// Tests of build_ack: MSH routing swap, MSH-9, MSA, ERR in the 2.5+ and pre-2.5 forms, escaping.
#include <doctest/doctest.h>

#include <string>

#include "helpers.hpp"
#include "hl7/ack.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

using hl7::AckCode;
using hl7::AckOptions;
using hl7::Message;

namespace {

Message parse(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE(m.ok());
    return std::move(*m);
}

hl7::AckFinding finding(std::string_view path, int code, char severity, std::string text) {
    hl7::AckFinding f;
    auto p = hl7::parse_path(path);
    REQUIRE(p.ok());
    f.location = *p;
    f.code = code;
    f.severity = severity;
    f.text = std::move(text);
    return f;
}

AckOptions options(AckCode code) {
    AckOptions o;
    o.code = code;
    o.control_id = "ACK123";
    o.timestamp = "20240102030405";
    return o;
}

const std::string kV251 =
    "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240101120000||ADT^A01^ADT_A01|CTRL123|P|2.5.1\r"
    "EVN|A01|20240101120000\rPID|1||111^^^H^MR||DOE^JANE||BADDATE|F\r";
const std::string kV23 =
    "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240101120000||ADT^A01|CTRL023|P|2.3\r"
    "PID|1||111^^^H^MR||DOE^JANE||BADDATE|F\r";

}  // namespace

TEST_CASE("build_ack: AA for a 2.5.1 message") {
    auto m = parse(kV251);
    CHECK(hl7::build_ack(m, options(AckCode::AA)) ==
          "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20240102030405||ACK^A01^ACK|ACK123|P|2.5.1\r"
          "MSA|AA|CTRL123\r");
}

TEST_CASE("build_ack: AE with an ERR segment (2.5+ form)") {
    auto m = parse(kV251);
    auto o = options(AckCode::AE);
    o.findings.push_back(finding("PID-7", 102, 'E', "bad date"));
    std::string ack = hl7::build_ack(m, o);
    CHECK(ack ==
          "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20240102030405||ACK^A01^ACK|ACK123|P|2.5.1\r"
          "MSA|AE|CTRL123\r"
          "ERR||PID^1^7^1|102^Data type error^HL70357|E||||bad date\r");

    // The ACK is itself a message whose fields sit where HL7 puts them.
    auto parsed = Message::parse(ack);
    REQUIRE(parsed.ok());
    auto err = parsed->find_segment("ERR");
    REQUIRE(err.has_value());
    const auto& d = parsed->delimiters();
    std::string_view seg = parsed->segment(*err);
    CHECK(hl7::field_text(seg, d, 1) == std::optional<std::string_view>(""));
    CHECK(hl7::field_text(seg, d, 2) == std::optional<std::string_view>("PID^1^7^1"));
    CHECK(hl7::field_text(seg, d, 3) == std::optional<std::string_view>("102^Data type error^HL70357"));
    CHECK(hl7::field_text(seg, d, 4) == std::optional<std::string_view>("E"));
    CHECK(hl7::field_text(seg, d, 8) == std::optional<std::string_view>("bad date"));
    std::string_view msa = parsed->segment(*parsed->find_segment("MSA"));
    CHECK(hl7::field_text(msa, d, 2) == std::optional<std::string_view>("CTRL123"));
}

TEST_CASE("build_ack: ERR-2 locations down to the subcomponent, several findings") {
    auto m = parse(kV251);
    auto o = options(AckCode::AE);
    o.findings.push_back(finding("PID-3[2].4.2", 103, 'W', ""));
    o.findings.push_back(finding("OBX[2]-5", 101, 'E', ""));
    o.findings.push_back(finding("EVN", 100, 'I', ""));
    std::string ack = hl7::build_ack(m, o);
    CHECK(ack.find("\rERR||PID^1^3^2^4^2|103^Table value not found^HL70357|W||||\r") != std::string::npos);
    CHECK(ack.find("\rERR||OBX^2^5^1|101^Required field missing^HL70357|E||||\r") != std::string::npos);
    CHECK(ack.find("\rERR||EVN^1|100^Segment sequence error^HL70357|I||||\r") != std::string::npos);
}

TEST_CASE("build_ack: a 2.3 message gets ERR-1 in the ELD form") {
    auto m = parse(kV23);
    auto o = options(AckCode::AE);
    o.findings.push_back(finding("PID-7", 102, 'E', "bad date"));
    CHECK(hl7::build_ack(m, o) ==
          "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20240102030405||ACK^A01|ACK123|P|2.3\r"
          "MSA|AE|CTRL023\r"
          "ERR|PID^1^7^102&Data type error&HL70357\r");
}

TEST_CASE("build_ack: a short MSH-2 (no subcomponent separator) keeps routing and MSA-2") {
    auto m = parse(testutil::read_data("short_msh2.hl7"));
    auto o = options(AckCode::AE);
    o.text = "R&D";
    o.findings.push_back(finding("PID-7", 102, 'E', ""));
    // The sender's encoding characters are kept, so "SMITH & JONES CLINIC" stays one value, and ERR-1.4
    // is the code alone (its text and coding system would need the subcomponent separator).
    CHECK(hl7::build_ack(m, o) ==
          "MSH|^~\\|HL7KIT|TEST RECEIVER|ADT1|SMITH & JONES CLINIC|20240102030405||ACK^A01|ACK123|P|2.3\r"
          "MSA|AE|MSG00016|R&D\r"
          "ERR|PID^1^7^102\r");
}

TEST_CASE("build_ack: message structure in MSH-9 from 2.3.1 on") {
    std::string v231 = kV23;
    v231.replace(v231.find("|2.3\r"), 5, "|2.3.1\r");
    auto m = parse(v231);
    std::string ack = hl7::build_ack(m, options(AckCode::AA));
    CHECK(ack.substr(0, ack.find('\r')) ==
          "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20240102030405||ACK^A01^ACK|ACK123|P|2.3.1");
    std::string v24 = kV23;
    v24.replace(v24.find("|2.3\r"), 5, "|2.4\r");
    std::string ack24 = hl7::build_ack(parse(v24), options(AckCode::AA));
    CHECK(ack24.find("||ACK^A01^ACK|") != std::string::npos);
}

TEST_CASE("build_ack: an absurd MSH-12 is copied, not misread") {
    // Long digit runs must not overflow while the version is read (UBSan checks this in the ASan build).
    auto m = parse("MSH|^~\\&|SA|SF|RA|RF|20240101||ADT^A01|C7|P|20240115100000000000.99999999999999\r");
    auto o = options(AckCode::AA);
    o.findings.push_back(finding("PID-7", 102, 'E', ""));
    std::string ack = hl7::build_ack(m, o);
    // Not a version: the ACK takes the current forms (MSH-9 with the structure, ERR of 2.5+).
    CHECK(ack == "MSH|^~\\&|RA|RF|SA|SF|20240102030405||ACK^A01^ACK|ACK123|P|20240115100000000000.99999999999999\r"
                 "MSA|AA|C7\r"
                 "ERR||PID^1^7^1|102^Data type error^HL70357|E||||\r");
}

TEST_CASE("build_ack: acknowledgment codes") {
    auto m = parse(kV251);
    for (auto [code, name] : {std::pair{AckCode::AA, "AA"}, std::pair{AckCode::AE, "AE"}, std::pair{AckCode::AR, "AR"},
                              std::pair{AckCode::CA, "CA"}, std::pair{AckCode::CE, "CE"}, std::pair{AckCode::CR, "CR"}}) {
        CAPTURE(name);
        CHECK(hl7::ack_code_name(code) == name);
        std::string ack = hl7::build_ack(m, options(code));
        CHECK(ack.find(std::string("\rMSA|") + name + "|CTRL123\r") != std::string::npos);
    }
}

TEST_CASE("build_ack: text is escaped") {
    auto m = parse(kV251);
    auto o = options(AckCode::AR);
    o.text = "rejected|see ^ & ~ \\ here";
    o.findings.push_back(finding("MSH-9", 200, 'E', "type|unknown"));
    std::string ack = hl7::build_ack(m, o);
    CHECK(ack.find("\rMSA|AR|CTRL123|rejected\\F\\see \\S\\ \\T\\ \\R\\ \\E\\ here\r") != std::string::npos);
    CHECK(ack.find("|E||||type\\F\\unknown\r") != std::string::npos);
    CHECK(ack.find("ERR||MSH^1^9^1|200^Unsupported message type^HL70357|") != std::string::npos);
    // Every segment still has the right number of fields.
    auto parsed = Message::parse(ack);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->size() == 3);
    CHECK(hl7::field_count(parsed->segment(1), parsed->delimiters()) == 3);
    CHECK(hl7::field_count(parsed->segment(2), parsed->delimiters()) == 8);
}

TEST_CASE("build_ack: segment end style and custom delimiters") {
    auto m = parse(kV251);
    auto o = options(AckCode::AA);
    o.segment_end = hl7::SegmentEndStyle::crlf;
    std::string crlf = hl7::build_ack(m, o);
    CHECK(crlf == "MSH|^~\\&|RECVAPP|RECVFAC|SENDAPP|SENDFAC|20240102030405||ACK^A01^ACK|ACK123|P|2.5.1\r\n"
                  "MSA|AA|CTRL123\r\n");

    auto custom = parse("MSH#$*!%#SA#SF#RA#RF#20240101##ADT$A01$ADT_A01#C9#P#2.5.1\rPID#1\r");
    auto oc = options(AckCode::AE);
    oc.text = "a#b";
    oc.findings.push_back(finding("PID-7", 102, 'E', ""));
    CHECK(hl7::build_ack(custom, oc) ==
          "MSH#$*!%#RA#RF#SA#SF#20240102030405##ACK$A01$ACK#ACK123#P#2.5.1\r"
          "MSA#AE#C9#a!F!b\r"
          "ERR##PID$1$7$1#102$Data type error$HL70357#E####\r");
}

TEST_CASE("build_ack: for the adt_a01.hl7 test file, matching ack_aa.hl7's routing") {
    auto m = parse(testutil::read_data("adt_a01.hl7"));
    AckOptions o;
    o.code = AckCode::AA;
    o.control_id = "ACK00001";
    o.timestamp = "20240115083001";
    std::string ack = hl7::build_ack(m, o);
    // ack_aa.hl7 is the expected acknowledgement of adt_a01.hl7.
    CHECK(ack == testutil::read_data("ack_aa.hl7"));
}

TEST_CASE("error_code_text") {
    CHECK(hl7::error_code_text(0) == "Message accepted");
    CHECK(hl7::error_code_text(101) == "Required field missing");
    CHECK(hl7::error_code_text(102) == "Data type error");
    CHECK(hl7::error_code_text(207) == "Application internal error");
    CHECK(hl7::error_code_text(999) == "");
}
