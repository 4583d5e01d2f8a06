// Tests of build_ack (MSH routing swap, MSH-9, MSA, ERR in the 2.5+ and pre-2.5 forms, escaping) and
// parse_ack (round trips, hand-written ACKs of 2.1 to 2.8, commit ACKs, malformed ones).
#include <doctest/doctest.h>

#include <string>

#include "helpers.hpp"
#include "hl7/ack.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

using hl7::Ack;
using hl7::AckCode;
using hl7::AckError;
using hl7::AckErrorForm;
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

TEST_CASE("build_ack: an absurd MSH-12 is not misread, and not copied") {
    // Long digit runs must not overflow while the version is read (UBSan checks this in the ASan build).
    auto m = parse("MSH|^~\\&|SA|SF|RA|RF|20240101||ADT^A01|C7|P|20240115100000000000.99999999999999\r");
    auto o = options(AckCode::AA);
    o.findings.push_back(finding("PID-7", 102, 'E', ""));
    hl7::Diagnostics notes;
    std::string ack = hl7::build_ack(m, o, &notes);
    // Not a version: the ACK takes the current forms (MSH-9 with the structure, ERR of 2.5+) and
    // says 2.5.1, so that it is valid itself.
    CHECK(ack == "MSH|^~\\&|RA|RF|SA|SF|20240102030405||ACK^A01^ACK|ACK123|P|2.5.1\r"
                 "MSA|AA|C7\r"
                 "ERR||PID^1^7^1|102^Data type error^HL70357|E||||\r");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].where.path == "MSH-12");
    CHECK(notes[0].text.find("2.5.1") != std::string::npos);
}

TEST_CASE("build_ack: MSH-11 and MSH-12 copied when valid, replaced with a note when not") {
    struct Case {
        std::string processing, version, ack_processing, ack_version;
        std::size_t notes;
    };
    for (const Case& c : {Case{"P", "2.5.1", "P", "2.5.1", 0}, Case{"T^A", "2.4^USA", "T^A", "2.4^USA", 0},
                          Case{"Q", "2.3", "P", "2.3", 1}, Case{"", "2.5", "P", "2.5", 1},
                          Case{"D", "v2.4", "D", "2.4", 1}, Case{"p", "3.0", "P", "2.5.1", 2}}) {
        CAPTURE(c.processing);
        CAPTURE(c.version);
        auto m = parse("MSH|^~\\&|SA|SF|RA|RF|20240101||ADT^A01|C7|" + c.processing + "|" + c.version + "\r");
        hl7::Diagnostics notes;
        std::string ack = hl7::build_ack(m, options(AckCode::AA), &notes);
        CHECK(ack.find("|ACK123|" + c.ack_processing + "|" + c.ack_version + "\r") != std::string::npos);
        CHECK(notes.size() == c.notes);
        for (const auto& n : notes) CHECK(n.severity == hl7::Severity::warning);
    }
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

TEST_CASE("build_ack: a finding without a location leaves ERR-2 empty; segment IDs are escaped") {
    auto m = parse(kV251);
    auto o = options(AckCode::AE);
    hl7::AckFinding none;
    none.code = 207;
    o.findings.push_back(none);
    hl7::AckFinding odd;  // a malformed segment ID, as a bad line may give
    odd.location.segment = "A^B";
    odd.location.field = 2;
    odd.code = 100;
    o.findings.push_back(odd);
    std::string ack = hl7::build_ack(m, o);
    CHECK(ack.find("\rERR|||207^Application internal error^HL70357|E||||\r") != std::string::npos);
    CHECK(ack.find("\rERR||A\\S\\B^1^2^1|100^Segment sequence error^HL70357|E||||\r") != std::string::npos);
    // Before 2.5, one ERR segment (the ACK allows one), each finding a repetition of ERR-1.
    CHECK(hl7::build_ack(parse(kV23), o).find("\rERR|^^^207&Application internal error&HL70357~"
                                              "A\\S\\B^1^2^100&Segment sequence error&HL70357\r") != std::string::npos);
}

// --- parse_ack ----------------------------------------------------------------------------------

namespace {

Ack read_ack(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().text));
    auto ack = hl7::parse_ack(*m);
    REQUIRE_MESSAGE(ack.ok(), (ack.ok() ? std::string() : ack.error().text));
    return std::move(*ack);
}

hl7::Diagnostic ack_error(std::string_view text) {
    auto m = Message::parse_copy(std::string(text));
    REQUIRE(m.ok());
    auto ack = hl7::parse_ack(*m);
    REQUIRE_FALSE(ack.ok());
    return ack.error();
}

std::vector<std::string> locations(const AckError& e) {
    std::vector<std::string> out;
    for (const auto& p : e.locations) out.push_back(p.to_string());
    return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("ack codes: names, outcomes, commit codes") {
    for (AckCode code : {AckCode::AA, AckCode::AE, AckCode::AR, AckCode::CA, AckCode::CE, AckCode::CR}) {
        CAPTURE(hl7::ack_code_name(code));
        CHECK(hl7::ack_code_from_name(hl7::ack_code_name(code)) == code);
    }
    CHECK(hl7::ack_code_from_name("") == std::nullopt);
    CHECK(hl7::ack_code_from_name("aa") == std::nullopt);
    CHECK(hl7::ack_code_from_name("AA ") == std::nullopt);
    CHECK(hl7::ack_code_from_name("AX") == std::nullopt);
    CHECK(hl7::ack_outcome(AckCode::AA) == hl7::AckOutcome::accepted);
    CHECK(hl7::ack_outcome(AckCode::CA) == hl7::AckOutcome::accepted);
    CHECK(hl7::ack_outcome(AckCode::AE) == hl7::AckOutcome::error);
    CHECK(hl7::ack_outcome(AckCode::CE) == hl7::AckOutcome::error);
    CHECK(hl7::ack_outcome(AckCode::AR) == hl7::AckOutcome::rejected);
    CHECK(hl7::ack_outcome(AckCode::CR) == hl7::AckOutcome::rejected);
    CHECK_FALSE(hl7::is_commit_code(AckCode::AA));
    CHECK_FALSE(hl7::is_commit_code(AckCode::AE));
    CHECK_FALSE(hl7::is_commit_code(AckCode::AR));
    CHECK(hl7::is_commit_code(AckCode::CA));
    CHECK(hl7::is_commit_code(AckCode::CE));
    CHECK(hl7::is_commit_code(AckCode::CR));
}

TEST_CASE("parse_ack: build_ack round trip, every code, both ERR forms") {
    for (const std::string* original : {&kV251, &kV23}) {
        bool v25 = original == &kV251;
        auto m = parse(*original);
        for (AckCode code : {AckCode::AA, AckCode::AE, AckCode::AR, AckCode::CA, AckCode::CE, AckCode::CR}) {
            CAPTURE(v25);
            CAPTURE(hl7::ack_code_name(code));
            auto o = options(code);
            o.text = "rejected|see ^ & ~ \\ here";
            if (code != AckCode::AA && code != AckCode::CA) {
                o.findings.push_back(finding("PID-7", 102, 'E', "bad|date"));
                o.findings.push_back(finding("PID-3[2].4.2", 103, 'W', "code & text"));
                o.findings.push_back(finding("OBX[2]-5", 101, 'I', ""));
                o.findings.push_back(finding("EVN", 100, 'E', ""));
                o.findings.push_back(hl7::AckFinding{});  // no location, code 207
            }
            std::string text = hl7::build_ack(m, o);
            Ack ack = read_ack(text);
            CHECK(ack.code == code);
            CHECK(ack.acknowledged_id == (v25 ? "CTRL123" : "CTRL023"));
            CHECK(ack.control_id == "ACK123");
            CHECK(ack.text == "rejected|see ^ & ~ \\ here");
            CHECK(ack.error_condition.empty());
            CHECK(ack.notes.empty());
            CHECK(hl7::acknowledges(ack, m));
            REQUIRE(ack.errors.size() == o.findings.size());
            for (std::size_t i = 0; i < o.findings.size(); ++i) {
                const hl7::AckFinding& f = o.findings[i];
                const AckError& e = ack.errors[i];
                CAPTURE(i);
                CHECK(e.segment_index == (v25 ? 2 + i : 2));  // before 2.5, repetitions of one ERR
                CHECK(e.code.identifier == std::to_string(f.code));
                CHECK(e.code_number() == f.code);
                CHECK(e.code.text == hl7::error_code_text(f.code));
                CHECK(e.code.coding_system == "HL70357");
                if (v25) {
                    CHECK(e.form == AckErrorForm::erl);
                    CHECK(e.severity == std::string(1, f.severity));
                    CHECK(e.user_message == f.text);
                    if (f.location.segment.empty()) CHECK(e.locations.empty());
                    else CHECK(locations(e) == Strings{f.location.to_string()});
                } else {
                    // The ELD holds the segment, its sequence and the field, and no severity or text.
                    CHECK(e.form == AckErrorForm::eld);
                    CHECK(e.severity.empty());
                    CHECK(e.user_message.empty());
                    Strings expected[] = {{"PID-7"}, {"PID-3"}, {"OBX[2]-5"}, {"EVN"}, {}};
                    CHECK(locations(e) == expected[i]);
                }
                CHECK(e.diagnostic.empty());
                CHECK(e.application_code.empty());
            }
        }
    }
}

TEST_CASE("parse_ack: round trip of a short MSH-2 and of custom delimiters") {
    auto short_msh2 = parse(testutil::read_data("short_msh2.hl7"));
    auto o = options(AckCode::AE);
    o.text = "R&D";
    o.findings.push_back(finding("PID-7", 102, 'E', ""));
    Ack a = read_ack(hl7::build_ack(short_msh2, o));
    CHECK(a.code == AckCode::AE);
    CHECK(a.text == "R&D");  // no subcomponent separator: & is text
    REQUIRE(a.errors.size() == 1);
    CHECK(locations(a.errors[0]) == Strings{"PID-7"});
    CHECK(a.errors[0].code.identifier == "102");
    CHECK(a.errors[0].code.text.empty());
    CHECK(hl7::acknowledges(a, short_msh2));

    auto custom = parse("MSH#$*!%#SA#SF#RA#RF#20240101##ADT$A01$ADT_A01#C9#P#2.5.1\rPID#1\r");
    auto oc = options(AckCode::AR);
    oc.text = "a#b$c";
    oc.findings.push_back(finding("PID-3[2].1", 103, 'E', "x%y"));
    Ack c = read_ack(hl7::build_ack(custom, oc));
    CHECK(c.code == AckCode::AR);
    CHECK(c.acknowledged_id == "C9");
    CHECK(c.text == "a#b$c");
    REQUIRE(c.errors.size() == 1);
    CHECK(locations(c.errors[0]) == Strings{"PID-3[2].1"});
    CHECK(c.errors[0].user_message == "x%y");
}

TEST_CASE("parse_ack: hand-written ACKs, 2.1 to 2.8") {
    SUBCASE("2.1: ERR-1 as a code alone") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|198801011200||ACK|A1|P|2.1\r"
                         "MSA|AE|MSG001|BAD FIELD\r"
                         "ERR|207\r");
        CHECK(a.code == AckCode::AE);
        CHECK(a.acknowledged_id == "MSG001");
        CHECK(a.text == "BAD FIELD");
        CHECK(a.control_id == "A1");
        REQUIRE(a.errors.size() == 1);
        CHECK(a.errors[0].form == AckErrorForm::eld);
        CHECK(a.errors[0].locations.empty());
        CHECK(a.errors[0].code_number() == 207);
    }
    SUBCASE("2.2: MSA-6 error condition") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|19950101120000||ACK|A2|P|2.2\r"
                         "MSA|AR|MSG002|Unsupported version|||203^Unsupported version id^HL70357\r");
        CHECK(a.code == AckCode::AR);
        CHECK(a.error_condition.identifier == "203");
        CHECK(a.error_condition.text == "Unsupported version id");
        CHECK(a.error_condition.coding_system == "HL70357");
        CHECK(a.errors.empty());
    }
    SUBCASE("2.3: ERR-1 repeating, one error a repetition") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20000101120000||ACK^A01|A3|P|2.3\r"
                         "MSA|AE|MSG003\r"
                         "ERR|PID^1^7^102&Data type error&HL70357~PV1^2^3^103&Table value not found&HL70357\r");
        REQUIRE(a.errors.size() == 2);
        CHECK(locations(a.errors[0]) == Strings{"PID-7"});
        CHECK(a.errors[0].code.text == "Data type error");
        CHECK(locations(a.errors[1]) == Strings{"PV1[2]-3"});
        CHECK(a.errors[1].code_number() == 103);
        CHECK(a.errors[0].segment_index == 2);
        CHECK(a.errors[1].segment_index == 2);
    }
    SUBCASE("2.4: several ERR segments, escapes in MSA-3") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20010101120000||ACK^A04|A4|P|2.4\n"
                         "MSA|AE|MSG\\T\\004|Field \\F\\ wrong \\T\\ fix \\E\\ it \\S\\\\R\\\n"
                         "ERR|PID^1^3^101&Required field missing&HL70357\n"
                         "ERR|^^^207&Application internal error&HL70357\n");
        CHECK(a.acknowledged_id == "MSG&004");
        CHECK(a.text == "Field | wrong & fix \\ it ^~");
        REQUIRE(a.errors.size() == 2);
        CHECK(locations(a.errors[0]) == Strings{"PID-3"});
        CHECK(a.errors[1].locations.empty());
        CHECK(a.errors[1].code_number() == 207);
        CHECK(a.errors[1].segment_index == 3);
    }
    SUBCASE("2.5.1: every ERR field, ERR-2 repeating") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20080101120000||ACK^A01^ACK|A5|P|2.5.1\r"
                         "MSA|AE|MSG005\r"
                         "ERR||PID^1^3^2^4^2~PID^1^5|102^Data type error^HL70357|E|1001^Bad MRN^L|p1|diag \\S\\ "
                         "info\\.br\\line 2|Please call \\T\\ ask\r");
        REQUIRE(a.errors.size() == 1);
        const AckError& e = a.errors[0];
        CHECK(e.form == AckErrorForm::erl);
        CHECK(locations(e) == Strings{"PID-3[2].4.2", "PID-5"});
        CHECK(e.code.identifier == "102");
        CHECK(e.severity == "E");
        CHECK(e.application_code.identifier == "1001");
        CHECK(e.application_code.text == "Bad MRN");
        CHECK(e.application_code.coding_system == "L");
        CHECK(e.diagnostic == "diag ^ info\\.br\\line 2");  // formatting escapes are kept as written
        CHECK(e.user_message == "Please call & ask");
    }
    SUBCASE("2.5: ERR-1 and ERR-2/3 both given: the 2.5 fields win, one error") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20080101120000||ACK^A01^ACK|A6|P|2.5\r"
                         "MSA|AE|MSG006\r"
                         "ERR|PID^1^7^102&Data type error&HL70357|PID^1^7^1^1|102^Data type error^HL70357|W\r");
        REQUIRE(a.errors.size() == 1);
        CHECK(a.errors[0].form == AckErrorForm::erl);
        CHECK(locations(a.errors[0]) == Strings{"PID-7.1"});
        CHECK(a.errors[0].severity == "W");
    }
    SUBCASE("2.5: ERR-1 with ERR-4 only: location and code from ERR-1") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20080101120000||ACK^A01^ACK|A7|P|2.5\r"
                         "MSA|AE|MSG007\r"
                         "ERR|PID^1^8^103&Table value not found&HL70357|||E\r");
        REQUIRE(a.errors.size() == 1);
        CHECK(a.errors[0].form == AckErrorForm::erl);
        CHECK(locations(a.errors[0]) == Strings{"PID-8"});
        CHECK(a.errors[0].code_number() == 103);
        CHECK(a.errors[0].severity == "E");
    }
    SUBCASE("2.6: SFT before MSA, application codes of the sender's own") {
        Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20100101120000||ACK^O01^ACK|A8|P|2.6\r"
                         "SFT|Vendor|1.0|Product|42\r"
                         "MSA|AR|MSG008|\r"
                         "ERR||ORC^1^1|X1^Order unknown^99LOCAL|F\r");
        CHECK(a.code == AckCode::AR);
        CHECK(a.text.empty());
        REQUIRE(a.errors.size() == 1);
        CHECK(a.errors[0].code.identifier == "X1");
        CHECK(a.errors[0].code_number() == std::nullopt);
        CHECK(a.errors[0].code.coding_system == "99LOCAL");
        CHECK(a.errors[0].severity == "F");
    }
    SUBCASE("2.7 and 2.8: the truncation character in MSH-2, MSA-7/8") {
        Ack a = read_ack("MSH|^~\\&#|RCV|RF|SND|SF|20200101120000||ACK^A01^ACK|A9|P|2.8\r"
                         "MSA|AA|MSG#009|||||3|H\r");
        CHECK(a.code == AckCode::AA);
        CHECK(a.acknowledged_id == "MSG#009");  // # is not split on; \P\ would decode to it
        CHECK(a.errors.empty());
        Ack b = read_ack("MSH|^~\\&#|RCV|RF|SND|SF|20200101120000||ACK^A01^ACK|A10|P|2.7\r"
                         "MSA|AE|X\\P\\Y\r"
                         "ERR||PID^1^5|101^Required field missing^HL70357|E\r");
        CHECK(b.acknowledged_id == "X#Y");
        REQUIRE(b.errors.size() == 1);
        CHECK(locations(b.errors[0]) == Strings{"PID-5"});
    }
    SUBCASE("text in the charset MSH-18 declares, or the one given") {
        std::string latin1 = "MSH|^~\\&|RCV|RF|SND|SF|20200101120000||ACK^A01^ACK|A11|P|2.5.1||||||8859/1\r"
                             "MSA|AE|MSG011|Caf\xE9\r";
        CHECK(read_ack(latin1).text == "Caf\xC3\xA9");
        auto m = Message::parse(latin1);
        REQUIRE(m.ok());
        auto as_utf8 = hl7::parse_ack(*m, hl7::Charset::utf8);
        REQUIRE(as_utf8.ok());
        CHECK(as_utf8->text == "Caf\\XE9\\");  // not valid UTF-8: kept as a hex escape, never lost
    }
}

TEST_CASE("parse_ack: enhanced-mode commit ACKs") {
    // The original asks for both acknowledgments (MSH-15 AL, MSH-16 AL); the receiver first commits.
    auto original = parse("MSH|^~\\&|SND|SF|RCV|RF|20240101120000||ORU^R01^ORU_R01|ENH1|P|2.5.1|||AL|AL\r"
                          "PID|1||1^^^H^MR\r");
    for (AckCode code : {AckCode::CA, AckCode::CE, AckCode::CR}) {
        CAPTURE(hl7::ack_code_name(code));
        auto o = options(code);
        if (code != AckCode::CA) o.findings.push_back(finding("PID-3", 207, 'E', "storage full"));
        Ack a = read_ack(hl7::build_ack(original, o));
        CHECK(a.code == code);
        CHECK(hl7::is_commit_code(a.code));
        CHECK(hl7::acknowledges(a, original));
        CHECK(a.errors.size() == (code == AckCode::CA ? 0u : 1u));
    }
    Ack hand = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20240101120001||ACK^R01^ACK|C1|P|2.5.1\r"
                        "MSA|CA|ENH1\r");
    CHECK(hand.code == AckCode::CA);
    CHECK(hl7::ack_outcome(hand.code) == hl7::AckOutcome::accepted);
    CHECK(hl7::acknowledges(hand, original));
    Ack other = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20240101120001||ACK^R01^ACK|C2|P|2.5.1\r"
                         "MSA|CA|ENH2\r");
    CHECK_FALSE(hl7::acknowledges(other, original));
}

TEST_CASE("acknowledgment_id: the decoded MSH-10, what acknowledges() compares MSA-2 with") {
    auto escaped = parse("MSH|^~\\&|SND|SF|RCV|RF|20240101120000||ADT^A01|ID\\F\\7|P|2.5.1\r");
    CHECK(hl7::acknowledgment_id(escaped) == "ID|7");
    Ack a = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20240101120001||ACK^A01^ACK|C1|P|2.5.1\rMSA|AA|ID\\F\\7\r");
    CHECK(a.acknowledged_id == hl7::acknowledgment_id(escaped));
    CHECK(hl7::acknowledges(a, escaped));
    auto none = parse("MSH|^~\\&|SND|SF|RCV|RF|20240101120000||ADT^A01||P|2.5.1\r");
    CHECK(hl7::acknowledgment_id(none).empty());
    Ack blank = read_ack("MSH|^~\\&|RCV|RF|SND|SF|20240101120001||ACK^A01^ACK|C1|P|2.5.1\rMSA|AA|\r");
    CHECK_FALSE(hl7::acknowledges(blank, none));  // an empty MSA-2 acknowledges nothing
    CHECK(hl7::acknowledgment_id(hl7::Message()).empty());
}

TEST_CASE("parse_ack: malformed ACKs") {
    SUBCASE("no MSA") {
        auto e = ack_error(kV251);
        CHECK(e.code == "not-an-ack");
        CHECK(e.severity == hl7::Severity::error);
        hl7::Message empty;
        auto r = hl7::parse_ack(empty);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == "not-an-ack");
    }
    SUBCASE("MSA-1 unknown, empty or lower case: an error, the code only in the value") {
        auto e = ack_error("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rSPM|x\rMSA|XQ|MSG1\r");
        CHECK(e.code == "bad-ack-code");
        CHECK(e.text == "MSA-1 is not an acknowledgment code (AA, AE, AR, CA, CE or CR)");
        CHECK(e.value == "XQ");
        CHECK(e.where.path == "MSA-1");
        CHECK(e.where.segment_index == 3);
        CHECK(ack_error("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rMSA|aa|MSG1\r").value == "aa");
        auto empty = ack_error("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rMSA\r");
        CHECK(empty.code == "bad-ack-code");
        CHECK(empty.text == "MSA-1 (the acknowledgment code) is empty");
        CHECK(ack_error("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rMSA|AA^X|MSG1\r").code == "bad-ack-code");
    }
    SUBCASE("MSA-2 empty: read, with a note") {
        Ack a = read_ack("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rMSA|AA\r");
        CHECK(a.acknowledged_id.empty());
        REQUIRE(a.notes.size() == 1);
        CHECK(a.notes[0].code == "ack-no-control-id");
        CHECK(a.notes[0].severity == hl7::Severity::warning);
        CHECK_FALSE(hl7::acknowledges(a, parse(kV251)));
    }
    SUBCASE("locations that are not locations: notes without the values, the rest read") {
        Ack a = read_ack("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.5.1\rMSA|AE|MSG1\r"
                         "ERR||PID^uno^7~pid^1^7~PID^1^7|102^Data type error^HL70357|E\r"
                         "ERR|SECRET VALUE^1^2^102\r");
        REQUIRE(a.errors.size() == 2);
        CHECK(locations(a.errors[0]) == Strings{"PID-7"});
        CHECK(a.errors[1].locations.empty());
        CHECK(a.errors[1].code_number() == 102);
        REQUIRE(a.notes.size() == 3);
        CHECK(a.notes[0].code == "ack-bad-location");
        CHECK(a.notes[0].where.path == "ERR-2");
        CHECK(a.notes[0].value == "PID^uno^7");
        CHECK(a.notes[1].where.path == "ERR-2[2]");
        CHECK(a.notes[2].where.path == "ERR[2]-1");
        CHECK(a.notes[2].value == "SECRET VALUE^1^2^102");
        for (const auto& n : a.notes) {
            CHECK(n.text.find("SECRET") == std::string::npos);
            CHECK(n.text.find("uno") == std::string::npos);
        }
    }
    SUBCASE("empty ERR segments and empty repetitions add nothing") {
        Ack a = read_ack("MSH|^~\\&|R|RF|S|SF|20240101||ACK|1|P|2.3\rMSA|AE|MSG1\rERR\rERR|\rERR|~PID^1^2^101\r");
        REQUIRE(a.errors.size() == 1);
        CHECK(locations(a.errors[0]) == Strings{"PID-2"});
        CHECK(a.notes.empty());
    }
}

TEST_CASE("parse_ack: mutated ACKs never crash, and what is read keeps values out of notes' text") {
    auto o = options(AckCode::AE);
    o.text = "text & more";
    o.findings.push_back(finding("PID-3[2].4.2", 103, 'W', "a|b"));
    o.findings.push_back(finding("OBX[2]-5", 101, 'E', ""));
    int read = 0, refused = 0;
    for (const std::string* original : {&kV251, &kV23}) {
        std::string ack = hl7::build_ack(parse(*original), o);
        for (std::size_t at = 0; at < ack.size(); ++at) {
            for (char c : {'\0', '\r', '|', '^', '~', '\\', '&', 'Z', '9', '\x80'}) {
                std::string mutated = ack;
                mutated[at] = c;
                auto m = Message::parse(mutated);
                if (!m) continue;
                auto a = hl7::parse_ack(*m);
                if (!a) {
                    ++refused;
                    CHECK((a.error().code == "not-an-ack" || a.error().code == "bad-ack-code"));
                    continue;
                }
                ++read;
                for (const auto& n : a->notes) CHECK(n.severity == hl7::Severity::warning);
                for (const auto& e : a->errors)
                    for (const auto& p : e.locations) CHECK(hl7::parse_path(p.to_string()).ok());
            }
        }
    }
    MESSAGE(read << " mutated ACKs read, " << refused << " refused");
    CHECK(read > 0);
    CHECK(refused > 0);
}
