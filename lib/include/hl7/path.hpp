// Paths into a message, one syntax for every tool: SEG[occ]-F[rep].C.S, all 1-based.
//
//   PID-5.1   PID-3[2].1   OBX[2]-5   OBX[*]-5   MSH-9.2   PID.5.1   PID-5-1
//
// A missing [occ] or [rep] means the first; [*] means all. A path that stops at a field, or a
// component, names everything below it. Edits at a path are in hl7/edit.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/message.hpp"

namespace hl7 {

struct Path {
    static constexpr int all = -1;  // [*]

    std::string segment;  // "PID"
    int occurrence = 1;   // segment occurrence, or all
    int field = 0;        // 0: the whole segment
    int repetition = 1;   // or all
    int component = 0;    // 0: the whole repetition
    int subcomponent = 0; // 0: the whole component
    bool occurrence_given = false;
    bool repetition_given = false;

    // Canonical form: "PID-3[2].1"; [1] is left out unless it was written.
    std::string to_string() const;
};

// Parses a path. A malformed path is an error naming the first bad character and its position.
Result<Path> parse_path(std::string_view text);

// One value a path found in a message.
struct PathMatch {
    std::size_t segment_index = 0;  // 0-based in the message
    int occurrence = 1;
    int repetition = 1;
    std::string_view raw;  // ER7 text, escapes not decoded
    // How deep `raw` is: 0 segment, 1 field, 2 repetition, 3 component, 4 subcomponent.
    int depth = 0;
};

// Appends every match of `path` in `message` (several only with [*]). Parts that are absent
// produce no match; present but empty parts produce a match with empty `raw`.
void find_values(const Message& message, const Path& path, std::vector<PathMatch>& out);

}  // namespace hl7
