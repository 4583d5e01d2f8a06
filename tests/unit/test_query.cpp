// Tests of filters and extraction: parse_filter, filter_matches, extract_values, extract_row, extract_json.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/presentation.hpp"
#include "hl7/message.hpp"
#include "hl7/query.hpp"

using hl7::Charset;
using hl7::Filter;
using hl7::Message;

namespace {

const std::string kText =
    "MSH|^~\\&|SND|FAC|RCV|RF|20240101||ADT^A01|C1|P|2.5\r"
    "PID|1||111^^^H^MR~222^^^S^SS||DOE^JANE||\"\"|F\r"
    "OBX|1|NM|GLU||5\r"
    "OBX|2|NM|NA||140\r"
    "NTE|1||a\\F\\b\\X09\\c\\X0D\\\\X0A\\d\r";

Message message() {
    auto m = Message::parse_copy(kText);
    REQUIRE(m.ok());
    return std::move(*m);
}

Filter filter(std::string_view text) {
    auto f = hl7::parse_filter(text);
    REQUIRE_MESSAGE(f.ok(), text);
    return *f;
}

bool matches(const Message& m, std::string_view text) { return hl7::filter_matches(m, filter(text), Charset::utf8); }

hl7::Path path(std::string_view text) {
    auto p = hl7::parse_path(text);
    REQUIRE(p.ok());
    return *p;
}

}  // namespace

TEST_CASE("parse_filter: forms") {
    auto eq = filter("PID-8=F");
    CHECK(eq.op == Filter::Op::equals);
    CHECK(eq.value == "F");
    CHECK(eq.path.to_string() == "PID-8");
    CHECK(eq.text == "PID-8=F");

    auto ne = filter("MSH-9.1!=ACK");
    CHECK(ne.op == Filter::Op::not_equals);
    CHECK(ne.value == "ACK");
    CHECK(ne.path.to_string() == "MSH-9.1");

    auto re = filter("PID-5.1~^DO");
    CHECK(re.op == Filter::Op::matches);
    CHECK(re.value == "^DO");
    REQUIRE(re.regex != nullptr);

    auto present = filter("PID-8");
    CHECK(present.op == Filter::Op::present);
    CHECK(present.value.empty());

    auto empty = filter("PID-8=");
    CHECK(empty.op == Filter::Op::equals);
    CHECK(empty.value == "");

    // The first operator character splits; the rest is the value.
    auto with_ops = filter("NTE-3=a~b!=c");
    CHECK(with_ops.op == Filter::Op::equals);
    CHECK(with_ops.value == "a~b!=c");
    auto regex_with_eq = filter("NTE-3~a=b");
    CHECK(regex_with_eq.op == Filter::Op::matches);
    CHECK(regex_with_eq.value == "a=b");

    CHECK(filter("OBX[*]-5=140").path.occurrence == hl7::Path::all);
}

TEST_CASE("parse_filter: errors") {
    for (std::string_view text : {"pid-8=F", "PID-x=F", "=F", "", "PID-8!F", "PID-5.1~[", "PID-5.1~(a", "PID-5.1~a{2,1}"}) {
        CAPTURE(text);
        auto f = hl7::parse_filter(text);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().code == "bad-filter");
        CHECK(f.error().text.find(std::string(text)) != std::string::npos);
    }
    auto bad_path = hl7::parse_filter("pid-8=F");
    CHECK(bad_path.error().text.find("position 1") != std::string::npos);
    auto bad_regex = hl7::parse_filter("PID-5.1~[");
    CHECK(bad_regex.error().text.find("regular expression") != std::string::npos);
}

TEST_CASE("filter_matches: =, !=, ~ and present") {
    auto m = message();
    CHECK(matches(m, "PID-8=F"));
    CHECK_FALSE(matches(m, "PID-8=M"));
    CHECK_FALSE(matches(m, "PID-8=f"));  // case matters
    CHECK(matches(m, "PID-8!=M"));
    CHECK_FALSE(matches(m, "PID-8!=F"));
    CHECK(matches(m, "MSH-9.1!=ACK"));
    CHECK(matches(m, "MSH-9.1=ADT"));
    CHECK(matches(m, "MSH-9=ADT^A01"));  // a field's value is its ER7 text
    CHECK(matches(m, "PID-5.1~^DO"));
    CHECK(matches(m, "PID-5.1~O"));  // searched anywhere
    CHECK_FALSE(matches(m, "PID-5.1~^O"));
    CHECK(matches(m, "PID-5.1~^D.E$"));

    CHECK(matches(m, "PID-8"));
    CHECK(matches(m, "PID-5"));
    CHECK_FALSE(matches(m, "PID-4"));   // empty
    CHECK_FALSE(matches(m, "PID-30"));  // absent
    CHECK_FALSE(matches(m, "PV1"));     // no such segment
    CHECK(matches(m, "PID"));

    // Absent values: = never holds, != always does.
    CHECK_FALSE(matches(m, "PID-30=X"));
    CHECK(matches(m, "PID-30!=X"));
    CHECK(matches(m, "PID-4="));  // present and empty equals ""
}

TEST_CASE("filter_matches: HL7 null and decoded values") {
    auto m = message();
    CHECK(matches(m, "PID-7=\"\""));  // the null is compared as written
    CHECK(matches(m, "PID-7"));
    CHECK(matches(m, "NTE-3~^a\\|b"));  // \F\ decodes to '|'
    // Filters compare the decoded text itself: a TAB is a TAB, not the \X09\ of extracted cells.
    CHECK(matches(m, "NTE-3~^a[|]b\\tc\\r\\nd$"));
    CHECK_FALSE(matches(m, "NTE-3~X09"));
    CHECK_FALSE(matches(m, "NTE-3~F"));
}

TEST_CASE("filter_matches: [*] over occurrences and repetitions") {
    auto m = message();
    CHECK(matches(m, "OBX[*]-5=140"));
    CHECK_FALSE(matches(m, "OBX-5=140"));  // the first OBX only
    CHECK(matches(m, "OBX[2]-5=140"));
    CHECK(matches(m, "OBX[*]-5!=7"));
    CHECK_FALSE(matches(m, "OBX[*]-5!=5"));  // one of them is 5
    CHECK(matches(m, "OBX[*]-3~^NA$"));
    CHECK(matches(m, "PID-3[*].1=222"));
    CHECK_FALSE(matches(m, "PID-3.1=222"));
    CHECK(matches(m, "PID-3[2].5=SS"));
    CHECK_FALSE(matches(m, "OBX[*]-5=6"));
}

TEST_CASE("filter_matches with a charset") {
    auto m = Message::parse_copy("MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xDCLLER\r");
    REQUIRE(m.ok());
    CHECK(hl7::filter_matches(*m, filter("PID-5.1=M\xC3\x9CLLER"), Charset::iso8859_1));
    CHECK_FALSE(hl7::filter_matches(*m, filter("PID-5.1=M\xC3\x9CLLER"), Charset::utf8));
}

TEST_CASE("extract_values: decoded, with TAB, CR and LF escaped") {
    auto m = message();
    std::vector<std::string> values;
    hl7::extract_values(m, path("NTE-3"), Charset::utf8, values);
    REQUIRE(values.size() == 1);
    CHECK(values[0] == "a|b\\X09\\c\\X0D\\\\X0A\\d");
    values.clear();
    hl7::extract_values(m, path("MSH-2"), Charset::utf8, values);
    CHECK(values == std::vector<std::string>{"^~\\&"});  // literal, not decoded
    values.clear();
    hl7::extract_values(m, path("PID-7"), Charset::utf8, values);
    CHECK(values == std::vector<std::string>{"\"\""});
    values.clear();
    hl7::extract_values(m, path("PID-3"), Charset::utf8, values);
    CHECK(values == std::vector<std::string>{"111^^^H^MR~222^^^S^SS"});
}

namespace {

std::vector<hl7::cli::Column> columns(std::initializer_list<const char*> texts) {
    std::vector<hl7::cli::Column> out;
    for (const char* t : texts) {
        auto c = hl7::cli::parse_column(t);
        REQUIRE(c.ok());
        out.push_back(*c);
    }
    return out;
}

const hl7::cli::MessageOrigin kOrigin{"in\tfile.hl7", 3, 120, 7, 88};

}  // namespace

TEST_CASE("extract_row: tab-separated, several values joined") {
    auto m = message();
    std::string out;
    hl7::cli::extract_row(m, columns({"PID-3[*].1", "PID-5.1", "PID-8", "PID-30", "OBX[*]-5"}), kOrigin,
                          Charset::utf8, ",", out);
    CHECK(out == "111,222\tDOE\tF\t\t5,140");

    std::string joined;
    hl7::cli::extract_row(m, columns({"OBX[*]-3"}), kOrigin, Charset::utf8, " | ", joined);
    CHECK(joined == "GLU | NA");

    std::string tabbed;
    hl7::cli::extract_row(m, columns({"MSH-10", "NTE-3"}), kOrigin, Charset::utf8, ",", tabbed);
    CHECK(tabbed == "C1\ta|b\\X09\\c\\X0D\\\\X0A\\d");  // one tab between the cells and no other

    std::string appended = "prefix:";
    hl7::cli::extract_row(m, columns({"MSH-10"}), kOrigin, Charset::utf8, ",", appended);
    CHECK(appended == "prefix:C1");
}

TEST_CASE("extract_json") {
    auto m = message();
    std::string out;
    hl7::cli::extract_json(m, columns({"PID-3[*].1", "PID-5.1", "PID-30", "ZZZ[*]-1", "NTE-3"}), kOrigin,
                           {"ids", "family", "none", "zs", "note"}, Charset::utf8, out);
    CHECK(out == R"({"ids":["111","222"],"family":"DOE","none":null,"zs":[],"note":"a|b\\X09\\c\\X0D\\\\X0A\\d"})");
    auto j = nlohmann::json::parse(out);
    CHECK(j["ids"].size() == 2);
}

TEST_CASE("pseudo-fields: where a message came from, as -f columns") {
    auto m = message();
    std::string row;
    hl7::cli::extract_row(m, columns({"@file", "@message", "@offset", "@line", "@length", "@type", "MSH-10"}), kOrigin,
                          Charset::utf8, ",", row);
    CHECK(row == "in file.hl7\t3\t120\t7\t88\t" + hl7::cli::pseudo_value(hl7::cli::PseudoField::type, m, kOrigin) + "\tC1");
    std::string json;
    hl7::cli::extract_json(m, columns({"@file", "@message", "@length"}), kOrigin, {"@file", "@message", "@length"},
                           Charset::utf8, json);
    CHECK(json == R"({"@file":"in\tfile.hl7","@message":3,"@length":88})");
    auto bad = hl7::cli::parse_column("@size");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().text.find("unknown pseudo-field '@size'") != std::string::npos);
    // @type: MSH-9 with ^ whatever the delimiters, the parts that are there.
    auto odd = hl7::Message::parse_copy("MSH|$~\\&|A||||||ORU$R01$ORU_R01|1|P|2.5\r");
    REQUIRE(odd.ok());
    CHECK(hl7::cli::pseudo_value(hl7::cli::PseudoField::type, *odd, kOrigin) == "ORU^R01^ORU_R01");
    auto bare = hl7::Message::parse_copy("MSH|^~\\&|A||||||ACK|1|P|2.3\r");
    REQUIRE(bare.ok());
    CHECK(hl7::cli::pseudo_value(hl7::cli::PseudoField::type, *bare, kOrigin) == "ACK");
}

TEST_CASE("filters: negation, comparisons, case and characters") {
    auto m = message();
    // !PATH: no value; PATH!~RE: no value matches.
    CHECK(matches(m, "!PID-30"));
    CHECK_FALSE(matches(m, "!PID-8"));
    CHECK(matches(m, "PID-5.1!~^SM"));
    CHECK_FALSE(matches(m, "PID-5.1!~^DO"));
    // Case: ~* and --ignore-case.
    CHECK_FALSE(matches(m, "PID-5.1~^do"));
    CHECK(matches(m, "PID-5.1~*^do"));
    CHECK_FALSE(matches(m, "PID-5.1!~*^do"));
    auto icase = hl7::parse_filter("PID-5.1=doe", true);
    REQUIRE(icase.ok());
    CHECK(hl7::filter_matches(m, *icase, Charset::utf8));
    // Numbers compare as numbers: OBX[*]-5 holds 5 and 140.
    CHECK(matches(m, "OBX[*]-5>100"));
    CHECK(matches(m, "OBX[*]-5<10"));
    CHECK_FALSE(matches(m, "OBX[*]-5>140"));
    CHECK(matches(m, "OBX[*]-5>=140"));
    CHECK(matches(m, "OBX[*]-5<=5"));
    CHECK_FALSE(matches(m, "OBX[*]-5<5"));
    // Errors.
    CHECK_FALSE(hl7::parse_filter("!PID-8=F").ok());
    CHECK_FALSE(hl7::parse_filter("PID-5.1!~[").ok());
}

TEST_CASE("filters: dates by their digits across precisions, regexes over characters") {
    auto read = [](const std::string& text) {
        auto parsed = hl7::Message::parse_copy(text);
        REQUIRE(parsed.ok());
        return std::move(*parsed);
    };
    auto m = read("MSH|^~\\&|A||||20210301120000||ADT^A01|1|P|2.5\rPID|1||7||M\xC3\x9CLLER^HANS||19800101\r");
    CHECK(matches(m, "MSH-7>=20210301"));
    CHECK(matches(m, "MSH-7>20210301"));  // noon is after the day's first second
    CHECK_FALSE(matches(m, "MSH-7<20210301"));
    CHECK(matches(m, "MSH-7<202103011201"));
    CHECK(matches(m, "PID-7<=19800101"));
    CHECK(matches(m, "PID-7>=19800101"));
    CHECK_FALSE(matches(m, "PID-7>19800101"));
    // '.' is one character, Ü two bytes.
    CHECK(matches(m, "PID-5.1~^M.LLER$"));
    CHECK_FALSE(matches(m, "PID-5.1~^M..LLER$"));
    // Text compares by bytes.
    CHECK(matches(m, "PID-5.2>HAN"));
}

TEST_CASE("--each: one row per segment, other segments read near it") {
    auto parsed = hl7::Message::parse_copy(
        "MSH|^~\\&|A||||||ORU^R01|1|P|2.5\rPID|1||P1\rOBR|1||O1|GLU\rOBX|1|NM|GLU||5\rOBX|2|NM|K||4\r"
        "OBR|2||O2|NA\rOBX|1|NM|NA||140\rPID|2||P2\rOBR|1||O3|CL\rOBX|1|NM|CL||101\r");
    REQUIRE(parsed.ok());
    std::string out;
    hl7::cli::extract_rows_each(*parsed, "OBX", columns({"PID-3", "OBR-4", "OBX-3", "OBX-5", "OBR[1]-3", "@message"}),
                                kOrigin, Charset::utf8, ",", out);
    CHECK(out == "P1\tGLU\tGLU\t5\tO1\t3\n"
                 "P1\tGLU\tK\t4\tO1\t3\n"
                 "P1\tNA\tNA\t140\tO1\t3\n"
                 "P2\tCL\tCL\t101\tO1\t3\n");
    std::string none;
    hl7::cli::extract_rows_each(*parsed, "NTE", columns({"OBX-3"}), kOrigin, Charset::utf8, ",", none);
    CHECK(none.empty());
}

TEST_CASE("filters on pseudo-fields: the subject is kept for the caller") {
    auto f = hl7::parse_filter("@length>1000");
    REQUIRE(f.ok());
    CHECK(f->pseudo == "@length");
    CHECK(f->op == Filter::Op::greater);
    CHECK(hl7::filter_matches_values(*f, {"4039"}));
    CHECK_FALSE(hl7::filter_matches_values(*f, {"942"}));
    auto type = hl7::parse_filter("@type~^ORU");
    REQUIRE(type.ok());
    CHECK(hl7::filter_matches_values(*type, {"ORU^R01^ORU_R01"}));
    CHECK_FALSE(hl7::filter_matches_values(*type, {"ADT^A01"}));
}
