// What the JSON writers (full and flat form) share inside the library.
#pragma once

#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"

namespace hl7::detail {

// The charset to decode a message with: the override, else MSH-18 (an unknown name is read as
// UTF-8, with a warning in `diagnostics`).
Charset charset_for(const Message& message, const JsonWriteOptions& options, Diagnostics* diagnostics);

// `s` as the inside of a JSON string: quote, backslash and control characters escaped.
void append_json_string_body(std::string& out, std::string_view s);

}  // namespace hl7::detail
