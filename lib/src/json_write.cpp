// The JSON form, written: a single-pass writer per segment, straight into the output buffer.
#include <fmt/format.h>

#include <array>
#include <cstring>

#include "hl7/escape.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "json_internal.hpp"
#include "scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hl7 {


namespace {

using detail::append_json_string_body;

enum : std::uint8_t { kPlain = 0, kField, kRepetition, kComponent, kSubcomponent, kSlow };

using ClassTable = std::array<std::uint8_t, 256>;

// Byte classes for one delimiter set: what ends a leaf, and what a leaf cannot be copied with.
ClassTable make_classes(const Delimiters& d) {
    ClassTable t{};
    for (int b = 0; b < 0x20; ++b) t[static_cast<std::size_t>(b)] = kSlow;
    for (int b = 0x80; b < 0x100; ++b) t[static_cast<std::size_t>(b)] = kSlow;
    t['"'] = kSlow;
    t['\\'] = kSlow;
    if (d.escape) t[static_cast<unsigned char>(d.escape)] = kSlow;
    if (d.repetition) t[static_cast<unsigned char>(d.repetition)] = kRepetition;
    if (d.component) t[static_cast<unsigned char>(d.component)] = kComponent;
    if (d.subcomponent) t[static_cast<unsigned char>(d.subcomponent)] = kSubcomponent;
    if (d.field) t[static_cast<unsigned char>(d.field)] = kField;
    return t;
}

// Appends to a std::string through a raw pointer, checking room once per piece rather than per
// byte: the writer below is the hot path of hl7parse --to json.
class Sink {
public:
    // `expected` is a guess of the bytes to come; room() grows past it when needed. Growing the
    // string zero-fills, so the guess is kept close rather than taking the whole capacity.
    Sink(std::string& out, std::size_t expected) : out_(out) {
        std::size_t used = out_.size();
        out_.resize(used + expected + 256);
        w_ = out_.data() + used;
        end_ = out_.data() + out_.size();
    }
    ~Sink() { out_.resize(size()); }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    std::size_t size() const { return static_cast<std::size_t>(w_ - out_.data()); }
    [[gnu::always_inline]] void room(std::size_t n) {
        if (__builtin_expect(static_cast<std::size_t>(end_ - w_) < n, 0)) grow(n);
    }
    [[gnu::noinline]] void grow(std::size_t n) {
        std::size_t used = size();
        out_.resize(used + std::max(n + 256, used / 2));
        w_ = out_.data() + used;
        end_ = out_.data() + out_.size();
    }
    // The write position, for a loop that keeps it in a register (char stores alias everything, so
    // a member pointer would be reloaded after every byte); set_cursor() hands it back.
    char* cursor() const { return w_; }
    char* base() const { return out_.data(); }
    void set_cursor(char* w) { w_ = w; }
    void put(char c) { *w_++ = c; }  // after room()
    void put(const char* p, std::size_t n) {
        // Most HL7 values are short: two overlapping fixed-size copies (which read only inside
        // [p, p + n)) beat both a byte loop and a call to memcpy.
        if (n >= 8 && n <= 16) {
            std::memcpy(w_, p, 8);
            std::memcpy(w_ + n - 8, p + n - 8, 8);
        } else if (n >= 4 && n < 8) {
            std::memcpy(w_, p, 4);
            std::memcpy(w_ + n - 4, p + n - 4, 4);
        } else if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) w_[i] = p[i];
        } else {
            std::memcpy(w_, p, n);
        }
        w_ += n;
    }
    void put(std::string_view s) { put(s.data(), s.size()); }
    void append(std::string_view s) {
        room(s.size());
        put(s);
    }
    // Inserts one byte at an earlier position (rare: a component turns out to have subcomponents).
    void insert(std::size_t at, char c) {
        room(1);
        char* p = out_.data() + at;
        std::memmove(p + 1, p, static_cast<std::size_t>(w_ - p));
        *p = c;
        ++w_;
    }

private:
    std::string& out_;
    char* w_ = nullptr;
    char* end_ = nullptr;
};

struct WriterSizes {
    // JSON of real feeds runs about 2.5 times the ER7 it comes from.
    static std::size_t guess(std::size_t er7_size) { return er7_size * 3 + 64; }
};

bool is_plain(std::string_view s) {
    for (char c : s) {
        unsigned char b = static_cast<unsigned char>(c);
        if (b < 0x20 || b >= 0x80 || c == '"' || c == '\\') return false;
    }
    return true;
}

struct SegmentWriter {
    std::string& out;
    const Delimiters& d;
    Charset charset;
    const ClassTable& classes;
    Diagnostics* diagnostics;
    std::string scratch;
    std::string escaped;
    // Where we are, for diagnostics.
    std::string_view segment_id;
    std::uint32_t segment_index = 0;
    const Message* message = nullptr;
    int field = 0, repetition = 1, component = 1, subcomponent = 1;
    bool in_subcomponents = false;
    bool leaf_is_subcomponent = false;  // the leaf being written is one of several subcomponents

    void report(const EscapeStats& stats) {
        if (!diagnostics) return;
        Location where;
        where.segment_index = segment_index;
        if (is_well_formed_segment_id(segment_id)) {
            where.segment_id = std::string(segment_id);
            int occurrence = 1;  // counted here, on the rare path, rather than for every segment
            if (message)
                for (std::uint32_t k = 0; k + 1 < segment_index && k < message->size(); ++k)
                    occurrence += message->segment_id(k) == segment_id;
            where.path = fmt::format("{}{}-{}", segment_id, occurrence > 1 ? fmt::format("[{}]", occurrence) : "", field);
        } else {
            // A line that is not a segment: by position, never by its text (patient data?).
            where.path = fmt::format("segment {} field {}", segment_index, field);
        }
        if (repetition > 1) where.path += fmt::format("[{}]", repetition);
        where.path += fmt::format(".{}", component);
        if (leaf_is_subcomponent) where.path += fmt::format(".{}", subcomponent);
        if (stats.bad_escapes) {
            Diagnostic diag;
            diag.severity = Severity::warning;
            diag.code = "bad-escape";
            diag.text = "malformed escape sequence kept as text";
            diag.where = where;
            diagnostics->push_back(std::move(diag));
        }
        if (stats.invalid_bytes) {
            Diagnostic diag;
            diag.severity = Severity::warning;
            diag.code = "invalid-byte";
            diag.text = fmt::format("{} byte{} not valid in {} kept as \\Xhh\\", stats.invalid_bytes,
                                    stats.invalid_bytes == 1 ? "" : "s", charset_name(charset));
            diag.where = where;
            diagnostics->push_back(std::move(diag));
        }
    }

    // A JSON string (or null) for one leaf, written after room for `n + 16` bytes was made.
    void leaf(Sink& sink, const char* begin, const char* end, bool slow) {
        std::size_t n = static_cast<std::size_t>(end - begin);
        if (n == 2 && begin[0] == '"' && begin[1] == '"') {
            sink.room(8);
            sink.put("\"\\\"\\\"\"", 6);  // "\"\"": the HL7 null, as ER7 writes it
            return;
        }
        if (!slow) {
            sink.room(n + 16);
            sink.put('"');
            sink.put(begin, n);
            sink.put('"');
            return;
        }
        scratch.clear();
        EscapeStats stats;
        decode_value(std::string_view(begin, n), d, charset, TextForm::json, scratch, stats);
        if (stats.bad_escapes || stats.invalid_bytes) report(stats);
        escaped.clear();
        append_json_string_body(escaped, scratch);
        sink.room(escaped.size() + 16);
        sink.put('"');
        sink.put(escaped);
        sink.put('"');
    }

    // JSON text for bytes taken as they are (segment IDs, MSH-1, MSH-2): converted from the
    // charset like values, but never unescaped; bytes invalid there become \Xhh\. A backslash
    // followed by X in the text itself becomes \X5C\, so that no text can read back as bytes.
    void literal_text(std::string_view text) {
        escaped.clear();
        if (is_plain(text)) {
            escaped.assign(text);
            return;
        }
        scratch.clear();
        std::size_t run = 0;
        for (std::size_t at = text.find("\\X"); at != std::string_view::npos; at = text.find("\\X", at + 1)) {
            append_as_utf8(scratch, text.substr(run, at - run), charset, '\\');
            scratch.append("\\X5C\\");
            run = at + 1;
        }
        append_as_utf8(scratch, text.substr(run), charset, '\\');
        append_json_string_body(escaped, scratch);
    }

    void literal_field(Sink& sink, std::string_view text) {
        literal_text(text);
        sink.room(escaped.size() + 16);
        sink.put(",[[\"", 4);
        sink.put(escaped);
        sink.put("\"]]", 3);
    }

#if defined(__SSE2__)
    __m128i special_[7];
#endif
    void prepare() {
#if defined(__SSE2__)
        // Unused delimiters (0) fall back to '"', which is special anyway.
        char chars[7] = {d.field, d.repetition, d.component, d.subcomponent, d.escape, '"', '\\'};
        for (int i = 0; i < 7; ++i) special_[i] = _mm_set1_epi8(chars[i] ? chars[i] : '"');
#endif
    }

    // Bit i set when byte i of [p, p + 64) is not plain text: a delimiter, the escape character, a
    // quote, a backslash, a control byte or a byte from 0x80.
    std::uint64_t special_mask(const char* p) const {
#if defined(__SSE2__)
        const __m128i space = _mm_set1_epi8(0x20);
        std::uint64_t bits = 0;
        for (int k = 0; k < 4; ++k) {
            __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
            // Bytes below 0x20 and from 0x80 are both "less than 0x20" as signed bytes.
            __m128i m = _mm_cmplt_epi8(v, space);
            for (int i = 0; i < 7; ++i) m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[i]));
            bits |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(m))) << (16 * k);
        }
        return bits;
#else
        std::uint64_t bits = 0;
        for (int i = 0; i < 64; ++i)
            if (classes[static_cast<unsigned char>(p[i])] != kPlain) bits |= std::uint64_t{1} << i;
        return bits;
#endif
    }

    // The special bytes of a segment in order, found 64 bytes at a time: one pass of compares per
    // block instead of one search per leaf (leaves are a few bytes long in real feeds).
    struct SpecialScanner {
        const SegmentWriter& writer;
        const char* block;
        const char* end;
        std::uint64_t bits = 0;

        std::uint64_t mask_at(const char* b) const {
            if (end - b >= 64) return writer.special_mask(b);
            // The last block: a copy padded past the end (never read beyond the segment), bits
            // past the end masked off.
            char padded[64];
            std::size_t n = static_cast<std::size_t>(end - b);
            std::memcpy(padded, b, n);
            std::memset(padded + n, 0, 64 - n);
            return writer.special_mask(padded) & ((std::uint64_t{1} << n) - 1);
        }
        SpecialScanner(const SegmentWriter& w, const char* from, const char* to) : writer(w), block(from), end(to) {
            if (block < end) bits = mask_at(block);
        }
        // The next special byte, or end.
        [[gnu::always_inline]] const char* next() {
            while (bits == 0) {
                block += 64;
                if (block >= end) return end;
                bits = mask_at(block);
            }
            const char* q = block + __builtin_ctzll(bits);
            bits &= bits - 1;
            return q;
        }
    };

    // A leaf that needs decoding (escapes, quotes, control or high bytes) or is the HL7 null.
    [[gnu::noinline]] char* slow_leaf(Sink& sink, char* w, const char* begin, const char* end, const char* segment_end) {
        sink.set_cursor(w);
        leaf(sink, begin, end, true);
        sink.room(8 * static_cast<std::size_t>(segment_end - end) + 64);
        return sink.cursor();
    }

    // Room the fast loop relies on: each input byte gives at most 8 bytes of JSON (a delimiter
    // closes a leaf and opens the next: `"]],[["`), and 64 more allow 16-byte copies past a leaf.
    static std::size_t bound(const char* p, const char* end) { return 8 * static_cast<std::size_t>(end - p) + 64; }

    void segment(Sink& sink, std::string_view s) {
        const char* p = s.data();
        const char* end = p + s.size();
        bool header = is_header_segment(s, d.field);
        const char* id_end = header ? p + 3 : detail::find_byte(p, end, d.field);
        segment_id = std::string_view(p, static_cast<std::size_t>(id_end - p));
        std::string_view id_text = segment_id;
        if (!is_plain(segment_id)) {
            literal_text(segment_id);
            id_text = escaped;
        }
        sink.room(id_text.size() * 2 + 32);
        sink.put("{\"id\":\"", 7);
        sink.put(id_text);
        sink.put("\",\"fields\":[\"", 13);
        sink.put(id_text);
        sink.put('"');
        p = id_end;
        int field_no = 0;
        if (header) {
            // MSH-1 and MSH-2 are literal: they are the delimiters, not data.
            literal_field(sink, std::string_view(p, 1));
            ++p;
            const char* e = detail::find_byte(p, end, d.field);
            literal_field(sink, std::string_view(p, static_cast<std::size_t>(e - p)));
            p = e;
            field_no = 2;
        }
        // One pass over the special bytes: fs is at a field separator (or the end). The state lives
        // in locals; the members are set only for the rare leaf that may report a problem.
        sink.room(bound(p, end));
        char* w = sink.cursor();
        SpecialScanner scan(*this, p, end);
        const char* fs = p < end ? scan.next() : end;  // the separator at p
        while (fs < end) {
            ++field_no;
            const char* start = fs + 1;
            const char* q = scan.next();
            if (q == start && (q == end || classes[static_cast<unsigned char>(*q)] == kField)) {
                std::memcpy(w, ",[]", 3);
                w += 3;
                fs = q;
                continue;
            }
            std::memcpy(w, ",[[", 3);
            w += 3;
            int rep = 1, comp = 1, sub = 1;
            bool in_sub = false;
            char* component_start = w;
            const char* leaf_start = start;
            bool slow = false;
            for (;;) {
                std::uint8_t cls = q < end ? classes[static_cast<unsigned char>(*q)] : std::uint8_t{kField};
                if (cls == kSlow) {
                    slow = true;
                    q = scan.next();
                    continue;
                }
                if (__builtin_expect(slow, 0)) {
                    field = field_no;
                    repetition = rep;
                    component = comp;
                    subcomponent = sub;
                    leaf_is_subcomponent = in_sub || cls == kSubcomponent;
                    // The buffer may move: the component's start is kept as an offset.
                    std::size_t component_at = static_cast<std::size_t>(component_start - sink.base());
                    w = slow_leaf(sink, w, leaf_start, q, end);
                    component_start = sink.base() + component_at;
                    slow = false;
                } else {
                    std::size_t n = static_cast<std::size_t>(q - leaf_start);
                    *w++ = '"';
                    // Room is made for 16 bytes past any leaf; the source is read only inside
                    // the segment (overlapping copies near its end).
                    if (n <= 16 && end - leaf_start >= 16) {
                        std::memcpy(w, leaf_start, 16);
                    } else if (n >= 8 && n <= 16) {
                        std::memcpy(w, leaf_start, 8);
                        std::memcpy(w + n - 8, leaf_start + n - 8, 8);
                    } else if (n >= 4 && n < 8) {
                        std::memcpy(w, leaf_start, 4);
                        std::memcpy(w + n - 4, leaf_start + n - 4, 4);
                    } else if (n < 4) {
                        for (std::size_t i = 0; i < n; ++i) w[i] = leaf_start[i];
                    } else {
                        std::memcpy(w, leaf_start, n);
                    }
                    w += n;
                    *w++ = '"';
                }
                if (cls == kSubcomponent) {
                    if (!in_sub) {
                        std::memmove(component_start + 1, component_start, static_cast<std::size_t>(w - component_start));
                        *component_start = '[';
                        ++w;
                        in_sub = true;
                    }
                    *w++ = ',';
                    ++sub;
                } else {
                    if (in_sub) {
                        *w++ = ']';
                        in_sub = false;
                    }
                    sub = 1;
                    if (cls == kComponent) {
                        *w++ = ',';
                        ++comp;
                    } else if (cls == kRepetition) {
                        std::memcpy(w, "],[", 3);
                        w += 3;
                        ++rep;
                        comp = 1;
                    } else {  // field separator or end
                        std::memcpy(w, "]]", 2);
                        w += 2;
                        fs = q;
                        break;
                    }
                    component_start = w;
                }
                leaf_start = q + 1;
                q = scan.next();
            }
        }
        sink.set_cursor(w);
        sink.room(4);
        sink.put("]}", 2);
    }
};

}  // namespace

namespace detail {

void append_json_string_body(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                out.append("\\u00");
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
        }
    }
    out.append(s.data() + run, s.size() - run);
}


Charset charset_for(const Message& m, const JsonWriteOptions& options, Diagnostics* diagnostics) {
    if (options.charset) return *options.charset;
    DeclaredCharset declared = declared_charset(m);
    if (!declared.known && diagnostics) {
        Diagnostic diag;
        diag.severity = Severity::warning;
        diag.code = "unknown-charset";
        diag.text = "MSH-18 names a character set this tool does not know; reading as UTF-8";
        diag.value = std::string(declared.name);
        diag.where.segment_index = 1;
        diag.where.segment_id = "MSH";
        diag.where.path = "MSH-18";
        diagnostics->push_back(std::move(diag));
    }
    return declared.charset;
}


}  // namespace detail

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    append_json_string_body(out, text);
    out.push_back('"');
}

void write_json(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                const std::vector<std::string_view>& batch_trailer, const JsonSource& source,
                const JsonWriteOptions& options, Diagnostics* diagnostics) {
    out.append("{\"hl7json\":");
    out.append(std::to_string(kJsonFormVersion));
    Delimiters delimiters;
    Charset charset = Charset::ascii;
    if (message) {
        delimiters = message->delimiters();
        charset = detail::charset_for(*message, options, diagnostics);
        if (options.charset) {
            out.append(",\"charset\":");
            append_json_string(out, charset_name(charset));
        }
    } else if (!batch_header.empty()) {
        if (auto d = read_delimiters(batch_header.front())) delimiters = *d;
    }
    ClassTable classes = make_classes(delimiters);
    SegmentWriter writer{out, delimiters, charset, classes, diagnostics, {}, {}, {}, 0, nullptr, 0, 1, 1, 1, false, false, {}};
    writer.message = message;
    writer.prepare();

    auto batch_list = [&](const char* name, const std::vector<std::string_view>& lines) {
        out.append(",\"");
        out.append(name);
        out.append("\":[");
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (i) out.push_back(',');
            Delimiters own = delimiters;
            if (is_header_segment(lines[i]))
                if (auto d = read_delimiters(lines[i])) own = *d;
            ClassTable own_classes = make_classes(own);
            SegmentWriter w{out, own, charset, own_classes, diagnostics, {}, {}, {}, 0, nullptr, 0, 1, 1, 1, false, false, {}};
            w.prepare();
            Sink sink(out, WriterSizes::guess(lines[i].size()));
            w.segment(sink, lines[i]);
        }
        out.push_back(']');
    };
    if (!batch_header.empty() || !batch_trailer.empty()) {
        out.append(",\"batch\":{");
        out.append("\"v\":1");
        if (!batch_header.empty()) batch_list("header", batch_header);
        if (!batch_trailer.empty()) batch_list("trailer", batch_trailer);
        out.push_back('}');
    }

    out.append(",\"segments\":[");
    if (message) {
        // One sink for all segments: the string grows (and is zero-filled) once, not per segment.
        Sink sink(out, WriterSizes::guess(message->original_text().size()));
        for (std::size_t i = 0; i < message->size(); ++i) {
            if (i) {
                sink.room(1);
                sink.put(',');
            }
            writer.segment_index = static_cast<std::uint32_t>(i + 1);
            writer.segment(sink, message->segment(i));
        }
    }
    out.push_back(']');
    if (options.include_source && (!source.file.empty() || source.index != 0)) {
        out.append(",\"source\":{\"file\":");
        append_json_string(out, source.file);
        out.append(fmt::format(",\"message\":{},\"offset\":{},\"line\":{}}}", source.index, source.offset, source.line));
    }
    out.push_back('}');
}

}  // namespace hl7
