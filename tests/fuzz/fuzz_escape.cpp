// Fuzz target: escapes. Decoding any bytes never crashes; for text, decode(encode(x)) == x in both
// text forms and every delimiter set the first byte picks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hl7/charset.hpp"
#include "hl7/escape.hpp"

namespace {

// Valid UTF-8 without C0/C1 controls other than CR, LF and TAB: the text a value can carry.
bool is_plain_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            if (b < 0x20 && b != '\r' && b != '\n' && b != '\t') return false;
            if (b == 0x7F) return false;
            ++i;
            continue;
        }
        std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
        if (n == 0 || b > 0xF4 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        std::uint32_t cp = n == 2 ? (b & 0x1Fu) : n == 3 ? (b & 0x0Fu) : (b & 0x07u);
        for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        if (cp >= 0x80 && cp <= 0x9F) return false;
        i += n;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    hl7::Delimiters d;
    if (data[0] & 1) {  // a second, unusual delimiter set
        d.field = '#';
        d.component = '$';
        d.repetition = '*';
        d.escape = '!';
        d.subcomponent = '@';
    }
    if (data[0] & 2) d.truncation = '%';
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    hl7::EscapeStats stats;

    std::string decoded;
    hl7::decode_value(text, d, hl7::Charset::utf8, hl7::TextForm::plain, decoded, stats);
    decoded.clear();
    hl7::decode_value(text, d, hl7::Charset::iso8859_1, hl7::TextForm::json, decoded, stats);

    if (!is_plain_utf8(text)) return 0;
    // Plain text: every character, delimiters and escape character included, survives.
    std::string encoded;
    hl7::encode_value(text, d, hl7::Charset::utf8, hl7::TextForm::plain, encoded, stats);
    for (char c : {d.field, d.component, d.repetition, d.subcomponent, '\r', '\n'})
        FUZZ_CHECK(c == 0 || encoded.find(c) == std::string::npos);
    std::string back;
    hl7::EscapeStats back_stats;
    hl7::decode_value(encoded, d, hl7::Charset::utf8, hl7::TextForm::plain, back, back_stats);
    FUZZ_CHECK(back == text);
    FUZZ_CHECK(back_stats.bad_escapes == 0);
    return 0;
}
