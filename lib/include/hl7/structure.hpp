// Matching a message's segment sequence against its message structure (defs::MessageDef: groups,
// min/max, choices): where every segment sits (its chain of group instances, such as
// PATIENT_RESULT[1]/ORDER_OBSERVATION[2]/OBSERVATION[3]) and, when no reading fits, what is wrong.
//
// What it promises:
// - Exact: a message has no problems exactly when SOME assignment of its segments to the groups of
//   the structure satisfies every min, max and choice. The matcher is a search over all readings
//   (a shortest-path search over matcher states, with the moves from each state memoised), not a
//   greedy scan: after `ORC OBR`, a second `ORC` may start a new ORDER or an optional ORC deeper
//   down, and the reading that fits the rest of the message wins.
// - Smallest report: an invalid message is read in the way that needs the fewest repairs, where a
//   repair is setting one segment aside (out of order, or repeated more often than allowed) or
//   declaring one required segment or group missing (too few occurrences of a node count once). Ties
//   go to the reading that sets segments aside later (the one that gets furthest in order). A
//   segment set aside whose ID fills a required slot found missing is reported once, as out of
//   order, not also as missing.
// - Near-linear: the moves out of each (matcher state, segment ID) pair are computed once and
//   reused, so a valid message costs a few hash look-ups per segment. Should a badly disordered
//   message make the exact search explore too many states (over about 64 per segment), the rest
//   is read with a beam of the best states per segment: still a complete report, but then maybe not
//   the smallest (StructureMatch::approximate says so).
// - No global state, no printing; problems are values the caller turns into findings.
//
// Segments outside the reading: a Z-segment allowed anywhere, a segment the structure does not
// have (unexpected), a segment whose ID is not well formed ([A-Z][A-Z0-9]{2}) are left out before
// matching; the ones the search sets aside are out of order (or repeated). Every such segment
// still gets the group instance that surrounds it (see SegmentPlace::instance).
//
// Why a search and not a greedy scan with look-ahead: structures have optional groups that begin
// with the same segments as what follows them (ORC starts both ORDER and ORDER_PRIOR), so whether a
// segment opens one group or another can depend on segments far ahead. A search over matcher
// states decides exactly, and the same search, with repairs costed, gives the smallest report.
//
// Example, the OBX segments under the second OBR of an ORU_R01:
//   StructureMatch m = match_structure(message, *version->message("ORU_R01"));
//   std::optional<std::uint32_t> order = m.enclosing(second_obr_index, "ORDER_OBSERVATION");
//   for (std::uint32_t i = m.instances[*order].first; i <= m.instances[*order].last; ++i)
//       if (message.segment_id(i) == "OBX") ...   // m.group_path(i): ".../ORDER_OBSERVATION[2]/OBSERVATION[n]"
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/definitions.hpp"
#include "hl7/message.hpp"

namespace hl7 {

enum class SegmentPlacement : std::uint8_t {
    placed,        // matched to a segment of the structure
    anywhere,      // a Z-segment allowed anywhere: not matched
    unexpected,    // the structure has no segment with this ID (or a Z-segment not allowed)
    out_of_order,  // the structure has it, but no reading places it here
    repeated,      // right after a segment with the same ID that may not repeat here
    malformed_id,  // the ID is not well formed (a text line, control bytes): never matched
};

// One instance of a group in a message: "the second ORDER_OBSERVATION of the first PATIENT_RESULT".
struct GroupInstance {
    static constexpr std::uint32_t none = 0xFFFFFFFFu;

    const defs::StructureNode* group = nullptr;  // its node in the structure (name, min, max)
    std::uint32_t parent = none;  // the instance it is in; `none` at message level
    std::uint32_t occurrence = 1;  // 1-based, among the instances of this group in its parent
    std::uint32_t depth = 1;       // 1 for a group at message level
    // Message segment indexes (0-based) of its first and last segment: an instance is contiguous,
    // and every segment between them lies inside it (set-aside and Z-segments included).
    std::uint32_t first = 0;
    std::uint32_t last = 0;
};

struct SegmentPlace {
    SegmentPlacement placement = SegmentPlacement::unexpected;
    const defs::StructureNode* node = nullptr;  // the structure's segment node; placed segments only
    // The innermost group instance around the segment, `none` at message level. For a placed
    // segment, the instance it was read in; for any other, the innermost instance that has
    // segments both before and after it (a Z-segment between two OBX of one order belongs to that
    // order; one after the last segment of a group does not belong to the group).
    std::uint32_t instance = GroupInstance::none;
};

enum class StructureProblemKind : std::uint8_t {
    missing,       // a required segment or group has no occurrence
    too_few,       // fewer occurrences than its min (but some)
    out_of_order,  // a segment set aside: no reading places it here
    repeated,      // a segment set aside right after one with the same ID: more than the structure allows
    unexpected,    // a segment the structure does not have (or a Z-segment not allowed)
};

struct StructureProblem {
    StructureProblemKind kind = StructureProblemKind::missing;
    // missing, too_few: the node (segment or group) that is short.
    const defs::StructureNode* node = nullptr;
    // out_of_order, repeated, unexpected: the segment (0-based message index). missing, too_few: the
    // segment before which it is missing (the message's size when it is missing at the end).
    std::uint32_t segment = 0;
    // missing, too_few: the group instance it is missing in (`none`: at message level).
    std::uint32_t instance = GroupInstance::none;
    std::uint32_t count = 0;  // too_few: the occurrences there are
};

struct StructureMatch {
    std::vector<SegmentPlace> segments;    // one per message segment, in order
    std::vector<GroupInstance> instances;  // in order of their first segment (parents before children)
    std::vector<StructureProblem> problems;  // unexpected, then set aside (by position), then missing
    bool approximate = false;  // the search fell back to a beam: the report may not be the smallest

    bool valid() const { return problems.empty(); }

    // The nearest instance of group `group` (by name) around segment `segment`, if any.
    std::optional<std::uint32_t> enclosing(std::size_t segment, std::string_view group) const;
    // Whether segment `segment` lies inside instance `instance` (at any depth).
    bool contains(std::uint32_t instance, std::size_t segment) const;
    // The segments of an instance: message indexes [first, last] (see GroupInstance).
    std::span<const SegmentPlace> segments_of(std::uint32_t instance) const;
    // "PATIENT_RESULT[1]/ORDER_OBSERVATION[2]": an instance with the instances around it. For
    // reports; allocates.
    std::string instance_path(std::uint32_t instance) const;
    // The path of group instances around a segment ("" at message level).
    std::string group_path(std::size_t segment) const;
};

struct StructureOptions {
    bool z_segments_anywhere = true;  // Z-segments the structure does not have are allowed anywhere
    // When z_segments_anywhere is false: Z-segments allowed anyway (those a profile defines).
    std::function<bool(std::string_view id)> z_allowed;
};

// A structure prepared for matching, reusable for many messages: the moves it has worked out stay
// with it, so matching a stream of messages of one structure gets cheaper. Not thread-safe (each
// thread its own); cheap to build (linear in the structure).
class StructureMatcher {
public:
    explicit StructureMatcher(const defs::MessageDef& structure);
    ~StructureMatcher();
    StructureMatcher(StructureMatcher&&) noexcept;
    StructureMatcher& operator=(StructureMatcher&&) noexcept;
    StructureMatcher(const StructureMatcher&) = delete;
    StructureMatcher& operator=(const StructureMatcher&) = delete;

    const defs::MessageDef& structure() const;

    // Matches segment IDs in message order (the first is normally MSH).
    StructureMatch match(std::span<const std::string_view> segment_ids, const StructureOptions& options = {});
    StructureMatch match(const Message& message, const StructureOptions& options = {});

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One-off matching (builds a StructureMatcher).
StructureMatch match_structure(const Message& message, const defs::MessageDef& structure,
                               const StructureOptions& options = {});

}  // namespace hl7
