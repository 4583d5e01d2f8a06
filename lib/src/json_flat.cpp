// The flat JSON form: one key per leaf value ("PID-5[1].1"), for quick queries; not lossless.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"
#include "json_internal.hpp"

namespace hl7 {

namespace {

using detail::append_json_string_body;

// Byte classes: plain text (copied as it is), text that needs care (escape character, JSON
// escaping, non-ASCII), and the four delimiters.
enum : std::uint8_t { kText = 0, kCare, kField, kRepetition, kComponent, kSubcomponent };

// Writes into `out` past its size through a pointer, growing it ahead (the hot loop then has no
// per-append bookkeeping); it is trimmed to what was written when the sink goes.
class Sink {
public:
    explicit Sink(std::string& out) : out_(out), used_(out.size()) {}
    ~Sink() { out_.resize(used_); }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;
    char* room(std::size_t n) {
        if (used_ + n > out_.size()) out_.resize(std::max(out_.size() * 2, used_ + n + 4096));
        return out_.data() + used_;
    }
    void put(char c) { *room(1) = c, ++used_; }
    void put(std::string_view text) {
        std::memcpy(room(text.size()), text.data(), text.size());
        used_ += text.size();
    }
    void advance(std::size_t n) { used_ += n; }

private:
    std::string& out_;
    std::size_t used_;
};

// Small numbers are the rule in keys (field 5, repetition 1, component 3). At most 10 digits.
char* put_number(char* at, unsigned n) {
    if (n < 10) {
        *at = static_cast<char>('0' + n);
        return at + 1;
    }
    if (n < 100) {
        at[0] = static_cast<char>('0' + n / 10);
        at[1] = static_cast<char>('0' + n % 10);
        return at + 2;
    }
    fmt::format_int digits(n);
    std::memcpy(at, digits.data(), digits.size());
    return at + digits.size();
}

// One pass over each segment: the delimiters found in order give every leaf its key, so the cost
// is linear in the message. Keys are kept as text ready to write (`,"PID-5[1].3":`), rebuilt only
// from the part that changed, and one table lookup per byte finds both the delimiters and whether
// a value can be copied as it is.
struct FlatWriter {
    Sink& out;
    const Delimiters& d;
    Charset charset;
    std::array<std::uint8_t, 256> classes{};
    // `,"PID[2]-5[1].1.2":` in a buffer with room for the numbers (key_room past the segment's
    // part), rebuilt from the marks below as indices change.
    std::string key;
    std::size_t key_size = 0;
    std::size_t field_mark = 0;      // key up to `,"PID-`
    std::size_t component_mark = 0;  // key up to `,"PID-5[1].`
    std::string value;               // decoded text, reused
    std::string escaped;             // JSON-escaped text, reused
    bool first = true;
    static constexpr std::size_t key_room = 64;  // four numbers of 10 digits, brackets, dots, `":`

    void prepare() {
        for (int b = 0; b < 256; ++b) classes[static_cast<std::size_t>(b)] = (b < 0x20 || b >= 0x80) ? kCare : kText;
        classes['"'] = classes['\\'] = kCare;
        if (d.escape != 0) classes[static_cast<unsigned char>(d.escape)] = kCare;
        auto set = [&](char c, std::uint8_t k) {
            if (c != 0) classes[static_cast<unsigned char>(c)] = k;
        };
        set(d.field, kField);
        set(d.repetition, kRepetition);
        set(d.component, kComponent);
        set(d.subcomponent, kSubcomponent);
    }

    char* key_end() { return key.data() + key_size; }
    void key_number(unsigned n) { key_size = static_cast<std::size_t>(put_number(key_end(), n) - key.data()); }
    void key_char(char c) { key[key_size++] = c; }

    // The key and, for a plain value, the value, in one reservation.
    void open_key(std::size_t value_size) {
        key[key_size] = '"';
        key[key_size + 1] = ':';
        std::size_t from = first ? 1 : 0;  // the first key has no comma before it
        std::size_t n = key_size + 2 - from;
        char* at = out.room(n + value_size + 3);
        if (first) {
            *at++ = '{';
            out.advance(1);
            first = false;
        }
        std::memcpy(at, key.data() + from, n);
        out.advance(n);
    }

    // A leaf whose bytes are all plain text (`care` false) is copied in one piece.
    void leaf(const char* begin, const char* end, bool care) {
        std::string_view raw(begin, static_cast<std::size_t>(end - begin));
        open_key(raw.size());
        if (!care) {
            char* at = out.room(raw.size() + 2);
            *at = '"';
            std::memcpy(at + 1, raw.data(), raw.size());
            at[raw.size() + 1] = '"';
            out.advance(raw.size() + 2);
            return;
        }
        if (raw == "\"\"") {
            out.put("\"\\\"\\\"\"");  // the HL7 null, as in hl7json 2
            return;
        }
        escaped.assign(1, '"');
        if (!needs_decoding(raw, d)) {
            append_json_string_body(escaped, raw);
        } else {
            value.clear();
            EscapeStats stats;
            decode_value(raw, d, charset, TextForm::plain, value, stats);
            append_json_string_body(escaped, value);
        }
        escaped.push_back('"');
        out.put(escaped);
    }

    void literal(std::string_view raw) {
        open_key(0);
        value.clear();
        append_as_utf8(value, raw, charset, '\\');
        escaped.assign(1, '"');
        append_json_string_body(escaped, value);
        escaped.push_back('"');
        out.put(escaped);
    }

    void segment(std::string_view seg, std::string_view seg_key) {
        // The key text is JSON-escaped once here: an ID may be any text that is not a segment.
        key.assign(",\"", 2);
        std::string id_text;
        append_as_utf8(id_text, seg_key, charset, '\\');
        append_json_string_body(key, id_text);
        key.push_back('-');
        field_mark = key.size();
        key.resize(field_mark + key_room);
        key_size = field_mark;
        const char* p = seg.data();
        const char* end = p + seg.size();
        bool header = is_header_segment(seg, d.field);
        unsigned field = 0;
        if (header) {
            p += 3;
            key_char('1');
            literal(std::string_view(p, 1));  // MSH-1: the separator itself
            ++p;
            const char* e = p;
            while (e < end && *e != d.field) ++e;
            key_size = field_mark;
            key_char('2');
            literal(std::string_view(p, static_cast<std::size_t>(e - p)));
            p = e;
            field = 2;
        } else {
            while (p < end && *p != d.field) ++p;
        }
        // p is at a field separator (or the end).
        while (p < end) {
            ++p;
            ++field;
            unsigned repetition = 1, component = 1;
            start_repetition(field, repetition);
            for (;;) {
                // One component: its end, whether it has subcomponents, whether it needs care.
                const char* c_end = p;
                bool subs = false, care = false;
                std::uint8_t k = kText;
                for (; c_end < end; ++c_end) {
                    k = classes[static_cast<unsigned char>(*c_end)];
                    if (k == kText) continue;
                    if (k == kCare) care = true;
                    else if (k == kSubcomponent) subs = true;
                    else break;
                }
                if (c_end == end) k = kField;
                key_size = component_mark;
                key_number(component);
                if (!subs) {
                    leaf(p, c_end, care);
                } else {
                    key_char('.');
                    const std::size_t sub_mark = key_size;
                    unsigned sub = 1;
                    const char* s = p;
                    for (const char* q = p;; ++q) {
                        if (q == c_end || *q == d.subcomponent) {
                            key_size = sub_mark;
                            key_number(sub++);
                            bool sub_care = false;
                            for (const char* b = s; b < q; ++b)
                                sub_care = sub_care || classes[static_cast<unsigned char>(*b)] == kCare;
                            leaf(s, q, sub_care);
                            if (q == c_end) break;
                            s = q + 1;
                        }
                    }
                }
                p = c_end;
                if (k == kComponent) {
                    ++component;
                    ++p;
                } else if (k == kRepetition) {
                    start_repetition(field, ++repetition);
                    component = 1;
                    ++p;
                } else {
                    break;  // a field separator (p stays on it) or the end
                }
            }
        }
    }

    void start_repetition(unsigned field, unsigned repetition) {
        key_size = field_mark;
        key_number(field);
        key_char('[');
        key_number(repetition);
        key_char(']');
        key_char('.');
        component_mark = key_size;
    }
};

}  // namespace

void write_flat_json(std::string& out, const Message& message, const JsonWriteOptions& options,
                     Diagnostics* diagnostics) {
    const Delimiters& d = message.delimiters();
    Sink sink(out);
    FlatWriter writer{sink, d, detail::charset_for(message, options, diagnostics), {}, {}, 0, 0, 0, {}, {}, true};
    writer.prepare();
    std::vector<std::pair<std::string_view, int>> seen;
    std::string seg_key;
    for (std::size_t i = 0; i < message.size(); ++i) {
        std::string_view id = message.segment_id(i);
        int occurrence = 1;
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        if (it == seen.end()) {
            seen.emplace_back(id, 1);
        } else {
            occurrence = ++it->second;
        }
        seg_key.assign(id);
        if (occurrence > 1) {
            seg_key.push_back('[');
            seg_key.append(fmt::format_int(occurrence).str());
            seg_key.push_back(']');
        }
        writer.segment(message.segment(i), seg_key);
    }
    if (writer.first) sink.put('{');
    sink.put('}');
}

}  // namespace hl7
