// The validator's structure checks: segment IDs and occurrences, and the segment order, groups and
// cardinality of the message structure, through the structure matcher (hl7/structure.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "hl7/profile.hpp"
#include "validate_internal.hpp"

namespace hl7::detail {

namespace {

// The segment a missing node is reported at: a segment's own ID; for a group its first required
// segment, or its first segment when none is required.
std::string_view first_segment(const defs::StructureNode& node) {
    if (!node.is_group()) return node.name;
    for (const auto& child : node.children)
        if (child.min > 0) return first_segment(child);
    return first_segment(node.children.front());
}

}  // namespace

void MessageValidator::segment_ids_and_occurrences() {
    ids_.resize(m_.size());
    occurrences_.resize(m_.size());
    std::vector<std::pair<std::string_view, int>> seen;
    for (std::size_t i = 0; i < m_.size(); ++i) {
        std::string_view id = m_.segment_id(i);
        ids_[i] = id;
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        occurrences_[i] = it == seen.end() ? (seen.emplace_back(id, 1), 1) : ++it->second;
        if (!is_well_formed_segment_id(id)) {
            add(Severity::error, kSegmentSequence, "syntax", path_of(i), static_cast<std::uint32_t>(i + 1),
                "segment ID is not three upper-case letters or digits", id);
        }
    }
}

// Z-segments may appear anywhere unless --no-z; with it, those a profile defines still may.
bool MessageValidator::z_allowed(std::string_view id) const {
    if (!is_z_segment(id)) return false;
    if (options_.allow_z_segments) return true;
    for (const auto& profile : options_.profiles)
        if (profile->segment(id)) return true;
    return false;
}

void MessageValidator::structure() {
    if (!message_def_) return;
    StructureOptions options;
    options.z_segments_anywhere = options_.allow_z_segments;
    options.z_allowed = [this](std::string_view id) { return z_allowed(id); };
    StructureMatcher& matcher = options_.cache.matcher(*message_def_);
    const StructureMatch match = matcher.match(std::span<const std::string_view>(ids_), options);
    unexpected_.assign(m_.size(), false);
    const std::string_view structure = message_def_->structure;
    // Against an older version's structure, a segment it does not place may be one the message's
    // own version added or moved: a warning that says so, not an error.
    const Severity placement = newer_than_definitions_ ? Severity::warning : Severity::error;
    const std::string later =
        newer_than_definitions_
            ? fmt::format(" (the {} structure; version {} may allow it)", version_->name, declared_version_)
            : std::string();
    for (const StructureProblem& p : match.problems) {
        const auto seg_no = static_cast<std::uint32_t>(p.segment + 1);
        switch (p.kind) {
            case StructureProblemKind::unexpected: {
                std::string_view id = ids_[p.segment];
                unexpected_[p.segment] = true;
                if (is_z_segment(id))
                    add(Severity::error, kSegmentSequence, "unexpected-segment", path_of(p.segment), seg_no,
                        fmt::format("Z-segment {} not allowed (--no-z)", id));
                else
                    add(placement, kSegmentSequence, "unexpected-segment", path_of(p.segment), seg_no,
                        fmt::format("segment {} is not part of {}{}", id, structure, later));
                break;
            }
            case StructureProblemKind::out_of_order:
                add(placement, kSegmentSequence, "segment-order", path_of(p.segment), seg_no,
                    fmt::format("segment {} is out of order for {}{}", ids_[p.segment], structure, later));
                break;
            case StructureProblemKind::repeated:
                add(placement, kSegmentSequence, "cardinality", path_of(p.segment), seg_no,
                    fmt::format("segment {} occurs more often than {} allows here{}", ids_[p.segment], structure,
                                later));
                break;
            case StructureProblemKind::missing:
            case StructureProblemKind::too_few: {
                const defs::StructureNode& node = *p.node;
                std::string what =
                    fmt::format("{} {}", node.is_group() ? "group" : "segment", node.name);
                std::string where = p.instance == GroupInstance::none
                                        ? std::string()
                                        : fmt::format(" in group {}", match.instance_path(p.instance));
                Path at;
                at.segment = std::string(first_segment(node));
                // Reported at the segment it is missing before (the message as a whole at the end).
                const std::uint32_t before = p.segment < m_.size() ? seg_no : 0;
                if (p.kind == StructureProblemKind::too_few) {
                    add(Severity::error, kSegmentSequence, "cardinality", at, before,
                        fmt::format("{} occurs {} time{}{}, at least {} required", what, p.count,
                                    p.count == 1 ? "" : "s", where, node.min));
                } else {
                    add(Severity::error, kSegmentSequence, "required-segment", at, before,
                        fmt::format("required {} missing{}", what, where));
                }
                break;
            }
        }
    }
}

}  // namespace hl7::detail
