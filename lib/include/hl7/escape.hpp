// HL7 escape sequences: decoding values to UTF-8 text and encoding text back to ER7.
//
// Delimiter escapes (\F\ \S\ \T\ \R\ \E\, and \P\ for the v2.7 truncation character) and hex
// data (\Xhh..\) decode to characters. Formatting and charset escapes (\.br\ \.sp\ \H\ \N\ and
// \Zxx\ \Cxxyy\ \Mxxyyzz\) have no plain-text equivalent and are kept as written. A malformed
// escape is kept verbatim as ordinary text and counted, never dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"

namespace hl7 {

enum class TextForm : std::uint8_t {
    // For people (hl7parse -f): escapes decoded; kept escapes written with the message's
    // escape character. Not reversible when the text contains that character.
    plain,
    // The JSON form: reversible. `\` only ever starts a kept escape sequence, written with `\`
    // whatever the message's escape character; a literal backslash is `\E\`; a byte invalid in the
    // charset is `\Xhh\`.
    json,
};

struct EscapeStats {
    std::size_t bad_escapes = 0;    // malformed escape sequences kept verbatim
    std::size_t invalid_bytes = 0;  // bytes not valid in the charset, kept as \Xhh\ (decode)
    std::size_t unmappable = 0;     // characters the charset cannot hold, written as '?' (encode)
};

// Decodes one leaf value (a subcomponent, or any part without delimiters) to UTF-8, appending.
void decode_value(std::string_view raw, const Delimiters& delimiters, Charset charset, TextForm form,
                  std::string& out, EscapeStats& stats);

// Encodes UTF-8 text as one ER7 value in `charset`, appending. Delimiters, the escape character,
// CR and LF in the text become escape sequences. In the JSON form, `\...\` sequences are kept as
// escape sequences (written with the message's escape character).
void encode_value(std::string_view text, const Delimiters& delimiters, Charset charset, TextForm form,
                  std::string& out, EscapeStats& stats);

// A value for people (hl7parse -f, --tree, filters): a single leaf is decoded (TextForm::plain); a
// value with delimiters inside stays ER7 text, escapes and all (only converted to UTF-8), so that a
// decoded delimiter is never mistaken for a real one.
void append_display_value(std::string_view raw, const Delimiters& delimiters, Charset charset, std::string& out,
                          EscapeStats& stats);

// True when `raw` needs decode_value at all (holds the escape character or a non-ASCII byte).
bool needs_decoding(std::string_view raw, const Delimiters& delimiters);

}  // namespace hl7
