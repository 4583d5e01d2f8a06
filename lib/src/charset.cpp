// Charset names and conversion between single-byte charsets, UTF-8 and recoverable byte escapes.
#include "hl7/charset.hpp"

#include <array>
#include <cstdint>

namespace hl7 {
namespace detail {
#include "charset_tables.inc"
}  // namespace detail

namespace {

const std::uint16_t* table_for(Charset c) {
    using namespace detail;
    switch (c) {
        case Charset::iso8859_1: return kIso8859_1;
        case Charset::iso8859_2: return kIso8859_2;
        case Charset::iso8859_3: return kIso8859_3;
        case Charset::iso8859_4: return kIso8859_4;
        case Charset::iso8859_5: return kIso8859_5;
        case Charset::iso8859_6: return kIso8859_6;
        case Charset::iso8859_7: return kIso8859_7;
        case Charset::iso8859_8: return kIso8859_8;
        case Charset::iso8859_9: return kIso8859_9;
        case Charset::iso8859_10: return kIso8859_10;
        case Charset::iso8859_11: return kIso8859_11;
        case Charset::iso8859_13: return kIso8859_13;
        case Charset::iso8859_14: return kIso8859_14;
        case Charset::iso8859_15: return kIso8859_15;
        case Charset::iso8859_16: return kIso8859_16;
        case Charset::windows_1252: return kWindows1252;
        default: return nullptr;
    }
}

void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

void append_byte_escape(std::string& out, unsigned char byte, char escape) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out.push_back(escape);
    out.push_back('X');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
    out.push_back(escape);
}

// Length of the valid UTF-8 sequence starting at p (strict: no overlongs, surrogates or values
// past U+10FFFF), or 0 when the bytes there are not one. Sets `cp` to the decoded code point.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end, std::uint32_t& cp) {
    unsigned char b = p[0];
    std::size_t need;
    std::uint32_t min;
    if (b < 0x80) {
        cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        need = 2, cp = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3, cp = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4, cp = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - p) < need) return 0;
    for (std::size_t i = 1; i < need; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return need;
}

std::string normalise_name(std::string_view name) {
    std::string s;
    for (char c : name) {
        if (c == ' ' || c == '-' || c == '_' || c == '/') continue;
        s.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return s;
}

}  // namespace

std::optional<Charset> charset_from_name(std::string_view name) {
    std::string n = normalise_name(name);
    if (n.empty() || n == "ASCII" || n == "USASCII" || n == "ISOIR6" || n == "ANSIX3.4") return Charset::ascii;
    if (n == "UNICODEUTF8" || n == "UTF8" || n == "UNICODE" || n == "ISOIR192") return Charset::utf8;
    if (n == "LATIN1" || n == "ISOIR100") return Charset::iso8859_1;
    if (n == "LATIN2" || n == "ISOIR101") return Charset::iso8859_2;
    if (n == "LATIN9") return Charset::iso8859_15;
    if (n == "CP1252" || n == "WINDOWS1252") return Charset::windows_1252;
    // "8859/1", "ISO-8859-1", "ISO8859-1" all normalise to a digit string after "8859".
    std::string_view rest = n;
    if (rest.substr(0, 3) == "ISO") rest.remove_prefix(3);
    if (rest.substr(0, 4) == "8859") {
        rest.remove_prefix(4);
        static constexpr std::pair<std::string_view, Charset> kParts[] = {
            {"1", Charset::iso8859_1},   {"2", Charset::iso8859_2},   {"3", Charset::iso8859_3},
            {"4", Charset::iso8859_4},   {"5", Charset::iso8859_5},   {"6", Charset::iso8859_6},
            {"7", Charset::iso8859_7},   {"8", Charset::iso8859_8},   {"9", Charset::iso8859_9},
            {"10", Charset::iso8859_10}, {"11", Charset::iso8859_11}, {"13", Charset::iso8859_13},
            {"14", Charset::iso8859_14}, {"15", Charset::iso8859_15}, {"16", Charset::iso8859_16},
        };
        for (auto& [part, charset] : kParts)
            if (rest == part) return charset;
    }
    return std::nullopt;
}

std::string_view charset_name(Charset c) {
    switch (c) {
        case Charset::ascii: return "ASCII";
        case Charset::utf8: return "UNICODE UTF-8";
        case Charset::iso8859_1: return "8859/1";
        case Charset::iso8859_2: return "8859/2";
        case Charset::iso8859_3: return "8859/3";
        case Charset::iso8859_4: return "8859/4";
        case Charset::iso8859_5: return "8859/5";
        case Charset::iso8859_6: return "8859/6";
        case Charset::iso8859_7: return "8859/7";
        case Charset::iso8859_8: return "8859/8";
        case Charset::iso8859_9: return "8859/9";
        case Charset::iso8859_10: return "8859/10";
        case Charset::iso8859_11: return "8859/11";
        case Charset::iso8859_13: return "8859/13";
        case Charset::iso8859_14: return "8859/14";
        case Charset::iso8859_15: return "8859/15";
        case Charset::iso8859_16: return "8859/16";
        case Charset::windows_1252: return "WINDOWS-1252";
    }
    return "ASCII";
}

bool is_ascii(std::string_view text) {
    unsigned char acc = 0;
    for (char c : text) acc |= static_cast<unsigned char>(c);
    return acc < 0x80;
}

std::size_t append_as_utf8(std::string& out, std::string_view bytes, Charset charset, char escape) {
    std::size_t invalid = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    const std::uint16_t* table = table_for(charset);
    while (p < end) {
        // Copy the 7-bit run in one go: almost all HL7 text is ASCII.
        const unsigned char* run = p;
        while (p < end && *p < 0x80) ++p;
        out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
        if (p == end) break;
        if (table) {
            std::uint16_t cp = table[*p - 0x80];
            if (cp == 0) {
                append_byte_escape(out, *p, escape);
                ++invalid;
            } else {
                append_code_point(out, cp);
            }
            ++p;
        } else {
            std::uint32_t cp;
            std::size_t n = utf8_sequence(p, end, cp);
            if (n == 0) {
                append_byte_escape(out, *p, escape);
                ++invalid;
                ++p;
            } else {
                out.append(reinterpret_cast<const char*>(p), n);
                p += n;
            }
        }
    }
    return invalid;
}

std::size_t append_from_utf8(std::string& out, std::string_view text, Charset charset) {
    const std::uint16_t* table = table_for(charset);
    if (!table) {
        out.append(text);
        return 0;
    }
    std::size_t unmappable = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        if (*p < 0x80) {
            out.push_back(static_cast<char>(*p++));
            continue;
        }
        std::uint32_t cp;
        std::size_t n = utf8_sequence(p, end, cp);
        if (n == 0) {
            out.push_back(static_cast<char>(*p++));
            continue;
        }
        p += n;
        int byte = -1;
        for (int i = 0; i < 128; ++i) {
            if (table[i] == cp) {
                byte = 0x80 + i;
                break;
            }
        }
        if (byte < 0) {
            out.push_back('?');
            ++unmappable;
        } else {
            out.push_back(static_cast<char>(byte));
        }
    }
    return unmappable;
}

}  // namespace hl7
