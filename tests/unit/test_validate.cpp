// Tests of the validator: each rule passing and failing with its exact findings, and the ACKs they lead to.
#include <doctest/doctest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "hl7/ack.hpp"
#include "hl7/message.hpp"
#include "hl7/profile.hpp"
#include "hl7/validate.hpp"

using hl7::Finding;
using hl7::Severity;
using hl7::ValidationOptions;

namespace {

using Strings = std::vector<std::string>;

// Segments joined with CR, each ended by one.
std::string er7(std::initializer_list<std::string_view> segments) {
    std::string s;
    for (auto seg : segments) {
        s += seg;
        s += '\r';
    }
    return s;
}

std::vector<Finding> validate(const std::string& text, const ValidationOptions& options = {},
                              hl7::Charset charset = hl7::Charset::utf8) {
    auto m = hl7::Message::parse(text);
    REQUIRE_MESSAGE(m.ok(), text);
    std::vector<Finding> out;
    hl7::validate_message(*m, charset, options, out);
    return out;
}

char severity_letter(Severity s) { return s == Severity::error ? 'E' : s == Severity::warning ? 'W' : 'N'; }

// "E 101 required PID-3" for each finding: severity, 0357 code, rule, finding_path (a type of its
// own so that doctest prints it).
struct Found {
    Strings items;
    bool empty() const { return items.empty(); }
    bool operator==(const Strings& other) const { return items == other; }
};

Found summary(const std::vector<Finding>& findings) {
    Found out;
    for (const auto& f : findings)
        out.items.push_back(std::string(1, severity_letter(f.severity)) + " " + std::to_string(f.code) + " " + f.rule +
                            " " + hl7::finding_path(f));
    return out;
}

Found run(const std::string& text, const ValidationOptions& options = {}) { return summary(validate(text, options)); }

std::shared_ptr<const hl7::Profile> yaml_profile(std::string_view text) {
    auto p = hl7::parse_profile(text, hl7::ProfileFormat::yaml, "test.yaml", {});
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().text));
    return *p;
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
    REQUIRE_MESSAGE(s.find(from) != std::string::npos, from);
    return testutil::replace_all(std::move(s), from, to);
}

// A valid ADT^A01 in 2.5.1: every required segment, field and component, table values in their tables.
constexpr std::string_view kMsh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01^ADT_A01|C1|P|2.5.1";
constexpr std::string_view kEvn = "EVN|A01|20240101120000";
constexpr std::string_view kPid = "PID|1||123^^^HOSP^MR||DOE^JANE||19800101|F";
constexpr std::string_view kPv1 = "PV1|1|I";
const std::string kAdt = er7({kMsh, kEvn, kPid, kPv1});

// The same in 2.3: MSH-9 has no structure component before 2.3.1.
constexpr std::string_view kMsh23 = "MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01|C1|P|2.3";

// A valid ORU^R01 in 2.5.1 with one ORDER_OBSERVATION group.
constexpr std::string_view kOruMsh = "MSH|^~\\&|LAB|FAC|RCV|RF|20240101120000||ORU^R01^ORU_R01|C2|P|2.5.1";
constexpr std::string_view kOruPid = "PID|1||123^^^HOSP^MR||DOE^JANE";
constexpr std::string_view kObr = "OBR|1||F1|GLU^Glucose^LN";
constexpr std::string_view kObx = "OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L|||||F";

// A PID with PID-1, PID-3 and PID-5 valued, then the fields given (number, value) set.
std::string pid(std::initializer_list<std::pair<std::size_t, std::string_view>> fields) {
    std::vector<std::string> f{"1", "", "123^^^HOSP^MR", "", "DOE^JANE"};
    for (const auto& [number, value] : fields) {
        if (f.size() < number) f.resize(number);
        f[number - 1] = std::string(value);
    }
    std::string s = "PID";
    for (const auto& value : f) s += "|" + value;
    return s;
}

// The ADT message with PID replaced.
std::string adt_with_pid(std::string_view pid) { return er7({kMsh, kEvn, pid, kPv1}); }

// An ORU with one ORDER_OBSERVATION group whose OBX segments are `obx`.
std::string oru_with_obx(std::initializer_list<std::string_view> obx) {
    std::string s = er7({kOruMsh, kOruPid, kObr});
    for (auto o : obx) {
        s += o;
        s += '\r';
    }
    return s;
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

// --- header ---------------------------------------------------------------------------------------

TEST_CASE("validate: a valid ADT^A01 2.5.1 message has no findings") {
    CHECK(run(kAdt).empty());
    // A04 uses the ADT_A01 structure: MSH-9.3 names it.
    CHECK(run(replace(kAdt, "ADT^A01^ADT_A01", "ADT^A04^ADT_A01")).empty());
    // Without MSH-9.3 the structure comes from type and trigger.
    CHECK(run(replace(kAdt, "ADT^A01^ADT_A01", "ADT^A01")).empty());
}

TEST_CASE("validate: header: message type outside table 0076 is 200") {
    auto findings = validate(replace(kAdt, "ADT^A01^ADT_A01", "XYZ^A01"));
    // No structure for the type either: segment order is not checked (a warning says so).
    CHECK(summary(findings) == Strings{"E 200 header MSH-9.1", "W 200 structure MSH-9"});
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].text == "message type not in HL7 table 0076");
    CHECK(findings[0].value == "XYZ");
    CHECK(findings[0].segment_index == 1);
    CHECK(findings[0].location.segment == "MSH");
    CHECK(findings[0].location.field == 9);
    CHECK(findings[0].location.component == 1);
    CHECK(findings[1].text == "no message structure for XYZ_A01 in version 2.5.1: segment order not checked");
    // An empty MSH-9.1 is a missing required value.
    CHECK(run(replace(kAdt, "ADT^A01^ADT_A01", "^A01^ADT_A01")) == Strings{"E 101 header MSH-9.1"});
}

TEST_CASE("validate: header: trigger event outside table 0003 is 201") {
    auto findings = validate(replace(kAdt, "ADT^A01^ADT_A01", "ADT^Q99^ADT_A01"));
    CHECK(summary(findings) == Strings{"E 201 header MSH-9.2"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "trigger event not in HL7 table 0003");
    CHECK(findings[0].value == "Q99");
    // Not repeated as a table finding (103) by the field check of MSH-9.
    CHECK(run(replace(kAdt, "ADT^A01^ADT_A01", "ADT^A08^ADT_A01")).empty());
}

TEST_CASE("validate: header: message structure in MSH-9.3") {
    SUBCASE("outside table 0354: 200, and the structure of type and trigger is used") {
        auto findings = validate(replace(kAdt, "ADT^A01^ADT_A01", "ADT^A01^ADT_X99"));
        CHECK(summary(findings) == Strings{"E 200 header MSH-9.3", "W 200 header MSH-9.3"});
        REQUIRE(findings.size() == 2);
        CHECK(findings[0].text == "message structure not in HL7 table 0354");
        CHECK(findings[0].value == "ADT_X99");
        CHECK(findings[1].text == "MSH-9.3 does not match the structure 2.5.1 defines for ADT_A01");
    }
    SUBCASE("a structure the version defines: checked against it") {
        // ADT_A02: MSH SFT EVN PID PD1 ROL PV1 PV2 ROL DB1 OBX PDA.
        CHECK(run(replace(kAdt, "ADT^A01^ADT_A01", "ADT^A02^ADT_A02")).empty());
        CHECK(run(er7({replace(std::string(kMsh), "ADT^A01^ADT_A01", "ADT^A02^ADT_A02"), kEvn, kPid, kPv1,
                       "AL1|1||^Penicillin"})) == Strings{"E 100 unexpected-segment AL1"});
    }
}

TEST_CASE("validate: header: processing ID outside table 0103 is 202") {
    auto findings = validate(replace(kAdt, "|C1|P|", "|C1|X|"));
    CHECK(summary(findings) == Strings{"E 202 header MSH-11.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "processing ID not in HL7 table 0103");
    CHECK(findings[0].value == "X");
    CHECK(run(replace(kAdt, "|C1|P|", "|C1|T|")).empty());
    CHECK(run(replace(kAdt, "|C1|P|", "|C1|D^T|")).empty());  // PT.2 processing mode T (table 0207)
}

TEST_CASE("validate: header: unknown version is 203 and nothing else is checked") {
    // A missing PID-5, a bad date and a segment out of order would all be findings in 2.5.1.
    std::string broken = er7({replace(std::string(kMsh), "2.5.1", "9.9"), kPv1, "PID|1||123||||19801301", kEvn});
    auto findings = validate(broken);
    CHECK(summary(findings) == Strings{"E 203 version MSH-12.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text ==
          "MSH-12 '9.9' is not an HL7 v2 version: no definitions to validate against; fields and structure not "
          "checked");
    CHECK(findings[0].value == "9.9");

    auto empty = validate(replace(kAdt, "|P|2.5.1", "|P|"));
    CHECK(summary(empty) == Strings{"E 203 version MSH-12.1"});
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].text == "MSH-12 (version) is empty: fields and structure not checked");

    CHECK(run(replace(kAdt, "2.5.1", "2.5.9")) == Strings{"E 203 version MSH-12.1"});

    // What does not depend on the version is still checked: the header and the segment IDs.
    CHECK(run(er7({replace(std::string(kMsh), "ADT^A01^ADT_A01|C1|P|2.5.1", "XYZ^A01|C1|P|3.0"), kEvn, kPid,
                   "Pv1|1|I"})) == Strings{"E 203 version MSH-12.1", "E 200 header MSH-9.1", "E 100 syntax segment 4"});
}

TEST_CASE("validate: header: a normalised version is a warning") {
    SUBCASE("2.3.0 is 2.3") {
        auto findings = validate(er7({replace(std::string(kMsh23), "|2.3", "|2.3.0"), kEvn, kPid, kPv1}));
        // Table 0104 has no "2.3.0": the header's warning is the one finding about it.
        CHECK(summary(findings) == Strings{"W 203 version MSH-12.1"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "MSH-12 '2.3.0' read as 2.3 (trailing .0 dropped)");
        CHECK(findings[0].value == "2.3.0");
        CHECK(run(er7({kMsh23, kEvn, kPid, kPv1})).empty());
    }
    SUBCASE("v2.4 is 2.4") {
        auto findings = validate(replace(kAdt, "2.5.1", "v2.4"));
        CHECK(summary(findings) == Strings{"W 203 version MSH-12.1"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "MSH-12 'v2.4' read as 2.4 ('v' dropped)");
        CHECK(run(replace(kAdt, "2.5.1", "2.4")).empty());
    }
}

TEST_CASE("validate: header: 2.8 is validated as 2.7.1 with a warning") {
    // EVN-1 is withdrawn in 2.7.1: left empty.
    std::string msg = er7({replace(std::string(kMsh), "2.5.1", "2.8"), "EVN||20240101120000", kPid, kPv1});
    auto findings = validate(msg);
    CHECK(summary(findings) == Strings{"W 203 version MSH-12.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "MSH-12 '2.8' validated against 2.7.1, the newest definitions here");
    // 2.7.1 rules apply: PID-7 is a DTM (no .1 component) there.
    CHECK(run(replace(msg, "||19800101|", "||19801301|")) == Strings{"W 203 version MSH-12.1", "E 102 datatype PID-7"});
}

TEST_CASE("validate: a version newer than the definitions: segments the older structure does not place are warnings") {
    // NTE is not part of ADT_A01 in 2.7.1; a 2.8 message may carry what 2.8 added.
    auto with_version = [](std::string_view version) {
        std::string msh(kMsh);
        msh.replace(msh.rfind("2.5.1"), 5, version);
        return er7({msh, kEvn, kPid, "NTE|1||x", kPv1});
    };
    auto newer = validate(with_version("2.8"));
    // (EVN-1 is withdrawn from 2.7 on: a note.)
    CHECK(summary(newer) ==
          Strings{"W 203 version MSH-12.1", "W 100 unexpected-segment NTE", "N 102 withdrawn EVN-1"});
    REQUIRE(newer.size() == 3);
    CHECK(newer[1].text == "segment NTE is not part of ADT_A01 (the 2.7.1 structure; version 2.8 may allow it)");
    CHECK(run(with_version("2.7.1")) == Strings{"E 100 unexpected-segment NTE", "N 102 withdrawn EVN-1"});
    // Asked for by name, the older set is the rule.
    ValidationOptions as_271;
    as_271.version_override = "2.7.1";
    CHECK(run(with_version("2.8"), as_271) == Strings{"E 100 unexpected-segment NTE", "N 102 withdrawn EVN-1"});
    // A required segment missing stays an error.
    std::string msh(kMsh);
    msh.replace(msh.rfind("2.5.1"), 5, "2.8");
    CHECK(run(er7({msh, kEvn, kPv1})) ==
          Strings{"W 203 version MSH-12.1", "E 100 required-segment PID", "N 102 withdrawn EVN-1"});
}

TEST_CASE("validate: header: version_override replaces MSH-12") {
    // 1980010112 (an hour without minutes) is a TS error in 2.3, a valid DTM from 2.5.
    std::string msg = er7({kMsh23, kEvn, "PID|1||123^^^HOSP^MR||DOE^JANE||1980010112|F", kPv1});
    CHECK(run(msg) == Strings{"E 102 datatype PID-7.1"});
    ValidationOptions options;
    options.version_override = "2.5.1";
    CHECK(run(msg, options).empty());
    // Whatever MSH-12 says, even nothing known.
    CHECK(run(replace(msg, "|P|2.3", "|P|9.9"), options).empty());
    // Read the way MSH-12 is: 2.3.0 is 2.3, without a warning.
    options.version_override = "2.3.0";
    CHECK(run(msg, options) == Strings{"E 102 datatype PID-7.1"});
    // An override that is no version: 203 at MSH-12, nothing else checked.
    options.version_override = "3.0";
    auto findings = validate(msg, options);
    CHECK(summary(findings) == Strings{"E 203 version MSH-12"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "version '3.0' to validate as is not known");
}

TEST_CASE("validate: header: a profile's version is the version to validate as") {
    std::string msg = er7({replace(std::string(kMsh), "ADT^A01^ADT_A01", "ADT^A01"), kEvn,
                           "PID|1||123^^^HOSP^MR||DOE^JANE||1980010112|F", kPv1});
    CHECK(run(msg).empty());
    ValidationOptions options;
    options.profiles.push_back(yaml_profile("name: Old interface\nversion: '2.3'\n"));
    CHECK(run(msg, options) == Strings{"E 102 datatype PID-7.1"});
    // --version-override wins over the profile.
    options.version_override = "2.5.1";
    CHECK(run(msg, options).empty());
}

// --- structure ------------------------------------------------------------------------------------

TEST_CASE("validate: structure: ADT_A01 segments in their order") {
    std::string msg = er7({kMsh, kEvn, kPid, "PD1", "NK1|1|DOE^JOHN|SPO", "NK1|2|DOE^ANN|CHD", kPv1, "PV2",
                           "OBX|1|NM|8302-2^Height^LN||170|cm|||||F", "AL1|1||^Penicillin",
                           "DG1|1||I10^Hypertension^I10|||A", "PR1|1||0001^Appendectomy^C4|Appendectomy|20240101",
                           "GT1|1||DOE^JOHN", "IN1|1|PLAN1^Plan^L|INS1", "IN2", "IN1|2|PLAN2|INS2"});
    CHECK(run(msg).empty());
}

TEST_CASE("validate: structure: a segment out of order, and the rest still checked") {
    // PV1 before PID: PID is out of order (and not also "missing"); PID-7 is still checked.
    auto findings = validate(er7({kMsh, kEvn, kPv1, "PID|1||123^^^HOSP^MR||DOE^JANE||19801301|F"}));
    CHECK(summary(findings) == Strings{"E 100 segment-order PID", "E 102 datatype PID-7.1"});
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].text == "segment PID is out of order for ADT_A01");
    CHECK(findings[0].segment_index == 4);
    CHECK(findings[1].segment_index == 4);

    // EVN after PID: the order of PV1 after them is still matched.
    CHECK(run(er7({kMsh, kPid, kEvn, kPv1})) == Strings{"E 100 segment-order EVN"});
    // Two misplaced segments are two findings.
    CHECK(run(er7({kMsh, kPv1, kPid, kEvn})) == Strings{"E 100 segment-order PID", "E 100 segment-order EVN"});
}

TEST_CASE("validate: structure: a required segment missing") {
    auto findings = validate(er7({kMsh, kEvn, kPid}));
    CHECK(summary(findings) == Strings{"E 100 required-segment PV1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "required segment PV1 missing");
    CHECK(findings[0].segment_index == 0);
    CHECK(run(er7({kMsh, kPid, kPv1})) == Strings{"E 100 required-segment EVN"});
}

TEST_CASE("validate: structure: a required group missing") {
    // ORU_R01 needs an ORDER_OBSERVATION group (its required segment is OBR) in each PATIENT_RESULT.
    auto findings = validate(er7({kOruMsh, kOruPid}));
    CHECK(summary(findings) == Strings{"E 100 required-segment OBR"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "required group ORDER_OBSERVATION missing in group PATIENT_RESULT[1]");
    CHECK(findings[0].location.segment == "OBR");

    // Nothing but MSH: the PATIENT_RESULT group is missing (its PATIENT group is optional).
    auto alone = validate(er7({kOruMsh}));
    CHECK(summary(alone) == Strings{"E 100 required-segment OBR"});
    REQUIRE(alone.size() == 1);
    CHECK(alone[0].text == "required group PATIENT_RESULT missing");

    // A required segment of a group that is present.
    auto no_obr = validate(er7({kOruMsh, kOruPid, "ORC|RE", kObx}));
    CHECK(summary(no_obr) == Strings{"E 100 required-segment OBR"});
    REQUIRE(no_obr.size() == 1);
    CHECK(no_obr[0].text == "required segment OBR missing in group PATIENT_RESULT[1]/ORDER_OBSERVATION[1]");
}

TEST_CASE("validate: structure: groups repeat") {
    // Two ORDER_OBSERVATION groups, the second with ORC, two OBX and a note.
    std::string msg = er7({kOruMsh, kOruPid, kObr, kObx, "ORC|RE", "OBR|2||F2|NA^Sodium^LN",
                           "OBX|1|NM|NA^Sodium^LN||140|mmol/L|||||F", "NTE|1||checked",
                           "OBX|2|NM|K^Potassium^LN||4.1|mmol/L|||||F"});
    CHECK(run(msg).empty());
    // Two PATIENT_RESULT groups.
    CHECK(run(er7({kOruMsh, kOruPid, kObr, kObx, kOruPid, kObr, kObx})).empty());
    // An OBX before any OBR: read as the observation of an order that lacks its OBR (one repair),
    // rather than as an OBX out of order and an order missing (two).
    auto no_order = validate(er7({kOruMsh, kOruPid, kObx}));
    CHECK(summary(no_order) == Strings{"E 100 required-segment OBR"});
    REQUIRE(no_order.size() == 1);
    CHECK(no_order[0].text == "required segment OBR missing in group PATIENT_RESULT[1]/ORDER_OBSERVATION[1]");
}

TEST_CASE("validate: structure: cardinality") {
    // NK1 repeats in ADT_A01; PV1 does not.
    CHECK(run(er7({kMsh, kEvn, kPid, "NK1|1|DOE^JOHN", "NK1|2|DOE^ANN", kPv1})).empty());
    auto findings = validate(er7({kMsh, kEvn, kPid, kPv1, kPv1}));
    CHECK(summary(findings) == Strings{"E 100 cardinality PV1[2]"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "segment PV1 occurs more often than ADT_A01 allows here");
    CHECK(findings[0].segment_index == 5);
    // A Z-segment between the two changes nothing.
    CHECK(run(er7({kMsh, kEvn, kPid, "ZPI|1", kPid, kPv1})) == Strings{"E 100 cardinality PID[2]"});
}

TEST_CASE("validate: structure: a segment that is not part of the structure") {
    auto findings = validate(er7({kMsh, kEvn, kPid, "ORC|NW", kPv1}));
    CHECK(summary(findings) == Strings{"E 100 unexpected-segment ORC"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "segment ORC is not part of ADT_A01");
    CHECK(findings[0].segment_index == 4);
    // A segment no version defines: unexpected, reported once.
    CHECK(run(er7({kMsh, kEvn, kPid, "QQQ|1", kPv1})) == Strings{"E 100 unexpected-segment QQQ"});
}

TEST_CASE("validate: structure: Z-segments") {
    std::string msg = er7({kMsh, kEvn, kPid, "ZPI|1|X", kPv1, "ZZ1|2"});
    CHECK(run(msg).empty());
    ValidationOptions no_z;
    no_z.allow_z_segments = false;
    auto findings = validate(msg, no_z);
    CHECK(summary(findings) == Strings{"E 100 unexpected-segment ZPI", "E 100 unexpected-segment ZZ1"});
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].text == "Z-segment ZPI not allowed (--no-z)");
    CHECK(findings[0].segment_index == 4);
    CHECK(findings[1].segment_index == 6);
    // Unless a profile defines them.
    no_z.profiles.push_back(yaml_profile("segments:\n  ZPI:\n    fields:\n      1: { datatype: NM }\n"));
    CHECK(run(msg, no_z) == Strings{"E 100 unexpected-segment ZZ1"});
}

TEST_CASE("validate: structure: an unknown message structure is a warning and no structure check") {
    // MFN^M01 is in tables 0076 and 0003 (M01: for backward compatibility only), but the 2.5.1
    // definitions have no MFN_M01 structure. The segments are in no order; only their fields are checked.
    auto findings = validate(er7({"MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||MFN^M01|C1|P|2.5.1", "PID|1||123",
                                  kPv1, kEvn}));
    CHECK(summary(findings) == Strings{"W 200 structure MSH-9", "E 101 required PID-5"});
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].text == "no message structure for MFN_M01 in version 2.5.1: segment order not checked");
}

TEST_CASE("validate: a malformed segment ID is 100, reported once as a syntax error, by position") {
    auto findings = validate(er7({kMsh, kEvn, kPid, kPv1, "Pv2|||"}));
    CHECK(summary(findings) == Strings{"E 100 syntax segment 5"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "segment ID is not three upper-case letters or digits");
    CHECK(findings[0].value == "Pv2");
    CHECK(findings[0].segment_index == 5);
    // Where the segment order is not checked: the syntax finding alone (after the warning that says so).
    CHECK(run(er7({"MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||MFN^M01|C1|P|2.5.1", "Pv2|||"})) ==
          Strings{"W 200 structure MSH-9", "E 100 syntax segment 2"});
}

// --- fields ---------------------------------------------------------------------------------------

TEST_CASE("validate: fields: a required field missing is 101") {
    auto findings = validate(adt_with_pid("PID|1||||DOE^JANE||19800101|F"));
    CHECK(summary(findings) == Strings{"E 101 required PID-3"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "required field Patient Identifier List missing");
    CHECK(findings[0].segment_index == 3);
    CHECK(findings[0].location.field == 3);
    // Past the end of the segment too.
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR")) == Strings{"E 101 required PID-5"});
    CHECK(run(er7({kMsh, kEvn, kPid, "PV1|1"})) == Strings{"E 101 required PV1-2"});
}

TEST_CASE("validate: fields: a required field of separators alone is missing, whatever its datatype") {
    // PID-3 (CX), PID-5 (XPN): components, subcomponents and repetitions with nothing in them.
    auto findings = validate(adt_with_pid("PID|1||^^^^||^^^^^^||19800101|F"));
    CHECK(summary(findings) == Strings{"E 101 required PID-3", "E 101 required PID-5"});
    REQUIRE(findings.size() == 2);
    CHECK(findings[1].text == "required field Patient Name missing (it holds only separators)");
    CHECK(run(adt_with_pid("PID|1||~&^||DOE^JANE||19800101|F")) == Strings{"E 101 required PID-3"});
    CHECK(run(er7({kMsh, kEvn, kPid, "PV1|1|^"})) == Strings{"E 101 required PV1-2"});  // IS
    // One value anywhere is enough; an optional field of separators is no finding.
    for (const std::string& f : run(adt_with_pid("PID|1||^^^^MR||DOE^JANE||19800101|F")).items)
        CHECK(f != "E 101 required PID-3");  // a component is there (PID-3.1 is missing, a component finding)
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800101|F|^^")).empty());
}

TEST_CASE("validate: bytes over 0x7F under an empty or ASCII MSH-18 are reported once a message") {
    const std::string text = adt_with_pid("PID|1||123^^^HOSP^MR||M\xC3\x9CLLER^J\xC3\x9CRGEN||19800101|F");
    auto findings = validate(text, {}, hl7::Charset::ascii);
    CHECK(summary(findings) == Strings{"W 102 charset PID-5.1.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text.find("MSH-18 is empty or ASCII") != std::string::npos);
    CHECK(findings[0].value.empty());  // no patient data in the finding
    CHECK(validate(text, {}, hl7::Charset::utf8).empty());
    CHECK(validate(adt_with_pid(kPid), {}, hl7::Charset::ascii).empty());
}

TEST_CASE("validate: a fifth encoding character before 2.7 is reported") {
    std::string msh(kMsh);
    msh.replace(msh.find("^~\\&"), 4, "^~\\&#");
    CHECK(run(er7({msh, kEvn, kPid, kPv1})) == Strings{"W 102 header MSH-2"});
    std::string v27 = msh;
    v27.replace(v27.rfind("2.5.1"), 5, "2.7");
    for (const std::string& f : run(er7({v27, kEvn, kPid, kPv1})).items) CHECK(f != "W 102 header MSH-2");
}

TEST_CASE("validate: fields: the HL7 null counts as present") {
    CHECK(run(adt_with_pid("PID|1||\"\"||\"\"||19800101|F")).empty());
    // In a required component too, and as a value of any datatype.
    CHECK(run(adt_with_pid("PID|1||\"\"^^^HOSP^MR||DOE^JANE||\"\"|\"\"")).empty());
    // Not measured either: PID-8 is at most 1 character long.
    CHECK(run(adt_with_pid(pid({{8, "\"\""}, {19, "\"\""}, {24, "\"\""}}))).empty());
}

TEST_CASE("validate: fields: repetitions over the maximum") {
    auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800101~19800102|F"));
    CHECK(summary(findings) == Strings{"E 102 repetition PID-7[2]"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "field does not repeat");
    // Repeating fields: any number.
    CHECK(run(adt_with_pid("PID|1||1^^^A~2^^^B~3^^^C||DOE^JANE~DOE^J")).empty());
    // One finding per field however many repetitions are too many.
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE|||F~M~F")) == Strings{"E 102 repetition PID-8[2]"});
    // A bounded repetition: PID-13 repeats at most 3 times in 2.2.
    std::string v22 = er7({"MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01|C1|P|2.2", kEvn,
                           "PID|1||123||DOE^JANE||19800101|F|||||555~556~557", kPv1});
    CHECK(run(v22).empty());
    auto more = validate(replace(v22, "555~556~557", "555~556~557~558"));
    CHECK(summary(more) == Strings{"E 102 repetition PID-13[4]"});
    REQUIRE(more.size() == 1);
    CHECK(more[0].text == "more than 3 repetitions");
}

TEST_CASE("validate: fields: length") {
    // PID-19 (SSN, ST) is at most 16 characters in 2.5.1.
    std::string at_max = adt_with_pid(pid({{19, "1234567890123456"}}));
    CHECK(run(at_max).empty());
    std::string over = replace(at_max, "1234567890123456", "12345678901234567");
    auto findings = validate(over);
    CHECK(summary(findings) == Strings{"W 104 length PID-19"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "value longer than 16 characters");
    CHECK(findings[0].value == "12345678901234567");
    ValidationOptions options;
    options.length_errors = true;
    CHECK(run(over, options) == Strings{"E 104 length PID-19"});
    CHECK(run(at_max, options).empty());
}

TEST_CASE("validate: fields: a withdrawn field valued is a note") {
    // EVN-1 is withdrawn in 2.7.1.
    std::string msg = er7({replace(std::string(kMsh), "2.5.1", "2.7.1"), "EVN||20240101120000", kPid, kPv1});
    CHECK(run(msg).empty());
    auto findings = validate(replace(msg, "EVN||", "EVN|A01|"));
    CHECK(summary(findings) == Strings{"N 102 withdrawn EVN-1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "field Event Type Code is withdrawn in version 2.7.1");
}

TEST_CASE("validate: fields: required components of a valued composite") {
    // CX.1 (ID Number) is required when PID-3 has a value.
    auto findings = validate(adt_with_pid("PID|1||^^^HOSP^MR||DOE^JANE"));
    CHECK(summary(findings) == Strings{"E 101 required PID-3.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "required component 1 (ID Number) missing");
    CHECK(run(adt_with_pid("PID|1||123~^^^HOSP||DOE^JANE")) == Strings{"E 101 required PID-3[2].1"});
    // An empty field is the field's finding only.
    CHECK(run(adt_with_pid("PID|1||||DOE^JANE")) == Strings{"E 101 required PID-3"});
    // A component after the last one given is missing too: CX.5 is required in 2.7.1.
    std::string v271 = er7({replace(std::string(kMsh), "2.5.1", "2.7.1"), "EVN||20240101120000",
                            "PID|1||123^^^HOSP||DOE^JANE", kPv1});
    CHECK(run(v271) == Strings{"E 101 required PID-3.5"});
    CHECK(run(replace(v271, "123^^^HOSP|", "123^^^HOSP^MR|")).empty());
}

TEST_CASE("validate: fields: components past those the datatype defines are not reported") {
    // XPN has 14 components in 2.5.1; CX 10.
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR^^^^^^^EXTRA||DOE^JANE^^^^^^^^^^^^^^EXTRA^X")).empty());
}

TEST_CASE("validate: fields: primitive datatypes at field level") {
    CHECK(run(adt_with_pid(pid({{7, "19800229"}, {8, "F"}, {25, "2"}}))).empty());
    SUBCASE("SI") {
        auto findings = validate(adt_with_pid("PID|A||123^^^HOSP^MR||DOE^JANE"));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-1"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "SI: not a sequence ID: only digits are allowed");
        CHECK(findings[0].value == "A");
        CHECK(run(adt_with_pid("PID|-1||123^^^HOSP^MR||DOE^JANE")) == Strings{"E 102 datatype PID-1"});
        CHECK(run(adt_with_pid("PID|12345||123^^^HOSP^MR||DOE^JANE")) ==
              Strings{"W 104 length PID-1", "E 102 datatype PID-1"});
    }
    SUBCASE("NM") {
        // PID-25 (Birth Order).
        auto findings = validate(adt_with_pid(pid({{25, "X"}})));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-25"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "NM: not a number: only digits, a leading sign and a decimal point are allowed");
    }
    SUBCASE("TS: its first component holds the time") {
        auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19801301"));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-7.1"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "TS: month out of range (01-12)");
        CHECK(findings[0].value == "19801301");
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||198001011261")) ==
              Strings{"E 102 datatype PID-7.1"});
        // With a degree of precision.
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800229^D")).empty());
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19810229^D")) ==
              Strings{"E 102 datatype PID-7.1"});
    }
    SUBCASE("DTM (2.7.1 PID-7)") {
        std::string v271 = er7({replace(std::string(kMsh), "2.5.1", "2.7.1"), "EVN||20240101120000",
                                "PID|1||123^^^HOSP^MR||DOE^JANE||198001011230+0100", kPv1});
        CHECK(run(v271).empty());
        auto findings = validate(replace(v271, "+0100", "+1500"));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-7"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "DTM: time zone offset out of range (-1200 to +1400)");
    }
}

TEST_CASE("validate: fields: datatypes at component and subcomponent level") {
    SUBCASE("DT in a component: PID-3.7 (CX.7 Effective Date)") {
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR^^20240229||DOE^JANE")).empty());
        auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR^^20230229||DOE^JANE"));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-3.7"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "DT: day out of range for the month");
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR~456^^^HOSP^MR^^2024023||DOE^JANE")) ==
              Strings{"E 102 datatype PID-3[2].7"});
    }
    SUBCASE("NM in a component: PID-13.6 (XTN.6 Area/City Code)") {
        CHECK(run(adt_with_pid(pid({{13, "^^^^1^555^1234567"}}))).empty());
        CHECK(run(adt_with_pid(pid({{13, "^^^^1^5S5^1234567"}}))) == Strings{"E 102 datatype PID-13.6"});
        CHECK(run(adt_with_pid(pid({{13, "^^^^1^555^1234567~^^^^1^555^12.34.56"}}))) ==
              Strings{"E 102 datatype PID-13[2].7"});
    }
    SUBCASE("TS in a component: its time is the first subcomponent") {
        // XPN.12 (Effective Date) is a TS.
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE^^^^^^^^^^20200101")).empty());
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE^^^^^^^^^^20201301")) ==
              Strings{"E 102 datatype PID-5.12.1"});
    }
    SUBCASE("a TS subcomponent: PID-5[2].10.2 (XPN.10 DR, range end)") {
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE~DOE^J^^^^^^^^20200101&20201231")).empty());
        auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE~DOE^J^^^^^^^^20200101&20201232"));
        CHECK(summary(findings) == Strings{"E 102 datatype PID-5[2].10.2"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].location.repetition == 2);
        CHECK(findings[0].location.component == 10);
        CHECK(findings[0].location.subcomponent == 2);
    }
    SUBCASE("DTM in a component (2.7.1 XPN.12): no subcomponent") {
        std::string v271 = er7({replace(std::string(kMsh), "2.5.1", "2.7.1"), "EVN||20240101120000",
                                "PID|1||123^^^HOSP^MR||DOE^JANE^^^^^^^^^^2020123124", kPv1});
        CHECK(run(v271) == Strings{"E 102 datatype PID-5.12"});
        CHECK(run(replace(v271, "2020123124", "2020123123")).empty());
    }
    SUBCASE("a table value in a subcomponent: PID-3[2].4.3 (HD.3, HL7 table 0301)") {
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR~456^^^HOSP&1.2.3&ISO^MR||DOE^JANE")).empty());
        auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR~456^^^HOSP&1.2.3&XYZ^MR||DOE^JANE"));
        CHECK(summary(findings) == Strings{"E 103 table PID-3[2].4.3"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "value not in HL7 table 0301");
        CHECK(findings[0].value == "XYZ");
    }
}

TEST_CASE("validate: fields: OBX-5 is checked as the type OBX-2 names") {
    CHECK(run(oru_with_obx({kObx, "OBX|2|DT|D^Date^LN||20240229||||||F", "OBX|3|TM|T^Time^LN||2359||||||F",
                            "OBX|4|CE|C^Coded^LN||A^Alpha^L~B^Beta^L||||||F", "OBX|5|ST|S^Text^LN||12abc||||||F"}))
              .empty());
    SUBCASE("NM") {
        auto findings = validate(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||5,4|mmol/L|||||F"}));
        CHECK(summary(findings) == Strings{"E 102 datatype OBX-5"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "NM: not a number: only digits, a leading sign and a decimal point are allowed");
        CHECK(findings[0].segment_index == 4);
    }
    SUBCASE("DT, TM, a repetition, a component") {
        CHECK(run(oru_with_obx({kObx, "OBX|2|DT|D^Date^LN||20230229||||||F"})) == Strings{"E 102 datatype OBX[2]-5"});
        CHECK(run(oru_with_obx({"OBX|1|TM|T^Time^LN||2400||||||F"})) == Strings{"E 102 datatype OBX-5"});
        CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||5~x|mmol/L|||||F"})) ==
              Strings{"E 102 datatype OBX-5[2]"});
        CHECK(run(oru_with_obx({"OBX|1|CE|C^Coded^LN||A^Alpha^L~B^Beta^XX||||||F"})) ==
              Strings{"W 103 table OBX-5[2].3"});
    }
    SUBCASE("no OBX-2: OBX-2 is required when OBX-5 is valued, and OBX-5 is not checked") {
        CHECK(run(oru_with_obx({"OBX|1||GLU^Glucose^LN||5,4|mmol/L|||||F"})) == Strings{"E 101 required OBX-2"});
    }
    SUBCASE("OBX-2 not in table 0125: OBX-5 is not checked") {
        auto findings = validate(oru_with_obx({"OBX|1|XX|GLU^Glucose^LN||not a number|mmol/L|||||F"}));
        CHECK(summary(findings) == Strings{"E 103 table OBX-2"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "value not in HL7 table 0125");
        CHECK(findings[0].value == "XX");
    }
}

TEST_CASE("validate: fields: TS in a 2.3 message") {
    // Before 2.5 a TS has no hour without minutes: YYYY[MM[DD[HHMM[SS...]]]].
    CHECK(run(er7({kMsh23, kEvn, "PID|1||123||DOE^JANE||198001011230|F", kPv1})).empty());
    CHECK(run(er7({kMsh23, kEvn, "PID|1||123||DOE^JANE||19800101|F", kPv1})).empty());
    auto findings = validate(er7({kMsh23, kEvn, "PID|1||123||DOE^JANE||1980010112|F", kPv1}));
    CHECK(summary(findings) == Strings{"E 102 datatype PID-7.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text ==
          "TS: not a valid time stamp: expected YYYY[MM[DD[HHMM[SS[.S[S[S[S]]]]]]]][+/-ZZZZ] before v2.5");
    // The same value is fine in 2.5.1.
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||1980010112|F")).empty());
}

// --- tables ---------------------------------------------------------------------------------------

TEST_CASE("validate: tables: HL7 tables are errors, user tables warnings") {
    SUBCASE("ID outside HL7 table 0136 (PID-24 Multiple Birth Indicator)") {
        CHECK(run(adt_with_pid(pid({{24, "Y"}}))).empty());
        auto findings = validate(adt_with_pid(pid({{24, "X"}})));
        CHECK(summary(findings) == Strings{"E 103 table PID-24"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "value not in HL7 table 0136");
        CHECK(findings[0].value == "X");
    }
    SUBCASE("IS outside user table 0001 (PID-8 Administrative Sex)") {
        auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800101|X"));
        CHECK(summary(findings) == Strings{"W 103 table PID-8"});
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].text == "value not in user-defined table 0001");
        CHECK(run(er7({kMsh, kEvn, kPid, "PV1|1|Q"})) == Strings{"W 103 table PV1-2"});
    }
    SUBCASE("escapes are decoded before the lookup: PID-5.7 (XPN.7, HL7 table 0200)") {
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE^^^^^\\X4C\\")).empty());  // L
        CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE^^^^^\\X51\\")) ==        // Q
              Strings{"E 103 table PID-5.7"});
    }
}

TEST_CASE("validate: tables: 0396 accepts HL7nnnn and 99zzz") {
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L^^HL70396|||||F",
                            "OBX|2|NM|GLU^Glucose^99LAB||5.4|mmol/L^^L|||||F"}))
              .empty());
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^XYZ||5.4|mmol/L|||||F"})) == Strings{"W 103 table OBX-3.3"});
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^HL7396||5.4|mmol/L|||||F"})) == Strings{"W 103 table OBX-3.3"});
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L^^99|||||F"})) == Strings{"W 103 table OBX-6.3"});
}

// --- escapes and bytes ----------------------------------------------------------------------------

TEST_CASE("validate: a malformed escape sequence is a warning") {
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||O\\T\\BRIEN\\E\\^JANE")).empty());
    auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE\\Q^JANE"));
    CHECK(summary(findings) == Strings{"W 102 escape PID-5.1.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "malformed escape sequence kept as text");
    CHECK(findings[0].value == "DOE\\Q");
    // In a primitive: the escape finding, and the value checked as it decodes (kept as text).
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||\\X3\\|mmol/L|||||F"})) ==
          Strings{"W 102 escape OBX-5", "E 102 datatype OBX-5"});
    CHECK(run(oru_with_obx({"OBX|1|NM|GLU^Glucose^LN||\\X35\\|mmol/L|||||F"})).empty());  // 5
}

TEST_CASE("validate: bytes not valid in the charset are a warning") {
    std::string msg = adt_with_pid("PID|1||123^^^HOSP^MR||DO\xff" "E^JANE");
    auto findings = validate(msg);
    CHECK(summary(findings) == Strings{"W 102 charset PID-5.1.1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "byte not valid in UNICODE UTF-8 (kept as \\Xhh\\)");
    // Every byte is a character in ISO 8859-1.
    CHECK(summary(validate(msg, {}, hl7::Charset::iso8859_1)).empty());
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||\xc5\x81UKASZEWSKA^JANE")).empty());
}

// --- acknowledgements -----------------------------------------------------------------------------

TEST_CASE("validate: validation_ack codes") {
    SUBCASE("AA with no findings") {
        auto ack = hl7::validation_ack(validate(kAdt));
        CHECK(ack.code == hl7::AckCode::AA);
        CHECK(ack.findings.empty());
    }
    SUBCASE("AE with errors") {
        auto ack = hl7::validation_ack(validate(adt_with_pid("PID|1||||DOE^JANE||19801301")));
        CHECK(ack.code == hl7::AckCode::AE);
        REQUIRE(ack.findings.size() == 2);
        CHECK(ack.findings[0].code == 101);
        CHECK(ack.findings[0].severity == 'E');
        CHECK(ack.findings[0].location.to_string() == "PID-3");
        CHECK(ack.findings[0].text == "required field Patient Identifier List missing");
        CHECK(ack.findings[1].code == 102);
        CHECK(ack.findings[1].location.to_string() == "PID-7.1");
    }
    SUBCASE("AR for 200-203, whatever else was found") {
        CHECK(hl7::validation_ack(validate(replace(kAdt, "ADT^A01^ADT_A01", "XYZ^A01"))).code == hl7::AckCode::AR);
        CHECK(hl7::validation_ack(validate(replace(kAdt, "ADT^A01^ADT_A01", "ADT^Q99^ADT_A01"))).code ==
              hl7::AckCode::AR);
        CHECK(hl7::validation_ack(validate(replace(kAdt, "|C1|P|", "|C1|X|"))).code == hl7::AckCode::AR);
        CHECK(hl7::validation_ack(validate(replace(kAdt, "2.5.1", "9.9"))).code == hl7::AckCode::AR);
        // An AE-level error first, then a 202.
        auto findings = validate(replace(adt_with_pid("PID|1||||DOE^JANE"), "|C1|P|", "|C1|X|"));
        CHECK(summary(findings) == Strings{"E 202 header MSH-11.1", "E 101 required PID-3"});
        auto ack = hl7::validation_ack(findings);
        CHECK(ack.code == hl7::AckCode::AR);
        CHECK(ack.findings.size() == 2);
    }
    SUBCASE("warnings only: AA, with the warnings as ERR") {
        auto ack = hl7::validation_ack(validate(replace(kAdt, "2.5.1", "v2.4")));
        CHECK(ack.code == hl7::AckCode::AA);
        REQUIRE(ack.findings.size() == 1);
        CHECK(ack.findings[0].code == 203);
        CHECK(ack.findings[0].severity == 'W');
        CHECK(ack.findings[0].location.to_string() == "MSH-12.1");
        CHECK(ack.findings[0].text == "MSH-12 'v2.4' read as 2.4 ('v' dropped)");
    }
    SUBCASE("notes are not in ERR") {
        std::string msg = er7({replace(std::string(kMsh), "2.5.1", "2.7.1"), kEvn, kPid, kPv1});
        auto findings = validate(msg);
        CHECK(summary(findings) == Strings{"N 102 withdrawn EVN-1"});
        auto ack = hl7::validation_ack(findings);
        CHECK(ack.code == hl7::AckCode::AA);
        CHECK(ack.findings.empty());
    }
}

TEST_CASE("validate: the ACK a validation leads to") {
    auto ack_for = [](const std::string& text) {
        auto m = hl7::Message::parse(text);
        REQUIRE(m.ok());
        std::vector<Finding> findings;
        hl7::validate_message(*m, hl7::Charset::utf8, {}, findings);
        hl7::AckOptions options = hl7::validation_ack(findings);
        options.control_id = "ACK1";
        options.timestamp = "20240102030405";
        return hl7::build_ack(*m, options);
    };
    SUBCASE("2.5.1: AA") {
        CHECK(ack_for(kAdt) ==
              "MSH|^~\\&|RCV|RF|SND|FAC|20240102030405||ACK^A01^ACK|ACK1|P|2.5.1\r"
              "MSA|AA|C1\r");
    }
    SUBCASE("2.5.1: AE with ERR-2, ERR-3, ERR-4 and ERR-8") {
        CHECK(ack_for(adt_with_pid("PID|1||||DOE^JANE||19801301|X")) ==
              "MSH|^~\\&|RCV|RF|SND|FAC|20240102030405||ACK^A01^ACK|ACK1|P|2.5.1\r"
              "MSA|AE|C1\r"
              "ERR||PID^1^3^1|101^Required field missing^HL70357|E||||required field Patient Identifier List missing\r"
              "ERR||PID^1^7^1^1|102^Data type error^HL70357|E||||TS: month out of range (01-12)\r"
              "ERR||PID^1^8^1|103^Table value not found^HL70357|W||||value not in user-defined table 0001\r");
    }
    SUBCASE("2.5.1: AR") {
        CHECK(ack_for(replace(kAdt, "|C1|P|", "|C1|X|")) ==
              "MSH|^~\\&|RCV|RF|SND|FAC|20240102030405||ACK^A01^ACK|ACK1|P|2.5.1\r"
              "MSA|AR|C1\r"
              "ERR||MSH^1^11^1^1|202^Unsupported processing id^HL70357|E||||processing ID not in HL7 table 0103\r");
    }
    SUBCASE("2.3: ERR-1 holds location and code") {
        std::string msg = er7({kMsh23, kEvn, "PID|1||||DOE^JANE||1980010112|F", kPv1});
        CHECK(ack_for(msg) ==
              "MSH|^~\\&|RCV|RF|SND|FAC|20240102030405||ACK^A01|ACK1|P|2.3\r"
              "MSA|AE|C1\r"
              "ERR|PID^1^3^101&Required field missing&HL70357~PID^1^7^102&Data type error&HL70357\r");
        CHECK(ack_for(er7({kMsh23, kEvn, kPid, kPv1})) ==
              "MSH|^~\\&|RCV|RF|SND|FAC|20240102030405||ACK^A01|ACK1|P|2.3\r"
              "MSA|AA|C1\r");
    }
}

// --- profiles -------------------------------------------------------------------------------------

TEST_CASE("validate: a YAML profile in the options adds its rules") {
    ValidationOptions options;
    options.profiles.push_back(yaml_profile("name: Sex required\nfields:\n  PID-8: { usage: R }\n"));
    CHECK(run(kAdt, options).empty());
    auto findings = validate(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800101"), options);
    CHECK(summary(findings) == Strings{"E 101 profile PID-8"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "profile 'Sex required': PID-8 is required but missing");
    CHECK(findings[0].segment_index == 3);
    // Without the profile PID-8 is optional.
    CHECK(run(adt_with_pid("PID|1||123^^^HOSP^MR||DOE^JANE||19800101")).empty());
}

TEST_CASE("validate: a Z-segment a profile defines is checked like a standard one") {
    ValidationOptions options;
    options.profiles.push_back(yaml_profile(R"(name: Pets
segments:
  ZPI:
    fields:
      1: { name: Pet name, datatype: ST, usage: R, length: 10 }
      2: { name: Birth date, datatype: DT }
      3: { name: Sex, datatype: IS, table: 1 }
)"));
    std::string ok = er7({kMsh, kEvn, kPid, kPv1, "ZPI|REX|20200229|M"});
    CHECK(run(ok, options).empty());
    auto findings = validate(replace(ok, "ZPI|REX|", "ZPI||"), options);
    CHECK(summary(findings) == Strings{"E 101 required ZPI-1"});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].text == "required field Pet name missing");
    CHECK(findings[0].segment_index == 5);
    CHECK(run(replace(ok, "ZPI|REX|20200229|M", "ZPI|REXTHEDOG22|20210229|Q"), options) ==
          Strings{"W 104 length ZPI-1", "E 102 datatype ZPI-2", "W 103 table ZPI-3"});
    // Undefined, the segment's fields are not checked.
    CHECK(run(replace(ok, "ZPI|REX|", "ZPI||")).empty());
    // With an unknown version nothing is checked, the profile's segments neither.
    CHECK(run(replace(replace(ok, "ZPI|REX|", "ZPI||"), "2.5.1", "9.9"), options) ==
          Strings{"E 203 version MSH-12.1"});
}

TEST_CASE("validate: a coded element bound to a table is checked when its coding system is that table") {
    // NK1-3 (relationship) is a CE bound to user table 0063; NK1 comes before PV1 in ADT_A01.
    auto with_nk1 = [](std::string_view nk1) { return er7({kMsh, kEvn, kPid, nk1, kPv1}); };
    CHECK(run(with_nk1("NK1|1|DOE^JOHN|SPO^Spouse^HL70063")).empty());
    CHECK(run(with_nk1("NK1|1|DOE^JOHN|SPO")).empty());
    CHECK(run(with_nk1("NK1|1|DOE^JOHN|XYZ^Odd^HL70063")) == Strings{"W 103 table NK1-3.1"});
    CHECK(run(with_nk1("NK1|1|DOE^JOHN|XYZ")) == Strings{"W 103 table NK1-3.1"});
    // Another coding system is not this table's business.
    CHECK(run(with_nk1("NK1|1|DOE^JOHN|XYZ^Odd^99LOCAL")).empty());
}

TEST_CASE("validate: length counts characters of the decoded value") {
    // PID-8 (administrative sex) has length 1 in 2.5.1: an escape for one character fits, two do not.
    auto with_sex = [](std::string_view sex) {
        return er7({kMsh, kEvn, std::string("PID|1||123^^^HOSP^MR||DOE^JANE||19800101|") + std::string(sex), kPv1});
    };
    CHECK(run(with_sex("\\T\\")) == Strings{"W 103 table PID-8"});  // one character, not in table 0001
    CHECK(run(with_sex("FF")) == Strings{"W 104 length PID-8", "W 103 table PID-8"});
}
