// The mixed-log scanner: finds HL7 messages among log lines, and renders changed messages in their original shape.
#include "hl7/log_scan.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "scan.hpp"

namespace hl7 {

namespace {

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
constexpr char kFrameStart = '\x0b';
constexpr char kFrameEnd = '\x1c';

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z'); }

// A field separator or encoding character: printable ASCII, not a letter, digit or space.
bool usable_delimiter(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7F && !is_alnum(c);
}

bool is_segment_id(const char* p) { return is_upper(p[0]) && (is_upper(p[1]) || is_digit(p[1])) && (is_upper(p[2]) || is_digit(p[2])); }

bool is_header_id(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }
bool is_trailer_id(std::string_view id) { return id == "BTS" || id == "FTS"; }

// Standard HL7 v2 segment IDs (v2.1 to v2.8), sorted: where a segment ID alone must tell HL7 from
// text (a column-0 line at the start of a log, a `^M` that could be a component starting with M).
constexpr std::array<std::string_view, 196> kKnownSegments = {
    "ABS", "ACC", "ADD", "ADJ", "AFF", "AIG", "AIL", "AIP", "AIS", "AL1", "APR", "ARQ", "ARV", "AUT", "BHS",
    "BLC", "BLG", "BPO", "BPX", "BTS", "BTX", "BUI", "CDM", "CDO", "CER", "CM0", "CM1", "CM2", "CNS", "CON",
    "CSP", "CSR", "CSS", "CTD", "CTI", "CTR", "DB1", "DEV", "DG1", "DMI", "DON", "DPS", "DRG", "DSC", "DSP",
    "ECD", "ECR", "EDU", "EQL", "EQP", "EQU", "ERQ", "ERR", "EVN", "FAC", "FHS", "FT1", "FTS", "GOL", "GP1",
    "GP2", "GT1", "IAM", "IAR", "IIM", "ILT", "IN1", "IN2", "IN3", "INV", "IPC", "IPR", "ISD", "ITM", "IVC",
    "IVT", "LAN", "LCC", "LCH", "LDP", "LOC", "LRL", "MCP", "MFA", "MFE", "MFI", "MRG", "MSA", "MSH", "NCK",
    "NDS", "NK1", "NPU", "NSC", "NST", "NTE", "OBR", "OBX", "ODS", "ODT", "OM1", "OM2", "OM3", "OM4", "OM5",
    "OM6", "OM7", "ORC", "ORG", "OVR", "PAC", "PCE", "PCR", "PD1", "PDA", "PDC", "PEO", "PES", "PID", "PKG",
    "PMT", "PR1", "PRA", "PRB", "PRC", "PRD", "PRT", "PSG", "PSH", "PSL", "PSS", "PTH", "PV1", "PV2", "PYE",
    "QAK", "QID", "QPD", "QRD", "QRF", "QRI", "RAR", "RAS", "RCP", "RDF", "RDT", "REL", "RF1", "RFI", "RGS",
    "RMI", "ROL", "RQ1", "RQD", "RXA", "RXC", "RXD", "RXE", "RXG", "RXO", "RXR", "RXV", "SAC", "SCD", "SCH",
    "SCP", "SDD", "SFT", "SGH", "SGT", "SHP", "SID", "SLT", "SPM", "SPR", "STF", "STZ", "TCC", "TCD", "TQ1",
    "TQ2", "TXA", "UAC", "UB1", "UB2", "URD", "URS", "VAR", "VND", "VTQ", "ZL7", "ZZZ",
};

bool is_known_segment(std::string_view id) {
    if (id.size() == 3 && id[0] == 'Z') return true;
    return std::binary_search(kKnownSegments.begin(), kKnownSegments.end(), id);
}

// Segment ends as logs write them out. Longer spellings first where one starts another.
constexpr std::array<std::string_view, 16> kSeparators = {
    "\r\n", "\r", "\n", "\\r\\n", "\\r", "\\n", "<CR><LF>", "<CR>", "<cr>", "<LF>",
    "^M", "\\x0d", "\\x0D", "\\u000d", "\\u000D", "\\015",
};
bool may_start_separator(char c) { return c == '\r' || c == '\n' || c == '\\' || c == '<' || c == '^'; }

// An MLLP end block as written after the last segment end.
bool frame_end_at(std::string_view text, std::size_t at) {
    if (at < text.size() && text[at] == kFrameEnd) return true;
    std::string_view rest = text.substr(std::min(at, text.size()));
    return rest.starts_with("<FS>") || rest.starts_with("\\x1c") || rest.starts_with("\\x1C") ||
           rest.starts_with("^\\");
}

// Offset just past the field separator that closes MSH-2 (FHS-2, BHS-2) in a header segment's text,
// or 0 when MSH-1/MSH-2 are unusable or cut short.
std::size_t header_fields_end(std::string_view text) {
    if (text.size() < 4 || !usable_delimiter(text[3])) return 0;
    char field = text[3];
    std::size_t close = text.find(field, 4);
    if (close == std::string_view::npos) return 0;
    // Like the core (read_delimiters): only the first five are encoding characters; more is accepted.
    std::string_view encoding = text.substr(4, std::min<std::size_t>(close - 4, 5));
    for (std::size_t i = 0; i < encoding.size(); ++i) {
        if (!usable_delimiter(encoding[i]) || encoding[i] == field) return 0;
        if (encoding.find(encoding[i], i + 1) != std::string_view::npos) return 0;
    }
    return close + 1;
}

// The written segment end a segment's text ends with, if any ("" otherwise).
std::string_view trailing_mark(std::string_view text) {
    for (std::string_view token : kSeparators) {
        if (text.size() > token.size() && text.ends_with(token)) return token;
    }
    return {};
}

// --- JSON strings -------------------------------------------------------------------------------

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool read_hex4(const char* p, const char* end, unsigned& value) {
    if (end - p < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
        int digit = hex_value(p[i]);
        if (digit < 0) return false;
        value = value * 16 + static_cast<unsigned>(digit);
    }
    return true;
}

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes the escape at p (a backslash) into out and moves p past it; false when it is not a JSON escape.
bool decode_escape(const char*& p, const char* end, std::string& out) {
    if (end - p < 2) return false;
    switch (p[1]) {
        case '"': case '\\': case '/': out += p[1]; p += 2; return true;
        case 'b': out += '\b'; p += 2; return true;
        case 'f': out += '\f'; p += 2; return true;
        case 'n': out += '\n'; p += 2; return true;
        case 'r': out += '\r'; p += 2; return true;
        case 't': out += '\t'; p += 2; return true;
        case 'u': {
            unsigned cp = 0;
            if (!read_hex4(p + 2, end, cp)) return false;
            p += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned low = 0;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !read_hex4(p + 2, end, low)) return false;
                if (low < 0xDC00 || low > 0xDFFF) return false;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            append_utf8(out, cp);
            return true;
        }
        default: return false;
    }
}

// Decodes a JSON string's body from p up to its closing quote (or end) into out; `stop` is where it
// stopped. False on a bad escape.
bool decode_json(const char* p, const char* end, std::string& out, const char*& stop) {
    while (p < end) {
        const char* run = p;
        while (p < end && *p != '"' && *p != '\\') ++p;
        out.append(run, p);
        if (p == end || *p == '"') break;
        if (!decode_escape(p, end, out)) return false;
    }
    stop = p;
    return true;
}

// How many raw bytes from p decode to `decoded` bytes (p holds a string that decoded without error).
std::size_t raw_size_of(const char* p, const char* end, std::size_t decoded) {
    const char* start = p;
    std::string one;  // at most 4 bytes: no allocation
    std::size_t count = 0;
    while (count < decoded && p < end) {
        if (*p == '\\') {
            one.clear();
            if (!decode_escape(p, end, one)) break;
            count += one.size();
        } else {
            ++p;
            ++count;
        }
    }
    return static_cast<std::size_t>(p - start);
}

// What the escapes in a JSON string's raw text say about how its writer escapes.
void note_json_style(std::string_view raw, JsonStyle& style) {
    for (std::size_t i = raw.find('\\'); i != std::string_view::npos; i = raw.find('\\', i)) {
        if (i + 1 >= raw.size()) break;
        char kind = raw[i + 1];
        if (kind == '/') style.escape_solidus = true;
        if (kind == 'u' && i + 6 <= raw.size()) {
            unsigned cp = 0;
            if (read_hex4(raw.data() + i + 2, raw.data() + raw.size(), cp)) {
                for (std::size_t k = i + 2; k < i + 6; ++k)
                    if (raw[k] >= 'A' && raw[k] <= 'F') style.upper_hex = true;
                if (cp >= 0x80) style.escape_non_ascii = true;
                if (cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' || cp == '\t') style.control_as_unicode = true;
            }
            i += 6;
        } else {
            i += 2;
        }
    }
}

void append_u_escape(std::string& out, unsigned value, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char text[6] = {'\\', 'u', digits[(value >> 12) & 0xF], digits[(value >> 8) & 0xF], digits[(value >> 4) & 0xF],
                    digits[value & 0xF]};
    out.append(text, 6);
}

// Length of the valid UTF-8 sequence at p and its code point; 0 when the bytes are not one.
std::size_t read_utf8(const unsigned char* p, const unsigned char* end, unsigned& cp) {
    std::size_t size = 0;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) size = 2, cp = p[0] & 0x1Fu;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) size = 3, cp = p[0] & 0x0Fu;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) size = 4, cp = p[0] & 0x07u;
    else return 0;
    if (end - p < static_cast<std::ptrdiff_t>(size)) return 0;
    for (std::size_t i = 1; i < size; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((size == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (size == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return size;
}

void encode_json(std::string_view text, const JsonStyle& style, std::string& out) {
    auto p = reinterpret_cast<const unsigned char*>(text.data());
    auto end = p + text.size();
    while (p < end) {
        const unsigned char* run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\' && *p != '/') ++p;
        out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
        if (p == end) break;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            ++p;
        } else if (c == '/') {
            out.append(style.escape_solidus ? "\\/" : "/");
            ++p;
        } else if (c < 0x20) {
            const char* short_form = nullptr;
            switch (c) {
                case '\b': short_form = "\\b"; break;
                case '\f': short_form = "\\f"; break;
                case '\n': short_form = "\\n"; break;
                case '\r': short_form = "\\r"; break;
                case '\t': short_form = "\\t"; break;
                default: break;
            }
            if (short_form && !style.control_as_unicode) out.append(short_form);
            else append_u_escape(out, c, style.upper_hex);
            ++p;
        } else {
            unsigned cp = 0;
            std::size_t size = style.escape_non_ascii ? read_utf8(p, end, cp) : 0;
            if (size == 0) {
                out += static_cast<char>(c);  // raw UTF-8 (or a byte that is not UTF-8: as it is)
                ++p;
            } else if (cp < 0x10000) {
                append_u_escape(out, cp, style.upper_hex);
                p += size;
            } else {
                cp -= 0x10000;
                append_u_escape(out, 0xD800 + (cp >> 10), style.upper_hex);
                append_u_escape(out, 0xDC00 + (cp & 0x3FF), style.upper_hex);
                p += size;
            }
        }
    }
}

// Next segment of an ER7 text at `pos` (ends: CR, LF, CRLF); false when none is left.
bool next_segment(std::string_view er7, std::size_t& pos, std::string_view& segment) {
    if (pos >= er7.size()) return false;
    std::size_t end = pos;
    while (end < er7.size() && er7[end] != '\r' && er7[end] != '\n') ++end;
    segment = er7.substr(pos, end - pos);
    if (end < er7.size()) end += (er7[end] == '\r' && end + 1 < er7.size() && er7[end + 1] == '\n') ? 2 : 1;
    pos = end;
    return true;
}

std::uint32_t to_u32(std::size_t n) { return static_cast<std::uint32_t>(n); }

}  // namespace

const char* log_region_kind_name(LogRegionKind kind) {
    switch (kind) {
        case LogRegionKind::text: return "text";
        case LogRegionKind::message: return "message";
        case LogRegionKind::suspect: return "suspect";
    }
    return "?";
}

const char* suspect_reason_name(SuspectReason reason) {
    switch (reason) {
        case SuspectReason::none: return "none";
        case SuspectReason::bad_header: return "bad-header";
        case SuspectReason::undecodable: return "undecodable";
        case SuspectReason::oversized: return "oversized";
        case SuspectReason::orphan_segments: return "orphan-segments";
    }
    return "?";
}

void Carrier::clear() {
    form = CarrierForm::lines;
    json_string = false;
    json = {};
    pieces.clear();
    segments.clear();
    lead_at = lead_size = tail_at = tail_size = 0;
    separator.clear();
    trailing_separator = false;
}

// --- render ---------------------------------------------------------------------------------------

void render(const Carrier& carrier, std::string_view er7, std::string& out, const LogTextWriter& write_log_text) {
    auto write_text = [&](std::string_view text) {
        if (carrier.json_string) encode_json(text, carrier.json, out);
        else out.append(text);
    };
    auto write_log = [&](std::string_view text) {
        if (text.empty()) return;
        if (write_log_text) write_log_text(text, out);
        else out.append(text);
    };
    std::size_t count = 0;
    std::string_view segment;
    for (std::size_t pos = 0; next_segment(er7, pos, segment);) ++count;

    std::size_t pos = 0;
    if (carrier.form == CarrierForm::inline_text) {
        for (std::size_t i = 0; next_segment(er7, pos, segment); ++i) {
            if (i > 0) write_text(carrier.separator);
            write_text(segment);
        }
        if (count > 0 && carrier.trailing_separator) write_text(carrier.separator);
        return;
    }
    const std::size_t known = carrier.segments.size();
    if (count == 0 || known == 0) {
        out.append(carrier.lead());
        for (; next_segment(er7, pos, segment);) {
            write_text(segment);
            out += '\r';
        }
        out.append(carrier.tail());
        return;
    }
    for (std::size_t i = 0; next_segment(er7, pos, segment); ++i) {
        std::size_t k = i + 1 == count ? known - 1 : (i + 1 < known ? i : (known >= 2 ? known - 2 : 0));
        write_log(carrier.prefix(k));
        if (i == 0) out.append(carrier.lead());
        write_text(segment);
        write_text(carrier.mark(k));
        write_log(carrier.suffix(k));
        out.append(carrier.end(k));
    }
    out.append(carrier.tail());
}

std::string render(const Carrier& carrier, std::string_view er7) {
    std::string out;
    render(carrier, er7, out);
    return out;
}

// --- the scanner ------------------------------------------------------------------------------------

struct LogScanner::Header {
    std::string_view text;      // decoded (or raw) text from the header to the end of its string or line
    std::uint64_t raw_end = 0;  // where that text ends in the stream (closing quote or end of line content)
    char field = '|';
    bool escaped = false;
    std::size_t fields_end = 0;  // just past MSH-2's closing field separator, in text
};

LogScanner::LogScanner(LogScanOptions options) : options_(options) {
    options_.max_region_size = std::clamp<std::size_t>(options_.max_region_size, 64, std::size_t(1) << 30);
    options_.max_text_size = std::clamp<std::size_t>(options_.max_text_size, 1, options_.max_region_size);
    out_.reserve(4);
}

void LogScanner::feed(std::string_view bytes) {
    if (eof_) return;
    if (handed_ > base_) {
        buf_.erase(0, static_cast<std::size_t>(handed_ - base_));
        base_ = handed_;
    }
    buf_.append(bytes);
}

void LogScanner::finish() { eof_ = true; }

bool LogScanner::next(LogRegion& region) {
    while (out_head_ == out_.size()) {
        out_.clear();
        out_head_ = 0;
        if (!step()) break;
    }
    if (out_head_ == out_.size()) return false;
    const Pending p = out_[out_head_++];
    region.kind = p.kind;
    region.bytes = view(p.begin, p.end);
    region.offset = p.begin;
    region.reason = p.reason;
    region.line = line_no_;
    line_no_ += static_cast<std::uint64_t>(std::count(region.bytes.begin(), region.bytes.end(), '\n'));
    handed_ = p.end;
    if (p.kind == LogRegionKind::message) {
        std::swap(region.er7, er7_);
        std::swap(region.carrier, carrier_);
    }
    return true;
}

// One decision about the bytes at pos_; false when it needs more input (or all is done).
bool LogScanner::step() {
    if (state_ == State::drop_line) {
        step_drop_line();
        return state_ != State::drop_line || out_head_ != out_.size();
    }
    Line line;
    LineFind found = find_line(pos_, line);
    if (state_ == State::message) {
        if (found == LineFind::need_more) return false;
        step_message(found, line);
        return true;
    }
    switch (found) {
        case LineFind::need_more: return false;
        case LineFind::end: flush_text(); return false;
        case LineFind::too_long: step_long_text(); return true;
        case LineFind::found: step_scan(line); return true;
    }
    return false;
}

LogScanner::LineFind LogScanner::find_line(std::uint64_t from, Line& line) const {
    if (from >= avail()) return eof_ ? LineFind::end : LineFind::need_more;
    const std::uint64_t limit = options_.max_region_size;
    const std::uint64_t window = std::min(avail(), from + limit);
    const char* hit = detail::find_either(ptr(from), ptr(window), '\r', '\n');
    if (hit != ptr(window)) {
        std::uint64_t t = from + static_cast<std::uint64_t>(hit - ptr(from));
        line.begin = from;
        line.content_end = t;
        if (*hit == '\n') {
            line.end = t + 1;
        } else if (t + 1 < avail()) {
            line.end = t + 1 + (at(t + 1) == '\n' ? 1 : 0);
        } else if (eof_) {
            line.end = t + 1;
        } else {
            return LineFind::need_more;  // a CR at the end of what we have: CRLF or not?
        }
        return LineFind::found;
    }
    if (avail() - from >= limit) return LineFind::too_long;
    if (!eof_) return LineFind::need_more;
    line = {from, avail(), avail()};
    return LineFind::found;
}

// First header candidate starting in [from, to) that looks like HL7, reading no byte at or past read_end.
std::uint64_t LogScanner::find_candidate(std::uint64_t from, std::uint64_t to, std::uint64_t read_end) const {
    auto looks_like_hl7 = [&](std::uint64_t c) {
        if (c + 3 >= read_end) return false;
        char field = at(c + 3);
        if (!usable_delimiter(field)) return false;
        if (field == '|') return true;
        return c + 4 < read_end && usable_delimiter(at(c + 4)) && at(c + 4) != field;
    };
    std::uint64_t p = from;
    const std::uint64_t search_end = std::min(read_end, to + 2);  // the 'H' of a candidate starting before `to`
    while (p < search_end) {
        const char* hit = detail::find_byte(ptr(p), ptr(search_end), 'H');
        if (hit == ptr(search_end)) break;
        std::uint64_t h = p + static_cast<std::uint64_t>(hit - ptr(p));
        std::uint64_t c = kNone;
        if (h >= from + 2 && at(h - 2) == 'M' && at(h - 1) == 'S') c = h - 2;
        else if (h >= from + 1 && (at(h - 1) == 'F' || at(h - 1) == 'B') && h + 1 < read_end && at(h + 1) == 'S')
            c = h - 1;
        if (c != kNone && c < to && looks_like_hl7(c)) return c;
        p = h + 1;
    }
    return kNone;
}

// Where a segment starts on the line at `begin`: after a prefix of `shape`'s shape, or at column 0; kNone if neither.
std::uint64_t LogScanner::segment_at(std::uint64_t begin, std::uint64_t read_end, std::string_view shape,
                                     char field) const {
    auto segment = [&](std::uint64_t s) { return s + 4 <= read_end && is_segment_id(ptr(s)) && at(s + 3) == field; };
    if (!shape.empty() && begin + shape.size() + 4 <= read_end) {
        const char* p = ptr(begin);
        bool same = true;
        for (std::size_t i = 0; i < shape.size() && same; ++i)
            same = is_alnum(shape[i]) ? is_alnum(p[i]) : p[i] == shape[i];
        if (same && segment(begin + shape.size())) return begin + shape.size();
    }
    if (segment(begin)) return begin;
    // An indented dump: blanks only before the segment.
    std::uint64_t s = begin;
    while (s < read_end && (at(s) == ' ' || at(s) == '\t')) ++s;
    return s > begin && segment(s) ? s : kNone;
}

bool LogScanner::orphan_line(std::uint64_t begin, std::uint64_t read_end) const {
    std::uint64_t s = segment_at(begin, read_end, orphan_shape_, orphan_field_);
    if (s == kNone) return false;
    std::string_view id = view(s, s + 3);
    if (is_header_id(id)) return false;  // a header starts a message instead
    return !orphan_strict_ || is_known_segment(id);
}

void LogScanner::set_orphans(std::string_view shape, char field, bool strict, SuspectReason reason) {
    orphans_on_ = true;
    orphan_shape_.assign(shape);
    orphan_field_ = field;
    orphan_strict_ = strict;
    orphan_reason_ = reason;
    orphan_grace_ = strict ? 1 : 0;  // the line that cut the message short is not counted
}

// Column-0 segment IDs alone are weak evidence (a pipe-delimited log has "ERR|" lines): such orphans
// are looked for only in the run of lines right after the interruption. Indented lines (a stack
// trace's "\tat ...") do not end the run.
void LogScanner::end_weak_orphans(std::uint64_t line_begin) {
    if (!at_line_start_ || !orphans_on_ || !orphan_strict_) return;
    if (at(line_begin) == ' ' || at(line_begin) == '\t') return;
    if (orphan_grace_-- == 0) orphans_on_ = false;
}

void LogScanner::add_text(std::uint64_t to) {
    std::uint64_t from = text_open_ ? text_end_ : classified_;
    if (to <= from) return;
    if (text_open_ && (text_end_ - text_begin_) + (to - from) > options_.max_text_size) flush_text();
    if (!text_open_) {
        text_open_ = true;
        text_begin_ = from;
    }
    text_end_ = to;
}

void LogScanner::flush_text() {
    if (!text_open_) return;
    text_open_ = false;
    out_.push_back({LogRegionKind::text, text_begin_, text_end_, SuspectReason::none});
    classified_ = text_end_;
}

void LogScanner::push(LogRegionKind kind, std::uint64_t begin, std::uint64_t end, SuspectReason reason) {
    add_text(begin);
    flush_text();
    if (end <= begin) return;
    out_.push_back({kind, begin, end, reason});
    classified_ = end;
}

void LogScanner::step_scan(const Line& line) {
    const std::uint64_t b = line.begin;
    if (at_line_start_ && line.content_end == b) {  // a blank line
        orphans_on_ = false;
    } else if (at_line_start_ && orphans_on_ && orphan_line(b, line.content_end)) {
        push(LogRegionKind::suspect, b, line.content_end, orphan_reason_);
        pos_ = line.content_end;
        at_line_start_ = false;
        return;
    } else {
        std::uint64_t c = find_candidate(b, line.content_end, line.content_end);
        if (c != kNone && start_at(line, c)) return;
        end_weak_orphans(b);
    }
    add_text(line.end);
    pos_ = line.end;
    at_line_start_ = true;
}

// The line from pos_ is longer than the limit: text up to a candidate, or a suspect line.
void LogScanner::step_long_text() {
    const std::uint64_t limit = options_.max_region_size;
    const std::uint64_t read_end = pos_ + limit;
    if (at_line_start_ && orphans_on_ && orphan_line(pos_, read_end)) {
        drop_reason_ = orphan_reason_;
        state_ = State::drop_line;
        return;
    }
    end_weak_orphans(pos_);
    const std::uint64_t window = pos_ + limit - 8;  // a candidate starting before it is wholly in read_end
    std::uint64_t c = find_candidate(pos_, window, read_end);
    if (c == kNone) c = window;
    if (c > pos_) {
        add_text(c);
        pos_ = c;
        at_line_start_ = false;
        return;
    }
    // HL7-looking text that runs past the limit without a line end.
    set_orphans({}, at(c + 3), false, SuspectReason::oversized);
    drop_reason_ = SuspectReason::oversized;
    state_ = State::drop_line;
}

// A suspect line, in pieces of at most the limit, up to its line end (which stays text).
void LogScanner::step_drop_line() {
    const std::uint64_t limit = options_.max_region_size;
    const std::uint64_t window = std::min(avail(), pos_ + limit);
    const char* hit = detail::find_either(ptr(pos_), ptr(window), '\r', '\n');
    if (hit != ptr(window)) {
        std::uint64_t t = pos_ + static_cast<std::uint64_t>(hit - ptr(pos_));
        push(LogRegionKind::suspect, pos_, t, drop_reason_);
        pos_ = t;
        at_line_start_ = false;
        state_ = State::scan;
    } else if (avail() - pos_ >= limit) {
        push(LogRegionKind::suspect, pos_, pos_ + limit, drop_reason_);
        pos_ += limit;
    } else if (eof_) {
        push(LogRegionKind::suspect, pos_, avail(), drop_reason_);
        pos_ = avail();
        state_ = State::scan;
    }
}

// A header candidate at c on `line`: starts a message (or reports a suspect); false leaves the line text.
bool LogScanner::start_at(const Line& line, std::uint64_t c) {
    Header header;
    header.field = at(c + 3);
    std::uint64_t encoding_end = c + 4;
    while (encoding_end < line.content_end && at(encoding_end) != header.field) ++encoding_end;
    std::string_view raw_encoding = view(c + 4, encoding_end);
    header.escaped = raw_encoding.find("\\\\") != std::string_view::npos ||
                     (c > line.begin && at(c - 1) == '"' && raw_encoding.find('\\') == std::string_view::npos);
    SuspectReason problem = SuspectReason::none;
    if (header.escaped) {
        decoded_.clear();
        const char* stop = nullptr;
        if (decode_json(ptr(c), ptr(line.content_end), decoded_, stop)) {
            header.text = decoded_;
            header.raw_end = c + static_cast<std::uint64_t>(stop - ptr(c));
        } else {
            problem = SuspectReason::undecodable;
        }
    } else {
        header.text = view(c, line.content_end);
        header.raw_end = line.content_end;
    }
    if (problem == SuspectReason::none) {
        header.fields_end = header_fields_end(header.text);
        if (header.fields_end == 0) problem = SuspectReason::bad_header;
    }
    if (problem != SuspectReason::none) {
        push(LogRegionKind::suspect, c, line.content_end, problem);
        set_orphans(view(line.begin, c), header.field, false, problem);
        pos_ = line.content_end;
        at_line_start_ = false;
        return true;
    }
    if (start_inline(line, c, header)) return true;
    start_lines(line, c, header);
    return true;
}

// The message on one line with written segment ends, if the header's text has one.
bool LogScanner::start_inline(const Line& line, std::uint64_t c, const Header& header) {
    const std::string_view text = header.text;
    const char field = header.field;
    auto segment_follows = [&](std::size_t after, std::string_view token) {
        if (after + 4 > text.size() || !is_segment_id(text.data() + after) || text[after + 3] != field) return false;
        return token != "^M" || is_known_segment(text.substr(after, 3));
    };
    std::string_view token;
    for (std::size_t i = header.fields_end; i < text.size() && token.empty(); ++i) {
        if (!may_start_separator(text[i])) continue;
        for (std::string_view candidate : kSeparators) {
            if (text.compare(i, candidate.size(), candidate) != 0) continue;
            if (segment_follows(i + candidate.size(), candidate)) token = candidate;
            break;
        }
    }
    if (token.empty()) return false;

    er7_.clear();
    carrier_.clear();
    message_problem_ = SuspectReason::none;
    bool has_msh = text.starts_with("MSH");
    bool closed = false;
    bool trailing = false;
    std::size_t segment_begin = 0;
    std::size_t region_end = text.size();
    std::size_t count = 0;
    auto add_segment = [&](std::size_t end) {
        er7_.append(text.substr(segment_begin, end - segment_begin));
        er7_ += '\r';
        ++count;
    };
    for (std::size_t i = text.find(token, header.fields_end);; i = text.find(token, i)) {
        if (i == std::string_view::npos) {
            add_segment(text.size());
            break;
        }
        std::size_t after = i + token.size();
        bool ends = after == text.size() || frame_end_at(text, after);
        if (!ends && segment_follows(after, token)) {
            std::string_view id = text.substr(after, 3);
            if (is_header_id(id) && (has_msh || closed)) ends = true;  // the next message
            else if (is_header_id(id) && header_fields_end(text.substr(after)) == 0) message_problem_ = SuspectReason::bad_header;
            if (!ends) {
                if (id == "MSH") has_msh = true;
                if (is_trailer_id(id)) closed = true;
                add_segment(i);
                segment_begin = after;
                i = after;
                continue;
            }
        }
        if (ends) {
            add_segment(i);
            region_end = after;
            trailing = true;
            break;
        }
        i = after;  // the spelling inside a value: content
    }
    carrier_.form = CarrierForm::inline_text;
    carrier_.json_string = header.escaped;
    carrier_.separator.assign(token);
    carrier_.trailing_separator = trailing;
    carrier_.segments.resize(count);
    std::uint64_t raw_end = header.raw_end;
    if (region_end < text.size()) {
        raw_end = header.escaped ? c + raw_size_of(ptr(c), ptr(header.raw_end), region_end) : c + region_end;
    }
    if (header.escaped) note_json_style(view(c, raw_end), carrier_.json);
    msg_begin_ = c;
    msg_end_ = raw_end;
    orphans_on_ = false;
    emit_message();
    pos_ = raw_end;
    at_line_start_ = false;
    (void)line;
    return true;
}

// The message's header on a line of its own: later lines may hold its other segments.
void LogScanner::start_lines(const Line& line, std::uint64_t c, const Header& header) {
    add_text(line.begin);
    flush_text();
    er7_.clear();
    carrier_.clear();
    message_problem_ = SuspectReason::none;
    msg_begin_ = line.begin;
    shape_.assign(view(line.begin, c));
    field_ = header.field;
    escaped_ = header.escaped;
    has_msh_ = view(c, c + 3) == "MSH";
    closed_ = false;
    carrier_.form = CarrierForm::lines;
    carrier_.json_string = escaped_;
    orphans_on_ = false;
    state_ = State::message;
    bool frame_end = append_segment(line, c, true);
    pos_ = line.end;
    at_line_start_ = true;
    if (frame_end) emit_message();
}

// Adds the segment at s on `line` to the message; true when its line ended the MLLP frame.
bool LogScanner::append_segment(const Line& line, std::uint64_t s, bool first) {
    auto add_piece = [&](std::string_view bytes, std::uint32_t& at_out, std::uint32_t& size_out) {
        at_out = to_u32(carrier_.pieces.size());
        size_out = to_u32(bytes.size());
        carrier_.pieces.append(bytes);
    };
    Carrier::Segment segment;
    std::uint64_t prefix_end = s;
    if (first && prefix_end > line.begin && at(prefix_end - 1) == kFrameStart) {
        --prefix_end;
        add_piece(view(prefix_end, s), carrier_.lead_at, carrier_.lead_size);
    }
    add_piece(view(line.begin, prefix_end), segment.prefix_at, segment.prefix_size);
    const std::uint64_t ce = line.content_end;
    bool frame_end = false;
    std::string_view text;
    std::uint64_t text_end = ce;  // end of the (raw) segment text
    std::uint64_t end_begin = ce;
    if (escaped_) {
        decoded_.clear();
        const char* stop = nullptr;
        if (decode_json(ptr(s), ptr(ce), decoded_, stop)) {
            text = decoded_;
            text_end = s + static_cast<std::uint64_t>(stop - ptr(s));
            note_json_style(view(s, text_end), carrier_.json);
        } else {
            message_problem_ = SuspectReason::undecodable;
            text = view(s, ce);
        }
    } else {
        if (ce > s && at(ce - 1) == kFrameEnd) {
            frame_end = true;
            text_end = end_begin = ce - 1;
        }
        text = view(s, text_end);
    }
    // A written segment end at the end of each line ("^M" from cat -v): decided by the header line,
    // because "^M" also ends real values ("...^USA^M", address type M).
    if (first) line_mark_ = trailing_mark(text);
    std::string_view mark;
    if (!line_mark_.empty() && text.size() > line_mark_.size() && text.ends_with(line_mark_)) mark = line_mark_;
    text.remove_suffix(mark.size());
    std::string_view id = text.substr(0, 3);
    if (is_header_id(id)) {
        if (header_fields_end(text) == 0) message_problem_ = SuspectReason::bad_header;
        if (id == "MSH") has_msh_ = true;
    }
    if (is_trailer_id(id)) closed_ = true;
    er7_.append(text);
    er7_ += '\r';
    add_piece(mark, segment.mark_at, segment.mark_size);
    add_piece(view(text_end, end_begin), segment.suffix_at, segment.suffix_size);
    add_piece(view(end_begin, line.end), segment.end_at, segment.end_size);
    carrier_.segments.push_back(segment);
    msg_end_ = line.end;
    return frame_end;
}

void LogScanner::step_message(LineFind found, const Line& line) {
    enum class Fit : std::uint8_t { append, next_message, interrupted };
    auto fit = [&](std::string_view id) {
        if (is_header_id(id)) return has_msh_ || closed_ ? Fit::next_message : Fit::append;
        if (is_trailer_id(id)) return Fit::append;
        return has_msh_ && !closed_ ? Fit::append : Fit::interrupted;
    };
    if (found == LineFind::end) {
        emit_message();
        return;
    }
    if (found == LineFind::too_long) {
        std::uint64_t s = segment_at(pos_, pos_ + options_.max_region_size, shape_, field_);
        if (s != kNone && fit(view(s, s + 3)) == Fit::append) {
            end_message_oversized();
            return;
        }
        emit_message();
        if (s == kNone || fit(view(s, s + 3)) == Fit::interrupted) set_orphans(shape_, field_, shape_.empty(), SuspectReason::orphan_segments);
        return;
    }
    const std::uint64_t b = line.begin;
    if (line.content_end == b) {  // a blank line ends it
        emit_message();
        return;
    }
    if (at(b) == kFrameEnd) {  // the frame's end block, on a line of its own
        std::uint64_t tail_end = line.content_end == b + 1 ? line.end : b + 1;
        carrier_.tail_at = to_u32(carrier_.pieces.size());
        carrier_.tail_size = to_u32(tail_end - b);
        carrier_.pieces.append(view(b, tail_end));
        msg_end_ = tail_end;
        emit_message();
        pos_ = tail_end;
        at_line_start_ = tail_end == line.end;
        return;
    }
    std::uint64_t s = segment_at(b, line.content_end, shape_, field_);
    Fit how = s == kNone ? Fit::interrupted : fit(view(s, s + 3));
    if (how != Fit::append) {
        emit_message();
        if (how == Fit::interrupted) set_orphans(shape_, field_, shape_.empty(), SuspectReason::orphan_segments);
        return;
    }
    if (line.end - msg_begin_ > options_.max_region_size) {
        end_message_oversized();
        return;
    }
    bool frame_end = append_segment(line, s, false);
    pos_ = line.end;
    at_line_start_ = true;
    if (frame_end) emit_message();
}

// The message grew past the limit: what there is of it is suspect, and so are its further segment lines.
void LogScanner::end_message_oversized() {
    push(LogRegionKind::suspect, msg_begin_, pos_, SuspectReason::oversized);
    set_orphans(shape_, field_, false, SuspectReason::oversized);
    state_ = State::scan;
    at_line_start_ = true;
}

// Reports the message [msg_begin_, msg_end_), or a suspect when it cannot be written back exactly.
void LogScanner::emit_message() {
    state_ = State::scan;
    SuspectReason problem = message_problem_;
    if (problem == SuspectReason::none) {
        scratch_.clear();
        render(carrier_, er7_, scratch_);
        if (scratch_ != view(msg_begin_, msg_end_)) problem = SuspectReason::undecodable;
    }
    if (problem != SuspectReason::none) push(LogRegionKind::suspect, msg_begin_, msg_end_, problem);
    else push(LogRegionKind::message, msg_begin_, msg_end_);
}

}  // namespace hl7
