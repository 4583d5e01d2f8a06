// Walking a message with its definitions: every valued leaf (subcomponent) with its path, its raw
// text and the definitions that apply to it -- the field's FieldDef, and the datatypes of the
// field, the component and the leaf -- so a caller can select "every XPN anywhere" (field_type or
// component_type "XPN") or "every DTM leaf" (leaf_type "DTM") in every segment, repetition and
// Z-segment, and rewrite what it selects (hl7anon, hl7map).
//
// What it promises:
// - Every valued leaf, in message order: a leaf is a subcomponent whose text is not empty (a value
//   without separators is component 1, subcomponent 1). The HL7 null `""` is valued and flagged.
//   Absent and empty parts yield nothing.
// - MSH-1 and MSH-2 (the delimiters; also FHS/BHS-1 and -2) are skipped: they are not values to
//   rewrite, and writing them as values would change how the rest of the message splits.
// - No allocation per leaf: the visitor gets a struct of views into the message and the
//   definitions, valid during the call; a caller that keeps a value copies it. The walk itself
//   allocates only a small table of segment occurrences.
// - Unknown segments and fields still yield their leaves, with no definition (null / empty types).
//   A segment whose ID is not well formed yields its leaves too, with no definition.
// - Definitions: a caller-supplied lookup first (Z-segments, segments a profile defines), then the
//   version's SegmentDef. Datatypes come from the version. OBX-5 takes its datatype from OBX-2.
//   Other fields the standard types "varies" keep that type, with no component or leaf types.
//
// Types, level by level:
//   field_type      the field's datatype ("XPN", "TS", "ST"); for OBX-5 the type OBX-2 names (when
//                   the version defines it; else empty).
//   component_type  for a composite field, the datatype of the component ("FN" for PID-5.1 in 2.5;
//                   empty for components past those the datatype defines); for a primitive field,
//                   the field's type for component 1 (its value) and empty for the others.
//   leaf_type       the same one level down: the datatype of the subcomponent within the
//                   component's datatype, or the component's own type for subcomponent 1 of a
//                   primitive component ("ST" for PID-5.1.1 in 2.5).
//   The first component of a time stamp (TS) is DTM from v2.5; before, where the definitions call
//   it ST, it is reported as TS, the type whose format rules apply (check_primitive and
//   parse_date_time in hl7/datatypes.hpp take "TS" with the version).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>

#include "hl7/definitions.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

struct Leaf {
    // Where: SEG[occurrence]-field[repetition].component.subcomponent, all 1-based.
    std::string_view segment_id;  // a view into the message
    std::size_t segment_index = 0;  // 0-based position of the segment in the message
    int occurrence = 1;             // of this segment ID in the message
    int field = 0;                  // HL7 numbering: MSH-3 is field 3
    int repetition = 1;
    int component = 1;
    int subcomponent = 1;

    // What: ER7 text, escapes not decoded (hl7/escape.hpp decodes).
    std::string_view raw;           // the leaf; never empty
    std::string_view field_raw;     // the whole field, all repetitions
    std::string_view repetition_raw;  // the repetition the leaf is in
    std::string_view component_raw;   // the component the leaf is in
    bool null = false;              // the leaf is the HL7 null `""`

    // Definitions (null / empty when not known).
    const defs::SegmentDef* segment_def = nullptr;
    const defs::FieldDef* field_def = nullptr;         // the field in its segment
    const defs::FieldDef* component_def = nullptr;     // the component in the field's composite datatype
    const defs::FieldDef* subcomponent_def = nullptr;  // the subcomponent in the component's composite datatype
    std::string_view field_type;
    std::string_view component_type;
    std::string_view leaf_type;

    // The leaf's path, "PID[2]-5[2].1.1" (occurrence and repetition always written). Allocates.
    // The segment name is the ID as written: for a segment whose ID is not well formed
    // (is_well_formed_segment_id, hl7/structure.hpp) it is message text, not a path to show.
    Path path() const;
};

// A reference to the caller's visitor: no copy, no allocation. Valid for one walk.
class LeafVisitor {
public:
    template <class F>
        requires(std::is_invocable_v<F&, const Leaf&> && !std::is_same_v<std::remove_cvref_t<F>, LeafVisitor>)
    LeafVisitor(F&& visitor)  // NOLINT: implicit by design
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(visitor)))),
          call_([](void* object, const Leaf& leaf) { (*static_cast<std::remove_reference_t<F>*>(object))(leaf); }) {}

    void operator()(const Leaf& leaf) const { call_(object_, leaf); }

private:
    void* object_;
    void (*call_)(void*, const Leaf&);
};

struct WalkOptions {
    // The definitions. Null: the set MSH-12 names (defs::match_version); none when it names none,
    // and then every leaf comes without definitions (unless the lookup below knows its segment).
    const defs::Version* version = nullptr;
    // Asked first for each segment ID: segments the caller defines (Z-segments, a profile's).
    std::function<const defs::SegmentDef*(std::string_view id)> segment_lookup;
};

// Calls `visit` for every valued leaf of `message`, in message order.
void walk_leaves(const Message& message, const WalkOptions& options, LeafVisitor visit);
inline void walk_leaves(const Message& message, LeafVisitor visit) { walk_leaves(message, WalkOptions{}, visit); }

}  // namespace hl7
