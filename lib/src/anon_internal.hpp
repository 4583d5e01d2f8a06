// hl7anon internals shared by the profile reader and the engine: compiled selectors and leaf roles.
// Internal to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hl7/anon.hpp"
#include "hl7/walk.hpp"

namespace hl7::anon::detail {

// A path pattern, compiled: SEG-F[rep].C.S with '*' wildcards (see Selector).
struct PathPattern {
    std::string segment;  // without the trailing '*'
    bool segment_prefix = false;
    int field = 0;         // -1: any
    int repetition = 0;    // 0: any
    int component = 0;     // 0: any (not given), -1: any
    int subcomponent = 0;  // 0: any (not given), -1: any

    bool matches(const Leaf& leaf) const;
};

// Compiles a path pattern; nullopt with a reason in `why` when it is not one.
std::optional<PathPattern> compile_path(std::string_view text, std::string& why);

// Whether a datatype selector matches the leaf (its field, component or leaf type; DTM also TS, DT).
bool datatype_matches(std::string_view selector, const Leaf& leaf);

bool valid_datatype_name(std::string_view name);

}  // namespace hl7::anon::detail
