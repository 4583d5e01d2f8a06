// Tests of the embedded HL7 v2 definitions: versions, segments, datatypes, structures, tables, MSH-12.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hl7/definitions.hpp"

namespace defs = hl7::defs;
using defs::Usage;

namespace {

// The expected values below are written from the HL7 v2 standard, not from the generated data.

const defs::Version& version(std::string_view name) {
    const defs::Version* v = defs::find_version(name);
    REQUIRE_MESSAGE(v != nullptr, name);
    return *v;
}

const defs::FieldDef& field(std::string_view ver, std::string_view segment, std::size_t number) {
    const defs::SegmentDef* s = version(ver).segment(segment);
    REQUIRE_MESSAGE(s != nullptr, segment);
    REQUIRE(number >= 1);
    REQUIRE(number <= s->fields.size());
    return s->fields[number - 1];
}

const defs::StructureNode* child(std::span<const defs::StructureNode> nodes, std::string_view name) {
    for (const auto& n : nodes) {
        if (n.name == name) return &n;
    }
    return nullptr;
}

template <typename List, typename Key>
bool strictly_sorted(const List& list, Key key) {
    for (std::size_t i = 1; i < list.size(); ++i) {
        if (!(key(list[i - 1]) < key(list[i]))) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("definitions: every version, oldest first") {
    const std::vector<std::string_view> expected = {"2.1", "2.2", "2.3", "2.3.1", "2.4",
                                                    "2.5", "2.5.1", "2.6", "2.7", "2.7.1"};
    auto list = defs::versions();
    REQUIRE(list.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(list[i].name == expected[i]);
        CHECK(defs::find_version(expected[i]) == &list[i]);
        CHECK_FALSE(list[i].segments.empty());
        CHECK_FALSE(list[i].datatypes.empty());
        CHECK_FALSE(list[i].messages.empty());
        CHECK(list[i].segment("MSH") != nullptr);
        CHECK(list[i].segment("PID") != nullptr);
        CHECK(list[i].message("ACK") != nullptr);
    }
    CHECK(defs::find_version("2.8") == nullptr);
    CHECK(defs::find_version("2.5.1 ") == nullptr);
    CHECK(defs::find_version("") == nullptr);
}

TEST_CASE("definitions: lists are sorted for binary search") {
    for (const auto& v : defs::versions()) {
        CAPTURE(v.name);
        CHECK(strictly_sorted(v.segments, [](const auto& s) { return s.id; }));
        CHECK(strictly_sorted(v.datatypes, [](const auto& d) { return d.name; }));
        CHECK(strictly_sorted(v.messages, [](const auto& m) { return m.structure; }));
        // Every segment and datatype is found by its own name.
        for (const auto& s : v.segments) CHECK(v.segment(s.id) == &s);
        for (const auto& d : v.datatypes) CHECK(v.datatype(d.name) == &d);
        for (const auto& m : v.messages) CHECK(v.message(m.structure) == &m);
    }
    for (std::uint16_t n = 1; n < 1000; ++n) {
        if (const defs::TableDef* t = defs::table(n)) {
            CAPTURE(n);
            CHECK(t->number == n);
            CHECK_FALSE(t->values.empty());
            CHECK(strictly_sorted(t->values, [](const auto& tv) { return tv.code; }));
        }
    }
}

TEST_CASE("definitions: unknown names give nullptr") {
    const auto& v = version("2.5.1");
    CHECK(v.segment("ZZZ") == nullptr);
    CHECK(v.segment("") == nullptr);
    CHECK(v.segment("pid") == nullptr);
    CHECK(v.datatype("NOPE") == nullptr);
    CHECK(v.message("XYZ_A01") == nullptr);
    CHECK(v.message("") == nullptr);
}

TEST_CASE("definitions: PID-5 patient name is XPN, required, repeating") {
    for (std::string_view ver : {"2.5.1", "2.7.1"}) {
        CAPTURE(ver);
        const auto& f = field(ver, "PID", 5);
        CHECK(f.datatype == "XPN");
        CHECK(f.description == "Patient Name");
        CHECK(f.usage == Usage::required);
        CHECK(f.max_repetitions == 0);  // unbounded
    }
    // Before 2.3 it was a PN and did not repeat.
    CHECK(field("2.2", "PID", 5).datatype == "PN");
    CHECK(field("2.2", "PID", 5).max_repetitions == 1);
}

TEST_CASE("definitions: PID-3 patient identifier list is CX, required, repeating (2.5.1)") {
    const auto& f = field("2.5.1", "PID", 3);
    CHECK(f.datatype == "CX");
    CHECK(f.usage == Usage::required);
    CHECK(f.max_repetitions == 0);
    CHECK(f.max_length == 250);
    // PID-8 administrative sex: table 0001; PID-2 is optional, kept for backward compatibility.
    CHECK(field("2.5.1", "PID", 8).table == 1);
    CHECK(field("2.5.1", "PID", 2).usage == Usage::optional);
    // Repairs found by the hand-written case set (tests/data/cases), from the standard's tables.
    CHECK(field("2.3", "ORC", 7).usage == Usage::optional);
    CHECK(field("2.3", "OBR", 27).usage == Usage::optional);
    CHECK(field("2.3.1", "OBX", 4).usage == Usage::conditional);
}

TEST_CASE("definitions: MSH fields") {
    // MSH-1 field separator and MSH-2 encoding characters: ST, required.
    CHECK(field("2.5.1", "MSH", 1).datatype == "ST");
    CHECK(field("2.5.1", "MSH", 1).usage == Usage::required);
    CHECK(field("2.5.1", "MSH", 2).usage == Usage::required);
    // MSH-9 message type: MSG in 2.5.1 (from 2.3.1 on), CM in 2.3.
    const auto& msh9 = field("2.5.1", "MSH", 9);
    CHECK(msh9.datatype == "MSG");
    CHECK(msh9.usage == Usage::required);
    CHECK(msh9.max_repetitions == 1);
    // hl7-dictionary names each variant of the standard's CM after its use: CM_MSG here.
    const auto& old9 = field("2.3", "MSH", 9);
    CHECK(old9.datatype.substr(0, 2) == "CM");
    CHECK(old9.datatype == "CM_MSG");
    const defs::DatatypeDef* cm = version("2.3").datatype(old9.datatype);
    REQUIRE(cm != nullptr);
    CHECK(cm->components.size() == 2);  // message type ^ trigger event
    // MSG: message code (table 0076) ^ trigger event (0003) ^ message structure (0354).
    const defs::DatatypeDef* msg = version("2.5.1").datatype("MSG");
    REQUIRE(msg != nullptr);
    REQUIRE(msg->components.size() == 3);
    CHECK(msg->components[0].table == 76);
    CHECK(msg->components[1].table == 3);
    CHECK(msg->components[2].table == 354);
    // MSH-12 version ID: VID, whose first component takes table 0104.
    const auto& msh12 = field("2.5.1", "MSH", 12);
    CHECK(msh12.datatype == "VID");
    CHECK(msh12.usage == Usage::required);
    const defs::DatatypeDef* vid = version("2.5.1").datatype("VID");
    REQUIRE(vid != nullptr);
    CHECK(vid->components[0].table == 104);
    // MSH-11 processing ID: PT; MSH-15 and MSH-16 acknowledgment types: table 0155.
    CHECK(field("2.5.1", "MSH", 11).datatype == "PT");
    CHECK(field("2.5.1", "MSH", 15).table == 155);
    CHECK(field("2.5.1", "MSH", 16).table == 155);
}

TEST_CASE("definitions: XPN components (2.5.1)") {
    const defs::DatatypeDef* xpn = version("2.5.1").datatype("XPN");
    REQUIRE(xpn != nullptr);
    CHECK_FALSE(xpn->primitive());
    REQUIRE(xpn->components.size() == 14);
    const struct {
        std::string_view datatype;
        std::uint16_t table;
    } expected[] = {{"FN", 0},  {"ST", 0},  {"ST", 0},   {"ST", 0},  {"ST", 0},  {"IS", 360}, {"ID", 200},
                    {"ID", 465}, {"CE", 448}, {"DR", 0}, {"ID", 444}, {"TS", 0}, {"TS", 0},   {"ST", 0}};
    for (std::size_t i = 0; i < 14; ++i) {
        CAPTURE(i + 1);
        CHECK(xpn->components[i].datatype == expected[i].datatype);
        CHECK(xpn->components[i].table == expected[i].table);
    }
    CHECK(xpn->components[0].description == "Family Name");
    CHECK(xpn->components[1].description == "Given Name");
    CHECK(xpn->components[6].description == "Name Type Code");
    // FN is itself composite (surname & own surname prefix & ...); ST is primitive.
    const defs::DatatypeDef* fn = version("2.5.1").datatype("FN");
    REQUIRE(fn != nullptr);
    CHECK(fn->components.size() == 5);
    CHECK(fn->components[0].datatype == "ST");
    const defs::DatatypeDef* st = version("2.5.1").datatype("ST");
    REQUIRE(st != nullptr);
    CHECK(st->primitive());
}

TEST_CASE("definitions: OBX-5 is typed varies in every version") {
    for (const auto& v : defs::versions()) {
        CAPTURE(v.name);
        const defs::SegmentDef* obx = v.segment("OBX");
        REQUIRE(obx != nullptr);
        REQUIRE(obx->fields.size() >= 5);
        CHECK(obx->fields[4].datatype == "varies");
        const defs::DatatypeDef* varies = v.datatype("varies");
        REQUIRE(varies != nullptr);
        CHECK(varies->primitive());
    }
    // OBX-2 value type takes table 0125.
    CHECK(field("2.5.1", "OBX", 2).table == 125);
}

TEST_CASE("definitions: ORU_R01 structure (2.5.1)") {
    const defs::MessageDef* oru = version("2.5.1").message("ORU_R01");
    REQUIRE(oru != nullptr);
    CHECK(oru->structure == "ORU_R01");
    REQUIRE(oru->nodes.size() == 4);
    // MSH, [{SFT}], {PATIENT_RESULT}, [DSC]
    CHECK(oru->nodes[0].name == "MSH");
    CHECK(oru->nodes[0].min == 1);
    CHECK(oru->nodes[0].max == 1);
    CHECK_FALSE(oru->nodes[0].is_group());
    CHECK(oru->nodes[1].name == "SFT");
    CHECK(oru->nodes[1].min == 0);
    CHECK(oru->nodes[1].max == 0);
    const auto& pr = oru->nodes[2];
    CHECK(pr.name == "PATIENT_RESULT");
    CHECK(pr.is_group());
    CHECK_FALSE(pr.choice);
    CHECK(pr.min == 1);
    CHECK(pr.max == 0);  // unbounded
    CHECK(oru->nodes[3].name == "DSC");
    CHECK(oru->nodes[3].min == 0);
    CHECK(oru->nodes[3].max == 1);

    // [PATIENT: PID ...], {ORDER_OBSERVATION: [ORC] OBR ... [{OBSERVATION: OBX [{NTE}]}] ...}
    const auto* patient = child(pr.children, "PATIENT");
    REQUIRE(patient != nullptr);
    CHECK(patient->min == 0);
    CHECK(patient->max == 1);
    REQUIRE(patient->is_group());
    CHECK(patient->children[0].name == "PID");
    CHECK(patient->children[0].min == 1);
    const auto* order = child(pr.children, "ORDER_OBSERVATION");
    REQUIRE(order != nullptr);
    CHECK(order->min == 1);
    CHECK(order->max == 0);
    const auto* orc = child(order->children, "ORC");
    REQUIRE(orc != nullptr);
    CHECK(orc->min == 0);
    const auto* obr = child(order->children, "OBR");
    REQUIRE(obr != nullptr);
    CHECK(obr->min == 1);
    CHECK(obr->max == 1);
    const auto* observation = child(order->children, "OBSERVATION");
    REQUIRE(observation != nullptr);
    CHECK(observation->min == 0);
    CHECK(observation->max == 0);
    REQUIRE(observation->children.size() == 2);
    CHECK(observation->children[0].name == "OBX");
    CHECK(observation->children[0].min == 1);
    CHECK(observation->children[1].name == "NTE");
    CHECK(observation->children[1].max == 0);
}

TEST_CASE("definitions: ADT_A04 resolves, with the ADT_A01 structure (2.5.1)") {
    const auto& v = version("2.5.1");
    const defs::MessageDef* a04 = v.message("ADT_A04");
    const defs::MessageDef* a01 = v.message("ADT_A01");
    REQUIRE(a04 != nullptr);
    REQUIRE(a01 != nullptr);
    REQUIRE(a04->nodes.size() >= 4);
    // MSH [{SFT}] EVN PID: A04 uses the ADT_A01 structure, software segment included.
    CHECK(a04->nodes[0].name == "MSH");
    CHECK(a04->nodes[1].name == "SFT");
    CHECK(a04->nodes[2].name == "EVN");
    CHECK(a04->nodes[2].min == 1);
    CHECK(a04->nodes[3].name == "PID");
    CHECK(a04->nodes[3].min == 1);
    CHECK(a04->nodes.size() == a01->nodes.size());
}

TEST_CASE("definitions: choices are groups of optional alternatives") {
    int choices = 0;
    auto walk = [&](auto&& self, std::span<const defs::StructureNode> nodes) -> void {
        for (const auto& n : nodes) {
            if (n.choice) {
                ++choices;
                CHECK(n.children.size() >= 2);
                for (const auto& alt : n.children) {
                    CHECK_FALSE(alt.is_group());
                    CHECK(alt.min == 0);
                    CHECK(alt.max == 1);
                    CHECK(alt.name.size() == 3);
                }
            }
            self(self, n.children);
        }
    };
    for (const auto& m : version("2.7.1").messages) walk(walk, m.nodes);
    CHECK(choices > 0);
}

TEST_CASE("definitions: tables 0001 and 0076, kinds") {
    const defs::TableDef* sex = defs::table(1);
    REQUIRE(sex != nullptr);
    CHECK(sex->number == 1);
    CHECK(sex->kind == defs::TableKind::user);
    REQUIRE(sex->find("F") != nullptr);
    CHECK(sex->find("F")->description == "Female");
    REQUIRE(sex->find("M") != nullptr);
    CHECK(sex->find("M")->description == "Male");
    CHECK(sex->find("U") != nullptr);
    CHECK(sex->find("X") == nullptr);
    CHECK(sex->find("f") == nullptr);
    CHECK(sex->find("") == nullptr);

    const defs::TableDef* type = defs::table(76);
    REQUIRE(type != nullptr);
    CHECK(type->kind == defs::TableKind::hl7);
    CHECK(type->find("ADT") != nullptr);
    CHECK(type->find("ORU") != nullptr);
    CHECK(type->find("ACK") != nullptr);
    CHECK(type->find("ZZZ") == nullptr);

    CHECK(defs::table(0) == nullptr);
    CHECK(defs::table(9999) == nullptr);
}

TEST_CASE("definitions: the tables the validator uses exist with values and kinds") {
    struct Expected {
        std::uint16_t number;
        defs::TableKind kind;
        std::string_view code;  // one code the standard gives
    };
    using K = defs::TableKind;
    const Expected expected[] = {
        {1, K::user, "F"},     {3, K::hl7, "A01"},    {4, K::user, "I"},    {7, K::user, "E"},
        {8, K::hl7, "AA"},     {38, K::hl7, "CM"},    {61, K::hl7, "M10"},  {63, K::user, "MTH"},
        {76, K::hl7, "ORU"},   {78, K::user, "H"},    {85, K::hl7, "F"},    {103, K::hl7, "P"},
        {104, K::hl7, "2.5.1"}, {105, K::hl7, "L"},   {123, K::hl7, "F"},   {125, K::hl7, "NM"},
        {136, K::hl7, "Y"},    {155, K::hl7, "AL"},   {190, K::hl7, "H"},   {200, K::hl7, "L"},
        {201, K::hl7, "PRN"},  {203, K::user, "MR"},  {211, K::hl7, "UNICODE UTF-8"},
        {301, K::hl7, "ISO"},  {354, K::hl7, "ADT_A01"}, {357, K::hl7, "207"},
    };
    for (const auto& e : expected) {
        CAPTURE(e.number);
        const defs::TableDef* t = defs::table(e.number);
        REQUIRE(t != nullptr);
        CHECK(t->kind == e.kind);
        CHECK_FALSE(t->description.empty());
        CHECK(t->find(e.code) != nullptr);
    }
    // 0104 lists every release from 2.0 to 2.9.
    const defs::TableDef* versions = defs::table(104);
    REQUIRE(versions != nullptr);
    for (std::string_view v : {"2.0", "2.0D", "2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6",
                               "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2", "2.9"}) {
        CAPTURE(v);
        CHECK(versions->find(v) != nullptr);
    }
    CHECK(versions->find("2.5.1")->description == "Release 2.5.1");
    // 0357: 100 segment sequence error ... 207 application internal error, 104 from 2.7 on.
    const defs::TableDef* errors = defs::table(357);
    REQUIRE(errors != nullptr);
    for (std::string_view code : {"0", "100", "101", "102", "103", "104", "200", "201", "202", "203", "207"}) {
        CAPTURE(code);
        CHECK(errors->find(code) != nullptr);
    }
    // 0125 value types, OBX-2: CE and TS are valid before 2.7.
    CHECK(defs::table(125)->find("CE") != nullptr);
    CHECK(defs::table(125)->find("TS") != nullptr);
    CHECK(defs::table(125)->find("CWE") != nullptr);
    // The standard's "null" row of 0078 (an empty field) is not a code.
    CHECK(defs::table(78)->find("null") == nullptr);
}

TEST_CASE("definitions: match_version accepts known versions") {
    auto m = defs::match_version("2.5.1");
    REQUIRE(m.version != nullptr);
    CHECK(m.version->name == "2.5.1");
    CHECK(m.normalised == "2.5.1");
    CHECK(m.exact);
    CHECK(m.note.empty());

    for (const auto& v : defs::versions()) {
        auto each = defs::match_version(v.name);
        CHECK(each.version == &v);
        CHECK(each.exact);
    }

    // The first component of a composite MSH-12 (VID: version ^ internationalization ^ ...).
    m = defs::match_version("2.5^FRA^2.11");
    REQUIRE(m.version != nullptr);
    CHECK(m.version->name == "2.5");
    CHECK(m.normalised == "2.5");
    CHECK(m.exact);
}

TEST_CASE("definitions: match_version normalises with a note") {
    auto m = defs::match_version("2.3.0");
    REQUIRE(m.version != nullptr);
    CHECK(m.version->name == "2.3");
    CHECK(m.normalised == "2.3");
    CHECK_FALSE(m.exact);
    CHECK(m.note.find("2.3.0") != std::string::npos);

    for (std::string_view text : {"v2.4", "V2.4"}) {
        CAPTURE(text);
        m = defs::match_version(text);
        REQUIRE(m.version != nullptr);
        CHECK(m.version->name == "2.4");
        CHECK(m.normalised == "2.4");
        CHECK_FALSE(m.exact);
        CHECK_FALSE(m.note.empty());
    }

    m = defs::match_version("  2.5.1 ");
    REQUIRE(m.version != nullptr);
    CHECK(m.version->name == "2.5.1");
    CHECK(m.normalised == "2.5.1");
    CHECK_FALSE(m.exact);
    CHECK(m.note.find("trimmed") != std::string::npos);

    m = defs::match_version("2.5.1.0");
    REQUIRE(m.version != nullptr);
    CHECK(m.version->name == "2.5.1");
}

TEST_CASE("definitions: match_version maps newer and older versions to the nearest set") {
    for (std::string_view text : {"2.8", "2.8.1", "2.8.2", "2.9", "2.7.2", "2.10"}) {
        CAPTURE(text);
        auto m = defs::match_version(text);
        REQUIRE(m.version != nullptr);
        CHECK(m.version->name == "2.7.1");
        CHECK(m.normalised == text);
        CHECK_FALSE(m.exact);
        CHECK(m.note.find("the newest definitions here") != std::string::npos);
    }
    CHECK(defs::match_version("2.8").note == "MSH-12 '2.8' validated against 2.7.1, the newest definitions here");

    for (std::string_view text : {"2.0", "2.0D"}) {
        CAPTURE(text);
        auto m = defs::match_version(text);
        REQUIRE(m.version != nullptr);
        CHECK(m.version->name == "2.1");
        CHECK(m.normalised == text);
        CHECK_FALSE(m.exact);
        CHECK_FALSE(m.note.empty());
    }
}

TEST_CASE("definitions: match_version rejects unknown versions with a note") {
    const std::string huge_part = "2.8." + std::string(10000, '1');
    const std::string huge_major = std::string(5000, '9') + ".5";
    const std::string zeros = "2." + std::string(5000, '0') + "5";
    const std::string digits(100000, '7');
    for (std::string_view text : {std::string_view(""), std::string_view("   "), std::string_view("X"),
                                  std::string_view("1.0"), std::string_view("3.0"), std::string_view("2"),
                                  std::string_view("2."), std::string_view(".5"), std::string_view("2..5"),
                                  std::string_view("2.5.x"), std::string_view("2.5.2"), std::string_view("v"),
                                  std::string_view("2.5.1.1"), std::string_view("^2.5"),
                                  std::string_view(huge_part), std::string_view(huge_major),
                                  std::string_view(zeros), std::string_view(digits)}) {
        CAPTURE(text.substr(0, 20));
        auto m = defs::match_version(text);
        CHECK(m.version == nullptr);
        CHECK_FALSE(m.exact);
        CHECK_FALSE(m.note.empty());
        CHECK(m.note.size() < 200);  // the note quotes a long value shortened
    }
}

namespace {

// The node at `path` ("ORDER/TIMING") of a structure, or nullptr.
const defs::StructureNode* node_at(const defs::MessageDef& m, std::string_view path) {
    std::span<const defs::StructureNode> nodes = m.nodes;
    const defs::StructureNode* found = nullptr;
    while (!path.empty()) {
        std::string_view part = path.substr(0, path.find('/'));
        path = part.size() < path.size() ? path.substr(part.size() + 1) : std::string_view();
        found = child(nodes, part);
        if (!found) return nullptr;
        nodes = found->children;
    }
    return found;
}

const defs::MessageDef& structure(std::string_view ver, std::string_view name) {
    const defs::MessageDef* m = version(ver).message(name);
    REQUIRE_MESSAGE(m != nullptr, name);
    return *m;
}

}  // namespace

TEST_CASE("definitions: OML_O21 groups as the standard has them (2.5 to 2.7.1)") {
    // ORDER: ORC [{TIMING: TQ1 [{TQ2}]}] [OBSERVATION_REQUEST: OBR ... [{OBSERVATION}] [{SPECIMEN}]
    // [{PRIOR_RESULT}]]; PATIENT: ... [{INSURANCE}]. hl7-dictionary spells TIMING "TIIMING" (2.5 to 2.6)
    // and makes the optional groups of 2.6 required and single.
    for (std::string_view ver : {"2.5", "2.5.1", "2.6", "2.7", "2.7.1"}) {
        CAPTURE(ver);
        const auto& oml = structure(ver, "OML_O21");
        const auto* timing = node_at(oml, "ORDER/TIMING");
        REQUIRE(timing != nullptr);
        CHECK(timing->min == 0);
        CHECK(timing->max == 0);
        CHECK(node_at(oml, "ORDER/TIIMING") == nullptr);
        for (std::string_view group : {"ORDER/OBSERVATION_REQUEST/OBSERVATION", "ORDER/OBSERVATION_REQUEST/SPECIMEN",
                                       "ORDER/OBSERVATION_REQUEST/PRIOR_RESULT", "PATIENT/INSURANCE"}) {
            CAPTURE(group);
            const auto* n = node_at(oml, group);
            REQUIRE(n != nullptr);
            CHECK(n->min == 0);
            CHECK(n->max == 0);
        }
    }
    const auto* container = node_at(structure("2.6", "OML_O21"), "ORDER/OBSERVATION_REQUEST/SPECIMEN/CONTAINER");
    REQUIRE(container != nullptr);
    CHECK(container->min == 0);
}

TEST_CASE("definitions: no misspelt group names, no optional group of 2.6 turned required") {
    for (const auto& v : defs::versions()) {
        CAPTURE(v.name);
        auto walk = [&](auto&& self, std::span<const defs::StructureNode> nodes) -> void {
            for (const auto& n : nodes) {
                CHECK(n.name != "TIIMING");
                CHECK(n.name != "RSPONSE");
                CHECK(n.name != "DEFINTION");
                CHECK(n.name != "LOCATIONL_RESOURCE");
                self(self, n.children);
            }
        };
        for (const auto& m : v.messages) walk(walk, m.nodes);
    }
    for (auto [name, path] : {std::pair{"OMG_O19", "ORDER/PRIOR_RESULT"}, std::pair{"ORB_O28", "RESPONSE/PATIENT/ORDER"},
                              std::pair{"ORI_O24", "RESPONSE/ORDER/TIMING"}, std::pair{"OML_O33", "PATIENT/INSURANCE"}}) {
        CAPTURE(name);
        const auto* n = node_at(structure("2.6", name), path);
        REQUIRE(n != nullptr);
        CHECK(n->min == 0);
    }
}

TEST_CASE("definitions: OUL_R22 container group is optional and repeats (2.5, 2.5.1)") {
    for (std::string_view ver : {"2.5", "2.5.1", "2.6"}) {
        CAPTURE(ver);
        const auto* container = node_at(structure(ver, "OUL_R22"), "SPECIMEN/CONTAINER");
        REQUIRE(container != nullptr);
        CHECK(container->min == 0);
        CHECK(container->max == 0);
    }
}

TEST_CASE("definitions: event -> structure map per version") {
    CHECK(version("2.5.1").structure_for("ADT", "A04") == "ADT_A01");
    CHECK(version("2.5.1").structure_for("ADT", "A01") == "ADT_A01");
    CHECK(version("2.5.1").structure_for("ADT", "A40") == "ADT_A39");
    CHECK(version("2.5.1").structure_for("SIU", "S14") == "SIU_S12");
    CHECK(version("2.5.1").structure_for("MDM", "T06") == "MDM_T02");
    // 2.3.1: PPR^PC2 and PPR^PC3 use PPR_PC1 (the package has no key for them).
    CHECK(version("2.3.1").structure_for("PPR", "PC2") == "PPR_PC1");
    CHECK(version("2.3.1").structure_for("PPR", "PC3") == "PPR_PC1");
    CHECK(version("2.3.1").message_for("PPR", "PC2") == version("2.3.1").message("PPR_PC1"));
    // A structure of another message type: PIN^I07 uses RQI_I01; PPP^PCC uses PPP_PCB.
    CHECK(version("2.6").structure_for("PPP", "PCC") == "PPP_PCB");
    CHECK(version("2.7").structure_for("SMD", "S32") == "SDR_S32");
    CHECK(version("2.7").structure_for("ADT", "A47") == "ADT_A44");
    // The general acknowledgment, whatever the event (or none).
    for (const auto& v : defs::versions()) {
        CAPTURE(v.name);
        CHECK(v.structure_for("ACK", "A01") == "ACK");
        CHECK(v.structure_for("ACK", "") == "ACK");
        CHECK(v.message_for("ACK", "R01") != nullptr);
    }
    // Before 2.3.1 (no MSH-9.3) a type and event are their own structure where the version has one.
    CHECK(version("2.3").structure_for("ADT", "A04") == "ADT_A04");
    CHECK(version("2.3").message_for("ADT", "A04") != nullptr);
    // RDE^O25: table 0354 says RDE_O11, chapter 4A gives RDE_O25 its own structure: both are listed.
    CHECK(version("2.6").structure_for("RDE", "O25") == "RDE_O25");
    CHECK(version("2.5.1").structure_for("RDE", "O25") == "RDE_O11");
    // Unknown or empty.
    CHECK(version("2.5.1").structure_for("ADT", "X99").empty());
    CHECK(version("2.5.1").structure_for("", "A01").empty());
    CHECK(version("2.5.1").message_for("XYZ", "A01") == nullptr);
    CHECK(defs::structure_for("2.5.1", "ORU", "R01") == "ORU_R01");
    CHECK(defs::structure_for("2.9", "ORU", "R01").empty());
    // Every structure the map names is defined, and the map is sorted for the binary search.
    for (const auto& v : defs::versions()) {
        CAPTURE(v.name);
        CHECK_FALSE(v.events.empty());
        for (std::size_t i = 0; i < v.events.size(); ++i) {
            CAPTURE(v.events[i].structure);
            CHECK(v.message(v.events[i].structure) != nullptr);
            if (i > 0) {
                const auto& a = v.events[i - 1];
                const auto& b = v.events[i];
                CHECK((a.type < b.type || (a.type == b.type && a.event <= b.event)));
            }
        }
    }
}

TEST_CASE("definitions: table 0354 per version") {
    const defs::TableDef* t251 = version("2.5.1").table(354);
    REQUIRE(t251 != nullptr);
    CHECK(t251->kind == defs::TableKind::hl7);
    CHECK(t251->find("ADT_A01") != nullptr);
    CHECK(t251->find("RDE_O11") != nullptr);
    CHECK(t251->find("ADT_A04") == nullptr);  // an event, not a structure
    CHECK(version("2.3").table(354)->find("ADT_A04") != nullptr);  // before 2.3.1 events are structures
    CHECK(t251->find("ORM_O01") != nullptr);  // the shared table's structures too
    CHECK(version("2.6").table(354)->find("RDE_O25") != nullptr);
    CHECK(version("2.3.1").table(354)->find("PPR_PC1") != nullptr);
    // Other tables are shared.
    CHECK(version("2.5.1").table(1) == defs::table(1));
    CHECK(version("2.5.1").table(9999) == nullptr);
}

TEST_CASE("definitions: same_structure compares nodes, not group names") {
    const auto& v = version("2.5.1");
    CHECK(defs::same_structure(*v.message("ADT_A01"), *v.message("ADT_A04")));
    CHECK_FALSE(defs::same_structure(*v.message("ADT_A01"), *v.message("ORU_R01")));
    CHECK(defs::same_structure(*v.message("ORU_R01"), *v.message("ORU_R01")));
}

TEST_CASE("definitions: tables the package lacked values of") {
    // 0291 subtype of referenced data: the MIME subtypes of the standard, not only CDA.
    for (std::string_view code : {"JPEG", "PICT", "TIFF", "PostScript", "x-hl7-cda-level-one"}) {
        CAPTURE(code);
        CHECK(defs::table(291)->find(code) != nullptr);
    }
    // 0487 specimen type took over the codes of 0070.
    for (std::string_view code : {"BLD", "BLDA", "BLDV", "CSF", "SER"}) {
        CAPTURE(code);
        CHECK(defs::table(487)->find(code) != nullptr);
    }
    for (std::string_view code : {"ISO3166_1", "ISO3166_2", "ISO4217", "ISO639", "LN", "SCT"}) {
        CAPTURE(code);
        CHECK(defs::table(396)->find(code) != nullptr);
    }
    const defs::TableDef* t4000 = defs::table(4000);
    REQUIRE(t4000 != nullptr);
    CHECK(t4000->find("I") != nullptr);
    // 2.3.1 and 2.4 XPN-8 / XAD-11 take table 4000 (0465 from 2.5 on).
    CHECK(version("2.4").datatype("XPN")->components[7].table == 4000);
    CHECK(version("2.3.1").datatype("XAD")->components[10].table == 4000);
    CHECK(version("2.5").datatype("XPN")->components[7].table == 465);
}

TEST_CASE("definitions: table bindings the package lost in some versions") {
    // 2.3.1 PID-10 race and PID-22 ethnic group (CE), bound in 2.3 and 2.4 alike.
    CHECK(field("2.3.1", "PID", 10).table == 5);
    CHECK(field("2.3.1", "PID", 22).table == 189);
    CHECK(field("2.4", "PID", 10).table == 5);
}

TEST_CASE("definitions: v2.7 lengths only for fields of primitive datatypes") {
    for (std::string_view ver : {"2.7", "2.7.1"}) {
        CAPTURE(ver);
        CHECK(field(ver, "MSH", 10).max_length == 199);  // ST, 1..199
        CHECK(field(ver, "PID", 1).max_length == 4);     // SI, 1..4
        CHECK(field(ver, "PID", 5).max_length == 0);     // XPN: no length in 2.7
        CHECK(field(ver, "OM1", 18).max_length == 0);    // CWE: the package's leftover length dropped
        for (const auto& s : version(ver).segments) {
            for (const auto& f : s.fields) {
                const defs::DatatypeDef* dt = version(ver).datatype(f.datatype);
                if (dt && !dt->primitive()) CHECK_MESSAGE(f.max_length == 0, s.id);
            }
        }
    }
    CHECK(field("2.6", "PID", 5).max_length == 250);
}

TEST_CASE("definitions: allows() lists every structure an event may use") {
    const auto& v26 = version("2.6");
    CHECK(v26.allows("RDE", "O25", "RDE_O25"));
    CHECK(v26.allows("RDE", "O25", "RDE_O11"));
    CHECK_FALSE(v26.allows("RDE", "O25", "RDE_O01"));
    CHECK(version("2.5.1").allows("ADT", "A04", "ADT_A01"));
    CHECK_FALSE(version("2.5.1").allows("ADT", "A04", "ADT_A04"));
    CHECK(version("2.5.1").allows("ACK", "A04", "ACK"));
    CHECK_FALSE(version("2.5.1").allows("", "A04", "ADT_A01"));
}
