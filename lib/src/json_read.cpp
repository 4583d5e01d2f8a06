// The JSON form, read: JSON objects back to ER7, and a splitter of object streams (NDJSON).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"

namespace hl7 {

namespace {

using nlohmann::json;

struct JsonToEr7 {
    Delimiters d;
    Charset charset = Charset::ascii;
    std::string& out;
    std::string where;
    std::optional<Diagnostic> failure;
    std::size_t unmappable = 0;
    bool null_is_hl7_null = false;  // hl7json 1: JSON null was the HL7 null; 2: it is empty

    bool fail(const std::string& what) {
        if (!failure) failure = make_error("bad-json", fmt::format("{}: {}", where, what));
        return false;
    }

    bool leaf(const json& v) {
        if (v.is_null()) {
            if (null_is_hl7_null) out.append("\"\"");
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

    // The inverse of the writer's literal text: back to the charset, \Xhh\ of bytes from 0x80
    // (which the writer makes only of bytes invalid in the charset) back to those bytes, and
    // \X5C\ (which it makes of a backslash followed by X) back to the backslash.
    void append_literal(std::string_view text) {
        std::size_t run = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text.compare(i, 5, "\\X5C\\") == 0) {
                append_from_utf8(out, text.substr(run, i - run), charset);
                out.push_back('\\');
                run = i + 5;
                i += 4;
                continue;
            }
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

    // What kind of line a segment object becomes, which decides what its ID may be and whether
    // its fields 1 and 2 set the delimiters.
    enum class Role { first, inner, batch_header, batch_trailer };

    bool segment(const json& seg, const std::string& label, Role role) {
        where = label;
        if (!seg.is_object() || !seg.contains("fields") || !seg["fields"].is_array())
            return fail("a segment must be an object with a \"fields\" list");
        const json& fields = seg["fields"];
        if (fields.empty() || !fields[0].is_string()) return fail("fields[0] must be the segment ID");
        // The checks below are on the ID as it will be written, after \Xhh\ of invalid bytes.
        const std::size_t id_start = out.size();
        append_literal(fields[0].get<std::string>());
        const std::string id = out.substr(id_start);
        // A bare "BHS" line (an ID and nothing else) has no delimiters to read.
        bool header = (id == "MSH" || id == "FHS" || id == "BHS") && (fields.size() > 1 || role == Role::first);
        // The ID must read back as this ID from the ER7 written here.
        // A batch line is recognised by its first three letters; one whose own delimiters were
        // unusable was written split with the message's, so its ID runs on ("FHS<&^~\&").
        auto ascii_alnum = [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        };
        auto batch_id = [&](std::string_view a, std::string_view b) {
            std::string_view name = std::string_view(id).substr(0, 3);
            return (name == a || name == b) && (id.size() == 3 || !ascii_alnum(id[3]));
        };
        // ER7 that begins with "MSH" is read as a header whatever follows, so "MSH'..." as the first
        // ID would read back as MSH with other delimiters (found by fuzz_json).
        if (role == Role::first && id.size() > 3 && id.compare(0, 3, "MSH") == 0)
            return fail("the first segment's ID must be MSH itself");
        if (role == Role::batch_header && !batch_id("FHS", "BHS"))
            return fail("a batch header line must be FHS or BHS");
        if (role == Role::batch_trailer && !batch_id("BTS", "FTS"))
            return fail("a batch trailer line must be BTS or FTS");
        if (!header && id.find_first_of(std::string{d.field, '\r', '\n'}) != std::string::npos)
            return fail("the segment ID holds a field separator or a segment end");
        std::size_t first = 1;
        if (header) {
            auto sep = fields.size() > 1 ? literal(fields[1]) : std::nullopt;
            // MSH-2 may be left out only after a message's first segment ("FHS|" in a batch).
            auto enc = fields.size() > 2    ? literal(fields[2])
                       : role == Role::first ? std::nullopt
                                             : std::optional<std::string>("");
            if (!sep || sep->size() != 1) return fail(id + "-1 must be one character");
            if (!enc) return fail(id + "-2 must be a string");
            // MSH-2 ends at the first field separator: one inside it would split the line otherwise
            // when it is read back (found by fuzz_json in a BHS-2).
            if (enc->find_first_of(std::string{(*sep).empty() ? d.field : (*sep)[0], '\r', '\n'}) != std::string::npos)
                return fail(id + "-2 must not hold the field separator or a segment end");
            // The splitter takes a line for a header only when no letter or digit follows the ID.
            if (ascii_alnum((*sep)[0])) return fail(id + "-1 must not be a letter or digit");
            if (role == Role::inner) {
                // Only the message's first segment sets its delimiters; a header segment further on
                // is read with them, so it must use the same field separator.
                if ((*sep)[0] != d.field) return fail(id + "-1 inside a message must be the message's field separator");
            } else {
                auto delimiters = read_delimiters(id + *sep + *enc);
                if (delimiters) {
                    d = *delimiters;
                } else if (role == Role::first) {
                    return fail(delimiters.error().text);
                } else if (enc->find(d.field) != std::string::npos) {
                    // Batch lines with unusable encoding characters are written with the message's
                    // delimiters and read back with them: the ID then runs on to the first of the
                    // message's field separators, so one inside the encoding characters would cut
                    // them into fields that read back decoded (found by fuzz_json).
                    return fail(id + "-2 must not hold the message's field separator when it does not give usable delimiters");
                }
            }
            append_literal(*sep);
            append_literal(*enc);
            first = std::min<std::size_t>(3, fields.size());
        }
        for (std::size_t i = first; i < fields.size(); ++i) {
            out.push_back(d.field);
            where = fmt::format("{}.fields[{}]", label, i);
            if (!field(fields[i])) return false;
        }
        return true;
    }
};

// nlohmann's parse with its exceptions turned into results.
Result<json> parse_document(std::string_view text) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        return make_error("bad-json", fmt::format("not valid JSON near byte {} of the object", e.byte));
    } catch (const json::exception&) {
        // Valid syntax that nlohmann cannot hold: a number beyond a double (found by fuzz_json).
        return make_error("bad-json", "not valid JSON (a number out of range)");
    }
}

}  // namespace

Result<std::vector<std::string>> json_array_elements(std::string_view text) {
    auto parsed = parse_document(text);
    if (!parsed) return parsed.error();
    const json& doc = *parsed;
    if (!doc.is_array()) return make_error("bad-json", "expected a JSON array");
    std::vector<std::string> out;
    out.reserve(doc.size());
    // Strings are kept byte for byte (invalid UTF-8 included): message_from_json decides on them.
    for (const json& element : doc) out.push_back(element.dump(-1, ' ', false, json::error_handler_t::ignore));
    return out;
}

Result<JsonMessage> message_from_json(std::string_view text) {
    auto parsed = parse_document(text);
    if (!parsed) return parsed.error();
    json& doc = *parsed;
    if (!doc.is_object()) return make_error("bad-json", "expected a JSON object");
    if (doc.contains("hl7json") && doc["hl7json"] != 1 && doc["hl7json"] != kJsonFormVersion)
        return make_error("bad-json", fmt::format("unsupported hl7json version {}", doc["hl7json"].dump()));
    const bool version1 = doc.contains("hl7json") && doc["hl7json"] == 1;
    if (!doc.contains("segments") || !doc["segments"].is_array())
        return make_error("bad-json", "expected a \"segments\" list (is this the flat form? it cannot be read back)");
    JsonMessage result;
    const json& segments = doc["segments"];
    // Delimiters and charset come from MSH before the other segments are encoded.
    Charset charset = Charset::ascii;
    if (doc.contains("charset") && doc["charset"].is_string()) {
        if (auto c = charset_from_name(doc["charset"].get<std::string>())) charset = *c;
    } else if (!segments.empty() && segments[0].is_object() && segments[0].contains("fields")) {
        // As the writer reads MSH-18 (header.hpp): the first subcomponent of the first component of
        // the first repetition; an unknown name is UTF-8 (found by fuzz_message: "88596^GHH").
        const json& f = segments[0]["fields"];
        if (f.is_array() && f.size() > 18) {
            const json* p = &f[18];
            for (int depth = 0; depth < 3 && p->is_array() && !p->empty(); ++depth) p = &(*p)[0];
            if (p->is_string() && !p->get_ref<const std::string&>().empty()) {
                auto c = charset_from_name(p->get_ref<const std::string&>());
                charset = c ? *c : Charset::utf8;
            }
        }
    }
    Delimiters message_delimiters;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        JsonToEr7 w{message_delimiters, charset, result.er7, {}, {}};
        w.null_is_hl7_null = version1;
        auto role = i == 0 ? JsonToEr7::Role::first : JsonToEr7::Role::inner;
        if (!w.segment(segments[i], fmt::format("segments[{}]", i), role)) return *w.failure;
        result.unmappable += w.unmappable;
        if (i == 0) message_delimiters = w.d;
        result.er7.push_back('\r');
    }
    if (doc.contains("batch") && doc["batch"].is_object()) {
        const json& batch = doc["batch"];
        // Each batch line is written with its own delimiters when it is a header with usable ones,
        // else with the message's (with no message: those of the first batch header line).
        Delimiters base = message_delimiters;
        if (segments.empty() && batch.contains("header") && batch["header"].is_array() && !batch["header"].empty()) {
            std::string line;
            JsonToEr7 w{base, charset, line, {}, {}};
            w.null_is_hl7_null = version1;
            if (w.segment(batch["header"][0], "batch.header[0]", JsonToEr7::Role::batch_header)) base = w.d;
        }
        for (const char* part : {"header", "trailer"}) {
            if (!batch.contains(part) || !batch[part].is_array()) continue;
            bool is_header = std::string_view(part) == "header";
            auto& list = is_header ? result.batch_header : result.batch_trailer;
            for (std::size_t i = 0; i < batch[part].size(); ++i) {
                std::string line;
                JsonToEr7 w{base, charset, line, {}, {}};
            w.null_is_hl7_null = version1;
                auto role = is_header ? JsonToEr7::Role::batch_header : JsonToEr7::Role::batch_trailer;
                if (!w.segment(batch[part][i], fmt::format("batch.{}[{}]", part, i), role)) return *w.failure;
                result.unmappable += w.unmappable;
                list.push_back(std::move(line));
            }
        }
    }
    if (doc.contains("source") && doc["source"].is_object()) {
        const json& s = doc["source"];
        result.has_source = true;
        if (s.contains("file") && s["file"].is_string()) result.file = s["file"].get<std::string>();
        if (s.contains("message") && s["message"].is_number_unsigned()) result.index = s["message"].get<std::uint64_t>();
        if (s.contains("offset") && s["offset"].is_number_unsigned()) result.offset = s["offset"].get<std::uint64_t>();
        if (s.contains("line") && s["line"].is_number_unsigned()) result.line = s["line"].get<std::uint64_t>();
    }
    return result;
}

// Makes room (dropping what is before start_; `scan` moves with the bytes) and reads more.
bool JsonObjectReader::fill(std::size_t& scan) {
    if (eof_) return false;
    if (start_ > 0) {
        std::memmove(data_.data(), data_.data() + start_, size_ - start_);
        size_ -= start_;
        base_ += start_;
        scan -= start_;
        start_ = 0;
    }
    constexpr std::size_t kRead = 1 << 16;
    if (data_.size() - size_ < kRead / 2 && !data_.resize(std::max(data_.size() * 2, size_ + kRead))) {
        error_ = make_error("out-of-memory", "no memory for a larger read buffer");
        eof_ = true;
        return false;
    }
    ReadResult r = source_.read(data_.data() + size_, data_.size() - size_);
    while (r.idle && r.size == 0 && r.error == 0)  // an object ends at its brace, never by a pause
        r = source_.read(data_.data() + size_, data_.size() - size_);
    if (r.error) error_ = make_error("read-error", std::strerror(r.error));
    if (r.size == 0) {
        eof_ = true;
        return false;
    }
    size_ += r.size;
    return true;
}

// Skips a byte order mark at the start and whitespace between objects; false at the end of input.
bool JsonObjectReader::skip_blanks() {
    std::size_t i = start_;
    if (!bom_checked_) {
        while (size_ - start_ < 3 && fill(i)) {
        }
        bom_checked_ = true;
        if (size_ - start_ >= 3 && std::memcmp(data_.data() + start_, "\xEF\xBB\xBF", 3) == 0) i = start_ + 3;
    }
    for (;;) {
        for (; i < size_; ++i) {
            char c = data_[i];
            if (c == '\n') ++line_;
            else if (c != ' ' && c != '\t' && c != '\r') break;
        }
        start_ = i;
        if (i < size_) return true;
        if (!fill(i)) return false;
    }
}

bool JsonObjectReader::next(JsonObjectText& object) {
    object = {};
    if (error_ || !skip_blanks()) return false;
    object.offset = base_ + start_;
    object.line = line_;
    containers_.clear();
    std::uint64_t dropped = 0;  // bytes of a too large object no longer kept
    bool in_string = false, escaped = false, stray = false;
    bool line_start = false;  // only whitespace so far on this line
    char last = 0;            // the last character outside strings that was not whitespace
    std::size_t i = start_;
    auto hand_out = [&](std::size_t end) {
        object.size = dropped + (end - start_);
        if (object.size > max_object_size_) object.too_large = true;
        else object.text = std::string_view(data_.data() + start_, end - start_);
        start_ = end;
        return true;
    };
    for (;;) {
        for (; i < size_; ++i) {
            char c = data_[i];
            if (stray) {  // text outside objects: a line at a time
                if (c == '\n') return hand_out(i);
                continue;
            }
            if (in_string) {
                if (c == '\n') return hand_out(i);
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') in_string = false, last = '"';
                continue;
            }
            switch (c) {
                case '\n':
                    ++line_;
                    line_start = true;
                    continue;
                case ' ':
                case '\t':
                case '\r':
                    continue;
                case '{':
                    if (line_start && !containers_.empty()) {
                        bool value_due = last == ':' || last == '[' || (last == ',' && containers_.back() == '[');
                        if (!value_due) return hand_out(i);  // this line starts the next object
                    }
                    containers_.push_back('{');
                    break;
                case '[':
                    containers_.push_back('[');
                    break;
                case '}':
                case ']':
                    if (containers_.empty()) {
                        stray = true;
                        continue;
                    }
                    containers_.pop_back();
                    if (containers_.empty()) return hand_out(i + 1);
                    break;
                default:
                    if (containers_.empty()) {
                        stray = true;
                        continue;
                    }
                    if (c == '"') in_string = true;
                    break;
            }
            line_start = false;
            last = c;
        }
        // More is needed. Past the limit, what was scanned is dropped and the scan goes on.
        if (dropped + (i - start_) > max_object_size_) {
            dropped += i - start_;
            start_ = i;
        }
        if (!fill(i)) {
            if (error_) return false;
            return hand_out(size_);
        }
    }
}

}  // namespace hl7
