// Unit tests for the hl7anon engine (hl7/anon.hpp): the canary messages under every profile,
// structure kept, consistency across fields and messages, dates, check digits, config files,
// the scrubber, the residue check, and garbage.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "hl7/anon.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

using namespace hl7;
using namespace hl7::anon;

namespace {

AnonKey key(std::uint8_t seed = 7) {
    AnonKey k;
    for (std::size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<std::uint8_t>(seed + i * 13);
    return k;
}

// A segment from numbered fields: seg("PID", {{3, "X"}, {5, "Y"}}) -> "PID|||X||Y".
std::string seg(const std::string& id, const std::map<int, std::string>& fields) {
    std::string s = id;
    int last = fields.empty() ? 0 : fields.rbegin()->first;
    for (int f = 1; f <= last; ++f) {
        s += '|';
        auto it = fields.find(f);
        if (it != fields.end()) s += it->second;
    }
    return s;
}

// Every identifying token of the canary messages; none may survive any profile in any form.
const std::vector<std::string> kTokens = {
    "CANARYALT01", "CANARYMRN123", "9876543210", "CANARYFAM", "CANARYGIVEN", "CANARYMID", "CANARYALIAS",
    "CANARYPREFIX", "CANARYMOTHER", "CANARYMOM", "CANARYSTREET", "CANARYAPT", "CANARYCITY", "10001-1234",
    "6175559876", "canary.person@canarymail.org", "canarymail", "6175554321", "CANARYACCT77", "111-22-3333",
    "111223333", "CANARYDL55", "CANARYBIRTHPLACE", "CANARYCOUNTY", "CANARYNKFAM", "CANARYNKGIVEN",
    "CANARYNKSTREET", "CANARYNKCITY", "5085551111", "CANARYEMPNO9", "CANARYNKORG", "222-33-4444",
    "CANARYGTNO1", "CANARYGTFAM", "CANARYGTGIVEN", "CANARYGTSPOUSE", "CANARYGTSTREET", "CANARYGTCITY",
    "2135552222", "2135553333", "333-44-5555", "CANARYGRP88", "CANARYGRPNAME", "CANARYINSFAM",
    "CANARYINSGIVEN", "CANARYINSSTREET", "CANARYINSCITY", "CANARYPOL99", "CANARYINSID5", "CANARYVISIT42",
    "CANARYDOCUMENT", "CANARYZVALUE", "CANARYPLACER7", "CANARYFILLER8", "19800412", "1980-04-12", "04/12/1980",
    "19791103", "19700202", "19650505", "CANARYSUBFAM",
};

std::string canary_adt(const std::string& version) {
    std::vector<std::string> s = {
        "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240115123000||ADT^A01^ADT_A01|CTRL0001|P|" + version,
        seg("EVN", {{1, "A01"}, {2, "20240115120000"}}),
        seg("PID", {{1, "1"},
                    {2, "CANARYALT01^^^HOSP^PI"},
                    {3, "CANARYMRN123^^^HOSP^MR~9876543210^^^SSA^SS"},
                    {5, "CANARYFAM\\F\\LY&CANARYPREFIX&CANARYSUBFAM^CANARYGIVEN^CANARYMID^^^^L~"
                        "CANARYALIAS^CANARYGIVEN\\S\\CANARYMID^^^^^A"},
                    {6, "CANARYMOTHER^CANARYMOM"},
                    {7, "19800412"},
                    {8, "F"},
                    {10, "\"\""},
                    {11, "1 CANARYSTREET RD^APT CANARYAPT^CANARYCITY^NY^10001-1234^USA^H"},
                    {12, "CANARYCOUNTY"},
                    {13, "(617)555-9876^PRN^PH~^NET^Internet^canary.person@canarymail.org"},
                    {14, "617-555-4321^WPN"},
                    {18, "CANARYACCT77^^^HOSP^AN"},
                    {19, "111-22-3333"},
                    {20, "CANARYDL55^NY^20300101"},
                    {23, "CANARYBIRTHPLACE"}}),
        seg("PD1", {{4, "1234^DRPRIMARY^DRGIVEN"}}),
        seg("NK1", {{1, "1"},
                    {2, "CANARYNKFAM^CANARYNKGIVEN"},
                    {3, "SPO^Spouse"},
                    {4, "2 CANARYNKSTREET^^CANARYNKCITY^MA^02134"},
                    {5, "(508)555-1111"},
                    {6, "\"\""},
                    {12, "CANARYEMPNO9"},
                    {13, "CANARYNKORG"},
                    {16, "19791103"},
                    {37, "222-33-4444"}}),
        seg("PV1", {{1, "1"},
                    {2, "I"},
                    {3, "WARD1^101^A"},
                    {7, "5678^DRATTEND^DRFIRST"},
                    {19, "CANARYVISIT42"},
                    {44, "20240115110000"}}),
        seg("GT1", {{1, "1"},
                    {2, "CANARYGTNO1"},
                    {3, "CANARYGTFAM^CANARYGTGIVEN"},
                    {4, "CANARYGTSPOUSE^X"},
                    {5, "3 CANARYGTSTREET^^CANARYGTCITY^CA^90210"},
                    {6, "(213)555-2222"},
                    {7, "(213)555-3333"},
                    {8, "19700202"},
                    {12, "333-44-5555"}}),
        seg("IN1", {{1, "1"},
                    {2, "PLAN1^Plan"},
                    {3, "INSCO1^^^INS"},
                    {8, "CANARYGRP88"},
                    {9, "CANARYGRPNAME"},
                    {16, "CANARYINSFAM^CANARYINSGIVEN"},
                    {18, "19650505"},
                    {19, "4 CANARYINSSTREET^^CANARYINSCITY^TX^75001"},
                    {36, "CANARYPOL99"},
                    {49, "CANARYINSID5^^^INS"}}),
        seg("OBR", {{1, "1"}, {2, "CANARYPLACER7"}, {3, "CANARYFILLER8"}, {4, "NOTE^Note"}, {7, "20240115100000"},
                    {13, "Relevant: CANARYFAM seen 2024-01-15"}}),
        seg("OBX", {{1, "1"},
                    {2, "TX"},
                    {3, "NOTE^Note"},
                    {5, "Patient CanaryFam CANARYGIVEN (canarygiven) called from (617) 555-9876, SSN 111-22-3333, "
                        "alt 987-654-3210, MRN CANARYMRN123, born 04/12/1980 and 1980-04-12, mail "
                        "canary.person@canarymail.org, web http://canary.example/x, ip 10.1.2.3"},
                    {11, "F"}}),
        seg("OBX", {{1, "2"}, {2, "ED"}, {3, "DOC^Document"}, {5, "^TEXT^^Base64^CANARYDOCUMENT"}, {11, "F"}}),
        seg("OBX", {{1, "3"}, {2, "NM"}, {3, "AGE^Age"}, {5, "95"}, {6, "a"}, {11, "F"}}),
        seg("NTE", {{1, "1"}, {3, "Called CANARYGIVEN at 617-555-4321 re CANARYMRN123 and CANARYINSFAM"}}),
        seg("ZPI", {{1, "1"}, {2, "CANARYZVALUE"}, {3, "CANARYFAM"}, {4, "111-22-3333"}}),
    };
    std::string out;
    for (const auto& x : s) out += x + "\r";
    return out;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string digits_of(std::string_view s) {
    std::string d;
    for (char c : s) {
        if (std::isdigit(static_cast<unsigned char>(c))) d += c;
    }
    return d;
}

// Every token that survives in `output`: raw, case folded, or (tokens of 5 digits or more) as digits.
std::vector<std::string> surviving(const std::string& output) {
    std::vector<std::string> found;
    const std::string up = upper(output);
    const std::string digits = digits_of(output);
    for (const auto& t : kTokens) {
        const std::string dt = digits_of(t);
        const bool digit_token = dt.size() == t.size() - std::count(t.begin(), t.end(), '-') && dt.size() >= 5;
        if (up.find(upper(t)) != std::string::npos || (digit_token && digits.find(dt) != std::string::npos))
            found.push_back(t);
    }
    return found;
}

// The structure of a message: segment IDs and field counts.
std::vector<std::pair<std::string, int>> shape(std::string_view er7) {
    auto m = Message::parse(er7);
    REQUIRE(m.ok());
    std::vector<std::pair<std::string, int>> out;
    for (std::size_t i = 0; i < m->size(); ++i)
        out.emplace_back(std::string(m->segment_id(i)), field_count(m->segment(i), m->delimiters()));
    return out;
}

std::string value_at(std::string_view er7, std::string_view path) {
    auto m = Message::parse(er7);
    REQUIRE(m.ok());
    auto p = parse_path(path);
    REQUIRE(p.ok());
    std::vector<PathMatch> out;
    find_values(*m, *p, out);
    return out.empty() ? std::string("<absent>") : std::string(out.front().raw);
}

AnonOutcome run(const std::string& profile, const std::string& er7, std::uint8_t seed = 7) {
    auto p = builtin_profile(profile);
    REQUIRE(p);
    Anonymizer a(key(seed), *p);
    auto r = a.anonymize(er7);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("anon: the canary message under every profile, v2.5.1 and v2.3") {
    for (std::string version : {"2.5.1", "2.3"}) {
        const std::string in = canary_adt(version);
        REQUIRE(surviving(in).size() == kTokens.size());  // the check can fail
        for (std::string profile : {"support", "safe-harbor", "strict"}) {
            CAPTURE(version);
            CAPTURE(profile);
            auto out = run(profile, in);
            auto left = surviving(out.er7);
            CHECK_MESSAGE(left.empty(), "surviving: " << (left.empty() ? "" : left.front()) << " in\n" << out.er7);
            CHECK(shape(out.er7) == shape(in));
            CHECK(value_at(out.er7, "MSH-10") == "CTRL0001");
            CHECK(value_at(out.er7, "MSH-9") == "ADT^A01^ADT_A01");
            CHECK(value_at(out.er7, "PID-10") == "\"\"");
            CHECK(value_at(out.er7, "NK1-6") == "\"\"");
            CHECK(value_at(out.er7, "PID-8") == "F");
            CHECK(value_at(out.er7, "OBX[2]-5") == "^TEXT^^Base64^");
            CHECK_FALSE(out.changes.empty());
            for (const auto& c : out.changes) CHECK(c.path.find("CANARY") == std::string::npos);
        }
    }
}

TEST_CASE("anon: support keeps shape, staff, codes; pseudonyms consistent across fields") {
    const std::string in = canary_adt("2.5.1");
    auto out = run("support", in);
    // Shape: same lengths, letters stay letters.
    const std::string mrn = value_at(out.er7, "PID-3.1");
    CHECK(mrn.size() == std::string("CANARYMRN123").size());
    CHECK(value_at(out.er7, "PID-3.4") == "HOSP");
    CHECK(value_at(out.er7, "PID-3.5") == "MR");
    CHECK(value_at(out.er7, "PID-5.7") == "L");
    CHECK(value_at(out.er7, "PID-11.4") == "NY");
    CHECK(value_at(out.er7, "PID-11.6") == "USA");
    // Staff kept in support.
    CHECK(value_at(out.er7, "PV1-7") == "5678^DRATTEND^DRFIRST");
    CHECK(value_at(out.er7, "PV1-3") == "WARD1^101^A");
    // The escaped delimiter stays escaped and the message still splits the same way.
    const std::string family = value_at(out.er7, "PID-5.1.1");
    CHECK(family.find("\\F\\") != std::string::npos);
    // The same name in PID-5 and in the Z-segment and the free text: one pseudonym.
    const std::string given = value_at(out.er7, "PID-5.2");
    CHECK(given.size() == std::string("CANARYGIVEN").size());
    CHECK(value_at(out.er7, "NTE-3").find(given) != std::string::npos);
    CHECK(value_at(out.er7, "OBX-5").find(given) != std::string::npos);
    const std::string family_word = family.substr(0, family.find('\\'));
    CHECK(value_at(out.er7, "ZPI-3") == family_word);
    // Free text: the SSN of PID-19 gets the same pseudonym in text.
    CHECK(value_at(out.er7, "OBX-5").find(value_at(out.er7, "PID-19")) != std::string::npos);
    CHECK(value_at(out.er7, "OBX-5").find(mrn) != std::string::npos);
    // Z-segments and free-text hits are warned about.
    bool z = false, text = false;
    for (const auto& w : out.warnings) {
        z |= w.code == "z-segment";
        text |= w.code == "free-text-hits";
        CHECK(w.text.find("CANARY") == std::string::npos);
    }
    CHECK(z);
    CHECK(text);
    CHECK(out.counts["pseudonym"] > 10);
    CHECK(out.counts["date_shift"] > 3);
}

TEST_CASE("anon: determinism and keys") {
    const std::string in = canary_adt("2.5.1");
    auto a = run("support", in, 1), b = run("support", in, 1), c = run("support", in, 2);
    CHECK(a.er7 == b.er7);
    CHECK(a.er7 != c.er7);
    CHECK(value_at(a.er7, "PID-5.2") != value_at(c.er7, "PID-5.2"));
    CHECK(lookup(key(1), "name", "CANARYGIVEN") == value_at(a.er7, "PID-5.2"));
    CHECK(lookup(key(1), "id", "111-22-3333") == value_at(a.er7, "PID-19"));
}

TEST_CASE("anon: one value, one pseudonym across segments and messages (PID-5/NK1-2, PID-3/MRG-1)") {
    const std::string a01 = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||MRN555^^^H^MR||DOE^JANE\r"
                            "NK1|1|DOE^JOHN|SPO\r";
    const std::string a40 = "MSH|^~\\&|A|B|C|D|20240102||ADT^A40^ADT_A39|2|P|2.5.1\rPID|1||MRN777^^^H^MR||DOE^JANE\r"
                            "MRG|MRN555^^^H^MR\r";
    Anonymizer anon(key(), *builtin_profile("support"));
    auto r1 = anon.anonymize(a01);
    auto r2 = anon.anonymize(a40);
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    CHECK(value_at(r1->er7, "PID-5.1") == value_at(r1->er7, "NK1-2.1"));
    CHECK(value_at(r1->er7, "PID-5.1") != "DOE");
    CHECK(value_at(r1->er7, "PID-3.1") == value_at(r2->er7, "MRG-1.1"));
    CHECK(value_at(r1->er7, "PID-3.1") != value_at(r2->er7, "PID-3.1"));
    CHECK(value_at(r1->er7, "PID-5") == value_at(r2->er7, "PID-5"));
    // Values of the first message are found in later text and in log lines.
    std::string line;
    auto stats = anon.scrub("2024-01-02 10:00 lookup MRN555 for Doe failed", line);
    CHECK(stats.known == 3);  // MRN555, Doe, and the date of the first message's MSH-7
    CHECK(line.find("2024-01-02") == std::string::npos);
    CHECK(line.find("MRN555") == std::string::npos);
    CHECK(line.find("Doe") == std::string::npos);
    CHECK(line.find(" failed") != std::string::npos);
}

TEST_CASE("anon: date shift keeps precision, offset and intervals") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||X1||N^M||19800412\r" +
                           seg("PV1", {{1, "1"}, {2, "I"}, {44, "202401151030-0500"}, {45, "202401201030-0500"}}) + "\r";
    auto out = run("support", in);
    const std::string dob = value_at(out.er7, "PID-7");
    const std::string admit = value_at(out.er7, "PV1-44");
    const std::string discharge = value_at(out.er7, "PV1-45");
    CHECK(dob.size() == 8);
    CHECK(dob != "19800412");
    CHECK(admit.size() == std::string("202401151030-0500").size());
    CHECK(admit.substr(8) == "1030-0500");
    auto a = parse_date_time("DTM", admit, 2, 5), d = parse_date_time("DTM", discharge, 2, 5);
    REQUIRE(a);
    REQUIRE(d);
    // Five days apart before, five days apart after.
    auto a5 = add_days(*a, 5);
    REQUIRE(a5);
    CHECK(format_date_time(*a5) == discharge);
    // The whole message moved by one shift: the DOB moved as far.
    auto dob_in = parse_date_time("DT", "19800412", 2, 5);
    auto dob_out = parse_date_time("DT", dob, 2, 5);
    auto admit_in = parse_date_time("DTM", "202401151030-0500", 2, 5);
    REQUIRE(dob_in);
    REQUIRE(dob_out);
    REQUIRE(admit_in);
    for (int shift = -365; shift <= -1; ++shift) {
        auto moved = add_days(*dob_in, shift);
        if (moved && format_date_time(*moved) == dob) {
            auto admit_moved = add_days(*admit_in, shift);
            REQUIRE(admit_moved);
            CHECK(format_date_time(*admit_moved) == admit);
        }
    }
}

TEST_CASE("anon: per-patient date shift") {
    auto p = builtin_profile("support");
    REQUIRE(p);
    p->date_scope = DateScope::patient;
    Anonymizer anon(key(), *p);
    auto a = anon.anonymize("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||P1||N^M||19800412\r");
    auto b = anon.anonymize("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||P1||N^M||19800412\r");
    auto c = anon.anonymize("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||P2||N^M||19800412\r");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(c.ok());
    CHECK(value_at(a->er7, "PID-7") == value_at(b->er7, "PID-7"));
    // Another patient, most likely another shift (1 in 365 to be equal for a given key).
    CHECK(value_at(a->er7, "PID-7") != value_at(c->er7, "PID-7"));
}

TEST_CASE("anon: check digits in CX stay valid (embedded and in CX-2)") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r"
                           "PID|1||123455^^M10^H^MR~1234567^4^M11^H^MR||N^M\r";
    auto out = run("support", in);
    const std::string embedded = value_at(out.er7, "PID-3[1].1");
    CHECK(embedded != "123455");
    CHECK(embedded.size() == 6);
    CHECK(has_valid_check_digit(CheckDigitScheme::m10, embedded));
    const std::string id = value_at(out.er7, "PID-3[2].1");
    const std::string check = value_at(out.er7, "PID-3[2].2");
    CHECK(id != "1234567");
    REQUIRE(check.size() == 1);
    CHECK(check_digit(CheckDigitScheme::m11, id) == check[0] - '0');
    CHECK(value_at(out.er7, "PID-3[2].3") == "M11");
}

TEST_CASE("anon: safe-harbor generalises") {
    const std::string in = canary_adt("2.5.1");
    auto out = run("safe-harbor", in);
    CHECK(value_at(out.er7, "PID-7") == "1980");
    CHECK(value_at(out.er7, "MSH-7") == "2024");
    CHECK(value_at(out.er7, "PID-11.5") == "100");
    CHECK(value_at(out.er7, "PID-11.4") == "NY");
    CHECK(value_at(out.er7, "PID-11.3") == "");
    CHECK(value_at(out.er7, "NK1-4.5") == "021");
    CHECK(value_at(out.er7, "OBX[3]-5") == "90");
    CHECK(value_at(out.er7, "OBX[1]-5") == "");
    CHECK(value_at(out.er7, "PV1-7") == "5678^DRATTEND^DRFIRST");  // staff kept unless the setting says otherwise
    // Ages over 89: birth years aggregated against the message's year.
    const std::string old = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||X||N^M||19200101|||||||||||||||||||||\r"
                            "PV1|1|I|WARD^1^B^^^^^^^^86012\r";
    auto o = run("safe-harbor", old);
    CHECK(value_at(o.er7, "PID-7") == "1934");
    bool warned = false;
    for (const auto& w : o.warnings) warned |= w.code == "age-over-89";
    CHECK(warned);
}

TEST_CASE("anon: strict replaces staff, keeps codes") {
    auto out = run("strict", canary_adt("2.5.1"));
    CHECK(value_at(out.er7, "PV1-7").find("DRATTEND") == std::string::npos);
    CHECK(value_at(out.er7, "PD1-4").find("DRPRIMARY") == std::string::npos);
    CHECK(value_at(out.er7, "PV1-2") == "I");
    CHECK(value_at(out.er7, "NK1-3") == "SPO^Spouse");
    CHECK(value_at(out.er7, "OBX[3]-3") == "AGE^Age");
    CHECK(value_at(out.er7, "ZPI-1") != "1");
}

TEST_CASE("anon: config files extend a profile, with line-numbered errors") {
    auto base = builtin_profile("support");
    REQUIRE(base);
    auto cfg = read_config("profile: strict\nstaff: keep\ndate_shift: patient\nrules:\n"
                           "  - {path: PID-5, method: fake_name}\n"
                           "  - {path: PID-19, method: constant, value: XXX}\n"
                           "  - {datatype: XTN, method: fake_phone}\n",
                           "my.yaml", *base);
    REQUIRE(cfg.ok());
    CHECK(cfg->staff == StaffNames::keep);
    CHECK(cfg->date_scope == DateScope::patient);
    REQUIRE(cfg->rules.size() > 3);
    CHECK(cfg->rules[0].selector.path == "PID-5");
    CHECK(cfg->rules[0].line == 5);
    CHECK(cfg->rules[1].constant == "XXX");
    Anonymizer a(key(), *cfg);
    auto r = a.anonymize(canary_adt("2.5.1"));
    REQUIRE(r.ok());
    CHECK(value_at(r->er7, "PID-19") == "XXX");
    const std::string fam = value_at(r->er7, "PID-5.2");
    CHECK(std::isupper(static_cast<unsigned char>(fam[0])));
    CHECK(value_at(r->er7, "PID-13[1].1").find("555-01") != std::string::npos);
    CHECK(value_at(r->er7, "PV1-7") == "5678^DRATTEND^DRFIRST");
    CHECK(surviving(r->er7).empty());

    auto unknown = read_config("rules:\n  - {path: PID-5, method: pseudonym, colour: red}\n", "bad.yaml", *base);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == "bad-anon-config");
    CHECK(unknown.error().where.line == 2);
    CHECK(unknown.error().text.find("colour") != std::string::npos);
    CHECK_FALSE(read_config("rules:\n  - {path: PID5, method: clear}\n", "x", *base).ok());
    CHECK_FALSE(read_config("rules:\n  - {path: PID-5, method: shred}\n", "x", *base).ok());
    CHECK_FALSE(read_config("rules:\n  - {method: clear}\n", "x", *base).ok());
    CHECK_FALSE(read_config("rules:\n  - {path: PID-5, method: constant}\n", "x", *base).ok());
    CHECK_FALSE(read_config("profile: lax\n", "x", *base).ok());
    CHECK_FALSE(read_config("colour: red\n", "x", *base).ok());
    auto json = read_config("{\"rules\": [{\"datatype\": \"XPN\", \"method\": \"clear\"}]}", "x.json", *base);
    REQUIRE(json.ok());
    CHECK(json->rules[0].selector.datatype == "XPN");
}

TEST_CASE("anon: profiles describe themselves") {
    for (auto name : builtin_profile_names()) {
        auto p = builtin_profile(name);
        REQUIRE(p);
        const std::string text = describe(*p);
        CHECK(text.find("PID-19") != std::string::npos);
        CHECK(text.find("XPN") != std::string::npos);
        CHECK(text.find("MSH-*") != std::string::npos);
    }
    CHECK(describe(*builtin_profile("support")).find("keep (staff; replaced: pseudonym") != std::string::npos);
    CHECK_FALSE(builtin_profile("none"));
    CHECK(method_from_name("fake_name") == Method::fake_name);
    CHECK(method_name(Method::zip3) == "zip3");
    CHECK_FALSE(method_from_name("x"));
}

TEST_CASE("anon: scrub_text patterns") {
    Subkey id(key(), "id"), phone(key(), "phone"), email(key(), "email"), text(key(), "text");
    ScrubOptions o;
    o.id_key = &id;
    o.phone_key = &phone;
    o.email_key = &email;
    o.text_key = &text;
    o.date_shift_days = -10;
    KnownValues none;
    auto scrub = [&](std::string_view in) {
        std::string out;
        (void)scrub_text(in, none, o, out);
        return out;
    };
    CHECK(scrub("SSN 123-45-6789.").find("123-45-6789") == std::string::npos);
    CHECK(scrub("SSN 123456789 ok").find("123456789") == std::string::npos);
    CHECK(scrub("id 1234567890123 stays") == "id 1234567890123 stays");
    for (std::string_view p : {"(617) 555-1234", "617-555-1234", "617.555.1234", "+1 617 555 1234", "6175551234"}) {
        CAPTURE(p);
        std::string in = "call " + std::string(p) + " now";
        auto out = scrub(in);
        CHECK(out != in);
        CHECK(out.size() == in.size());
        CHECK(out.substr(out.size() - 4) == " now");
    }
    CHECK(scrub("mail a.b-c@host.example.org.").find("host") == std::string::npos);
    CHECK(scrub("see https://portal.example/p?id=9 now").find("portal") == std::string::npos);
    CHECK(scrub("see https://portal.example/p?id=9 now").find("https://") != std::string::npos);
    CHECK(scrub("from 192.168.10.20:80").find("192.168") == std::string::npos);
    CHECK(scrub("version 2.5.1 stays") == "version 2.5.1 stays");
    CHECK(scrub("from fe80::1ff:fe23:4567:890a up").find("fe80") == std::string::npos);
    CHECK(scrub("at 10:30:00 ok") == "at 10:30:00 ok");
    CHECK(scrub("on 2024-01-15.") == "on 2024-01-05.");
    CHECK(scrub("on 01/15/2024 x") == "on 01/05/2024 x");
    CHECK(scrub("on 15.01.2024 x") == "on 05.01.2024 x");
    CHECK(scrub("on 20240115 x") == "on 20240105 x");
    CHECK(scrub("at 202401151030 x") == "at 202401051030 x");
    CHECK(scrub("bad 2024-13-45 x") == "bad 2024-13-45 x");
    // Escape sequences of formatted text are copied untouched.
    CHECK(scrub("line\\.br\\617-555-1234") .substr(0, 9) == "line\\.br\\");

    KnownValues known;
    known.add("DOE", "QXR", ValueKind::name);
    known.add("JANE ANN", "PLOK WER", ValueKind::name);
    known.add("MRN-00123", "KDW-98765", ValueKind::id);
    known.add("X", "Y", ValueKind::name);  // too short: never added
    CHECK(known.size() == 4);  // three values and the MRN's digits
    std::string out;
    auto stats = scrub_text("Doe, Jane Ann (doe) DOES not; mrn 00123 or MRN-00123; X", known, o, out);
    CHECK(out == "Qxr, Plok Wer (qxr) DOES not; mrn 98765 or KDW-98765; X");
    CHECK(stats.known == 5);
}

TEST_CASE("anon: residue check finds survivors in every form") {
    std::vector<OriginalValue> originals = {
        {"O'BRIEN", "O'BRIEN", "PID[1]-5[1].1.1", ValueKind::name},
        {"A|B", "A\\F\\B", "PID[1]-5[1].2.1", ValueKind::name},
        {"111-22-3333", "111-22-3333", "PID[1]-19[1].1.1", ValueKind::id},
        {"19800412", "19800412", "PID[1]-7[1].1.1", ValueKind::date},
        {"X", "X", "PID[1]-8[1].1.1", ValueKind::other},
    };
    CHECK(residue_check(originals, "nothing here 19800413 X").empty());
    auto r = residue_check(originals, "o'brien; A\\F\\B; ssn 111 22 3333; born 1980-04-12");
    REQUIRE(r.size() == 4);
    CHECK(r[0].form == "case-folded");
    CHECK(r[1].form == "raw");
    CHECK(r[2].form == "digits");
    CHECK(r[3].form == "date");
    CHECK(r[3].path == "PID[1]-7[1].1.1");
    // Through the anonymizer: the originals of the last message, none left in its output.
    AnonOptions opts;
    opts.keep_originals = true;
    Anonymizer a(key(), *builtin_profile("support"), opts);
    auto out = a.anonymize(canary_adt("2.5.1"));
    REQUIRE(out.ok());
    CHECK(a.originals().size() > 20);
    CHECK(residue_check(a.originals(), out->er7).empty());
    CHECK_FALSE(residue_check(a.originals(), canary_adt("2.5.1")).empty());
}

TEST_CASE("anon: garbage, truncation and custom delimiters never crash") {
    Anonymizer a(key(), *builtin_profile("support"));
    CHECK_FALSE(a.anonymize("").ok());
    CHECK_FALSE(a.anonymize("garbage\r").ok());
    for (std::string in : {std::string("MSH|^~\\&|"), std::string("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||"),
                           std::string("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|9.9\rPID|1||X^^^H||DOE^JANE||notadate\r"),
                           std::string("MSH|^~\\&\rPID\r\rZZZ|\\\\\\\r"), std::string("MSH|\rPID|1||A~B~C^^^^&&&\r"),
                           std::string("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||\xFF\xFE^\xC3||\xE2\x82\r")}) {
        auto r = a.anonymize(in);
        if (r.ok()) {
            auto m = Message::parse(r->er7);
            CHECK(m.ok());
        }
    }
    // Custom delimiters: # for fields, ! components, @ repetitions, $ escape, % subcomponents.
    const std::string custom = "MSH#!@$%#A#B#C#D#20240101##ADT!A01#1#P#2.5.1\rPID#1##MRN9!!!H#!$F$#DOE!JANE#\r";
    auto r = a.anonymize(custom);
    REQUIRE(r.ok());
    CHECK(r->er7.find("DOE") == std::string::npos);
    CHECK(r->er7.find("MRN9") == std::string::npos);
    CHECK(r->er7.substr(0, 9) == "MSH#!@$%#");
    CHECK(shape(r->er7) == shape(custom));
    // A date that does not parse is not kept.
    auto bad = a.anonymize("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||X||N^M||1980041\r");
    REQUIRE(bad.ok());
    CHECK(value_at(bad->er7, "PID-7") != "1980041");
}
