// Tests of profiles: every YAML/JSON rule kind passing and failing, conditions, CSV value sets,
// Z-segment definitions, reader errors with lines, XML conformance profiles, the example files.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "helpers.hpp"
#include "hl7/message.hpp"
#include "hl7/profile.hpp"
#include "hl7/validate.hpp"

using hl7::Finding;
using hl7::Profile;
using hl7::ProfileFormat;

namespace {

using Strings = std::vector<std::string>;
using ProfilePtr = std::shared_ptr<const Profile>;

// A reader over in-memory files, counting what it was asked for.
struct FakeFiles {
    std::map<std::string, std::string> files;
    Strings asked;
    hl7::ProfileFileReader reader() {
        return [this](std::string_view path) -> hl7::Result<std::string> {
            asked.emplace_back(path);
            auto it = files.find(std::string(path));
            if (it == files.end()) return hl7::make_error("no-file", "no such file");
            return it->second;
        };
    }
};

ProfilePtr load(std::string_view text, ProfileFormat format = ProfileFormat::yaml,
                const hl7::ProfileFileReader& reader = {}) {
    auto p = hl7::parse_profile(text, format, "test.yaml", reader);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().text));
    return *p;
}

std::string load_error(std::string_view text, ProfileFormat format = ProfileFormat::yaml,
                       const hl7::ProfileFileReader& reader = {}) {
    auto p = hl7::parse_profile(text, format, "bad.profile", reader);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == "bad-profile");
    return p.error().text;
}

std::string er7(const Strings& segments) {
    std::string s;
    for (const auto& seg : segments) s += seg + "\r";
    return s;
}

const std::string kMsh = "MSH|^~\\&|ADT1|GHH|RCV|RF|20240115083000||ADT^A01^ADT_A01|C1|P|2.5.1";
const std::string kEvn = "EVN|A01|20240115083000";
const std::string kPid = "PID|1||123456^^^GHH^MR~987654^^^SSA^SS||DOE^JANE||19800101|F";
const std::string kPv1 = "PV1|1|I";

std::string base(const Strings& extra = {}) {
    Strings segs{kMsh, kEvn, kPid, kPv1};
    segs.insert(segs.end(), extra.begin(), extra.end());
    return er7(segs);
}

std::vector<Finding> check(const Profile& p, const std::string& text) {
    auto m = hl7::Message::parse(text);
    REQUIRE(m.ok());
    std::vector<Finding> out;
    p.check(*m, hl7::Charset::utf8, out);
    return out;
}

// "CODE PATH RULE" for each finding, the form the expectations are written in (a type of its own
// so that doctest prints it).
struct Found {
    Strings items;
    bool empty() const { return items.empty(); }
    bool operator==(const Strings& other) const { return items == other; }
};

Found summary(const std::vector<Finding>& findings) {
    Found out;
    for (const auto& f : findings)
        out.items.push_back(std::to_string(f.code) + " " + f.location.to_string() + " " + f.rule);
    return out;
}

Found run(std::string_view profile, const std::string& message) { return summary(check(*load(profile), message)); }

std::string replace(std::string s, std::string_view from, std::string_view to) {
    return testutil::replace_all(std::move(s), from, to);
}

}  // namespace

template <>
struct doctest::StringMaker<Found> {
    static doctest::String convert(const Found& found) {
        std::string s = "{";
        for (const auto& item : found.items) s += (s.size() > 1 ? ", \"" : "\"") + item + "\"";
        return (s + "}").c_str();
    }
};

TEST_CASE("profile: usage R on fields and components") {
    const char* p = "fields:\n  PID-7: { usage: R }\n  PID-5.2: { usage: R }\n  PID-11.1: { usage: R }\n";
    SUBCASE("PID-7 and PID-5.2 valued; an absent PID-11 is missing PID-11.1") {
        CHECK(run(p, base()) == Strings{"101 PID-11.1 profile"});
    }
    SUBCASE("failing") {
        std::string msg = replace(base(), "DOE^JANE||19800101", "DOE||");
        auto findings = check(*load(p), msg);
        CHECK(summary(findings) == Strings{"101 PID-7 profile", "101 PID-5.2 profile", "101 PID-11.1 profile"});
        CHECK(findings[0].severity == hl7::Severity::error);
        CHECK(findings[0].text == "profile 'test.yaml': PID-7 is required but missing");
        CHECK(findings[0].segment_index == 3);
        CHECK(findings[0].location.segment == "PID");
        CHECK(findings[0].location.field == 7);
    }
    SUBCASE("a required field of an absent segment is the segment rule's business") {
        CHECK(run("fields:\n  NK1-2: { usage: R }\n", base()).empty());
    }
    SUBCASE("every occurrence of the segment, unless the path names one") {
        std::string msg = base({"OBX|1|NM|A||5", "OBX|2|NM|B||", "OBX|3|NM|C||"});
        CHECK(run("fields:\n  OBX-5: { usage: R }\n", msg) == Strings{"101 OBX[2]-5 profile", "101 OBX[3]-5 profile"});
        CHECK(run("fields:\n  OBX[3]-5: { usage: R }\n", msg) == Strings{"101 OBX[3]-5 profile"});
        CHECK(run("fields:\n  OBX[1]-5: { usage: R }\n", msg).empty());
    }
    SUBCASE("a component of each present repetition") {
        CHECK(run("fields:\n  PID-3.5: { usage: R }\n", base()).empty());
        std::string msg = replace(base(), "987654^^^SSA^SS", "987654^^^SSA");
        CHECK(run("fields:\n  PID-3.5: { usage: R }\n", msg) == Strings{"101 PID-3[2].5 profile"});
        // A subcomponent is missing from a present repetition even when its component is empty.
        std::string sub = replace(base(), "123456^^^GHH^MR", "123456^^^GHH&1.2^MR");
        CHECK(run("fields:\n  PID-3.4.2: { usage: R }\n", sub) == Strings{"101 PID-3[2].4.2 profile"});
    }
    SUBCASE("RE and O add nothing, HL7 null counts as present") {
        CHECK(run("fields:\n  PID-6: { usage: RE }\n  PID-9: { usage: O }\n", base()).empty());
        std::string msg = replace(base(), "||19800101", "|\"\"|19800101");
        CHECK(run("fields:\n  PID-6: { usage: R }\n", msg).empty());
    }
}

TEST_CASE("profile: usage X on fields and segments") {
    const char* p = "fields:\n  PID-19: { usage: X }\n  PID-5.3: { usage: X }\n";
    CHECK(run(p, base()).empty());
    std::string msg = replace(base(), "DOE^JANE||19800101|F", "DOE^JANE^Q||19800101|F|||||||||||123-45-6789");
    auto findings = check(*load(p), msg);
    CHECK(summary(findings) == Strings{"102 PID-19 profile", "102 PID-5.3 profile"});
    CHECK(findings[0].text == "profile 'test.yaml': PID-19 must not be present");
    CHECK(findings[0].value == "123-45-6789");

    const char* s = "segments:\n  NTE: { usage: X }\n";
    CHECK(run(s, base()).empty());
    auto seg = check(*load(s), base({"NTE|1||one", "NTE|2||two"}));
    CHECK(summary(seg) == Strings{"100 NTE profile", "100 NTE[2] profile"});
    CHECK(seg[0].segment_index == 5);
    CHECK(seg[1].segment_index == 6);
    CHECK(seg[0].text == "profile 'test.yaml': segment NTE must not appear");
}

TEST_CASE("profile: repetition cardinality") {
    const char* p = "fields:\n  PID-3: { usage: R, min: 1, max: 2 }\n  PID-13: { min: 2 }\n";
    CHECK(run(p, base()).empty());
    std::string three = replace(base(), "SSA^SS|", "SSA^SS~555^^^X^PI|");
    auto findings = check(*load(p), three);
    CHECK(summary(findings) == Strings{"102 PID-3[3] profile"});
    CHECK(findings[0].text == "profile 'test.yaml': PID-3 has 3 repetitions, at most 2 allowed");
    std::string none = replace(base(), "123456^^^GHH^MR~987654^^^SSA^SS", "");
    CHECK(run(p, none) == Strings{"101 PID-3 profile"});
    // min counts only a present field: one phone number is too few, none is fine.
    CHECK(run(p, base({})).empty());
    std::string phone = replace(base(), "|F", "|F|||||^PRN^PH^^1^555^5550100");
    auto few = check(*load(p), phone);
    CHECK(summary(few) == Strings{"101 PID-13 profile"});
    CHECK(few[0].text == "profile 'test.yaml': PID-13 has 1 repetition, at least 2 required");
    // Empty repetitions do not count.
    std::string empties = replace(base(), "SSA^SS|", "SSA^SS~~|");
    CHECK(run(p, empties).empty());
}

TEST_CASE("profile: inline value sets") {
    const char* p = "fields:\n  PID-8: { values: [F, M, U] }\n  PV1-2: { values: [I, O] }\n";
    CHECK(run(p, base()).empty());
    auto findings = check(*load(p), replace(base(), "|F", "|X"));
    CHECK(summary(findings) == Strings{"103 PID-8 profile"});
    CHECK(findings[0].text == "profile 'test.yaml': PID-8 value not in the value set");
    CHECK(findings[0].value == "X");
    SUBCASE("a coded field compares its first component") {
        const char* q = "fields:\n  PID-3.5: { values: [MR, SS] }\n  PID-3: { values: ['123456', '987654'] }\n";
        CHECK(run(q, base()).empty());
        CHECK(run(q, replace(base(), "987654^^^SSA^SS", "987655^^^SSA^PI")) ==
              Strings{"103 PID-3[2].5 profile", "103 PID-3[2] profile"});
    }
    SUBCASE("values are compared decoded") {
        const char* q = "fields:\n  PID-8: { values: ['A&B'] }\n";
        CHECK(run(q, replace(base(), "|F", "|A\\T\\B")).empty());
        CHECK(run(q, replace(base(), "|F", "|A\\T\\C")) == Strings{"103 PID-8 profile"});
    }
    SUBCASE("HL7 null and empty values are not checked") {
        CHECK(run(p, replace(base(), "|F", "|\"\"")).empty());
        CHECK(run(p, replace(base(), "|F", "|")).empty());
    }
}

TEST_CASE("profile: CSV value sets through the file reader") {
    FakeFiles files;
    files.files["patient-class.csv"] = "code,description\r\nI,Inpatient\r\n\"O\",\"Outpatient, \"\"day\"\"\"\r\n\r\n# comment\r\nE , Emergency\r\n";
    const char* p = "fields:\n  PV1-2: { value-set: patient-class.csv }\n";
    auto profile = load(p, ProfileFormat::yaml, files.reader());
    CHECK(files.asked == Strings{"patient-class.csv"});
    CHECK(summary(check(*profile, base())).empty());
    CHECK(summary(check(*profile, replace(base(), "PV1|1|I", "PV1|1|E"))).empty());
    CHECK(summary(check(*profile, replace(base(), "PV1|1|I", "PV1|1|O"))).empty());
    auto findings = check(*profile, replace(base(), "PV1|1|I", "PV1|1|code"));
    CHECK(summary(findings) == Strings{"103 PV1-2 profile"});
    CHECK(findings[0].text == "profile 'test.yaml': PV1-2 value not in the value set 'patient-class.csv'");

    SUBCASE("no header row: the first line is a code") {
        files.files["plain.csv"] = "A\nB\n";
        auto q = load("fields:\n  PV1-2: { value-set: plain.csv }\n", ProfileFormat::yaml, files.reader());
        CHECK(summary(check(*q, replace(base(), "PV1|1|I", "PV1|1|A"))).empty());
        CHECK(summary(check(*q, base())) == Strings{"103 PV1-2 profile"});
    }
    SUBCASE("errors") {
        CHECK(load_error("fields:\n  PV1-2: { value-set: missing.csv }\n", ProfileFormat::yaml, files.reader()) ==
              "profile 'bad.profile', line 2: value-set 'missing.csv': no such file");
        files.files["empty.csv"] = "code\n";
        CHECK(load_error("fields:\n  PV1-2: { value-set: empty.csv }\n", ProfileFormat::yaml, files.reader()) ==
              "profile 'bad.profile', line 2: value-set 'empty.csv' has no codes");
        CHECK(load_error("fields:\n  PV1-2: { value-set: x.csv }\n") ==
              "profile 'bad.profile', line 2: value-set 'x.csv': files cannot be read here");
    }
}

TEST_CASE("profile: fixed values") {
    const char* p = "fields:\n  MSH-4.1: { fixed: GHH }\n  MSH-11: { fixed: P }\n";
    CHECK(run(p, base()).empty());
    auto findings = check(*load(p), replace(base(), "|GHH|RCV", "|OTHER|RCV"));
    CHECK(summary(findings) == Strings{"103 MSH-4.1 profile"});
    CHECK(findings[0].text == "profile 'test.yaml': MSH-4.1 value differs from the fixed value 'GHH'");
    CHECK(findings[0].segment_index == 1);
    CHECK(findings[0].value == "OTHER");
    // MSH-1 and MSH-2 are literal.
    CHECK(run("fields:\n  MSH-2: { fixed: '^~\\&' }\n  MSH-1: { fixed: '|' }\n", base()).empty());
}

TEST_CASE("profile: patterns match the whole value") {
    const char* p = "fields:\n  PID-3.1: { pattern: '^[0-9]{6,10}$' }\n  PID-8: { pattern: '[FM]' }\n";
    CHECK(run(p, base()).empty());
    auto findings = check(*load(p), replace(replace(base(), "987654^", "98x654^"), "|F", "|FF"));
    CHECK(summary(findings) == Strings{"102 PID-3[2].1 profile", "102 PID-8 profile"});
    CHECK(findings[0].text == "profile 'test.yaml': PID-3[2].1 value does not match the pattern '^[0-9]{6,10}$'");
    CHECK(findings[0].value == "98x654");
    // Long values are not matched (std::regex recurses per character), and say so.
    auto long_value = check(*load("fields:\n  PID-8: { pattern: '[A-Z]*' }\n"),
                            replace(base(), "|F", "|" + std::string(5000, 'F')));
    CHECK(summary(long_value) == Strings{"102 PID-8 profile"});
    CHECK(long_value[0].severity == hl7::Severity::warning);
    CHECK(long_value[0].text == "profile 'test.yaml': PID-8 value longer than 4096 bytes: pattern not checked");
}

TEST_CASE("profile: length and datatype") {
    const char* p = "fields:\n  PID-7: { length: 8, datatype: DT }\n  PID-1: { datatype: SI }\n"
                    "  PID-5: { datatype: XPN }\n";
    CHECK(run(p, base()).empty());
    auto findings = check(*load(p), replace(replace(base(), "19800101", "198013011"), "PID|1|", "PID|x|"));
    CHECK(summary(findings) == Strings{"104 PID-7 profile", "102 PID-7 profile", "102 PID-1 profile"});
    CHECK(findings[0].severity == hl7::Severity::error);
    CHECK(findings[0].text == "profile 'test.yaml': PID-7 value longer than 8 characters");
    CHECK(findings[1].text.rfind("profile 'test.yaml': PID-7 value is not a valid DT: ", 0) == 0);
    CHECK(findings[1].value == "198013011");
    // Length counts characters of the decoded value.
    CHECK(run("fields:\n  PID-8: { length: 3 }\n", replace(base(), "|F", "|\\F\\\\S\\\\T\\")).empty());
    CHECK(run("fields:\n  PID-8: { length: 2 }\n", replace(base(), "|F", "|\\F\\\\S\\\\T\\")) ==
          Strings{"104 PID-8 profile"});
}

TEST_CASE("profile: HL7 tables") {
    const char* p = "fields:\n  MSH-11.1: { table: 103 }\n";
    CHECK(run(p, base()).empty());
    auto findings = check(*load(p), replace(base(), "|C1|P|", "|C1|Q|"));
    CHECK(summary(findings) == Strings{"103 MSH-11.1 profile"});
    CHECK(findings[0].severity == hl7::Severity::error);
    CHECK(findings[0].text == "profile 'test.yaml': MSH-11.1 value not in HL7 table 0103");
    CHECK(load_error("fields:\n  PID-8: { table: 65000 }\n") ==
          "profile 'bad.profile', line 2: table 65000 is not an HL7 table the library knows");
}

TEST_CASE("profile: accepted message types") {
    const char* p = "messages: [ADT^A01, ADT^A04, ORU]\n";
    CHECK(run(p, base()).empty());
    CHECK(run(p, replace(base(), "ADT^A01^ADT_A01", "ORU^R01^ORU_R01")).empty());
    auto event = check(*load(p), replace(base(), "ADT^A01^ADT_A01", "ADT^A08^ADT_A01"));
    CHECK(summary(event) == Strings{"201 MSH-9.2 profile"});
    CHECK(event[0].text == "profile 'test.yaml': MSH-9.2 trigger event not allowed (the profile accepts ADT^A01, "
                           "ADT^A04, ORU)");
    CHECK(event[0].value == "A08");
    CHECK(event[0].segment_index == 1);
    auto type = check(*load(p), replace(base(), "ADT^A01^ADT_A01", "ORM^O01^ORM_O01"));
    CHECK(summary(type) == Strings{"200 MSH-9.1 profile"});
    CHECK(type[0].value == "ORM");
    CHECK(run("messages: ADT^*\n", replace(base(), "ADT^A01", "ADT^A31")).empty());
}

TEST_CASE("profile: segment usage and cardinality") {
    const char* p = "segments:\n  PV1: { usage: R }\n  NK1: { usage: R }\n  OBX: { min: 2, max: 3 }\n"
                    "fields:\n  AL1: { usage: R }\n";
    auto missing = check(*load(p), base());
    CHECK(summary(missing) == Strings{"100 NK1 profile", "100 AL1 profile"});
    CHECK(missing[0].segment_index == 0);
    CHECK(missing[0].text == "profile 'test.yaml': segment NK1 is required but missing");
    Strings nk1_al1{"NK1|1|DOE^JOHN", "AL1|1|DA|PEN"};
    CHECK(run(p, base(nk1_al1)).empty());
    Strings one_obx = nk1_al1;
    one_obx.push_back("OBX|1|NM|A||1");
    CHECK(run(p, base(one_obx)) == Strings{"100 OBX profile"});
    Strings four_obx = one_obx;
    for (int i = 2; i <= 4; ++i) four_obx.push_back("OBX|" + std::to_string(i) + "|NM|A||1");
    auto many = check(*load(p), base(four_obx));
    CHECK(summary(many) == Strings{"100 OBX[4] profile"});
    CHECK(many[0].segment_index == 10);
    CHECK(many[0].text == "profile 'test.yaml': segment OBX appears 4 times, at most 3 allowed");
}

TEST_CASE("profile: conditional rules") {
    const char* p = R"(rules:
  - when: PID-8 = F
    then:
      PID-5.2: { usage: R }
  - when: PID-8 != F
    then:
      PID-7: { usage: X }
  - when: PID-3[*].5 ~ ^S
    then:
      PID-3.4: { values: [GHH, SSA] }
  - when: NK1
    then:
      NK1-2: { usage: R }
      PV1: { usage: X }
  - when: not PID-6
    then:
      PID-1: { fixed: '1' }
  - when: [PID-8=M, 'PV1-2 = I']
    then:
      PV1-3: { usage: R }
)";
    CHECK(run(p, base()).empty());
    SUBCASE("= holds") {
        auto findings = check(*load(p), replace(base(), "DOE^JANE", "DOE"));
        CHECK(summary(findings) == Strings{"101 PID-5.2 profile"});
        CHECK(findings[0].text == "profile 'test.yaml': PID-5.2 is required but missing (when PID-8 = F)");
    }
    SUBCASE("!= holds, and both conditions of a list") {
        CHECK(run(p, replace(base(), "|F", "|M")) == Strings{"102 PID-7 profile", "101 PV1-3 profile"});
        CHECK(run(p, replace(replace(base(), "|F", "|M"), "PV1|1|I", "PV1|1|O")) == Strings{"102 PID-7 profile"});
    }
    SUBCASE("~ searches") {
        CHECK(run(p, replace(base(), "SSA^SS", "XXX^SS")) == Strings{"103 PID-3[2].4 profile"});
    }
    SUBCASE("present, and a segment rule in then") {
        CHECK(run(p, base({"NK1|1|"})) == Strings{"100 PV1 profile", "101 NK1-2 profile"});
    }
    SUBCASE("not") {
        CHECK(run(p, replace(base(), "PID|1|", "PID|2|")) == Strings{"103 PID-1 profile"});
        CHECK(run(p, replace(replace(base(), "PID|1|", "PID|2|"), "JANE||", "JANE|SMITH|")).empty());
    }
    SUBCASE("bad conditions") {
        CHECK(load_error("rules:\n  - when: PID-x = F\n    then: { PID-5: { usage: R } }\n").rfind(
                  "profile 'bad.profile', line 2: when 'PID-x = F': bad filter", 0) == 0);
        CHECK(load_error("rules:\n  - when: PID-8 ~ (\n    then: { PID-5: { usage: R } }\n") ==
              "profile 'bad.profile', line 2: when 'PID-8 ~ (': bad filter 'PID-8~(': invalid regular expression");
        CHECK(load_error("rules:\n  - then: { PID-5: { usage: R } }\n") ==
              "profile 'bad.profile', line 2: rule without when");
    }
}

TEST_CASE("profile: Z-segment definitions") {
    const char* p = R"(name: Pets
segments:
  ZPI:
    description: Pet information
    max: 1
    fields:
      1: { name: Pet name, datatype: ST, usage: R, length: 20 }
      2: { name: Species, datatype: CWE, table: 9001, repeat: 3 }
      4: { name: Owner SSN, usage: X }
      5: { datatype: DT, repeat: '*', values: ['20200101'] }
)";
    auto profile = load(p);
    CHECK(profile->name() == "Pets");
    CHECK(profile->version().empty());
    CHECK(profile->segment("PID") == nullptr);
    const hl7::defs::SegmentDef* zpi = profile->segment("ZPI");
    REQUIRE(zpi != nullptr);
    CHECK(zpi->id == "ZPI");
    CHECK(zpi->description == "Pet information");
    REQUIRE(zpi->fields.size() == 5);
    CHECK(zpi->fields[0].description == "Pet name");
    CHECK(zpi->fields[0].datatype == "ST");
    CHECK(zpi->fields[0].usage == hl7::defs::Usage::required);
    CHECK(zpi->fields[0].max_length == 20);
    CHECK(zpi->fields[0].max_repetitions == 1);
    CHECK(zpi->fields[1].datatype == "CWE");
    CHECK(zpi->fields[1].table == 9001);
    CHECK(zpi->fields[1].max_repetitions == 3);
    CHECK(zpi->fields[1].usage == hl7::defs::Usage::optional);
    CHECK(zpi->fields[2].datatype == "ST");  // not listed: optional ST
    CHECK(zpi->fields[2].description.empty());
    CHECK(zpi->fields[3].usage == hl7::defs::Usage::optional);
    CHECK(zpi->fields[4].max_repetitions == 0);
    // The definitions are the validator's; the profile's own rules are max 1, X on ZPI-4 and ZPI-5's values.
    CHECK(run(p, base({"ZPI|REX|DOG"})).empty());
    CHECK(run(p, base({"ZPI||||123|20200101~20210101", "ZPI|TOM"})) ==
          Strings{"100 ZPI[2] profile", "102 ZPI-4 profile", "103 ZPI-5[2] profile"});
}

TEST_CASE("profile: a JSON profile is read like the YAML one") {
    const char* yaml = R"(name: Same
messages: [ADT^A01]
segments:
  NTE: { usage: X }
fields:
  PID-8: { values: [F, M] }
  PID-7: { usage: R, datatype: DT }
rules:
  - when: PID-8 = F
    then:
      PID-5.2: { usage: R }
)";
    const char* json = "{\n\t\"name\": \"Same\",\n\t\"messages\": [\"ADT^A01\"],\n"
                       "\t\"segments\": { \"NTE\": { \"usage\": \"X\" } },\n"
                       "\t\"fields\": {\n\t\t\"PID-8\": { \"values\": [\"F\", \"M\"] },\n"
                       "\t\t\"PID-7\": { \"usage\": \"R\", \"datatype\": \"DT\" }\n\t},\n"
                       "\t\"rules\": [ { \"when\": \"PID-8 = F\", \"then\": { \"PID-5.2\": { \"usage\": \"R\" } } } ]\n}\n";
    auto y = load(yaml);
    auto j = load(json, ProfileFormat::json);
    CHECK(j->name() == "Same");
    std::string bad = replace(replace(base({"NTE|1"}), "DOE^JANE||19800101", "DOE||"), "ADT^A01", "ADT^A04");
    Strings expected{"201 MSH-9.2 profile", "100 NTE profile", "101 PID-7 profile", "101 PID-5.2 profile"};
    CHECK(summary(check(*y, bad)) == expected);
    CHECK(summary(check(*j, bad)) == expected);
    CHECK(summary(check(*j, base())).empty());
    // JSON escapes mean what JSON says.
    auto esc = load("{\"fields\": {\"PID-8\": {\"values\": [\"\\u00c9\", \"a\\/b\", \"\\\"q\\\"\"]}}}",
                    ProfileFormat::json);
    CHECK(summary(check(*esc, replace(base(), "|F", "|\xC3\x89"))).empty());
    CHECK(summary(check(*esc, replace(base(), "|F", "|a/b"))).empty());
    CHECK(summary(check(*esc, replace(base(), "|F", "|\"q\""))).empty());
    CHECK(summary(check(*esc, replace(base(), "|F", "|ab"))) == Strings{"103 PID-8 profile"});
    // Semantic errors in JSON carry lines too.
    CHECK(load_error("{\n  \"fields\": {\n    \"PID-8\": { \"usage\": \"Q\" }\n  }\n}", ProfileFormat::json) ==
          "profile 'bad.profile', line 3: usage 'Q': expected R, RE, O, C, CE or X");
}

TEST_CASE("profile: malformed files are errors with a line") {
    SUBCASE("YAML syntax") {
        std::string e = load_error("name: x\nfields:\n  PID-8: { values: [F, M }\n");
        CHECK(e.rfind("profile 'bad.profile', line 3: invalid YAML: ", 0) == 0);
    }
    SUBCASE("JSON syntax") {
        std::string e = load_error("{\n  \"name\": \"x\",\n  \"fields\": { \"PID-8\" { } }\n}\n", ProfileFormat::json);
        CHECK(e.rfind("profile 'bad.profile', line 3: invalid JSON: ", 0) == 0);
        // yaml-cpp would take this; strict JSON does not.
        CHECK(load_error("name: x\n", ProfileFormat::json).rfind("profile 'bad.profile', line 1: invalid JSON", 0) == 0);
    }
    SUBCASE("XML syntax") {
        std::string e = load_error("<HL7v2xConformanceProfile>\n<HL7v2xStaticDef MsgType='ADT'>\n<Segment Name='MSH'>\n"
                                   "</HL7v2xStaticDef>\n</HL7v2xConformanceProfile>\n",
                                   ProfileFormat::xml);
        CHECK(e == "profile 'bad.profile', line 4: invalid XML: mismatched tag");
        CHECK(load_error("", ProfileFormat::xml).rfind("profile 'bad.profile', line 1: invalid XML: ", 0) == 0);
    }
    SUBCASE("the profile's own mistakes") {
        CHECK(load_error("") == "profile 'bad.profile': the profile is empty");
        CHECK(load_error("- a\n- b\n").rfind("profile 'bad.profile', line 1: expected a mapping", 0) == 0);
        CHECK(load_error("name: x\nfeilds: {}\n") ==
              "profile 'bad.profile', line 2: unknown key 'feilds' in the profile (expected one of: name, "
              "description, version, messages, segments, fields, rules)");
        CHECK(load_error("fields:\n  PID-8:\n    usage: R\n    vaules: [F]\n") ==
              "profile 'bad.profile', line 4: unknown key 'vaules' in PID-8 (expected one of: usage, min, max, "
              "values, value-set, fixed, pattern, length, datatype, table, description)");
        CHECK(load_error("fields:\n  PID-x: { usage: R }\n") ==
              "profile 'bad.profile', line 2: bad character 'x' at position 5 in path 'PID-x' (expected a field "
              "number from 1)");
        CHECK(load_error("fields:\n  PID-3: { max: many }\n") ==
              "profile 'bad.profile', line 2: max (or '*'): expected a number from 0 to 999999");
        CHECK(load_error("fields:\n  PID-3.1: { min: 1 }\n") ==
              "profile 'bad.profile', line 2: PID-3.1: min counts repetitions: give it on a field path");
        CHECK(load_error("fields:\n  PID-3: { pattern: '[' }\n") ==
              "profile 'bad.profile', line 2: pattern '[' is not a valid regular expression");
        CHECK(load_error("fields:\n  PID-3: { datatype: NOPE }\n") ==
              "profile 'bad.profile', line 2: unknown datatype 'NOPE'");
        CHECK(load_error("version: 9.9\n") == "profile 'bad.profile', line 1: version '9.9' is not a known HL7 version");
        CHECK(load_error("messages: [ADT^A01^X]\n") ==
              "profile 'bad.profile', line 1: messages: 'ADT^A01^X' is not TYPE^TRIGGER (ADT^A01), TYPE^* or TYPE");
        CHECK(load_error("segments:\n  zp: { usage: R }\n") ==
              "profile 'bad.profile', line 2: 'zp' is not a segment ID such as ZPI");
        CHECK(load_error("segments:\n  ZPI:\n    fields:\n      0: { name: x }\n") ==
              "profile 'bad.profile', line 4: segment ZPI field number: expected a number from 1 to 999");
    }
    SUBCASE("XML profile mistakes") {
        CHECK(load_error("<?xml version='1.0'?>\n<Profile/>\n", ProfileFormat::xml) ==
              "profile 'bad.profile', line 2: root element <Profile>: expected HL7v2xConformanceProfile or "
              "HL7v2xStaticDef");
        CHECK(load_error("<HL7v2xConformanceProfile HL7Version='2.5.1'/>", ProfileFormat::xml) ==
              "profile 'bad.profile': no HL7v2xStaticDef element");
        CHECK(load_error("<HL7v2xStaticDef>\n  <Segment Name='PID' Usage='R' Min='one' Max='1'/>\n"
                         "</HL7v2xStaticDef>",
                         ProfileFormat::xml) == "profile 'bad.profile', line 2: Segment Min='one': expected a number");
    }
}

namespace {

// A synthetic static definition: ADT^A01 with MSH, EVN, PID (R/X, cardinality, length, table).
const char* kStaticDef = R"(<?xml version="1.0" encoding="UTF-8"?>
<HL7v2xConformanceProfile HL7Version="2.5.1" ProfileType="Constrainable">
  <MetaData Name="Synthetic ADT" OrgName="Test"/>
  <HL7v2xStaticDef MsgType="ADT" EventType="A01" MsgStructID="ADT_A01">
    <Segment Name="MSH" Usage="R" Min="1" Max="1">
      <Field Name="Field Separator" Usage="R" Min="1" Max="1" Datatype="ST" Length="1"/>
      <Field Name="Encoding Characters" Usage="R" Min="1" Max="1" Datatype="ST" Length="4"/>
      <Field Name="Sending Application" Usage="R" Min="1" Max="1" Datatype="HD" Length="20">
        <Component Name="Namespace ID" Usage="R" Datatype="IS" Length="4"/>
      </Field>
      <Field Name="Sending Facility" Usage="RE" Min="0" Max="1" Datatype="HD"/>
      <Field Name="Receiving Application" Usage="O" Min="0" Max="1" Datatype="HD"/>
      <Field Name="Receiving Facility" Usage="O" Min="0" Max="1" Datatype="HD"/>
      <Field Name="Date/Time Of Message" Usage="R" Min="1" Max="1" Datatype="TS">
        <Component Name="Time" Usage="R" Datatype="DTM"/>
      </Field>
      <Field Name="Security" Usage="X" Min="0" Max="0" Datatype="ST"/>
      <Field Name="Message Type" Usage="R" Min="1" Max="1" Datatype="MSG">
        <Component Name="Message Code" Usage="R" Datatype="ID" Table="0076"/>
        <Component Name="Trigger Event" Usage="R" Datatype="ID" Table="0003"/>
      </Field>
      <Field Name="Message Control ID" Usage="R" Min="1" Max="1" Datatype="ST" Length="20"/>
      <Field Name="Processing ID" Usage="R" Min="1" Max="1" Datatype="PT">
        <Component Name="Processing ID" Usage="R" Datatype="ID" Length="1" Table="HL70103"/>
      </Field>
    </Segment>
    <Segment Name="EVN" Usage="R" Min="1" Max="1">
      <Field Name="Event Type Code" Usage="X" Min="0" Max="0" Datatype="ID"/>
      <Field Name="Recorded Date/Time" Usage="R" Min="1" Max="1" Datatype="TS">
        <Component Name="Time" Usage="R" Datatype="DTM"/>
      </Field>
    </Segment>
    <Segment Name="PID" Usage="R" Min="1" Max="1">
      <Field Name="Set ID" Usage="R" Min="1" Max="1" Datatype="SI" Length="4"/>
      <Field Name="Patient ID" Usage="X" Min="0" Max="0" Datatype="CX"/>
      <Field Name="Patient Identifier List" Usage="R" Min="1" Max="2" Datatype="CX" Length="30">
        <Component Name="ID Number" Usage="R" Datatype="ST" Length="6"/>
        <Component Name="Check Digit" Usage="X" Datatype="ST"/>
        <Component Name="Check Digit Scheme" Usage="O" Datatype="ID"/>
        <Component Name="Assigning Authority" Usage="RE" Datatype="HD">
          <SubComponent Name="Namespace ID" Usage="R" Datatype="IS"/>
        </Component>
      </Field>
      <Field Name="Alternate Patient ID" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient Name" Usage="R" Min="1" Max="*" Datatype="XPN">
        <Component Name="Family Name" Usage="R" Datatype="FN"/>
        <Component Name="Given Name" Usage="RE" Datatype="ST"/>
      </Field>
      <Field Name="Mother's Maiden Name" Usage="O" Min="0" Max="1" Datatype="XPN"/>
      <Field Name="Date/Time of Birth" Usage="RE" Min="0" Max="1" Datatype="TS">
        <Component Name="Time" Usage="R" Datatype="DTM"/>
      </Field>
      <Field Name="Administrative Sex" Usage="R" Min="1" Max="1" Datatype="IS" Length="1" Table="0001"/>
    </Segment>
    <SegGroup Name="NEXT_OF_KIN" Usage="RE" Min="0" Max="2">
      <Segment Name="NK1" Usage="R" Min="1" Max="1"/>
    </SegGroup>
    <Segment Name="NTE" Usage="X" Min="0" Max="0"/>
    <SegGroup Name="INSURANCE" Usage="X" Min="0" Max="0">
      <Segment Name="IN1" Usage="R" Min="1" Max="1"/>
    </SegGroup>
  </HL7v2xStaticDef>
</HL7v2xConformanceProfile>
)";

}  // namespace

TEST_CASE("profile: XML static definition") {
    auto profile = load(kStaticDef, ProfileFormat::xml);
    CHECK(profile->name() == "Synthetic ADT");
    CHECK(profile->version() == "2.5.1");
    CHECK(profile->segment("PID") == nullptr);
    const std::string msh = "MSH|^~\\&|ADT1|GHH|||20240115083000||ADT^A01|C1|P|2.5.1";
    const std::string evn = "EVN||20240115083000";
    const std::string pid = "PID|1||123456^^^GHH&1.2&ISO~987654||DOE^JANE||19800101|F";
    CHECK(summary(check(*profile, er7({msh, evn, pid}))).empty());
    CHECK(summary(check(*profile, er7({msh, evn, pid, "NK1|1", "NK1|2"}))).empty());

    SUBCASE("message type") {
        CHECK(summary(check(*profile, er7({replace(msh, "ADT^A01", "ADT^A04"), evn, pid}))) ==
              Strings{"201 MSH-9.2 profile"});
    }
    SUBCASE("segments: R, X, X group, group maximum") {
        CHECK(summary(check(*profile, er7({msh, pid, "NTE|1", "IN1|1", "NK1|1", "NK1|2", "NK1|3"}))) ==
              Strings{"100 EVN profile", "100 NK1[3] profile", "100 NTE profile", "100 IN1 profile"});
    }
    SUBCASE("fields: R, X, cardinality, length, table, datatype") {
        std::string bad_msh = "MSH|^~\\&|ADT12|GHH|||20240115083000|SEC|ADT^A01|C1|Q|2.5.1";
        std::string bad_evn = "EVN|A01|2024011508300x";
        std::string bad_pid = "PID|||123456^1^^GHH~1234567^^^&1.2~3||DOE^JANE||19800101|Z";
        auto findings = check(*profile, er7({bad_msh, bad_evn, bad_pid}));
        CHECK(summary(findings) == Strings{
                                       "104 MSH-3.1 profile",      // Length="4"
                                       "102 MSH-8 profile",        // Usage="X"
                                       "103 MSH-11.1 profile",     // Table="HL70103"
                                       "102 EVN-1 profile",        // Usage="X"
                                       "102 EVN-2.1 profile",      // Datatype="DTM"
                                       "101 PID-1 profile",        // Usage="R"
                                       "102 PID-3[3] profile",     // Max="2"
                                       "104 PID-3[2].1 profile",   // Length="6"
                                       "102 PID-3.2 profile",      // component Usage="X"
                                       "101 PID-3[2].4.1 profile", // subcomponent R within a present component
                                       "103 PID-8 profile",        // Table="0001"
                                   });
        CHECK(findings[0].severity == hl7::Severity::warning);  // lengths are warnings
        CHECK(findings[0].text == "profile 'Synthetic ADT': MSH-3.1 value longer than 4 characters");
        CHECK(findings[2].severity == hl7::Severity::error);  // HL7 table
        CHECK(findings[10].severity == hl7::Severity::warning);  // user-defined table
        CHECK(findings[10].text == "profile 'Synthetic ADT': PID-8 value not in user-defined table 0001");
    }
    SUBCASE("components are required only within a present field") {
        // PID-7 is RE with a required component: absent PID-7 is fine; PID-5.1 R within a present PID-5.
        std::string no_dob = replace(pid, "19800101", "");
        CHECK(summary(check(*profile, er7({msh, evn, no_dob}))).empty());
        std::string no_family = replace(pid, "DOE^JANE", "^JANE");
        CHECK(summary(check(*profile, er7({msh, evn, no_family}))) == Strings{"101 PID-5.1 profile"});
        std::string no_name = replace(pid, "DOE^JANE", "");
        CHECK(summary(check(*profile, er7({msh, evn, no_name}))) == Strings{"101 PID-5 profile"});
    }
    SUBCASE("a bare static definition") {
        const char* bare = R"(<HL7v2xStaticDef MsgType="ORU" EventType="R01">
  <Segment Name="OBX" Usage="RE" Min="1" Max="2"><Field Usage="R" Min="1" Max="1"/></Segment>
</HL7v2xStaticDef>)";
        auto p = hl7::parse_profile(bare, ProfileFormat::xml, "oru.xml", {});
        REQUIRE(p.ok());
        CHECK((*p)->name() == "oru.xml");
        CHECK((*p)->version().empty());
        std::string oru = replace(msh, "ADT^A01", "ORU^R01");
        CHECK(summary(check(**p, er7({oru}))).empty());  // RE: absent is fine, Min only when present
        CHECK(summary(check(**p, er7({oru, "OBX|1", "OBX", "OBX|3"}))) ==
              Strings{"100 OBX[3] profile", "101 OBX[2]-1 profile"});
    }
}

TEST_CASE("profile: the example profiles accept adt_a01.hl7") {
    std::string message = testutil::read_data("adt_a01.hl7");
    hl7::ProfileFileReader reader = [](std::string_view path) -> hl7::Result<std::string> {
        return testutil::read_data("profiles/" + std::string(path));
    };
    auto yaml = hl7::parse_profile(testutil::read_data("profiles/ghh-adt.yaml"), ProfileFormat::yaml, "ghh-adt.yaml",
                                   reader);
    REQUIRE_MESSAGE(yaml.ok(), (yaml.ok() ? std::string() : yaml.error().text));
    CHECK((*yaml)->name() == "GHH ADT feed");
    CHECK((*yaml)->version() == "2.5.1");
    CHECK((*yaml)->segment("ZPI") != nullptr);
    CHECK(summary(check(**yaml, message)) == Strings{});
    auto xml = hl7::parse_profile(testutil::read_data("profiles/ghh-adt.xml"), ProfileFormat::xml, "ghh-adt.xml", {});
    REQUIRE_MESSAGE(xml.ok(), (xml.ok() ? std::string() : xml.error().text));
    CHECK((*xml)->name() == "GHH ADT A01 (XML)");
    CHECK(summary(check(**xml, message)) == Strings{});
    // And both notice a change that breaks them.
    std::string changed = replace(message, "|F|", "|Q|");
    CHECK(summary(check(**yaml, changed)) == Strings{"103 PID-8 profile"});
    CHECK(summary(check(**xml, changed)) == Strings{"103 PID-8 profile"});
}

TEST_CASE("profile: profile_format_for") {
    CHECK(hl7::profile_format_for("a.yaml") == ProfileFormat::yaml);
    CHECK(hl7::profile_format_for("a.YML") == ProfileFormat::yaml);
    CHECK(hl7::profile_format_for("dir/a.json") == ProfileFormat::json);
    CHECK(hl7::profile_format_for("a.Xml") == ProfileFormat::xml);
    CHECK(hl7::profile_format_for("profile") == ProfileFormat::yaml);
}

TEST_CASE("profile: what the rule-file reader adds (duplicate keys, strict JSON, tabs, lines of empty values)") {
    SUBCASE("a key given twice is an error, not half a profile") {
        CHECK(load_error("fields:\n  PID-8: { values: [F] }\n  PID-8: { usage: R }\n") ==
              "profile 'bad.profile', line 3: duplicate key 'PID-8' (first given on line 2)");
        CHECK(load_error("{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}\n", ProfileFormat::json) ==
              "profile 'bad.profile', line 3: duplicate key 'name' (first given on line 2)");
    }
    SUBCASE("JSON is read as JSON: surrogate pairs, no trailing commas or comments") {
        auto p = load(R"({"fields": {"PID-8": {"values": ["\ud83d\ude00"]}}})", ProfileFormat::json);
        CHECK(summary(check(*p, replace(base(), "|F", "|\xF0\x9F\x98\x80"))).empty());
        CHECK(load_error("{\"fields\": {\"PID-8\": {\"usage\": \"R\"},}}", ProfileFormat::json)
                  .rfind("profile 'bad.profile', line 1: invalid JSON: ", 0) == 0);
        CHECK(load_error("{\n  // a comment\n  \"name\": \"x\"\n}", ProfileFormat::json)
                  .rfind("profile 'bad.profile', line 2: invalid JSON: ", 0) == 0);
    }
    SUBCASE("a tab in YAML indentation says so") {
        std::string e = load_error("fields:\n\tPID-8: { usage: R }\n");
        CHECK(e.rfind("profile 'bad.profile', line 2: invalid YAML: ", 0) == 0);
        CHECK(e.find("a tab in the indentation") != std::string::npos);
    }
    SUBCASE("an empty value is reported on its key's line") {
        CHECK(load_error("fields:\n  PID-8:\n\n\nrules: []\n") ==
              "profile 'bad.profile', line 2: PID-8: expected a mapping (usage, min, max, values, ...)");
    }
    SUBCASE("anchors and aliases work; a second document is refused") {
        auto p = load("fields:\n  PID-8: &sex { values: [F, M] }\n  NK1-15: *sex\n");
        CHECK(summary(check(*p, base({"NK1|1" + std::string(13, '|') + "|X"}))) == Strings{"103 NK1-15 profile"});
        CHECK(load_error("name: a\n---\nname: b\n") ==
              "profile 'bad.profile', line 2: a second YAML document ('---'): a rule file is one document");
    }
}

TEST_CASE("profile: mutated YAML and JSON profiles never crash the reader") {
    const std::string yaml = testutil::read_data("profiles/ghh-adt.yaml");
    const std::string json = "{\"name\": \"J\", \"messages\": [\"ADT^A01\"], \"segments\": {\"NTE\": {\"usage\": \"X\"}},"
                             " \"fields\": {\"PID-8\": {\"values\": [\"F\", \"M\"], \"length\": 1}},"
                             " \"rules\": [{\"when\": \"PV1-2 = I\", \"then\": {\"PV1-3\": {\"usage\": \"R\"}}}]}";
    hl7::ProfileFileReader reader = [](std::string_view) -> hl7::Result<std::string> { return std::string("code\nF\n"); };
    int ok = 0, errors = 0;
    for (const auto& [text, format] : {std::pair{yaml, ProfileFormat::yaml}, std::pair{json, ProfileFormat::json}}) {
        for (std::size_t at = 0; at < text.size(); ++at) {
            for (char c : {'\0', '\t', '\n', ':', '"', '[', '{', '}', '-', '*', '&', ',', '#'}) {
                std::string mutated = text;
                mutated[at] = c;
                auto p = hl7::parse_profile(mutated, format, "m", reader);
                if (p.ok()) {
                    ++ok;
                } else {
                    ++errors;
                    CHECK(p.error().code == "bad-profile");
                    CHECK(p.error().text.find('\n') == std::string::npos);
                }
            }
        }
    }
    MESSAGE(ok << " mutated profiles read, " << errors << " refused");
    CHECK(ok > 0);
    CHECK(errors > 0);
}
