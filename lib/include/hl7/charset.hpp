// Character sets (MSH-18): turning message bytes into UTF-8 and back, without losing bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hl7 {

enum class Charset : std::uint8_t {
    ascii,  // read as UTF-8, its superset: feeds that declare ASCII often send UTF-8
    utf8,
    iso8859_1,
    iso8859_2,
    iso8859_3,
    iso8859_4,
    iso8859_5,
    iso8859_6,
    iso8859_7,
    iso8859_8,
    iso8859_9,
    iso8859_10,
    iso8859_11,
    iso8859_13,
    iso8859_14,
    iso8859_15,
    iso8859_16,
    windows_1252,
};

// Reads an MSH-18 value ("8859/1", "UNICODE UTF-8") or a common alias ("ISO-8859-1", "latin1",
// "UTF8", "ISO_IR 100", "cp1252"). Case and spacing do not matter. Empty means ASCII.
std::optional<Charset> charset_from_name(std::string_view name);
// The HL7 table 0211 name ("8859/1", "UNICODE UTF-8", "ASCII"; "WINDOWS-1252" has none).
std::string_view charset_name(Charset charset);

// Appends `bytes` as UTF-8. A byte that is not valid in `charset` is appended as the escape
// `<escape>Xhh<escape>` instead, so it can be recovered; the return value counts such bytes.
std::size_t append_as_utf8(std::string& out, std::string_view bytes, Charset charset, char escape);

// Appends UTF-8 `text` converted to `charset`. A character the charset cannot hold becomes '?';
// the return value counts them. Invalid UTF-8 in `text` is copied through unchanged.
std::size_t append_from_utf8(std::string& out, std::string_view text, Charset charset);

// True when `text` is entirely 7-bit.
bool is_ascii(std::string_view text);

}  // namespace hl7
