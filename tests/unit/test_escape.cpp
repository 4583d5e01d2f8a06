// Tests of escape sequences: decode_value in plain and JSON form, encode_value, and their round trip.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hl7/escape.hpp"

using hl7::Charset;
using hl7::Delimiters;
using hl7::EscapeStats;
using hl7::TextForm;

namespace {

struct Decoded {
    std::string text;
    EscapeStats stats;
};

Decoded decode(std::string_view raw, TextForm form, const Delimiters& d = Delimiters{},
               Charset charset = Charset::utf8) {
    Decoded r;
    hl7::decode_value(raw, d, charset, form, r.text, r.stats);
    return r;
}

std::string plain(std::string_view raw, const Delimiters& d = Delimiters{}) { return decode(raw, TextForm::plain, d).text; }
std::string json(std::string_view raw, const Delimiters& d = Delimiters{}) { return decode(raw, TextForm::json, d).text; }

std::string encode(std::string_view text, TextForm form, const Delimiters& d = Delimiters{},
                   Charset charset = Charset::utf8, EscapeStats* stats_out = nullptr) {
    std::string out;
    EscapeStats stats;
    hl7::encode_value(text, d, charset, form, out, stats);
    if (stats_out) *stats_out = stats;
    return out;
}

Delimiters custom() {  // field # component $ repetition * escape ! subcomponent %
    Delimiters d;
    d.field = '#';
    d.component = '$';
    d.repetition = '*';
    d.escape = '!';
    d.subcomponent = '%';
    return d;
}

Delimiters with_truncation() {
    Delimiters d;
    d.truncation = '#';
    return d;
}

}  // namespace

TEST_CASE("decode: delimiter escapes") {
    for (TextForm form : {TextForm::plain, TextForm::json}) {
        CAPTURE(static_cast<int>(form));
        CHECK(decode("\\F\\", form).text == "|");
        CHECK(decode("\\S\\", form).text == "^");
        CHECK(decode("\\T\\", form).text == "&");
        CHECK(decode("\\R\\", form).text == "~");
        CHECK(decode("a\\F\\b\\S\\c", form).text == "a|b^c");
        CHECK(decode("no escapes here", form).text == "no escapes here");
        CHECK(decode("", form).text == "");
        auto r = decode("x\\T\\y", form);
        CHECK(r.stats.bad_escapes == 0);
        CHECK(r.stats.invalid_bytes == 0);
    }
    // \E\ is the escape character: a backslash in plain text, \E\ again in the JSON form.
    CHECK(plain("a\\E\\b") == "a\\b");
    CHECK(json("a\\E\\b") == "a\\E\\b");
}

TEST_CASE("decode: hex data") {
    CHECK(plain("\\X41\\") == "A");
    CHECK(plain("\\X414243\\") == "ABC");
    CHECK(plain("\\X0D\\") == "\r");
    CHECK(plain("\\X0D0A\\") == "\r\n");
    CHECK(plain("\\Xc3a9\\") == "\xC3\xA9");  // lower-case hex
    CHECK(plain("caf\\XC3A9\\") == "caf\xC3\xA9");
    CHECK(json("caf\\XC3A9\\") == "caf\xC3\xA9");
    CHECK(json("\\X5C\\") == "\\E\\");  // a backslash from hex data is still a literal backslash
    CHECK(plain("\\X5C\\") == "\\");
    // In ISO-8859-1 the same two bytes are two characters: Ã and ©.
    CHECK(decode("\\XC3A9\\", TextForm::plain, Delimiters{}, Charset::iso8859_1).text == "\xC3\x83\xC2\xA9");
    // Hex data that is not valid in the charset is kept as a \Xhh\ escape and counted.
    auto r = decode("\\XFF\\", TextForm::json);
    CHECK(r.text == "\\XFF\\");
    CHECK(r.stats.invalid_bytes == 1);
    CHECK(r.stats.bad_escapes == 0);
    // Bytes from the raw text and from \Xhh\ are the value's bytes, converted together: a raw lead
    // byte and a hex continuation byte are one character (found by fuzz_message, whose JSON round
    // trip changed when they were two invalid bytes).
    auto joined = decode("R\xC5\\X9B\\|", TextForm::json);
    CHECK(joined.text == "R\xC5\x9B|");
    CHECK(joined.stats.invalid_bytes == 0);
    CHECK(plain("\\XC5\\\x9B") == "\xC5\x9B");
    // ... and a kept escape in between keeps them apart.
    CHECK(json("\xC5\\H\\\x9B") == "\\XC5\\\\H\\\\X9B\\");
}

TEST_CASE("decode: \\P\\ and the truncation character") {
    const Delimiters d = with_truncation();
    CHECK(plain("ABC\\P\\", d) == "ABC#");
    CHECK(json("ABC\\P\\", d) == "ABC\\P\\");  // kept in the JSON form, for the round trip
    auto r = decode("\\P\\", TextForm::json, d);
    CHECK(r.stats.bad_escapes == 0);
    // A raw truncation character is just data when decoding.
    CHECK(plain("ABC#", d) == "ABC#");
}

TEST_CASE("decode: kept escapes in plain and JSON form") {
    const std::vector<std::string> kept = {"\\.br\\", "\\.sp\\", "\\.sp2\\", "\\.in+4\\", "\\.ti-2\\", "\\.fi\\",
                                           "\\.nf\\", "\\.ce\\", "\\H\\",   "\\N\\",     "\\Zab\\",   "\\C2842\\",
                                           "\\M244F4B\\", "\\M2442\\"};
    for (const auto& seq : kept) {
        CAPTURE(seq);
        auto p = decode("x" + seq + "y", TextForm::plain);
        CHECK(p.text == "x" + seq + "y");
        CHECK(p.stats.bad_escapes == 0);
        auto j = decode("x" + seq + "y", TextForm::json);
        CHECK(j.text == "x" + seq + "y");
        CHECK(j.stats.bad_escapes == 0);
    }
    CHECK(plain("line one\\.br\\line two") == "line one\\.br\\line two");
    CHECK(plain("\\H\\bold\\N\\") == "\\H\\bold\\N\\");
}

TEST_CASE("decode: kept escapes with a custom escape character") {
    const Delimiters d = custom();
    CHECK(plain("a!.br!b", d) == "a!.br!b");  // plain form: written with the message's escape character
    CHECK(json("a!.br!b", d) == "a\\.br\\b");  // JSON form: always with a backslash
    CHECK(plain("!H!x!N!", d) == "!H!x!N!");
    CHECK(json("!H!x!N!", d) == "\\H\\x\\N\\");
    CHECK(json("!XFF!", d) == "\\XFF\\");
}

TEST_CASE("decode: malformed escapes are kept verbatim and counted") {
    SUBCASE("unterminated") {
        auto p = decode("abc\\Xzz", TextForm::plain);
        CHECK(p.text == "abc\\Xzz");
        CHECK(p.stats.bad_escapes == 1);
        auto j = decode("abc\\Xzz", TextForm::json);
        CHECK(j.text == "abc\\E\\Xzz");  // the backslash is data, so \E\ in the JSON form
        CHECK(j.stats.bad_escapes == 1);
    }
    SUBCASE("unknown sequence") {
        auto p = decode("UNKNOWN \\Q\\ ESCAPE", TextForm::plain);
        CHECK(p.text == "UNKNOWN \\Q\\ ESCAPE");
        CHECK(p.stats.bad_escapes == 1);
        auto j = decode("UNKNOWN \\Q\\ ESCAPE", TextForm::json);
        CHECK(j.text == "UNKNOWN \\E\\Q\\E\\ ESCAPE");
        CHECK(j.stats.bad_escapes == 1);
    }
    SUBCASE("odd number of hex digits") {
        auto p = decode("\\X1\\", TextForm::plain);
        CHECK(p.text == "\\X1\\");
        CHECK(p.stats.bad_escapes == 1);
        auto q = decode("\\X123\\", TextForm::plain);
        CHECK(q.text == "\\X123\\");
        CHECK(q.stats.bad_escapes == 1);
    }
    SUBCASE("non-hex digits") {
        auto p = decode("\\XZZ\\", TextForm::plain);
        CHECK(p.text == "\\XZZ\\");
        CHECK(p.stats.bad_escapes == 1);
    }
    SUBCASE("empty sequence") {
        auto p = decode("a\\\\b", TextForm::plain);
        CHECK(p.text == "a\\\\b");
        CHECK(p.stats.bad_escapes == 1);
    }
    SUBCASE("\\P\\ without a truncation character") {
        auto p = decode("\\P\\", TextForm::plain);
        CHECK(p.text == "\\P\\");
        CHECK(p.stats.bad_escapes == 1);
    }
    SUBCASE("several in one value are each counted") {
        auto p = decode("\\Q\\ and \\W\\ then \\F\\", TextForm::plain);
        CHECK(p.text == "\\Q\\ and \\W\\ then |");
        CHECK(p.stats.bad_escapes == 2);
    }
}

TEST_CASE("decode: custom escape character") {
    const Delimiters d = custom();
    CHECK(plain("!F!", d) == "#");
    CHECK(plain("!S!", d) == "$");
    CHECK(plain("!T!", d) == "%");
    CHECK(plain("!R!", d) == "*");
    CHECK(plain("!E!", d) == "!");
    CHECK(json("!E!", d) == "!");
    CHECK(plain("!X41!", d) == "A");
    // The standard delimiters and backslash are ordinary data here.
    CHECK(plain("a\\F\\|^&~b", d) == "a\\F\\|^&~b");
    CHECK(json("a\\b", d) == "a\\E\\b");
    auto r = decode("a\\F\\b", TextForm::plain, d);
    CHECK(r.stats.bad_escapes == 0);
}

TEST_CASE("decode: short encoding characters (no escape character)") {
    Delimiters d;
    d.escape = 0;
    d.subcomponent = 0;
    CHECK(plain("a\\F\\b", d) == "a\\F\\b");
    CHECK(json("a\\F\\b", d) == "a\\E\\F\\E\\b");
}

TEST_CASE("needs_decoding") {
    CHECK_FALSE(hl7::needs_decoding("plain text 123", Delimiters{}));
    CHECK(hl7::needs_decoding("a\\F\\b", Delimiters{}));
    CHECK(hl7::needs_decoding("caf\xC3\xA9", Delimiters{}));
    CHECK_FALSE(hl7::needs_decoding("a\\b", custom()));
    CHECK(hl7::needs_decoding("a!F!b", custom()));
}

TEST_CASE("encode: delimiters, escape character, CR and LF") {
    for (TextForm form : {TextForm::plain, TextForm::json}) {
        CAPTURE(static_cast<int>(form));
        CHECK(encode("|", form) == "\\F\\");
        CHECK(encode("^", form) == "\\S\\");
        CHECK(encode("&", form) == "\\T\\");
        CHECK(encode("~", form) == "\\R\\");
        CHECK(encode("\r", form) == "\\X0D\\");
        CHECK(encode("\n", form) == "\\X0A\\");
        CHECK(encode("a|b^c&d~e", form) == "a\\F\\b\\S\\c\\T\\d\\R\\e");
        CHECK(encode("line1\r\nline2", form) == "line1\\X0D\\\\X0A\\line2");
        CHECK(encode("", form) == "");
        CHECK(encode("nothing special", form) == "nothing special");
    }
    CHECK(encode("\\", TextForm::plain) == "\\E\\");
    CHECK(encode("C:\\dir", TextForm::plain) == "C:\\E\\dir");
}

TEST_CASE("encode: JSON form keeps escape sequences, \\E\\ is a literal backslash") {
    CHECK(encode("\\E\\", TextForm::json) == "\\E\\");
    CHECK(encode("a\\.br\\b", TextForm::json) == "a\\.br\\b");
    CHECK(encode("\\H\\x\\N\\", TextForm::json) == "\\H\\x\\N\\");
    // \Xhh\ from 0x80 is a raw byte the writer found invalid in the charset: written back raw.
    CHECK(encode("\\XFF\\", TextForm::json) == "\xFF");
    CHECK(encode("a\\XC3\\b", TextForm::json, Delimiters{}, Charset::iso8859_1) == "a\xC3" "b");
    // Lower bytes are characters, encoded like any text.
    CHECK(encode("\\X41\\", TextForm::json) == "A");
    CHECK(encode("\\X0D0A7C\\", TextForm::json) == "\\X0D\\\\X0A\\\\F\\");
    // A backslash that starts no sequence the writer makes is a literal backslash.
    CHECK(encode("D:\\data\\new.txt", TextForm::json) == "D:\\E\\data\\E\\new.txt");
    CHECK(encode("a\\b", TextForm::json) == "a\\E\\b");
    CHECK(encode("end\\", TextForm::json) == "end\\E\\");
    CHECK(encode("\\\\", TextForm::json) == "\\E\\\\E\\");
    CHECK(encode("\\G\\", TextForm::json) == "\\E\\G\\E\\");
    CHECK(encode("\\P\\", TextForm::json) == "\\E\\P\\E\\");  // no truncation character in use
    // With a custom escape character kept escapes use it, and \E\ is a plain backslash.
    const Delimiters d = custom();
    CHECK(encode("a\\.br\\b", TextForm::json, d) == "a!.br!b");
    CHECK(encode("\\E\\", TextForm::json, d) == "\\");
    CHECK(encode("D:\\x", TextForm::json, d) == "D:\\x");
    CHECK(encode("!", TextForm::json, d) == "!E!");
    CHECK(encode("#$*%", TextForm::json, d) == "!F!!S!!R!!T!");
    CHECK(encode("|^~&", TextForm::json, d) == "|^~&");
}

TEST_CASE("encode: custom delimiters in plain form") {
    const Delimiters d = custom();
    CHECK(encode("a#b", TextForm::plain, d) == "a!F!b");
    CHECK(encode("a$b%c*d!e", TextForm::plain, d) == "a!S!b!T!c!R!d!E!e");
    CHECK(encode("a\\b|c", TextForm::plain, d) == "a\\b|c");
}

TEST_CASE("encode: charset conversion") {
    EscapeStats stats;
    CHECK(encode("caf\xC3\xA9", TextForm::plain, Delimiters{}, Charset::iso8859_1, &stats) == "caf\xE9");
    CHECK(stats.unmappable == 0);
    // The euro sign is not in ISO-8859-1.
    CHECK(encode("5\xE2\x82\xAC|", TextForm::plain, Delimiters{}, Charset::iso8859_1, &stats) == "5?\\F\\");
    CHECK(stats.unmappable == 1);
}

TEST_CASE("decode(json) then encode(json) gives back canonical raw values byte for byte") {
    const std::vector<std::string> raws = {
        "plain",
        "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f",
        "\\.br\\",
        "first\\.br\\second\\.sp2\\third",
        "\\H\\bold\\N\\",
        "\\X0D\\\\X0A\\",
        "\\Zab\\",
        "\\C2842\\",
        "\\M244F4B\\",
        "caf\xC3\xA9",
        "\xFF",  // a byte invalid in UTF-8: \XFF\ in JSON, the raw byte again in ER7
        "a\xE9" "b\xC3",
        "",
        "\"quoted\"",
        "tab\there",
    };
    for (const auto& raw : raws) {
        CAPTURE(raw);
        auto d = decode(raw, TextForm::json);
        CHECK(d.stats.bad_escapes == 0);
        CHECK(encode(d.text, TextForm::json) == raw);
    }
    // With a truncation character, \P\ survives.
    const Delimiters t = with_truncation();
    auto d = decode("CUT\\P\\", TextForm::json, t);
    CHECK(encode(d.text, TextForm::json, t) == "CUT\\P\\");
    // With custom delimiters.
    const Delimiters c = custom();
    for (std::string raw : {std::string("a!F!b!S!c!T!d!R!e!E!f"), std::string("x!.br!y"), std::string("back\\slash"),
                            std::string("|^~&")}) {
        CAPTURE(raw);
        auto dc = decode(raw, TextForm::json, c);
        CHECK(encode(dc.text, TextForm::json, c) == raw);
    }
    // ISO-8859-1 bytes.
    std::string latin = "M\xDCLLER";
    auto dl = decode(latin, TextForm::json, Delimiters{}, Charset::iso8859_1);
    CHECK(dl.text == "M\xC3\x9CLLER");
    CHECK(encode(dl.text, TextForm::json, Delimiters{}, Charset::iso8859_1) == latin);
}
