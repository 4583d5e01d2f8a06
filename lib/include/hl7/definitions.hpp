// HL7 v2 definitions embedded in the library: segments, fields, datatypes, message structures, the
// event -> structure map and tables for versions 2.1 to 2.7.1 (generated from the hl7-dictionary
// package and repaired, with every repair's source, by scripts/gen-definitions; cross-checked against
// second sources by scripts/check-definitions; see NOTICE), and how an MSH-12 value maps to one of
// those sets. Lookups never allocate; everything returned lives as long as the program.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hl7::defs {

// Optionality as the standard gives it. (hl7-dictionary encodes 1 optional, 2 required,
// 3 conditional, 4 withdrawn/backward compatible.)
enum class Usage : std::uint8_t { optional = 1, required = 2, conditional = 3, withdrawn = 4 };

// A field of a segment, or a component of a composite datatype.
struct FieldDef {
    std::string_view datatype;     // "XPN", "ST", "varies" for OBX-5
    std::string_view description;  // "Patient Name"
    Usage usage = Usage::optional;
    std::uint16_t max_repetitions = 1;  // 0 = unbounded; 1 = does not repeat
    std::uint32_t max_length = 0;       // 0 = not given
    std::uint16_t table = 0;            // 0 = none
};

struct SegmentDef {
    std::string_view id;
    std::string_view description;
    std::span<const FieldDef> fields;  // fields[0] is field 1
};

// A datatype; one without components is primitive (ST, NM, DT, ...).
struct DatatypeDef {
    std::string_view name;
    std::string_view description;
    std::span<const FieldDef> components;
    bool primitive() const { return components.empty(); }
};

// A node of a message structure: a segment, or a group of nodes.
struct StructureNode {
    std::string_view name;  // segment ID, or group name ("PATIENT_RESULT")
    std::uint16_t min = 0;
    std::uint16_t max = 1;  // 0 = unbounded
    std::span<const StructureNode> children;  // non-empty for groups
    // A choice (v2.7 "<OBR | RXO | ...>"): one of the children per occurrence. Its children are
    // listed optional (min 0, max 1), so a reader that ignores `choice` sees a group of optional
    // segments; the group's name is the alternatives' names joined with ','.
    bool choice = false;
    bool is_group() const { return !children.empty(); }
};

struct MessageDef {
    std::string_view structure;  // "ORU_R01"
    std::string_view description;
    std::span<const StructureNode> nodes;
};

struct TableValue {
    std::string_view code;
    std::string_view description;
};

enum class TableKind : std::uint8_t { hl7, user };

struct TableDef {
    std::uint16_t number = 0;
    std::string_view description;
    TableKind kind = TableKind::user;  // values outside an HL7 table are errors, outside a user table warnings
    std::span<const TableValue> values;
    const TableValue* find(std::string_view code) const;
};

// One entry of a version's event -> structure map (HL7 table 0354 and chapter 2's message tables):
// message type and trigger event -> the message structure they use. An empty event stands for any
// event ("ACK": the general acknowledgment, whatever the event).
struct EventStructure {
    std::string_view type;       // "ADT"
    std::string_view event;      // "A04"
    std::string_view structure;  // "ADT_A01"
};

// One definition set. The lists are sorted by name (events by type, then event), for binary search.
struct Version {
    std::string_view name;  // "2.5.1"
    std::span<const SegmentDef> segments;
    std::span<const DatatypeDef> datatypes;
    std::span<const MessageDef> messages;
    std::span<const EventStructure> events;
    std::span<const TableDef> tables;  // the tables whose values are this version's own (0354), by number

    const SegmentDef* segment(std::string_view id) const;
    const DatatypeDef* datatype(std::string_view name) const;
    // By structure ("ADT_A01"), or by a "TYPE_EVENT" key ("ADT_A04") the set also holds: the event's
    // own definition where the source gives one. For a message, prefer message_for().
    const MessageDef* message(std::string_view structure) const;
    // The structure that message type `type` with trigger event `event` uses in this version
    // ("ADT", "A04" -> "ADT_A01"); empty when the version defines none. Before 2.3.1, which has no
    // MSH-9.3, a type and event are their own structure ("ADT_A04") where the version defines one.
    std::string_view structure_for(std::string_view type, std::string_view event) const;
    // The definition of that structure, or nullptr.
    const MessageDef* message_for(std::string_view type, std::string_view event) const;
    // Whether `structure` is one that `type` and `event` may use in this version: an event may have more
    // than one where the standard disagrees with itself (RDE^O25: RDE_O25 in chapter 4A, RDE_O11 in
    // table 0354); structure_for() gives the first.
    bool allows(std::string_view type, std::string_view event, std::string_view structure) const;
    // Table `number` as this version has it: its own when it has one (0354: the structures this
    // version defines), else the shared table (defs::table). nullptr when neither exists.
    const TableDef* table(std::uint16_t number) const;
};

// Whether two structures have the same nodes (names of groups aside): a message valid for one is
// valid for the other. Versions before 2.5 name the same structure differently in places.
bool same_structure(const MessageDef& a, const MessageDef& b);

// The definition sets there are, oldest first.
std::span<const Version> versions();
const Version* find_version(std::string_view name);  // exact name: "2.5.1"

// Which definition set validates a message whose MSH-12 (its first component, or the whole
// field) is `msh12`. Accepts "2.5.1", "2.3.0" (-> 2.3), "v2.4", "2.5^FRA^2.11"; a version newer than
// the newest set (2.8, 2.8.1, 2.8.2, 2.9) uses the newest set with a note; an unknown or malformed
// one gives no set.
struct VersionMatch {
    const Version* version = nullptr;
    std::string normalised;  // what MSH-12 was read as
    bool exact = true;       // false when normalised or mapped to another set
    std::string note;        // why, for a warning ("MSH-12 '2.8' validated against 2.7.1")
};
VersionMatch match_version(std::string_view msh12);

// HL7 tables shared by every version (values from hl7-dictionary with hand-kept repairs; kinds from
// the standard). A version's own tables come first: Version::table().
const TableDef* table(std::uint16_t number);

// structure_for() of the definition set named `version` exactly ("2.5.1"); empty when there is none.
std::string_view structure_for(std::string_view version, std::string_view type, std::string_view event);

}  // namespace hl7::defs
