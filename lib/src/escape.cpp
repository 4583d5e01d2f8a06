// Escape sequence decoding and encoding, with charset conversion of the text between escapes.
#include "hl7/escape.hpp"

#include <algorithm>

#include <cstring>

#include "scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hl7 {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
int hex_value(char c) {
    if (c <= '9') return c - '0';
    if (c <= 'F') return c - 'A' + 10;
    return c - 'a' + 10;
}

bool all_hex(std::string_view s) {
    for (char c : s)
        if (!is_hex(c)) return false;
    return true;
}

// Escapes with no plain-text meaning, which decoding keeps as they are.
bool is_kept_escape(std::string_view seq) {
    if (seq.empty()) return false;
    switch (seq[0]) {
        case 'H':
        case 'N': return seq.size() == 1;
        case 'Z': {
            if (seq.size() < 2) return false;
            for (char c : seq.substr(1))
                if (!is_alpha(c) && !is_digit(c)) return false;
            return true;
        }
        case 'C': return seq.size() == 5 && all_hex(seq.substr(1));
        case 'M': return (seq.size() == 5 || seq.size() == 7) && all_hex(seq.substr(1));
        case '.': {
            // .br .sp .fi .nf .ce, and .sp<n> .in<+-n> .ti<+-n> .sk<n>
            if (seq.size() < 3 || !is_alpha(seq[1]) || !is_alpha(seq[2])) return false;
            std::string_view arg = seq.substr(3);
            if (!arg.empty() && (arg[0] == '+' || arg[0] == '-')) arg.remove_prefix(1);
            for (char c : arg)
                if (!is_digit(c)) return false;
            return true;
        }
        default: return false;
    }
}

struct Decoder {
    const Delimiters& d;
    Charset charset;
    TextForm form;
    std::string& out;
    EscapeStats& stats;

    char marker() const { return form == TextForm::json || d.escape == 0 ? '\\' : d.escape; }

    // Bytes of the value's charset gathered from raw text and from \F\, \Xhh\ ... between kept
    // escapes, converted together: a byte from \Xhh\ may complete a character begun in the raw
    // text (found by fuzz_message: "\xC5\X9B\" is one character, not two invalid bytes).
    std::string pending;

    void run(std::string_view text) { pending.append(text); }

    void flush() {
        if (pending.empty()) return;
        convert(pending);
        pending.clear();
    }

    // Text without escape sequences: charset conversion, and in the JSON form a literal backslash
    // becomes \E\ so that `\` keeps meaning "escape sequence".
    void convert(std::string_view text) {
        if (form == TextForm::json) {
            const char* p = text.data();
            const char* end = p + text.size();
            for (;;) {
                const char* b = detail::find_byte(p, end, '\\');
                stats.invalid_bytes += append_as_utf8(out, std::string_view(p, static_cast<std::size_t>(b - p)),
                                                      charset, '\\');
                if (b == end) return;
                out.append("\\E\\");
                p = b + 1;
            }
        }
        stats.invalid_bytes += append_as_utf8(out, text, charset, marker());
    }

    void literal(char c) { run(std::string_view(&c, 1)); }

    void kept(std::string_view seq) {
        flush();
        out.push_back(marker());
        out.append(seq);
        out.push_back(marker());
    }

    // Kept verbatim as ordinary text: the escape character and what follows are data.
    void malformed(std::string_view whole) {
        ++stats.bad_escapes;
        run(whole);
    }

    void decode(std::string_view raw) {
        decode_escapes(raw);
        flush();
    }

    void decode_escapes(std::string_view raw) {
        const char e = d.escape;
        if (e == 0) {
            run(raw);
            return;
        }
        const char* p = raw.data();
        const char* end = p + raw.size();
        while (p < end) {
            const char* open = detail::find_byte(p, end, e);
            if (open > p) run(std::string_view(p, static_cast<std::size_t>(open - p)));
            if (open == end) return;
            const char* close = detail::find_byte(open + 1, end, e);
            if (close == end) {  // unterminated: the rest is data
                malformed(std::string_view(open, static_cast<std::size_t>(end - open)));
                return;
            }
            std::string_view seq(open + 1, static_cast<std::size_t>(close - open - 1));
            std::string_view whole(open, static_cast<std::size_t>(close + 1 - open));
            p = close + 1;
            if (seq.size() == 1) {
                char c = seq[0];
                char value = 0;
                if (c == 'F') value = d.field;
                else if (c == 'S') value = d.component;
                else if (c == 'T') value = d.subcomponent;
                else if (c == 'R') value = d.repetition;
                else if (c == 'E') value = d.escape;
                else if (c == 'P' && form == TextForm::plain) value = d.truncation;
                // In the JSON form \P\ stays an escape: writing the truncation character back
                // raw or escaped would each break the byte-for-byte round trip of some feed.
                if (value != 0) {
                    literal(value);
                    continue;
                }
                if (c == 'P' && d.truncation != 0) {
                    kept(seq);
                    continue;
                }
            }
            if (seq.size() >= 3 && seq[0] == 'X' && seq.size() % 2 == 1 && all_hex(seq.substr(1))) {
                std::string bytes;
                for (std::size_t i = 1; i < seq.size(); i += 2)
                    bytes.push_back(static_cast<char>(hex_value(seq[i]) * 16 + hex_value(seq[i + 1])));
                run(bytes);
                continue;
            }
            if (is_kept_escape(seq)) {
                kept(seq);
                continue;
            }
            malformed(whole);
        }
    }
};

}  // namespace

bool needs_decoding(std::string_view raw, const Delimiters& d) {
#if defined(__SSE2__)
    std::size_t i = 0;
    const __m128i escape = _mm_set1_epi8(d.escape ? d.escape : 0x7F);
    while (raw.size() - i >= 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(raw.data() + i));
        if ((_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, escape))) != 0) return true;
        i += 16;
    }
    raw.remove_prefix(i);
#endif
    for (char c : raw)
        if (c == d.escape || static_cast<unsigned char>(c) >= 0x80) return true;
    return false;
}

void decode_value(std::string_view raw, const Delimiters& delimiters, Charset charset, TextForm form,
                  std::string& out, EscapeStats& stats) {
    Decoder{delimiters, charset, form, out, stats, {}}.decode(raw);
}

void append_display_value(std::string_view raw, const Delimiters& d, Charset charset, std::string& out,
                          EscapeStats& stats) {
    auto has = [raw](char c) { return c != 0 && raw.find(c) != std::string_view::npos; };
    if (has(d.repetition) || has(d.component) || has(d.subcomponent)) {
        stats.invalid_bytes += append_as_utf8(out, raw, charset, d.escape ? d.escape : '\\');
        return;
    }
    decode_value(raw, d, charset, TextForm::plain, out, stats);
}

void encode_value(std::string_view text, const Delimiters& d, Charset charset, TextForm form, std::string& out,
                  EscapeStats& stats) {
    const char e = d.escape;
    auto escape_seq = [&](std::string_view seq) {
        out.push_back(e);
        out.append(seq);
        out.push_back(e);
    };
    std::size_t run_start = 0;
    auto flush = [&](std::size_t upto) {
        if (upto > run_start)
            stats.unmappable += append_from_utf8(out, text.substr(run_start, upto - run_start), charset);
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (form == TextForm::json && c == '\\') {
            // In the JSON form `\` starts one of the sequences the writer makes: a kept escape
            // (\.br\, \H\, \Zxx\, ...), \P\, \E\ for a literal backslash, or \Xhh\ for bytes. Any
            // other backslash is a literal one, like \E\ (so `D:\data` cannot turn into a
            // malformed escape sequence).
            std::size_t close = text.find('\\', i + 1);
            std::string_view seq = close == std::string_view::npos ? std::string_view()
                                                                   : text.substr(i + 1, close - i - 1);
            bool hex = seq.size() >= 3 && seq[0] == 'X' && seq.size() % 2 == 1 && all_hex(seq.substr(1));
            if (hex) {
                // Bytes from 0x80 are the raw bytes the writer found invalid in the charset: back
                // as they were. Lower bytes are characters, encoded like any other text.
                flush(i);
                for (std::size_t k = 1; k < seq.size(); k += 2) {
                    char byte = static_cast<char>(hex_value(seq[k]) * 16 + hex_value(seq[k + 1]));
                    if (static_cast<unsigned char>(byte) >= 0x80) {
                        out.push_back(byte);
                    } else {
                        encode_value(std::string_view(&byte, 1), d, charset, TextForm::plain, out, stats);
                    }
                }
                i = close;
                run_start = close + 1;
                continue;
            }
            if (is_kept_escape(seq) || (seq == "P" && d.truncation != 0)) {
                flush(i);
                // A sequence holding a delimiter (\.br\ where '.' separates fields) would be cut
                // there on reading; without an escape character there is no sequence at all. Either
                // way its text goes out as text, escaped like any other, and is counted.
                bool writable = e != 0 && std::none_of(seq.begin(), seq.end(), [&](char ch) {
                    return ch == d.field || ch == '\r' || ch == '\n' ||
                           (ch != 0 && (ch == d.component || ch == d.repetition || ch == d.subcomponent ||
                                        ch == e || ch == d.truncation));
                });
                if (writable) {
                    escape_seq(seq);
                } else {
                    ++stats.unmappable;
                    encode_value(seq, d, charset, TextForm::plain, out, stats);
                }
                i = close;
                run_start = close + 1;
                continue;
            }
            flush(i);
            if (e == '\\') {
                escape_seq("E");
            } else {
                out.push_back('\\');  // not the escape character here: a backslash is plain text
            }
            if (seq == "E") i = close;
            run_start = i + 1;
            continue;
        }
        const char* seq = nullptr;
        if (c == d.field) seq = "F";
        else if (c == d.component && c != 0) seq = "S";
        else if (c == d.subcomponent && c != 0) seq = "T";
        else if (c == d.repetition && c != 0) seq = "R";
        else if (c == e && c != 0) seq = "E";
        else if (c == '\r') seq = "X0D";
        else if (c == '\n') seq = "X0A";
        if (!seq) continue;
        flush(i);
        if (e != 0) {
            escape_seq(seq);
        } else {
            ++stats.unmappable;
            out.push_back('?');
        }
        run_start = i + 1;
    }
    flush(text.size());
}

}  // namespace hl7
