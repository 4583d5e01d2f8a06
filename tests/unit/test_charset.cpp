// Tests of character sets: MSH-18 names, single-byte charsets and UTF-8 to and from UTF-8, invalid bytes.
#include <doctest/doctest.h>

#include <string>

#include "hl7/charset.hpp"

using hl7::Charset;

namespace {

struct Converted {
    std::string text;
    std::size_t count = 0;
};

Converted to_utf8(std::string_view bytes, Charset charset, char escape = '\\') {
    Converted c;
    c.count = hl7::append_as_utf8(c.text, bytes, charset, escape);
    return c;
}

Converted from_utf8(std::string_view text, Charset charset) {
    Converted c;
    c.count = hl7::append_from_utf8(c.text, text, charset);
    return c;
}

}  // namespace

TEST_CASE("charset_from_name: names and aliases") {
    using O = std::optional<Charset>;
    CHECK(hl7::charset_from_name("8859/1") == O(Charset::iso8859_1));
    CHECK(hl7::charset_from_name("ISO-8859-1") == O(Charset::iso8859_1));
    CHECK(hl7::charset_from_name("iso8859-1") == O(Charset::iso8859_1));
    CHECK(hl7::charset_from_name("latin1") == O(Charset::iso8859_1));
    CHECK(hl7::charset_from_name("ISO_IR 100") == O(Charset::iso8859_1));
    CHECK(hl7::charset_from_name("8859/2") == O(Charset::iso8859_2));
    CHECK(hl7::charset_from_name("8859/15") == O(Charset::iso8859_15));
    CHECK(hl7::charset_from_name("ISO-8859-15") == O(Charset::iso8859_15));
    CHECK(hl7::charset_from_name("UNICODE UTF-8") == O(Charset::utf8));
    CHECK(hl7::charset_from_name("UTF8") == O(Charset::utf8));
    CHECK(hl7::charset_from_name("utf-8") == O(Charset::utf8));
    CHECK(hl7::charset_from_name("") == O(Charset::ascii));
    CHECK(hl7::charset_from_name("ASCII") == O(Charset::ascii));
    CHECK(hl7::charset_from_name("cp1252") == O(Charset::windows_1252));
    CHECK(hl7::charset_from_name("WINDOWS-1252") == O(Charset::windows_1252));
    CHECK_FALSE(hl7::charset_from_name("KLINGON").has_value());
    CHECK_FALSE(hl7::charset_from_name("8859/12").has_value());  // there is no part 12
    CHECK_FALSE(hl7::charset_from_name("8859/").has_value());
    CHECK_FALSE(hl7::charset_from_name("ISO IR87").has_value());  // JIS X 0208: not supported
}

TEST_CASE("charset_name: HL7 table 0211 names") {
    CHECK(hl7::charset_name(Charset::iso8859_1) == "8859/1");
    CHECK(hl7::charset_name(Charset::iso8859_15) == "8859/15");
    CHECK(hl7::charset_name(Charset::utf8) == "UNICODE UTF-8");
    CHECK(hl7::charset_name(Charset::ascii) == "ASCII");
}

TEST_CASE("append_as_utf8: single-byte charsets") {
    auto e9 = to_utf8("caf\xE9", Charset::iso8859_1);
    CHECK(e9.text == "caf\xC3\xA9");  // é
    CHECK(e9.count == 0);
    CHECK(to_utf8("M\xDCLLER", Charset::iso8859_1).text == "M\xC3\x9CLLER");  // Ü
    // ISO-8859-2: 0xA3 is Ł (U+0141), 0xB1 is ą (U+0105).
    CHECK(to_utf8("\xA3\xB1", Charset::iso8859_2).text == "\xC5\x81\xC4\x85");
    // ISO-8859-15: 0xA4 is the euro sign (U+20AC); in ISO-8859-1 it is the currency sign ¤ (U+00A4).
    CHECK(to_utf8("\xA4", Charset::iso8859_15).text == "\xE2\x82\xAC");
    CHECK(to_utf8("\xA4", Charset::iso8859_1).text == "\xC2\xA4");
    // Windows-1252: 0x80 is the euro sign, 0x9F is Ÿ (U+0178), 0x81 is undefined.
    CHECK(to_utf8("\x80", Charset::windows_1252).text == "\xE2\x82\xAC");
    CHECK(to_utf8("\x9F", Charset::windows_1252).text == "\xC5\xB8");
    auto undefined = to_utf8("a\x81z", Charset::windows_1252);
    CHECK(undefined.text == "a\\X81\\z");
    CHECK(undefined.count == 1);
    // ISO-8859-3 leaves 0xA5 undefined.
    auto a5 = to_utf8("\xA5", Charset::iso8859_3);
    CHECK(a5.text == "\\XA5\\");
    CHECK(a5.count == 1);
    // ASCII text passes through any charset unchanged.
    CHECK(to_utf8("PLAIN 123|^~", Charset::iso8859_5).text == "PLAIN 123|^~");
}

TEST_CASE("append_as_utf8: escape character of the caller") {
    auto c = to_utf8("\x81", Charset::windows_1252, '!');
    CHECK(c.text == "!X81!");
    auto u = to_utf8("\xFF", Charset::utf8, '!');
    CHECK(u.text == "!XFF!");
}

TEST_CASE("append_as_utf8: UTF-8 and its invalid bytes") {
    CHECK(to_utf8("caf\xC3\xA9", Charset::utf8).text == "caf\xC3\xA9");
    CHECK(to_utf8("\xE2\x82\xAC", Charset::utf8).text == "\xE2\x82\xAC");
    CHECK(to_utf8("\xF0\x9F\x98\x80", Charset::utf8).text == "\xF0\x9F\x98\x80");  // 4-byte sequence
    CHECK(to_utf8("\xF0\x9F\x98\x80", Charset::utf8).count == 0);

    auto ff = to_utf8("DO\xFF" "E", Charset::utf8);
    CHECK(ff.text == "DO\\XFF\\E");
    CHECK(ff.count == 1);

    auto truncated = to_utf8("ab\xC3", Charset::utf8);  // lead byte at the end
    CHECK(truncated.text == "ab\\XC3\\");
    CHECK(truncated.count == 1);

    auto cut = to_utf8("\xE2\x82" "x", Charset::utf8);  // 3-byte sequence cut short by an ASCII byte
    CHECK(cut.text == "\\XE2\\\\X82\\x");
    CHECK(cut.count == 2);

    auto overlong = to_utf8("\xC0\x80", Charset::utf8);
    CHECK(overlong.text == "\\XC0\\\\X80\\");
    CHECK(overlong.count == 2);

    auto overlong3 = to_utf8("\xE0\x80\xAF", Charset::utf8);  // overlong '/'
    CHECK(overlong3.text == "\\XE0\\\\X80\\\\XAF\\");
    CHECK(overlong3.count == 3);

    auto surrogate = to_utf8("\xED\xA0\x80", Charset::utf8);
    CHECK(surrogate.text == "\\XED\\\\XA0\\\\X80\\");
    CHECK(surrogate.count == 3);

    auto too_big = to_utf8("\xF4\x90\x80\x80", Charset::utf8);  // U+110000
    CHECK(too_big.count == 4);

    auto lone_continuation = to_utf8("\x80", Charset::utf8);
    CHECK(lone_continuation.text == "\\X80\\");
    CHECK(lone_continuation.count == 1);

    // ASCII is read as UTF-8, its superset.
    CHECK(to_utf8("caf\xC3\xA9", Charset::ascii).text == "caf\xC3\xA9");
    CHECK(to_utf8("\xFF", Charset::ascii).text == "\\XFF\\");
}

TEST_CASE("append_from_utf8: conversion and unmappable characters") {
    auto e = from_utf8("caf\xC3\xA9", Charset::iso8859_1);
    CHECK(e.text == "caf\xE9");
    CHECK(e.count == 0);
    CHECK(from_utf8("\xE2\x82\xAC", Charset::iso8859_15).text == "\xA4");
    CHECK(from_utf8("\xE2\x82\xAC", Charset::windows_1252).text == "\x80");
    CHECK(from_utf8("\xC5\x81", Charset::iso8859_2).text == "\xA3");
    auto euro = from_utf8("5\xE2\x82\xAC", Charset::iso8859_1);
    CHECK(euro.text == "5?");
    CHECK(euro.count == 1);
    auto cjk = from_utf8("\xE4\xB8\xAD\xE6\x96\x87", Charset::iso8859_1);  // two CJK characters
    CHECK(cjk.text == "??");
    CHECK(cjk.count == 2);
    // UTF-8 output: unchanged.
    auto same = from_utf8("\xE4\xB8\xAD", Charset::utf8);
    CHECK(same.text == "\xE4\xB8\xAD");
    CHECK(same.count == 0);
    // Invalid UTF-8 input is copied through.
    CHECK(from_utf8("a\xFF" "b", Charset::iso8859_1).text == "a\xFF" "b");
}

TEST_CASE("single-byte charsets round trip every defined byte") {
    for (Charset cs : {Charset::iso8859_1, Charset::iso8859_2, Charset::iso8859_3, Charset::iso8859_4,
                       Charset::iso8859_5, Charset::iso8859_6, Charset::iso8859_7, Charset::iso8859_8,
                       Charset::iso8859_9, Charset::iso8859_10, Charset::iso8859_11, Charset::iso8859_13,
                       Charset::iso8859_14, Charset::iso8859_15, Charset::iso8859_16, Charset::windows_1252}) {
        CAPTURE(hl7::charset_name(cs));
        int defined = 0;
        for (int b = 0x80; b <= 0xFF; ++b) {
            std::string byte(1, static_cast<char>(b));
            auto utf8 = to_utf8(byte, cs);
            if (utf8.count != 0) {
                CHECK(utf8.text.size() == 5);  // \Xhh\ for an undefined byte
                continue;
            }
            ++defined;
            auto back = from_utf8(utf8.text, cs);
            if (back.text != byte) {
                CAPTURE(b);
                CHECK(back.text == byte);
            }
            CHECK(back.count == 0);
        }
        CHECK(defined >= 80);  // even Arabic (8859-6) defines more than 80 of the 128
    }
}

TEST_CASE("is_ascii") {
    CHECK(hl7::is_ascii(""));
    CHECK(hl7::is_ascii("MSH|^~\\&\r"));
    CHECK_FALSE(hl7::is_ascii("caf\xC3\xA9"));
    CHECK_FALSE(hl7::is_ascii("\x80"));
}
