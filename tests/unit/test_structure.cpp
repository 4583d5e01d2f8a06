// Tests of the structure matcher: readings that need backtracking, group instances and their helpers,
// problems and the smallest report, and properties over every structure of every version.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "helpers.hpp"
#include "hl7/definitions.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"
#include "hl7/structure.hpp"

using hl7::GroupInstance;
using hl7::SegmentPlacement;
using hl7::StructureMatch;
using hl7::StructureProblemKind;
using hl7::defs::MessageDef;
using hl7::defs::StructureNode;

namespace {

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        if (end > pos) out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

const MessageDef& standard(std::string_view version, std::string_view structure) {
    const auto* v = hl7::defs::find_version(version);
    REQUIRE(v != nullptr);
    const auto* m = v->message(structure);
    REQUIRE(m != nullptr);
    return *m;
}

StructureMatch match(const MessageDef& def, std::string_view ids, const hl7::StructureOptions& options = {}) {
    auto list = split(ids);
    hl7::StructureMatcher matcher(def);
    return matcher.match(list, options);
}

// "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]" for each segment, "-" for the message level.
std::vector<std::string> paths(const StructureMatch& m) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < m.segments.size(); ++i) {
        std::string p = m.group_path(i);
        out.push_back(p.empty() ? "-" : p);
    }
    return out;
}

// "missing OBR in PATIENT_RESULT[1]/ORDER_OBSERVATION[1] before 2", "out_of_order 3", ...
std::vector<std::string> problems(const StructureMatch& m) {
    std::vector<std::string> out;
    for (const auto& p : m.problems) {
        std::ostringstream s;
        switch (p.kind) {
            case StructureProblemKind::missing: s << "missing " << p.node->name; break;
            case StructureProblemKind::too_few: s << "too_few " << p.node->name << " " << p.count; break;
            case StructureProblemKind::out_of_order: s << "out_of_order"; break;
            case StructureProblemKind::repeated: s << "repeated"; break;
            case StructureProblemKind::unexpected: s << "unexpected"; break;
        }
        if (p.kind == StructureProblemKind::missing || p.kind == StructureProblemKind::too_few) {
            if (p.instance != GroupInstance::none) s << " in " << m.instance_path(p.instance);
            s << " before " << p.segment;
        } else {
            s << " " << p.segment;
        }
        out.push_back(s.str());
    }
    return out;
}

using Strings = std::vector<std::string>;

// Synthetic structures, to reach what the standard's data do not have (min/max above 1, choices
// of groups) and to show backtracking on a small scale.
//   ORDER 1..* { ORC, OBR, PRIOR 0..1 { ORC 0..1, OBR, OBX 1..* } }
constexpr StructureNode kPrior[] = {{"ORC", 0, 1, {}, false}, {"OBR", 1, 1, {}, false}, {"OBX", 1, 0, {}, false}};
constexpr StructureNode kOrder[] = {{"ORC", 1, 1, {}, false}, {"OBR", 1, 1, {}, false}, {"PRIOR", 0, 1, kPrior, false}};
constexpr StructureNode kOrders[] = {{"MSH", 1, 1, {}, false}, {"ORDER", 1, 0, kOrder, false}};
constexpr MessageDef kOrdersDef{"TST_O01", "orders", kOrders};

//   MSH, AAA 2..3, PAIR 2..* { BBB, CCC 0..1 }, <DDD | GRP { EEE, FFF } | GGG> 1..2, HHH 0..1
constexpr StructureNode kPair[] = {{"BBB", 1, 1, {}, false}, {"CCC", 0, 1, {}, false}};
constexpr StructureNode kGrp[] = {{"EEE", 1, 1, {}, false}, {"FFF", 1, 1, {}, false}};
constexpr StructureNode kChoice[] = {{"DDD", 0, 1, {}, false}, {"GRP", 0, 1, kGrp, false}, {"GGG", 0, 1, {}, false}};
constexpr StructureNode kCounts[] = {{"MSH", 1, 1, {}, false},          {"AAA", 2, 3, {}, false},
                                     {"PAIR", 2, 0, kPair, false},       {"DDD,GRP,GGG", 1, 2, kChoice, true},
                                     {"HHH", 0, 1, {}, false}};
constexpr MessageDef kCountsDef{"TST_C01", "counts", kCounts};

}  // namespace

TEST_CASE("structure: a second ORC starts a new ORDER when the rest fits that reading (OML_O21)") {
    // The old greedy matcher took the second ORC as the optional ORC of PRIOR_RESULT/ORDER_PRIOR and
    // then missed OBSERVATION_PRIOR.
    const auto& oml = standard("2.5.1", "OML_O21");
    auto m = match(oml, "MSH PID ORC OBR ORC OBR");
    CHECK(m.valid());
    CHECK_FALSE(m.approximate);
    CHECK(paths(m) == Strings{"-", "PATIENT[1]", "ORDER[1]", "ORDER[1]/OBSERVATION_REQUEST[1]", "ORDER[2]",
                              "ORDER[2]/OBSERVATION_REQUEST[1]"});
    // The same in OMG_O19 and OML_O33, whose ORDER has the same optional ORC deeper down.
    CHECK(match(standard("2.5.1", "OMG_O19"), "MSH PID ORC OBR ORC OBR ORC OBR").valid());
    CHECK(match(standard("2.5.1", "OML_O33"), "MSH PID SPM ORC OBR ORC OBR").valid());
}

TEST_CASE("structure: the reading is chosen by what follows") {
    // ORC OBR ORC OBR: two orders. ORC OBR ORC OBR OBX: one order with a prior result.
    auto two = match(kOrdersDef, "MSH ORC OBR ORC OBR");
    CHECK(two.valid());
    CHECK(paths(two) == Strings{"-", "ORDER[1]", "ORDER[1]", "ORDER[2]", "ORDER[2]"});
    auto prior = match(kOrdersDef, "MSH ORC OBR ORC OBR OBX OBX");
    CHECK(prior.valid());
    CHECK(paths(prior) == Strings{"-", "ORDER[1]", "ORDER[1]", "ORDER[1]/PRIOR[1]", "ORDER[1]/PRIOR[1]",
                                  "ORDER[1]/PRIOR[1]", "ORDER[1]/PRIOR[1]"});
    // Both in one message.
    auto both = match(kOrdersDef, "MSH ORC OBR ORC OBR ORC OBR OBX");
    CHECK(both.valid());
    CHECK(paths(both) == Strings{"-", "ORDER[1]", "ORDER[1]", "ORDER[2]", "ORDER[2]", "ORDER[2]/PRIOR[1]",
                                 "ORDER[2]/PRIOR[1]", "ORDER[2]/PRIOR[1]"});
    CHECK(both.segments[5].node->name == "ORC");
    CHECK(both.segments[5].node == &kPrior[0]);
}

TEST_CASE("structure: group instances and their occurrences (ORU_R01)") {
    const auto& oru = standard("2.5.1", "ORU_R01");
    auto m = match(oru, "MSH PID OBR OBX OBX NTE ZZZ OBX ORC OBR OBX SPM OBX PID OBR OBX ZZZ");
    REQUIRE(m.valid());
    CHECK(paths(m) == Strings{"-",
                              "PATIENT_RESULT[1]/PATIENT[1]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]/OBSERVATION[1]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]/OBSERVATION[2]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]/OBSERVATION[2]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]",  // a Z-segment between two observations
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]/OBSERVATION[3]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/OBSERVATION[1]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/SPECIMEN[1]",
                              "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/SPECIMEN[1]",  // OBX of the specimen
                              "PATIENT_RESULT[2]/PATIENT[1]",
                              "PATIENT_RESULT[2]/ORDER_OBSERVATION[1]",
                              "PATIENT_RESULT[2]/ORDER_OBSERVATION[1]/OBSERVATION[1]",
                              "-"});  // a Z-segment after the last group: at message level
    CHECK(m.segments[6].placement == SegmentPlacement::anywhere);
    CHECK(m.segments[6].node == nullptr);
    CHECK(m.segments[12].node->name == "OBX");
    CHECK(m.segments[12].node != m.segments[10].node);  // the specimen's OBX, not an observation's

    // Instances: in order of their first segment, parents first, with their segment ranges.
    REQUIRE(m.instances.size() >= 3);
    CHECK(m.instances[0].group->name == "PATIENT_RESULT");
    CHECK(m.instances[0].parent == GroupInstance::none);
    CHECK(m.instances[0].depth == 1);
    CHECK(m.instances[0].first == 1);
    CHECK(m.instances[0].last == 12);
    CHECK(m.instances[1].group->name == "PATIENT");
    CHECK(m.instances[1].parent == 0);
    CHECK(m.instances[1].depth == 2);
}

TEST_CASE("structure: the OBX segments under the second OBR") {
    const auto& oru = standard("2.5.1", "ORU_R01");
    auto ids = split("MSH PID OBR OBX OBX ORC OBR OBX NTE OBX ZXY OBR OBX");
    hl7::StructureMatcher matcher(oru);
    auto m = matcher.match(ids);
    REQUIRE(m.valid());
    // Find the second OBR, the order around it, and the OBX in that order.
    std::size_t second_obr = 0;
    for (std::size_t i = 0, seen = 0; i < ids.size(); ++i)
        if (ids[i] == "OBR" && ++seen == 2) second_obr = i;
    REQUIRE(second_obr == 6);
    auto order = m.enclosing(second_obr, "ORDER_OBSERVATION");
    REQUIRE(order.has_value());
    CHECK(m.instance_path(*order) == "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]");
    CHECK(m.instances[*order].first == 5);  // its ORC
    CHECK(m.instances[*order].last == 9);  // its last OBX
    // The Z-segment after it, before the third OBR, lies between two orders: in the patient result.
    CHECK(m.group_path(10) == "PATIENT_RESULT[1]");
    std::vector<std::size_t> obx;
    auto range = m.segments_of(*order);
    for (std::size_t k = 0; k < range.size(); ++k) {
        std::size_t i = m.instances[*order].first + k;
        if (ids[i] == "OBX") obx.push_back(i);
    }
    CHECK(obx == std::vector<std::size_t>{7, 9});
    CHECK(m.contains(*order, 7));
    CHECK_FALSE(m.contains(*order, 12));
    CHECK_FALSE(m.enclosing(0, "ORDER_OBSERVATION").has_value());
    CHECK_FALSE(m.enclosing(second_obr, "SPECIMEN").has_value());
    CHECK(m.enclosing(9, "OBSERVATION").has_value());
    CHECK(m.group_path(9) == "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/OBSERVATION[2]");
    // Out of range: no answer rather than undefined behaviour.
    CHECK_FALSE(m.enclosing(99, "ORDER_OBSERVATION").has_value());
    CHECK(m.segments_of(999).empty());
    CHECK(m.group_path(99).empty());
}

TEST_CASE("structure: from a parsed message") {
    std::string text = testutil::read_data("valid/oru_r01_v251.hl7");
    auto msg = hl7::Message::parse(text);
    REQUIRE(msg.ok());
    auto m = hl7::match_structure(*msg, standard("2.5.1", "ORU_R01"));
    CHECK(m.valid());
    REQUIRE(m.segments.size() == msg->size());
    for (const auto& s : m.segments) CHECK(s.placement == SegmentPlacement::placed);
}

TEST_CASE("structure: segments outside the reading") {
    const auto& adt = standard("2.5.1", "ADT_A01");
    SUBCASE("unexpected, malformed and Z-segments") {
        auto m = match(adt, "MSH EVN PID ORC Pv1 ZPI PV1 \x01\x02X");
        CHECK(m.segments[3].placement == SegmentPlacement::unexpected);
        CHECK(m.segments[4].placement == SegmentPlacement::malformed_id);
        CHECK(m.segments[5].placement == SegmentPlacement::anywhere);
        CHECK(m.segments[6].placement == SegmentPlacement::placed);
        CHECK(m.segments[7].placement == SegmentPlacement::malformed_id);
        // Only the unexpected segment is a problem; malformed IDs are the caller's to report.
        CHECK(problems(m) == Strings{"unexpected 3"});
    }
    SUBCASE("Z-segments not allowed, except those the caller allows") {
        hl7::StructureOptions options;
        options.z_segments_anywhere = false;
        CHECK(problems(match(adt, "MSH EVN PID ZPI PV1 ZZ1", options)) == Strings{"unexpected 3", "unexpected 5"});
        options.z_allowed = [](std::string_view id) { return id == "ZPI"; };
        auto m = match(adt, "MSH EVN PID ZPI PV1 ZZ1", options);
        CHECK(problems(m) == Strings{"unexpected 5"});
        CHECK(m.segments[3].placement == SegmentPlacement::anywhere);
    }
    SUBCASE("a Z-segment the structure has is matched like any other") {
        static constexpr StructureNode nodes[] = {{"MSH", 1, 1, {}, false}, {"ZAA", 1, 1, {}, false}};
        constexpr MessageDef def{"ZZZ_Z01", "", nodes};
        auto m = match(def, "MSH ZAA");
        CHECK(m.valid());
        CHECK(m.segments[1].placement == SegmentPlacement::placed);
        CHECK(problems(match(def, "MSH")) == Strings{"missing ZAA before 1"});
    }
}

TEST_CASE("structure: problems, and the smallest report") {
    const auto& adt = standard("2.5.1", "ADT_A01");
    const auto& oru = standard("2.5.1", "ORU_R01");
    SUBCASE("a segment out of order is reported once, not also as missing") {
        CHECK(problems(match(adt, "MSH EVN PV1 PID")) == Strings{"out_of_order 3"});
        CHECK(problems(match(adt, "MSH PID EVN PV1")) == Strings{"out_of_order 2"});
        CHECK(problems(match(adt, "MSH PV1 PID EVN")) == Strings{"out_of_order 2", "out_of_order 3"});
        auto m = match(adt, "MSH EVN PV1 PID");
        CHECK(m.segments[3].placement == SegmentPlacement::out_of_order);
        CHECK(m.segments[3].node == nullptr);
    }
    SUBCASE("a segment repeated more often than allowed") {
        auto m = match(adt, "MSH EVN PID PV1 PV1");
        CHECK(problems(m) == Strings{"repeated 4"});
        CHECK(m.segments[4].placement == SegmentPlacement::repeated);
        // Z-segments and unexpected segments between do not change that.
        CHECK(problems(match(adt, "MSH EVN PID ZPI PID PV1")) == Strings{"repeated 4"});
    }
    SUBCASE("missing segments and groups, with the instance they are missing in") {
        CHECK(problems(match(adt, "MSH EVN PID")) == Strings{"missing PV1 before 3"});
        CHECK(problems(match(adt, "MSH PID PV1")) == Strings{"missing EVN before 1"});
        CHECK(problems(match(oru, "MSH")) == Strings{"missing PATIENT_RESULT before 1"});
        CHECK(problems(match(oru, "MSH PID")) ==
              Strings{"missing ORDER_OBSERVATION in PATIENT_RESULT[1] before 2"});
        // An OBX before any OBR: one repair (the OBR of its order), not two.
        CHECK(problems(match(oru, "MSH PID OBX")) ==
              Strings{"missing OBR in PATIENT_RESULT[1]/ORDER_OBSERVATION[1] before 2"});
        // A second order without its OBR: the ORC and OBX still belong to it.
        auto m = match(oru, "MSH PID OBR OBX ORC OBX");
        CHECK(problems(m) == Strings{"missing OBR in PATIENT_RESULT[1]/ORDER_OBSERVATION[2] before 5"});
        CHECK(m.group_path(5) == "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/OBSERVATION[1]");
    }
    SUBCASE("counts above one, and choices") {
        // MSH, AAA 2..3, PAIR 2..* { BBB, CCC 0..1 }, <DDD | GRP { EEE, FFF } | GGG> 1..2, HHH 0..1
        CHECK(match(kCountsDef, "MSH AAA AAA BBB BBB CCC DDD").valid());
        CHECK(match(kCountsDef, "MSH AAA AAA AAA BBB CCC BBB BBB EEE FFF GGG HHH").valid());
        auto choices = match(kCountsDef, "MSH AAA AAA BBB BBB EEE FFF DDD");
        CHECK(choices.valid());
        CHECK(choices.group_path(5) == "DDD,GRP,GGG[1]/GRP[1]");
        CHECK(choices.group_path(7) == "DDD,GRP,GGG[2]");
        CHECK(problems(match(kCountsDef, "MSH AAA BBB BBB DDD")) == Strings{"too_few AAA 1 before 2"});
        CHECK(problems(match(kCountsDef, "MSH AAA AAA BBB DDD")) == Strings{"too_few PAIR 1 before 4"});
        CHECK(problems(match(kCountsDef, "MSH AAA AAA AAA AAA BBB BBB DDD")) == Strings{"repeated 4"});
        // One alternative per occurrence: DDD GGG is two occurrences (allowed), three are not.
        CHECK(match(kCountsDef, "MSH AAA AAA BBB BBB DDD GGG").valid());
        CHECK(problems(match(kCountsDef, "MSH AAA AAA BBB BBB DDD GGG DDD")) == Strings{"out_of_order 7"});
        // A group inside a choice is complete or a repair.
        CHECK(problems(match(kCountsDef, "MSH AAA AAA BBB BBB EEE")) ==
              Strings{"missing FFF in DDD,GRP,GGG[1]/GRP[1] before 6"});
        CHECK(problems(match(kCountsDef, "MSH AAA AAA BBB BBB")) == Strings{"missing DDD,GRP,GGG before 5"});
        // A set-aside segment counts towards a count that is short.
        CHECK(problems(match(kCountsDef, "MSH AAA BBB BBB DDD AAA")) == Strings{"out_of_order 5"});
    }
}

TEST_CASE("structure: near-linear on large messages (no timing: the search does not fall back)") {
    const auto& oru = standard("2.5.1", "ORU_R01");
    std::vector<std::string_view> ids{"MSH", "PID", "OBR"};
    for (int i = 0; i < 5000; ++i) ids.push_back("OBX");
    hl7::StructureMatcher matcher(oru);
    auto m = matcher.match(ids);
    CHECK(m.valid());
    CHECK_FALSE(m.approximate);
    CHECK(m.group_path(5002) == "PATIENT_RESULT[1]/ORDER_OBSERVATION[1]/OBSERVATION[5000]");
    // One error among them: still the exact search.
    ids[2500] = "PV1";
    auto one = matcher.match(ids);
    CHECK(problems(one) == Strings{"out_of_order 2500"});
    CHECK_FALSE(one.approximate);

    std::vector<std::string_view> oml{"MSH", "PID"};
    for (int i = 0; i < 200; ++i) {
        oml.push_back("ORC");
        oml.push_back("OBR");
    }
    hl7::StructureMatcher oml_matcher(standard("2.5.1", "OML_O21"));
    auto orders = oml_matcher.match(oml);
    CHECK(orders.valid());
    CHECK(orders.group_path(401) == "ORDER[200]/OBSERVATION_REQUEST[1]");

    // Disorder everywhere: the search falls back to its beam, and still reports.
    std::mt19937 rng(7);
    const std::string_view kinds[] = {"PID", "PD1", "NTE", "NK1", "PV1", "PV2", "ORC", "OBR", "TQ1",
                                      "OBX", "FT1", "CTI", "SPM", "DSC", "SFT", "CTD", "TQ2"};
    std::vector<std::string_view> noise{"MSH"};
    for (int i = 0; i < 3000; ++i) noise.push_back(kinds[rng() % std::size(kinds)]);
    auto m2 = matcher.match(noise);
    CHECK_FALSE(m2.valid());
    CHECK(m2.segments.size() == noise.size());
    // The matcher is reusable after all this, with the same answers.
    auto again = matcher.match(ids);
    CHECK(problems(again) == Strings{"out_of_order 2500"});
}

// --- properties over every structure --------------------------------------------------------------

namespace {

// A random valid segment sequence for `nodes` (occurrences between min and max, at most min + 2
// when unbounded; every group instance has a segment).
struct Generator {
    std::mt19937& rng;
    std::vector<std::string_view> out;

    int pick(int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); }

    void nodes(std::span<const StructureNode> list) {
        for (const auto& n : list) node(n);
    }
    void node(const StructureNode& n) {
        int hi = n.max == 0 ? n.min + 2 : n.max;
        int count = pick(n.min, std::min(hi, n.min + 2));
        for (int k = 0; k < count; ++k) instance(n);
    }
    void instance(const StructureNode& n) {
        if (!n.is_group()) {
            // The data have one placeholder that no message can carry ("GenericSegment", optional,
            // in 2.3 MFN_M01): not a segment ID, so never read.
            if (hl7::is_well_formed_segment_id(n.name)) out.push_back(n.name);
            return;
        }
        std::size_t before = out.size();
        if (n.choice) {
            instance(n.children[static_cast<std::size_t>(pick(0, static_cast<int>(n.children.size()) - 1))]);
        } else {
            nodes(n.children);
        }
        if (out.size() == before) {
            // An instance with no segment is no instance: give it one child.
            instance(n.children[static_cast<std::size_t>(pick(0, static_cast<int>(n.children.size()) - 1))]);
        }
    }
};

// Every placed segment's node is a child of its innermost instance's group (or of the message);
// every instance's group is a child of its parent's; ranges nest and cover their segments.
void check_consistent(const MessageDef& def, const StructureMatch& m, const std::string& what) {
    auto children_of = [&](std::uint32_t instance) {
        return instance == GroupInstance::none ? def.nodes : m.instances[instance].group->children;
    };
    auto has_child = [](std::span<const StructureNode> list, const StructureNode* node) {
        for (const auto& c : list)
            if (&c == node) return true;
        return false;
    };
    for (std::size_t i = 0; i < m.segments.size(); ++i) {
        const auto& s = m.segments[i];
        if (s.placement != SegmentPlacement::placed) continue;
        REQUIRE_MESSAGE(s.node != nullptr, what);
        CHECK_MESSAGE(has_child(children_of(s.instance), s.node), what << " segment " << i);
        for (std::uint32_t g = s.instance; g != GroupInstance::none; g = m.instances[g].parent)
            CHECK_MESSAGE((m.instances[g].first <= i && i <= m.instances[g].last), what << " segment " << i);
    }
    for (std::uint32_t g = 0; g < m.instances.size(); ++g) {
        const auto& inst = m.instances[g];
        CHECK_MESSAGE(has_child(children_of(inst.parent), inst.group), what << " instance " << g);
        if (inst.parent != GroupInstance::none) {
            const auto& p = m.instances[inst.parent];
            CHECK_MESSAGE((p.first <= inst.first && inst.last <= p.last), what << " instance " << g);
            CHECK_MESSAGE(inst.depth == p.depth + 1, what);
        }
    }
}

// An independent oracle: the positions a list of nodes can end at, by plain recursion over sets of
// positions (memoised per node instance and start). Exponential only in theory; fine for short
// messages. Z-segments are left out of `ids` by the caller.
struct Oracle {
    const std::vector<std::string_view>& ids;
    std::map<std::pair<const StructureNode*, std::size_t>, std::set<std::size_t>> memo;

    // Ends of one instance of `n` starting at `pos` (an instance has a segment).
    std::set<std::size_t> instance(const StructureNode& n, std::size_t pos) {
        auto key = std::make_pair(&n, pos);
        if (auto it = memo.find(key); it != memo.end()) return it->second;
        std::set<std::size_t> out;
        if (!n.is_group()) {
            if (pos < ids.size() && ids[pos] == n.name) out.insert(pos + 1);
        } else if (n.choice) {
            for (const auto& alt : n.children)
                for (std::size_t e : instance(alt, pos)) out.insert(e);
        } else {
            out = sequence(n.children, 0, pos);
            out.erase(pos);
        }
        memo[key] = out;
        return out;
    }
    // Ends of nodes[k..] from `pos`.
    std::set<std::size_t> sequence(std::span<const StructureNode> nodes, std::size_t k, std::size_t pos) {
        if (k == nodes.size()) return {pos};
        const StructureNode& n = nodes[k];
        std::set<std::size_t> after, frontier{pos};
        if (n.min == 0) after.insert(pos);
        for (unsigned r = 1; !frontier.empty() && (n.max == 0 || r <= n.max); ++r) {
            std::set<std::size_t> next;
            for (std::size_t q : frontier)
                for (std::size_t e : instance(n, q)) next.insert(e);
            if (r >= n.min) after.insert(next.begin(), next.end());
            frontier = std::move(next);
        }
        std::set<std::size_t> out;
        for (std::size_t q : after)
            for (std::size_t e : sequence(nodes, k + 1, q)) out.insert(e);
        return out;
    }
    bool valid(const MessageDef& def) { return sequence(def.nodes, 0, 0).count(ids.size()) > 0; }
};

bool oracle_valid(const MessageDef& def, const std::vector<std::string_view>& ids) {
    Oracle o{ids, {}};
    return o.valid(def);
}

}  // namespace

TEST_CASE("structure: every structure of every version accepts its own random messages") {
    std::mt19937 rng(20240311);
    int checked = 0;
    for (const auto& version : hl7::defs::versions()) {
        for (const auto& def : version.messages) {
            if (def.nodes.empty()) continue;
            hl7::StructureMatcher matcher(def);
            for (int round = 0; round < 2; ++round) {
                Generator g{rng, {}};
                g.nodes(def.nodes);
                // Z-segments anywhere change nothing.
                if (round == 1 && g.out.size() > 1) g.out.insert(g.out.begin() + 1 + rng() % (g.out.size() - 1), "ZXX");
                std::string what = std::string(version.name) + " " + std::string(def.structure);
                for (auto id : g.out) what += " " + std::string(id);
                auto m = matcher.match(g.out);
                CHECK_MESSAGE(m.valid(), what);
                CHECK_MESSAGE(!m.approximate, what);
                check_consistent(def, m, what);
                ++checked;
            }
        }
    }
    CHECK(checked > 1000);
}

TEST_CASE("structure: one edit to a valid message needs at most one or two repairs") {
    // A segment taken away can be declared missing (one repair); one added can be set aside (one);
    // two neighbours swapped need at most two. The smallest report never says more.
    std::mt19937 rng(99);
    int checked = 0;
    for (const char* name : {"2.3", "2.5.1", "2.7"}) {
        const auto* version = hl7::defs::find_version(name);
        REQUIRE(version != nullptr);
        for (const auto& def : version->messages) {
            if (def.nodes.empty()) continue;
            hl7::StructureMatcher matcher(def);
            Generator g{rng, {}};
            g.nodes(def.nodes);
            if (g.out.size() < 3) continue;
            std::vector<std::string_view> ids = g.out;
            std::string what = std::string(name) + " " + std::string(def.structure);
            for (auto id : ids) what += " " + std::string(id);

            auto removed = ids;
            std::size_t at = 1 + rng() % (ids.size() - 1);
            removed.erase(removed.begin() + static_cast<std::ptrdiff_t>(at));
            auto m1 = matcher.match(removed);
            CHECK_MESSAGE(m1.problems.size() <= 1, what << " without " << at);
            check_consistent(def, m1, what);

            auto added = ids;
            added.insert(added.begin() + static_cast<std::ptrdiff_t>(at), ids[rng() % ids.size()]);
            auto m2 = matcher.match(added);
            CHECK_MESSAGE(m2.problems.size() <= 1, what << " with one more at " << at);
            check_consistent(def, m2, what);

            auto swapped = ids;
            std::size_t s = 1 + rng() % (ids.size() - 2);
            std::swap(swapped[s], swapped[s + 1]);
            auto m3 = matcher.match(swapped);
            CHECK_MESSAGE(m3.problems.size() <= 2, what << " swapped at " << s);
            check_consistent(def, m3, what);
            CHECK(!m3.approximate);

            // Valid exactly when some reading fits: the oracle agrees on every variant.
            if (ids.size() <= 40) {
                CHECK_MESSAGE(m1.valid() == oracle_valid(def, removed), what << " without " << at);
                CHECK_MESSAGE(m2.valid() == oracle_valid(def, added), what << " with one more at " << at);
                CHECK_MESSAGE(m3.valid() == oracle_valid(def, swapped), what << " swapped at " << s);
            }
            ++checked;
        }
    }
    CHECK(checked > 300);
}

TEST_CASE("structure: is_well_formed_segment_id") {
    CHECK(hl7::is_well_formed_segment_id("PID"));
    CHECK(hl7::is_well_formed_segment_id("Z01"));
    CHECK(hl7::is_well_formed_segment_id("ZZ9"));
    CHECK_FALSE(hl7::is_well_formed_segment_id("Pv1"));
    CHECK_FALSE(hl7::is_well_formed_segment_id("1AB"));
    CHECK_FALSE(hl7::is_well_formed_segment_id("PIDX"));
    CHECK_FALSE(hl7::is_well_formed_segment_id("PI"));
    CHECK_FALSE(hl7::is_well_formed_segment_id(""));
    CHECK_FALSE(hl7::is_well_formed_segment_id("P\x01" "D"));
}

TEST_CASE("structure: valid exactly when some reading fits (random short messages against an oracle)") {
    std::mt19937 rng(4242);
    int valid = 0, checked = 0;
    for (const char* name : {"2.4", "2.5.1", "2.7"}) {
        const auto* version = hl7::defs::find_version(name);
        REQUIRE(version != nullptr);
        for (const auto& def : version->messages) {
            if (def.nodes.empty()) continue;
            // The alphabet of the structure, MSH first as in every message.
            std::vector<std::string_view> alphabet;
            Generator g{rng, {}};
            g.nodes(def.nodes);
            alphabet = g.out;
            if (alphabet.size() < 2) continue;
            hl7::StructureMatcher matcher(def);
            for (int round = 0; round < 4; ++round) {
                // A valid message with a few segments changed to others of the message.
                std::vector<std::string_view> ids = g.out;
                for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n && ids.size() > 1; ++k)
                    ids[1 + rng() % (ids.size() - 1)] = alphabet[rng() % alphabet.size()];
                if (ids.size() > 30) continue;
                auto m = matcher.match(ids);
                bool expected = oracle_valid(def, ids);
                std::string what = std::string(name) + " " + std::string(def.structure);
                for (auto id : ids) what += " " + std::string(id);
                CHECK_MESSAGE(m.valid() == expected, what);
                check_consistent(def, m, what);
                valid += expected;
                ++checked;
            }
        }
    }
    CHECK(checked > 500);
    CHECK(valid > 50);  // both answers are exercised
}
