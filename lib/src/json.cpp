// The JSON form: a single-pass writer per segment, the flat form, a pretty printer, and the reader.
#include "hl7/json.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "hl7/escape.hpp"
#include "scan.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hl7 {

namespace {

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
        where.segment_id = std::string(segment_id);
        int occurrence = 1;  // counted here, on the rare path, rather than for every segment
        if (message)
            for (std::uint32_t k = 0; k + 1 < segment_index && k < message->size(); ++k)
                occurrence += message->segment_id(k) == segment_id;
        where.path = fmt::format("{}{}-{}", segment_id, occurrence > 1 ? fmt::format("[{}]", occurrence) : "", field);
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
            sink.put("null", 4);
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
    // charset like values, but never unescaped; bytes invalid there become \Xhh\.
    void literal_text(std::string_view text) {
        escaped.clear();
        if (is_plain(text)) {
            escaped.assign(text);
            return;
        }
        scratch.clear();
        append_as_utf8(scratch, text, charset, '\\');
        append_json_string_body(escaped, scratch);
    }

    void literal_field(Sink& sink, std::string_view text) {
        literal_text(text);
        sink.room(escaped.size() + 16);
        sink.put(",[[\"", 4);
        sink.put(escaped);
        sink.put("\"]]", 3);
    }

    // The next byte at or after p that is not plain text (end if none).
    const char* find_special(const char* p, const char* end) const {
#if defined(__SSE2__)
        // Bytes below 0x20 and from 0x80 are both "less than 0x20" as signed bytes.
        const __m128i space = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            __m128i m = _mm_cmplt_epi8(v, space);
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[0]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[1]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[2]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[3]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[4]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[5]));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(v, special_[6]));
            int mask = _mm_movemask_epi8(m);
            if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
            p += 16;
        }
#endif
        while (p < end && classes[static_cast<unsigned char>(*p)] == kPlain) ++p;
        return p;
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

    void segment(std::string_view s) {
        Sink sink(out, s.size() + s.size() / 2);
        const char* p = s.data();
        const char* end = p + s.size();
        bool header = is_header_segment(s);
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
        field = 0;
        if (header) {
            // MSH-1 and MSH-2 are literal: they are the delimiters, not data.
            literal_field(sink, std::string_view(p, 1));
            ++p;
            const char* e = detail::find_byte(p, end, d.field);
            literal_field(sink, std::string_view(p, static_cast<std::size_t>(e - p)));
            p = e;
            field = 2;
        }
        // One pass over the fields: p is at a field separator (or the end).
        while (p < end) {
            ++p;  // the field separator
            ++field;
            sink.room(8);
            if (p == end || *p == d.field) {
                sink.put(",[]", 3);
                continue;
            }
            sink.put(",[[", 3);
            repetition = component = subcomponent = 1;
            in_subcomponents = false;
            std::size_t component_start = sink.size();
            const char* leaf_start = p;
            bool slow = false;
            for (;; ++p) {
                p = find_special(p, end);
                std::uint8_t cls = p < end ? classes[static_cast<unsigned char>(*p)] : std::uint8_t{kField};
                if (cls == kSlow) {
                    slow = true;
                    continue;
                }
                leaf_is_subcomponent = in_subcomponents || cls == kSubcomponent;
                leaf(sink, leaf_start, p, slow);
                slow = false;
                leaf_start = p + 1;
                sink.room(8);
                if (cls == kSubcomponent) {
                    if (!in_subcomponents) {
                        sink.insert(component_start, '[');
                        in_subcomponents = true;
                    }
                    sink.put(',');
                    ++subcomponent;
                    continue;
                }
                if (in_subcomponents) {
                    sink.put(']');
                    in_subcomponents = false;
                }
                subcomponent = 1;
                if (cls == kComponent) {
                    sink.put(',');
                    ++component;
                } else if (cls == kRepetition) {
                    sink.put("],[", 3);
                    ++repetition;
                    component = 1;
                } else {  // field separator or end
                    sink.put("]]", 2);
                    break;
                }
                component_start = sink.size();
            }
        }
        sink.room(4);
        sink.put("]}", 2);
    }
};

std::string_view first_leaf(std::string_view field, const Delimiters& d) {
    std::string_view v = nth_part(field, d.repetition, 1).value_or(field);
    v = nth_part(v, d.component, 1).value_or(v);
    return nth_part(v, d.subcomponent, 1).value_or(v);
}

Charset charset_for(const Message& m, const JsonWriteOptions& options, Diagnostics* diagnostics) {
    if (options.charset) return *options.charset;
    DeclaredCharset declared = declared_charset(m);
    if (!declared.known && diagnostics) {
        Diagnostic diag;
        diag.severity = Severity::warning;
        diag.code = "unknown-charset";
        diag.text = "MSH-18 names a character set this tool does not know; reading as UTF-8";
        diag.value = declared.name;
        diag.where.segment_index = 1;
        diag.where.segment_id = "MSH";
        diag.where.path = "MSH-18";
        diagnostics->push_back(std::move(diag));
    }
    return declared.charset;
}

}  // namespace

DeclaredCharset declared_charset(const Message& m) {
    DeclaredCharset result;
    if (m.empty()) return result;
    auto field = field_text(m.segment(0), m.delimiters(), 18);
    if (!field) return result;
    std::string_view name = first_leaf(*field, m.delimiters());
    result.name = std::string(name);
    if (auto c = charset_from_name(name)) {
        result.charset = *c;
    } else {
        result.charset = Charset::utf8;
        result.known = false;
    }
    return result;
}

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    append_json_string_body(out, text);
    out.push_back('"');
}

void write_json(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                const std::vector<std::string_view>& batch_trailer, const JsonSource& source,
                const JsonWriteOptions& options, Diagnostics* diagnostics) {
    out.append("{\"hl7json\":1");
    Delimiters delimiters;
    Charset charset = Charset::ascii;
    if (message) {
        delimiters = message->delimiters();
        charset = charset_for(*message, options, diagnostics);
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
            w.segment(lines[i]);
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
        for (std::size_t i = 0; i < message->size(); ++i) {
            if (i) out.push_back(',');
            writer.segment_index = static_cast<std::uint32_t>(i + 1);
            writer.segment(message->segment(i));
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

void write_flat_json(std::string& out, const Message& message, const JsonWriteOptions& options,
                     Diagnostics* diagnostics) {
    const Delimiters& d = message.delimiters();
    Charset charset = charset_for(message, options, diagnostics);
    std::string value;
    bool first = true;
    auto emit = [&](const std::string& key, std::string_view raw, bool literal) {
        if (raw.empty()) return;
        out.push_back(first ? '{' : ',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        if (!literal && raw == "\"\"") {
            out.append("null");
            return;
        }
        value.clear();
        EscapeStats stats;
        if (literal) {
            value.assign(raw);
        } else {
            decode_value(raw, d, charset, TextForm::plain, value, stats);
        }
        append_json_string(out, value);
    };
    std::vector<std::pair<std::string_view, int>> seen;
    for (std::size_t i = 0; i < message.size(); ++i) {
        std::string_view id = message.segment_id(i);
        int occurrence = 1;
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        if (it == seen.end()) {
            seen.emplace_back(id, 1);
        } else {
            occurrence = ++it->second;
        }
        std::string seg_key = occurrence > 1 ? fmt::format("{}[{}]", id, occurrence) : std::string(id);
        std::string_view seg = message.segment(i);
        bool header = is_header_segment(seg);
        int fields = field_count(seg, d);
        for (int f = 1; f <= fields; ++f) {
            std::string_view field = *field_text(seg, d, f);
            if (header && f <= 2) {
                emit(fmt::format("{}-{}", seg_key, f), field, true);
                continue;
            }
            int nreps = count_parts(field, d.repetition);
            for (int r = 1; r <= nreps; ++r) {
                std::string_view rep = *nth_part(field, d.repetition, r);
                int ncomps = count_parts(rep, d.component);
                for (int c = 1; c <= ncomps; ++c) {
                    std::string_view comp = *nth_part(rep, d.component, c);
                    int nsubs = count_parts(comp, d.subcomponent);
                    if (nsubs == 1) {
                        emit(fmt::format("{}-{}[{}].{}", seg_key, f, r, c), comp, false);
                        continue;
                    }
                    for (int s = 1; s <= nsubs; ++s)
                        emit(fmt::format("{}-{}[{}].{}.{}", seg_key, f, r, c, s), *nth_part(comp, d.subcomponent, s),
                             false);
                }
            }
        }
    }
    if (first) out.push_back('{');
    out.push_back('}');
}

namespace {

class PrettyPrinter {
public:
    PrettyPrinter(std::string_view s, bool color) : s_(s), color_(color) {}

    std::string run() {
        std::size_t i = 0;
        value(i, 0);
        return std::move(out_);
    }

private:
    // Colours as jq prints them by default.
    static constexpr const char* kKey = "\x1b[34;1m";
    static constexpr const char* kString = "\x1b[0;32m";
    static constexpr const char* kNull = "\x1b[1;30m";
    static constexpr const char* kOther = "\x1b[0;39m";
    static constexpr const char* kPunct = "\x1b[1;39m";
    static constexpr const char* kReset = "\x1b[0m";

    void paint(const char* colour, std::string_view text) {
        if (color_) out_.append(colour);
        out_.append(text);
        if (color_) out_.append(kReset);
    }
    void newline(int depth) {
        out_.push_back('\n');
        out_.append(static_cast<std::size_t>(depth) * 2, ' ');
    }
    std::size_t string_end(std::size_t i) const {  // i at the opening quote; returns one past the closing
        std::size_t j = i + 1;
        while (j < s_.size() && s_[j] != '"') j += s_[j] == '\\' ? 2 : 1;
        return std::min(j + 1, s_.size());
    }
    // End of the value at i, and whether it holds an object.
    std::size_t value_end(std::size_t i, bool& has_object) const {
        int level = 0;
        for (std::size_t j = i; j < s_.size();) {
            char c = s_[j];
            if (c == '"') {
                j = string_end(j);
                if (level == 0) return j;
                continue;
            }
            if (c == '{') has_object = true;
            if (c == '{' || c == '[') ++level;
            if (c == '}' || c == ']') {
                if (--level == 0) return j + 1;
            }
            if (level == 0 && (c == ',' || c == ':')) return j;
            ++j;
        }
        return s_.size();
    }

    void value(std::size_t& i, int depth) {
        if (i >= s_.size()) return;
        char c = s_[i];
        if (c == '"') {
            std::size_t e = string_end(i);
            paint(kString, s_.substr(i, e - i));
            i = e;
        } else if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            bool has_object = false;
            std::size_t e = value_end(i, has_object);
            bool inline_array = c == '[' && !has_object && e - i <= 100;
            paint(kPunct, std::string_view(&c, 1));
            ++i;
            if (i < s_.size() && s_[i] == close) {
                paint(kPunct, std::string_view(&close, 1));
                ++i;
                return;
            }
            for (bool first = true; i < s_.size() && s_[i] != close; first = false) {
                if (!first) {
                    paint(kPunct, ",");
                    ++i;  // the comma
                }
                if (inline_array) {
                    if (!first) out_.push_back(' ');
                } else {
                    newline(depth + 1);
                }
                if (c == '{') {
                    std::size_t k = string_end(i);
                    paint(kKey, s_.substr(i, k - i));
                    paint(kPunct, ":");
                    out_.push_back(' ');
                    i = k + 1;  // past the colon
                }
                value(i, depth + 1);
            }
            if (!inline_array) newline(depth);
            paint(kPunct, std::string_view(&close, 1));
            ++i;
        } else {
            std::size_t j = i;
            while (j < s_.size() && s_[j] != ',' && s_[j] != ']' && s_[j] != '}') ++j;
            std::string_view word = s_.substr(i, j - i);
            paint(word == "null" ? kNull : kOther, word);
            i = j;
        }
    }

    std::string_view s_;
    bool color_;
    std::string out_;
};

}  // namespace

std::string pretty_json(std::string_view s, bool color) { return PrettyPrinter(s, color).run(); }

// --- reading --------------------------------------------------------------------------------

namespace {

using nlohmann::json;

struct JsonToEr7 {
    Delimiters d;
    Charset charset = Charset::ascii;
    std::string& out;
    std::string where;
    std::optional<Diagnostic> failure;
    std::size_t unmappable = 0;

    bool fail(const std::string& what) {
        if (!failure) failure = make_error("bad-json", fmt::format("{}: {}", where, what));
        return false;
    }

    bool leaf(const json& v) {
        if (v.is_null()) {
            out.append("\"\"");
            return true;
        }
        if (!v.is_string()) return fail("expected a string or null");
        EscapeStats stats;
        encode_value(v.get_ref<const std::string&>(), d, charset, TextForm::json, out, stats);
        unmappable += stats.unmappable;
        return true;
    }

    bool component(const json& v) {
        if (!v.is_array()) return leaf(v);
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out.push_back(d.subcomponent);
            if (!leaf(v[i])) return false;
        }
        return true;
    }

    bool field(const json& v) {
        if (v.is_string() || v.is_null()) return leaf(v);  // lenient: a bare value
        if (!v.is_array()) return fail("a field must be a list of repetitions");
        for (std::size_t r = 0; r < v.size(); ++r) {
            if (r) out.push_back(d.repetition);
            const json& rep = v[r];
            if (!rep.is_array()) {
                if (!component(rep)) return false;
                continue;
            }
            for (std::size_t c = 0; c < rep.size(); ++c) {
                if (c) out.push_back(d.component);
                if (!component(rep[c])) return false;
            }
        }
        return true;
    }

    // The inverse of the writer's literal text: back to the charset, and \Xhh\ of bytes from
    // 0x80 (which the writer makes only of bytes invalid in the charset) back to those bytes.
    void append_literal(std::string_view text) {
        std::size_t run = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '\\' || i + 4 >= text.size() || text[i + 1] != 'X') continue;
            std::size_t close = text.find('\\', i + 2);
            if (close == std::string_view::npos || (close - i) % 2 != 0) continue;
            std::string bytes;
            bool high = true;
            for (std::size_t k = i + 2; k + 1 < close + 1 && k < close; k += 2) {
                auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
                char a = text[k], b = text[k + 1];
                if (!std::isxdigit(static_cast<unsigned char>(a)) || !std::isxdigit(static_cast<unsigned char>(b))) {
                    high = false;
                    break;
                }
                int byte = hex(a) * 16 + hex(b);
                high = high && byte >= 0x80;
                bytes.push_back(static_cast<char>(byte));
            }
            if (!high || bytes.empty()) continue;
            append_from_utf8(out, text.substr(run, i - run), charset);
            out.append(bytes);
            run = close + 1;
            i = close;
        }
        append_from_utf8(out, text.substr(run), charset);
    }

    static std::optional<std::string> literal(const json& v) {
        const json* p = &v;
        while (p->is_array() && p->size() == 1) p = &(*p)[0];
        if (p->is_string()) return p->get<std::string>();
        return std::nullopt;
    }

    bool segment(const json& seg, const std::string& label) {
        where = label;
        if (!seg.is_object() || !seg.contains("fields") || !seg["fields"].is_array())
            return fail("a segment must be an object with a \"fields\" list");
        const json& fields = seg["fields"];
        if (fields.empty() || !fields[0].is_string()) return fail("fields[0] must be the segment ID");
        std::string id = fields[0].get<std::string>();
        append_literal(id);
        std::size_t first = 1;
        if (id == "MSH" || id == "FHS" || id == "BHS") {
            auto sep = fields.size() > 1 ? literal(fields[1]) : std::nullopt;
            auto enc = fields.size() > 2 ? literal(fields[2]) : std::nullopt;
            if (!sep || sep->size() != 1) return fail(id + "-1 must be one character");
            if (!enc) return fail(id + "-2 must be a string");
            std::string header = id + *sep + *enc;
            auto delimiters = read_delimiters(header);
            if (delimiters) {
                d = *delimiters;
            } else if (id == "MSH") {
                return fail(delimiters.error().text);
            }
            // else: batch lines with unusable encoding characters were written with the
            // message's delimiters, and are read back with them.
            append_literal(*sep);
            append_literal(*enc);
            first = 3;
        }
        for (std::size_t i = first; i < fields.size(); ++i) {
            out.push_back(d.field);
            where = fmt::format("{}.fields[{}]", label, i);
            if (!field(fields[i])) return false;
        }
        return true;
    }
};

}  // namespace

Result<JsonMessage> message_from_json(std::string_view text) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        return make_error("bad-json", fmt::format("not valid JSON (byte {})", e.byte));
    }
    if (!doc.is_object()) return make_error("bad-json", "expected a JSON object");
    if (doc.contains("hl7json") && doc["hl7json"] != kJsonFormVersion)
        return make_error("bad-json", fmt::format("unsupported hl7json version {}", doc["hl7json"].dump()));
    if (!doc.contains("segments") || !doc["segments"].is_array())
        return make_error("bad-json", "expected a \"segments\" list (is this the flat form? it cannot be read back)");
    JsonMessage result;
    const json& segments = doc["segments"];
    // Delimiters and charset come from MSH before the other segments are encoded.
    Charset charset = Charset::ascii;
    if (doc.contains("charset") && doc["charset"].is_string()) {
        if (auto c = charset_from_name(doc["charset"].get<std::string>())) charset = *c;
    } else if (!segments.empty() && segments[0].is_object() && segments[0].contains("fields")) {
        const json& f = segments[0]["fields"];
        if (f.is_array() && f.size() > 18) {
            if (auto name = JsonToEr7::literal(f[18]); name) {
                if (auto c = charset_from_name(*name)) charset = *c;
            }
        }
    }
    Delimiters message_delimiters;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        JsonToEr7 w{message_delimiters, charset, result.er7, {}, {}};
        if (!w.segment(segments[i], fmt::format("segments[{}]", i))) return *w.failure;
        result.unmappable += w.unmappable;
        message_delimiters = w.d;
        result.er7.push_back('\r');
    }
    if (doc.contains("batch") && doc["batch"].is_object()) {
        const json& batch = doc["batch"];
        for (const char* part : {"header", "trailer"}) {
            if (!batch.contains(part) || !batch[part].is_array()) continue;
            auto& list = std::string_view(part) == "header" ? result.batch_header : result.batch_trailer;
            Delimiters batch_delimiters = message_delimiters;
            for (std::size_t i = 0; i < batch[part].size(); ++i) {
                std::string line;
                JsonToEr7 w{batch_delimiters, charset, line, {}, {}};
                if (!w.segment(batch[part][i], fmt::format("batch.{}[{}]", part, i))) return *w.failure;
                result.unmappable += w.unmappable;
                batch_delimiters = w.d;
                list.push_back(std::move(line));
            }
        }
    }
    if (doc.contains("source") && doc["source"].is_object()) {
        const json& s = doc["source"];
        if (s.contains("file") && s["file"].is_string()) result.file = s["file"].get<std::string>();
        if (s.contains("message") && s["message"].is_number_unsigned()) result.index = s["message"].get<std::uint64_t>();
    }
    return result;
}

bool JsonObjectReader::fill() {
    if (eof_) return false;
    if (start_ > 0) {
        std::memmove(data_.data(), data_.data() + start_, size_ - start_);
        size_ -= start_;
        base_ += start_;
        start_ = 0;
    }
    if (data_.size() - size_ < (1 << 15)) data_.resize(std::max<std::size_t>(data_.size() * 2, 1 << 16));
    ReadResult r = source_.read(data_.data() + size_, data_.size() - size_);
    if (r.error) error_ = make_error("read-error", std::strerror(r.error));
    if (r.size == 0) {
        eof_ = true;
        return false;
    }
    size_ += r.size;
    return true;
}

bool JsonObjectReader::next(std::string_view& object, std::uint64_t& offset, std::uint64_t& line) {
    std::size_t i = start_;
    // Skip whitespace between objects.
    for (;;) {
        while (i < size_ && (data_[i] == ' ' || data_[i] == '\t' || data_[i] == '\r' || data_[i] == '\n')) {
            if (data_[i] == '\n') ++line_;
            ++i;
        }
        if (i < size_) break;
        start_ = i;
        i = 0;
        if (!fill()) return false;
        i = start_;
    }
    start_ = i;
    std::uint64_t start_line = line_;
    int depth = 0;
    bool in_string = false, escaped = false;
    std::size_t j = start_;
    for (;;) {
        for (; j < size_; ++j) {
            char c = data_[j];
            if (c == '\n') ++line_;
            if (in_string) {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') in_string = false;
                continue;
            }
            if (c == '"') in_string = true;
            else if (c == '{' || c == '[') ++depth;
            else if (c == '}' || c == ']') --depth;
            if (depth <= 0 && !(c == ' ' || c == '\t')) {
                // A complete value, or a stray character (then a line's worth is returned as is).
                if (depth < 0 || (c != '}' && c != ']')) {
                    std::size_t e = j;
                    while (e < size_ && data_[e] != '\n') ++e;
                    j = e;
                }
                object = std::string_view(data_.data() + start_, j + 1 - start_ > size_ - start_ ? size_ - start_
                                                                                             : j + 1 - start_);
                offset = base_ + start_;
                line = start_line;
                start_ = std::min(j + 1, size_);
                return true;
            }
        }
        std::size_t consumed = j - start_;
        if (!fill()) {
            if (size_ == start_) return false;
            object = std::string_view(data_.data() + start_, size_ - start_);
            offset = base_ + start_;
            line = start_line;
            start_ = size_;
            return true;
        }
        j = start_ + consumed;
    }
}

}  // namespace hl7
