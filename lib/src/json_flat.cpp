// The flat JSON form: one key per leaf value ("PID-5[1].1"), for quick queries; not lossless.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"
#include "json_internal.hpp"

namespace hl7 {

namespace {

using detail::append_json_string_body;

enum : std::uint8_t { kText = 0, kField, kRepetition, kComponent, kSubcomponent };

void append_number(std::string& out, unsigned n) {
    fmt::format_int digits(n);
    out.append(digits.data(), digits.size());
}

// One pass over each segment: the delimiters found in order give every leaf its key, so the cost
// is linear in the message (the earlier nth_part walk rescanned each field per component).
struct FlatWriter {
    std::string& out;
    const Delimiters& d;
    Charset charset;
    std::array<std::uint8_t, 256> classes{};
    std::array<bool, 256> plain{};  // bytes a value can be copied with: no escape, no JSON escaping
    std::string key;     // "PID[2]-5[1].1.2", rebuilt from key_base as indices change
    std::string value;   // decoded text, reused
    std::size_t key_base = 0;
    bool first = true;

    void prepare() {
        auto set = [&](char c, std::uint8_t k) {
            if (c != 0) classes[static_cast<unsigned char>(c)] = k;
        };
        set(d.field, kField);
        set(d.repetition, kRepetition);
        set(d.component, kComponent);
        set(d.subcomponent, kSubcomponent);
        for (int b = 0x20; b < 0x80; ++b) plain[static_cast<std::size_t>(b)] = true;
        plain['"'] = plain['\\'] = false;
        if (d.escape != 0) plain[static_cast<unsigned char>(d.escape)] = false;
    }

    void open_key() {
        out.push_back(first ? '{' : ',');
        first = false;
        out.push_back('"');
        out.append(key);  // segment IDs that need JSON escaping are handled in segment()
        out.append("\":", 2);
    }

    void leaf(const char* begin, const char* end) {
        open_key();
        std::string_view raw(begin, static_cast<std::size_t>(end - begin));
        if (raw == "\"\"") {
            out.append("\"\\\"\\\"\"");  // the HL7 null, as in hl7json 2
            return;
        }
        out.push_back('"');
        bool copy = true;
        for (char c : raw) copy = copy && plain[static_cast<unsigned char>(c)];
        if (copy) {  // most values: one scan, one copy
            out.append(raw);
        } else if (!needs_decoding(raw, d)) {
            append_json_string_body(out, raw);
        } else {
            value.clear();
            EscapeStats stats;
            decode_value(raw, d, charset, TextForm::plain, value, stats);
            append_json_string_body(out, value);
        }
        out.push_back('"');
    }

    void literal(std::string_view raw) {
        open_key();
        out.push_back('"');
        value.clear();
        append_as_utf8(value, raw, charset, '\\');
        append_json_string_body(out, value);
        out.push_back('"');
    }

    void segment(std::string_view seg, std::string_view seg_key) {
        // The key text is JSON-escaped once here: an ID may be any text that is not a segment.
        key.clear();
        std::string id_text;
        append_as_utf8(id_text, seg_key, charset, '\\');
        append_json_string_body(key, id_text);
        key.push_back('-');
        key_base = key.size();
        const char* p = seg.data();
        const char* end = p + seg.size();
        bool header = is_header_segment(seg, d.field);
        int field = 0;
        if (header) {
            p += 3;
            key.resize(key_base);
            key.push_back('1');
            literal(std::string_view(p, 1));  // MSH-1: the separator itself
            ++p;
            const char* e = p;
            while (e < end && *e != d.field) ++e;
            key.resize(key_base);
            key.push_back('2');
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
            for (;;) {
                // One component: its end, and whether it has subcomponents.
                const char* c_end = p;
                bool subs = false;
                std::uint8_t k = kText;
                for (; c_end < end; ++c_end) {
                    k = classes[static_cast<unsigned char>(*c_end)];
                    if (k == kSubcomponent) subs = true;
                    else if (k != kText) break;
                }
                if (c_end == end) k = kField;
                key.resize(key_base);
                append_number(key, static_cast<unsigned>(field));
                key.push_back('[');
                append_number(key, repetition);
                key.append("].", 2);
                append_number(key, component);
                if (!subs) {
                    leaf(p, c_end);
                } else {
                    key.push_back('.');
                    const std::size_t sub_base = key.size();
                    unsigned sub = 1;
                    const char* s = p;
                    for (const char* q = p;; ++q) {
                        if (q == c_end || *q == d.subcomponent) {
                            key.resize(sub_base);
                            append_number(key, sub++);
                            leaf(s, q);
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
                    ++repetition;
                    component = 1;
                    ++p;
                } else {
                    break;  // a field separator (p stays on it) or the end
                }
            }
        }
    }
};

}  // namespace

void write_flat_json(std::string& out, const Message& message, const JsonWriteOptions& options,
                     Diagnostics* diagnostics) {
    const Delimiters& d = message.delimiters();
    FlatWriter writer{out, d, detail::charset_for(message, options, diagnostics), {}, {}, {}, {}, 0, true};
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
            append_number(seg_key, static_cast<unsigned>(occurrence));
            seg_key.push_back(']');
        }
        writer.segment(message.segment(i), seg_key);
    }
    if (writer.first) out.push_back('{');
    out.push_back('}');
}

}  // namespace hl7
