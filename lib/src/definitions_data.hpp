// The generated definition data (definitions_data.cpp, written by scripts/gen-definitions), as
// definitions.cpp reads it. Both arrays are constant-initialised.
#pragma once

#include <span>

#include "hl7/definitions.hpp"

namespace hl7::defs::data {

extern const std::span<const Version> versions;  // oldest first
extern const std::span<const TableDef> tables;   // by number

}  // namespace hl7::defs::data
