// Tests of the walk over valued leaves: paths, raw text, definitions and datatypes at every level,
// OBX-5 by OBX-2, Z-segments through a lookup, unknown segments and fields, what is skipped.
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "helpers.hpp"
#include "hl7/definitions.hpp"
#include "hl7/message.hpp"
#include "hl7/walk.hpp"

using hl7::Leaf;

namespace {

std::string er7(std::initializer_list<std::string_view> segments) {
    std::string s;
    for (auto seg : segments) {
        s += seg;
        s += '\r';
    }
    return s;
}

// One leaf as a line: "PID[1]-5[2].1.1 DOE XPN/FN/ST", with "null" for the HL7 null and "-" for an
// unknown type.
std::string line(const Leaf& l) {
    auto or_dash = [](std::string_view s) { return s.empty() ? std::string("-") : std::string(s); };
    return l.path().to_string() + " " + std::string(l.raw) + (l.null ? " null" : "") + " " + or_dash(l.field_type) +
           "/" + or_dash(l.component_type) + "/" + or_dash(l.leaf_type);
}

std::vector<std::string> walk(const std::string& text, const hl7::WalkOptions& options = {},
                              std::string_view only_segment = {}) {
    auto m = hl7::Message::parse(text);
    REQUIRE_MESSAGE(m.ok(), text);
    std::vector<std::string> out;
    hl7::walk_leaves(*m, options, [&](const Leaf& l) {
        if (only_segment.empty() || l.segment_id == only_segment) out.push_back(line(l));
    });
    return out;
}

using Strings = std::vector<std::string>;

constexpr std::string_view kMsh = "MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01^ADT_A01|C1|P|2.5.1";
constexpr std::string_view kMsh23 = "MSH|^~\\&|SND|FAC|RCV|RF|200401011200||ADT^A01|C1|P|2.3";

}  // namespace

TEST_CASE("walk: XPN in PID-5 repetitions and NK1-2; every XPN anywhere") {
    std::string msg = er7({kMsh, "PID|1||123||DOE^JANE^Q~SMITH&VAN^JANE^^^^^M", "NK1|1|DOE^JOHN|SPO"});
    CHECK(walk(msg, {}, "PID") == Strings{
                                     "PID[1]-1[1].1.1 1 SI/SI/SI",
                                     "PID[1]-3[1].1.1 123 CX/ST/ST",
                                     "PID[1]-5[1].1.1 DOE XPN/FN/ST",
                                     "PID[1]-5[1].2.1 JANE XPN/ST/ST",
                                     "PID[1]-5[1].3.1 Q XPN/ST/ST",
                                     "PID[1]-5[2].1.1 SMITH XPN/FN/ST",
                                     "PID[1]-5[2].1.2 VAN XPN/FN/ST",
                                     "PID[1]-5[2].2.1 JANE XPN/ST/ST",
                                     "PID[1]-5[2].7.1 M XPN/ID/ID",
                                 });
    // Selecting by the field's type finds the names wherever they are.
    auto m = hl7::Message::parse(msg);
    REQUIRE(m.ok());
    std::vector<std::string> names;
    hl7::walk_leaves(*m, [&](const Leaf& l) {
        if (l.field_type == "XPN" && l.component == 1 && l.subcomponent == 1)
            names.push_back(std::string(l.segment_id) + "-" + std::to_string(l.field) + " " + std::string(l.raw));
    });
    CHECK(names == Strings{"PID-5 DOE", "PID-5 SMITH", "NK1-2 DOE"});
}

TEST_CASE("walk: the definitions behind each level") {
    auto m = hl7::Message::parse_copy(er7({kMsh, "PID|1||123^^^HOSP&1.2.3&ISO^MR||DOE^JANE"}));
    REQUIRE(m.ok());
    std::vector<Leaf> leaves;
    hl7::walk_leaves(*m, [&](const Leaf& l) {
        if (l.segment_id == "PID" && l.field == 3) leaves.push_back(l);
    });
    REQUIRE(leaves.size() == 5);
    // CX.4 is HD, whose subcomponents are IS, ST and ID.
    const Leaf& hd = leaves[2];
    CHECK(hd.raw == "1.2.3");
    CHECK(hd.component == 4);
    CHECK(hd.subcomponent == 2);
    CHECK(hd.field_type == "CX");
    CHECK(hd.component_type == "HD");
    CHECK(hd.leaf_type == "ST");
    REQUIRE(hd.field_def != nullptr);
    CHECK(hd.field_def->description == "Patient Identifier List");
    REQUIRE(hd.segment_def != nullptr);
    CHECK(hd.segment_def->id == "PID");
    REQUIRE(hd.component_def != nullptr);
    CHECK(hd.component_def->datatype == "HD");
    REQUIRE(hd.subcomponent_def != nullptr);
    CHECK(hd.subcomponent_def->datatype == "ST");
    // The enclosing texts, all views into the message.
    CHECK(hd.field_raw == "123^^^HOSP&1.2.3&ISO^MR");
    CHECK(hd.repetition_raw == "123^^^HOSP&1.2.3&ISO^MR");
    CHECK(hd.component_raw == "HOSP&1.2.3&ISO");
    CHECK(hd.segment_index == 1);
    CHECK(hd.occurrence == 1);
    CHECK(leaves[1].leaf_type == "IS");
    CHECK(leaves[3].leaf_type == "ID");
    CHECK(leaves[4].component_type == "ID");
    CHECK(leaves[4].leaf_type == "ID");
    // A primitive component has no subcomponent definition: its type is the component's.
    CHECK(leaves[0].subcomponent_def == nullptr);
    CHECK(leaves[0].leaf_type == "ST");
}

TEST_CASE("walk: XAD in PID-11") {
    std::string msg = er7({kMsh, "PID|1||123||DOE^JANE||||||1 MAIN ST&MAIN ST&1^APT 2^SPRINGFIELD^IL^62701^USA^H"});
    CHECK(walk(msg, {}, "PID") == Strings{
                                     "PID[1]-1[1].1.1 1 SI/SI/SI",
                                     "PID[1]-3[1].1.1 123 CX/ST/ST",
                                     "PID[1]-5[1].1.1 DOE XPN/FN/ST",
                                     "PID[1]-5[1].2.1 JANE XPN/ST/ST",
                                     "PID[1]-11[1].1.1 1 MAIN ST XAD/SAD/ST",
                                     "PID[1]-11[1].1.2 MAIN ST XAD/SAD/ST",
                                     "PID[1]-11[1].1.3 1 XAD/SAD/ST",
                                     "PID[1]-11[1].2.1 APT 2 XAD/ST/ST",
                                     "PID[1]-11[1].3.1 SPRINGFIELD XAD/ST/ST",
                                     "PID[1]-11[1].4.1 IL XAD/ST/ST",
                                     "PID[1]-11[1].5.1 62701 XAD/ST/ST",
                                     "PID[1]-11[1].6.1 USA XAD/ID/ID",
                                     "PID[1]-11[1].7.1 H XAD/ID/ID",
                                 });
}

TEST_CASE("walk: time stamps (PID-7, EVN-2, OBX-14) and OBX-5 of type DT") {
    std::string msg = er7({kMsh, "EVN|A01|20240101120000^S", "PID|1||123||DOE^JANE||19800101",
                           "OBR|1||F1|GLU^Glucose^LN",
                           "OBX|1|DT|BIRTH^Birth date^L||19800101||||||F|||20240101120000+0100",
                           "OBX|2|NM|GLU^Glucose^LN||5.4|mmol/L|||||F"});
    auto m = hl7::Message::parse(msg);
    REQUIRE(m.ok());
    std::vector<std::string> dates;
    hl7::walk_leaves(*m, [&](const Leaf& l) {
        if (l.leaf_type == "DTM" || l.leaf_type == "DT" || l.leaf_type == "TS" || l.leaf_type == "TM")
            dates.push_back(line(l));
    });
    CHECK(dates == Strings{
                       "MSH[1]-7[1].1.1 20240101120000 TS/DTM/DTM",
                       "EVN[1]-2[1].1.1 20240101120000 TS/DTM/DTM",
                       "PID[1]-7[1].1.1 19800101 TS/DTM/DTM",
                       "OBX[1]-5[1].1.1 19800101 DT/DT/DT",
                       "OBX[1]-14[1].1.1 20240101120000+0100 TS/DTM/DTM",
                   });
    // The degree of precision of EVN-2 (TS.2) is an ID, not a date.
    CHECK(walk(msg, {}, "EVN") == Strings{"EVN[1]-1[1].1.1 A01 ID/ID/ID", "EVN[1]-2[1].1.1 20240101120000 TS/DTM/DTM",
                                          "EVN[1]-2[1].2.1 S TS/ID/ID"});
    // The other OBX-5 is NM, as its OBX-2 says.
    auto obx = walk(msg, {}, "OBX");
    CHECK(std::find(obx.begin(), obx.end(), "OBX[2]-5[1].1.1 5.4 NM/NM/NM") != obx.end());
}

TEST_CASE("walk: a time stamp before v2.5 is TS down to its leaf") {
    std::string msg = er7({kMsh23, "EVN|A01|200401011200", "PID|1||123||DOE^JANE||19800101"});
    auto pid = walk(msg, {}, "PID");
    CHECK(pid.back() == "PID[1]-7[1].1.1 19800101 TS/TS/TS");
    // XPN.1 is plain ST in 2.3.
    CHECK(pid[2] == "PID[1]-5[1].1.1 DOE XPN/ST/ST");
}

TEST_CASE("walk: OBX-5 takes its datatype from OBX-2") {
    std::string msg = er7({kMsh, "OBX|1|CE|X^Y^L||A^Alpha^L", "OBX|2||||v", "OBX|3|QQ|||w", "OBX|4|ST~NM|||text"});
    auto obx = walk(msg, {}, "OBX");
    CHECK(obx == Strings{
                     "OBX[1]-1[1].1.1 1 SI/SI/SI",
                     "OBX[1]-2[1].1.1 CE ID/ID/ID",
                     "OBX[1]-3[1].1.1 X CE/ST/ST",
                     "OBX[1]-3[1].2.1 Y CE/ST/ST",
                     "OBX[1]-3[1].3.1 L CE/ID/ID",
                     "OBX[1]-5[1].1.1 A CE/ST/ST",
                     "OBX[1]-5[1].2.1 Alpha CE/ST/ST",
                     "OBX[1]-5[1].3.1 L CE/ID/ID",
                     "OBX[2]-1[1].1.1 2 SI/SI/SI",
                     "OBX[2]-5[1].1.1 v -/-/-",  // no OBX-2: no type
                     "OBX[3]-1[1].1.1 3 SI/SI/SI",
                     "OBX[3]-2[1].1.1 QQ ID/ID/ID",
                     "OBX[3]-5[1].1.1 w -/-/-",  // a type the version does not define
                     "OBX[4]-1[1].1.1 4 SI/SI/SI",
                     "OBX[4]-2[1].1.1 ST ID/ID/ID",
                     "OBX[4]-2[2].1.1 NM ID/ID/ID",
                     "OBX[4]-5[1].1.1 text ST/ST/ST",  // the first repetition of OBX-2 names it
                 });
    // The field definition stays OBX-5's, "varies".
    auto m = hl7::Message::parse(msg);
    REQUIRE(m.ok());
    hl7::walk_leaves(*m, [&](const Leaf& l) {
        if (l.segment_id == "OBX" && l.field == 5) {
            REQUIRE(l.field_def != nullptr);
            CHECK(l.field_def->datatype == "varies");
        }
    });
}

TEST_CASE("walk: Z-segments and profile segments through a lookup") {
    static constexpr hl7::defs::FieldDef kZpiFields[] = {
        {"SI", "Set ID", hl7::defs::Usage::optional, 1, 4, 0},
        {"XPN", "Alias", hl7::defs::Usage::optional, 0, 250, 0},
        {"DTM", "Seen", hl7::defs::Usage::optional, 1, 24, 0},
    };
    static constexpr hl7::defs::SegmentDef kZpi{"ZPI", "Patient extras", kZpiFields};
    std::string msg = er7({kMsh, "ZPI|1|ROE^ANN~POE^AL|20240101|extra", "ZZZ|x"});
    hl7::WalkOptions options;
    options.segment_lookup = [](std::string_view id) -> const hl7::defs::SegmentDef* {
        return id == "ZPI" ? &kZpi : nullptr;
    };
    CHECK(walk(msg, options, "ZPI") == Strings{
                                           "ZPI[1]-1[1].1.1 1 SI/SI/SI",
                                           "ZPI[1]-2[1].1.1 ROE XPN/FN/ST",
                                           "ZPI[1]-2[1].2.1 ANN XPN/ST/ST",
                                           "ZPI[1]-2[2].1.1 POE XPN/FN/ST",
                                           "ZPI[1]-2[2].2.1 AL XPN/ST/ST",
                                           "ZPI[1]-3[1].1.1 20240101 DTM/DTM/DTM",
                                           "ZPI[1]-4[1].1.1 extra -/-/-",  // past the fields it defines
                                       });
    // Without the lookup, and for a Z-segment nobody defines: leaves without definitions.
    CHECK(walk(msg, {}, "ZPI")[1] == "ZPI[1]-2[1].1.1 ROE -/-/-");
    CHECK(walk(msg, options, "ZZZ") == Strings{"ZZZ[1]-1[1].1.1 x -/-/-"});
    // The lookup is asked first: it may replace a standard segment.
    static constexpr hl7::defs::FieldDef kPidFields[] = {
        {"NM", "Set ID as a number", hl7::defs::Usage::optional, 1, 4, 0}};
    static constexpr hl7::defs::SegmentDef kPid{"PID", "Profile PID", kPidFields};
    hl7::WalkOptions profile;
    profile.segment_lookup = [](std::string_view id) -> const hl7::defs::SegmentDef* {
        return id == "PID" ? &kPid : nullptr;
    };
    CHECK(walk(er7({kMsh, "PID|1||123"}), profile, "PID") == Strings{"PID[1]-1[1].1.1 1 NM/NM/NM",
                                                                   "PID[1]-3[1].1.1 123 -/-/-"});
}

TEST_CASE("walk: unknown segments and fields still yield their leaves") {
    std::string pid = "PID|1";
    for (int i = 2; i <= 40; ++i) pid += "|";
    pid += "forty";
    auto leaves = walk(er7({kMsh, pid, "QQQ|a^b", "Pv1|x"}));
    CHECK(leaves[leaves.size() - 4] == "PID[1]-40[1].1.1 forty -/-/-");
    CHECK(leaves[leaves.size() - 3] == "QQQ[1]-1[1].1.1 a -/-/-");
    CHECK(leaves[leaves.size() - 2] == "QQQ[1]-1[1].2.1 b -/-/-");
    CHECK(leaves.back() == "Pv1[1]-1[1].1.1 x -/-/-");  // a malformed ID: leaves, no definitions
    // A version nobody defines: every leaf without definitions, none lost.
    auto unknown = walk(er7({"MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01|C1|P|9.9", "PID|1||123"}));
    CHECK(unknown.back() == "PID[1]-3[1].1.1 123 -/-/-");
    // A version given by the caller wins over MSH-12.
    hl7::WalkOptions options;
    options.version = hl7::defs::find_version("2.5.1");
    auto given = walk(er7({"MSH|^~\\&|SND|FAC|RCV|RF|20240101120000||ADT^A01|C1|P|9.9", "PID|1||123"}), options);
    CHECK(given.back() == "PID[1]-3[1].1.1 123 CX/ST/ST");
}

TEST_CASE("walk: what is a leaf and what is not") {
    SUBCASE("MSH-1 and MSH-2 are skipped; MSH-3 is the first leaf") {
        auto msh = walk(er7({kMsh}));
        REQUIRE(!msh.empty());
        CHECK(msh.front() == "MSH[1]-3[1].1.1 SND HD/IS/IS");
        for (const auto& l : msh) CHECK(l.find("^~") == std::string::npos);
    }
    SUBCASE("empty parts yield nothing; the HL7 null is valued and flagged") {
        auto pid = walk(er7({kMsh, "PID|||~~123^^^^MR|\"\"|^\"\"^&X"}), {}, "PID");
        CHECK(pid == Strings{
                         "PID[1]-3[3].1.1 123 CX/ST/ST",
                         "PID[1]-3[3].5.1 MR CX/ID/ID",
                         "PID[1]-4[1].1.1 \"\" null CX/ST/ST",
                         "PID[1]-5[1].2.1 \"\" null XPN/ST/ST",
                         "PID[1]-5[1].3.2 X XPN/ST/-",  // a subcomponent a primitive component does not have
                     });
    }
    SUBCASE("other delimiters") {
        auto m = hl7::Message::parse_copy(
            std::string("MSH#!@*$#SND#FAC#RCV#RF#20240101120000##ADT!A01#C1#P#2.5.1\rPID#1##1!!!A$B\r"));
        REQUIRE(m.ok());
        std::vector<std::string> got;
        hl7::walk_leaves(*m, [&](const Leaf& l) {
            if (l.segment_id == "PID") got.push_back(line(l));
        });
        CHECK(got == Strings{"PID[1]-1[1].1.1 1 SI/SI/SI", "PID[1]-3[1].1.1 1 CX/ST/ST",
                             "PID[1]-3[1].4.1 A CX/HD/IS", "PID[1]-3[1].4.2 B CX/HD/ST"});
    }
    SUBCASE("segment occurrences count per ID") {
        auto obx = walk(er7({kMsh, "OBX|1", "NTE|1", "OBX|2", "NTE|2"}));
        CHECK(obx == Strings{"MSH[1]-3[1].1.1 SND HD/IS/IS", "MSH[1]-4[1].1.1 FAC HD/IS/IS",
                             "MSH[1]-5[1].1.1 RCV HD/IS/IS", "MSH[1]-6[1].1.1 RF HD/IS/IS",
                             "MSH[1]-7[1].1.1 20240101120000 TS/DTM/DTM", "MSH[1]-9[1].1.1 ADT MSG/ID/ID",
                             "MSH[1]-9[1].2.1 A01 MSG/ID/ID", "MSH[1]-9[1].3.1 ADT_A01 MSG/ID/ID",
                             "MSH[1]-10[1].1.1 C1 ST/ST/ST", "MSH[1]-11[1].1.1 P PT/ID/ID",
                             "MSH[1]-12[1].1.1 2.5.1 VID/ID/ID", "OBX[1]-1[1].1.1 1 SI/SI/SI",
                             "NTE[1]-1[1].1.1 1 SI/SI/SI", "OBX[2]-1[1].1.1 2 SI/SI/SI", "NTE[2]-1[1].1.1 2 SI/SI/SI"});
    }
}

TEST_CASE("walk: views into the message, and every sample walks") {
    for (const std::string& file : testutil::hl7_data_files()) {
        std::string data = testutil::read_file(file);
        hl7::StringSource source(data);
        hl7::MessageReader reader(source);
        hl7::StreamItem item;
        while (reader.next(item)) {
            if (!item.has_message()) continue;
            auto m = hl7::Message::parse(item.text);
            if (!m.ok()) continue;
            std::string_view text = m->original_text();
            std::size_t leaves = 0;
            hl7::walk_leaves(*m, [&](const Leaf& l) {
                ++leaves;
                CHECK(!l.raw.empty());
                // Zero copy: the leaf, and what encloses it, are views into the message's text.
                CHECK(l.raw.data() >= text.data());
                CHECK(l.raw.data() + l.raw.size() <= text.data() + text.size());
                CHECK(l.component_raw.find(l.raw) != std::string_view::npos);
                CHECK(l.repetition_raw.find(l.component_raw) != std::string_view::npos);
                CHECK(l.field_raw.find(l.repetition_raw) != std::string_view::npos);
                CHECK(l.segment_index < m->size());
                CHECK(l.null == (l.raw == "\"\""));
                // The path finds the leaf again (when the segment ID is one a path can name).
                if (l.segment_id.size() == 3 && l.field > 2) {
                    std::vector<hl7::PathMatch> found;
                    hl7::find_values(*m, l.path(), found);
                    REQUIRE_MESSAGE(found.size() == 1, file << " " << l.path().to_string());
                    CHECK_MESSAGE(found[0].raw == l.raw, file << " " << l.path().to_string());
                }
            });
            CHECK(leaves > 0);
        }
    }
}
