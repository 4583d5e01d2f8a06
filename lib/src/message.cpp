// Message parsing (delimiters, segment boundaries), segment edits and ER7 re-encoding.
#include "hl7/message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "scan.hpp"

namespace hl7 {

namespace {

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

const char* terminator_for(SegmentEnd end) {
    switch (end) {
        case SegmentEnd::cr: return "\r";
        case SegmentEnd::lf: return "\n";
        case SegmentEnd::crlf: return "\r\n";
        case SegmentEnd::none: return "";
    }
    return "";
}

SegmentEnd end_for_style(SegmentEndStyle style) {
    switch (style) {
        case SegmentEndStyle::lf: return SegmentEnd::lf;
        case SegmentEndStyle::crlf: return SegmentEnd::crlf;
        default: return SegmentEnd::cr;
    }
}

}  // namespace

namespace detail {

bool assertions_enabled() {
#if defined(_GLIBCXX_ASSERTIONS) || !defined(NDEBUG)
    return true;
#else
    return false;
#endif
}

void index_out_of_range(const char* what, std::size_t index, std::size_t size) {
    // Like a failed libstdc++ assertion: the one place the library writes to stderr, just before
    // it aborts on a bug in its caller.
    if (assertions_enabled()) {
        std::fprintf(stderr, "hl7kit: %s %zu out of range (size %zu)\n", what, index, size);
        std::abort();
    }
}

}  // namespace detail

std::string Delimiters::encoding_characters() const {
    std::string s;
    for (char c : {component, repetition, escape, subcomponent, truncation}) {
        if (c == 0) break;
        s.push_back(c);
    }
    return s;
}

bool is_header_segment(std::string_view s) {
    if (s.size() < 4) return false;
    std::string_view id = s.substr(0, 3);
    return (id == "MSH" || id == "FHS" || id == "BHS") && !is_alnum(s[3]);
}

bool is_well_formed_segment_id(std::string_view id) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return id.size() == 3 && upper(id[0]) && (upper(id[1]) || digit(id[1])) && (upper(id[2]) || digit(id[2]));
}

void check_segment_ids(const Message& message, Diagnostics& out) {
    const char field = message.delimiters().field;
    for (std::size_t i = 0; i < message.size(); ++i) {
        // The same test as on segment_id(i), without looking for the field separator: a well-formed
        // ID is the first three bytes, followed by the separator or nothing.
        std::string_view text = message.segment(i);
        if (text.size() >= 3 && (text.size() == 3 || text[3] == field) && is_well_formed_segment_id(text.substr(0, 3)))
            continue;
        Diagnostic d;
        d.severity = Severity::warning;
        d.code = "malformed-segment-id";
        d.text = "not a segment ID (three upper-case letters or digits, the first a letter): a wrapped "
                 "line or other text? kept as a segment";
        d.where.segment_index = static_cast<std::uint32_t>(i + 1);
        d.where.path = fmt::format("segment {}", i + 1);
        out.push_back(std::move(d));
    }
}

bool is_header_segment(std::string_view s, char field_separator) {
    return is_header_segment(s) && s[3] == field_separator;
}

namespace {

// Why no split of a message with these delimiters would be right, if so: a delimiter that is not
// printable ASCII, a letter or digit among the encoding characters, or two alike.
std::optional<Diagnostic> delimiter_problem(const Delimiters& d, const Location& where) {
    char used[] = {d.field, d.component, d.repetition, d.escape, d.subcomponent, d.truncation};
    for (std::size_t i = 0; i < std::size(used); ++i) {
        if (used[i] == 0) continue;
        unsigned char byte = static_cast<unsigned char>(used[i]);
        if (byte >= 0x7F || byte < 0x20 || used[i] == ' ') {
            return make_error("bad-delimiters",
                              fmt::format("{}-{} delimiter 0x{:02X} is not a printable ASCII character",
                                          where.segment_id, i == 0 ? 1 : 2, byte),
                              where);
        }
        if (is_alnum(used[i]) && i > 0) {
            return make_error("bad-delimiters",
                              fmt::format("{}-2 encoding character '{}' is a letter or digit", where.segment_id,
                                          used[i]),
                              where);
        }
        for (std::size_t j = i + 1; j < std::size(used); ++j) {
            if (used[i] == used[j]) {
                return make_error("bad-delimiters",
                                  fmt::format("{}-2 encoding characters are not distinct ('{}' twice)",
                                              where.segment_id, used[i]),
                                  where);
            }
        }
    }
    return std::nullopt;
}

void set_encoding_characters(Delimiters& d, std::string_view encoding) {
    char* slots[] = {&d.component, &d.repetition, &d.escape, &d.subcomponent, &d.truncation};
    for (std::size_t i = 0; i < std::size(slots); ++i) *slots[i] = i < encoding.size() ? encoding[i] : 0;
}

void add_warning(Diagnostics* notes, const Location& where, const char* code, std::string text) {
    if (!notes) return;
    Diagnostic n;
    n.severity = Severity::warning;
    n.code = code;
    n.text = std::move(text);
    n.where = where;
    notes->push_back(std::move(n));
}

constexpr std::string_view kStandardEncoding = "^~\\&";

}  // namespace

Result<Delimiters> read_delimiters(std::string_view header, Diagnostics* notes) {
    Location where;
    where.segment_index = 1;
    where.segment_id = std::string(header.substr(0, 3));
    if (header.size() < 4) {
        where.path = where.segment_id + "-1";
        return make_error("no-delimiters", fmt::format("{} segment has no field separator", where.segment_id),
                          where);
    }
    Delimiters d;
    d.field = header[3];
    // Checked here, not only with the other delimiters below, because an empty MSH-2 skips those.
    unsigned char field_byte = static_cast<unsigned char>(d.field);
    if (is_alnum(d.field) || field_byte <= 0x20 || field_byte >= 0x7F) {
        where.path = where.segment_id + "-1";
        return make_error("bad-delimiters",
                          fmt::format("{}-1 field separator 0x{:02X} is not usable", where.segment_id,
                                      static_cast<unsigned char>(d.field)),
                          where);
    }
    std::string_view rest = header.substr(4);
    std::string_view encoding = rest.substr(0, std::min(rest.find(d.field), rest.size()));
    where.path = where.segment_id + "-2";

    // Two repairs that real feeds need; only the reading changes, the segment text (and so the
    // output) stays as it came in.
    // An empty MSH-2 would leave every field unsplit (MSH-9 as one "ORM^O01^ORM_O01"): read it with
    // the standard characters, unless the field separator is one of them.
    if (encoding.empty() && kStandardEncoding.find(d.field) == std::string_view::npos) {
        set_encoding_characters(d, kStandardEncoding);
        add_warning(notes, where, "empty-encoding-characters",
                    fmt::format("{}-2 is empty; read as the standard encoding characters '{}'", where.segment_id,
                                kStandardEncoding));
        return d;
    }
    // `^~\\&`: the escape character written twice, as in text copied out of source code or JSON.
    // Read as written it is unusable (escape = subcomponent separator); read as `^~\&` it is what
    // the sender meant. Only a doubled backslash in the escape position is repaired.
    if ((encoding.size() == 5 || encoding.size() == 6) && encoding[2] == '\\' && encoding[3] == '\\') {
        std::string repaired(encoding.substr(0, 3));
        repaired.append(encoding.substr(4));
        Delimiters candidate = d;
        set_encoding_characters(candidate, repaired);
        if (!delimiter_problem(candidate, where)) {
            add_warning(notes, where, "doubled-escape-character",
                        fmt::format("{}-2 '{}' has its escape character written twice (as in text copied out of "
                                    "source code); read as '{}'",
                                    where.segment_id, encoding, repaired));
            return candidate;
        }
    }

    set_encoding_characters(d, encoding);
    if (encoding.size() < 4) {
        add_warning(notes, where, "short-encoding-characters",
                    fmt::format("{}-2 has {} encoding character{}; the missing ones are not used", where.segment_id,
                                encoding.size(), encoding.size() == 1 ? "" : "s"));
    }
    if (encoding.size() > 5) {
        add_warning(notes, where, "long-encoding-characters",
                    fmt::format("{}-2 has {} characters; only the first five are encoding characters",
                                where.segment_id, encoding.size()));
    }
    // Every delimiter in use must be distinct: otherwise no split of the message is right.
    if (auto problem = delimiter_problem(d, where)) return *problem;
    return d;
}

Result<Message> Message::parse(std::string_view text, Diagnostics* notes) {
    Message m;
    if (Status status = m.assign(text, notes); !status) return status.error();
    return m;
}

Result<Message> Message::parse_copy(std::string text, Diagnostics* notes) {
    Message m;
    std::string_view view = m.store(std::move(text));
    if (Status status = m.assign(view, notes); !status) return status.error();
    return m;
}

std::string_view Message::store(std::string text) {
    owned_.push_back(std::move(text));
    return owned_.back();
}

Status Message::assign(std::string_view text, Diagnostics* notes) {
    // Owned storage holding `text` itself (parse_copy) must survive; other storage is stale.
    bool text_is_owned = !owned_.empty() && owned_.back().data() == text.data();
    if (!text_is_owned) owned_.clear();
    original_ = text;
    segments_.clear();
    blank_lines_ = 0;
    modified_ = false;

    if (text.size() < 3 || text.substr(0, 3) != "MSH") {
        Location where;
        where.has_offset = true;
        return make_error("no-msh", "message does not start with an MSH segment", where);
    }
    // find_either, not find_first_of: that calls memchr once per byte of the header.
    const char* header_end = detail::find_either(text.data(), text.data() + text.size(), '\r', '\n');
    auto delimiters = read_delimiters(text.substr(0, static_cast<std::size_t>(header_end - text.data())), notes);
    if (!delimiters) return delimiters.error();
    delimiters_ = *delimiters;

    const char* begin = text.data();
    const char* end = begin + text.size();
    const char* p = begin;
    while (p < end) {
        const char* e = detail::find_either(p, end, '\r', '\n');
        SegmentSlot slot;
        slot.text = std::string_view(p, static_cast<std::size_t>(e - p));
        slot.offset = static_cast<std::uint32_t>(p - begin);
        const char* next = e;
        if (e == end) {
            slot.end = SegmentEnd::none;
        } else if (*e == '\r' && e + 1 < end && e[1] == '\n') {
            slot.end = SegmentEnd::crlf;
            next = e + 2;
        } else {
            slot.end = *e == '\r' ? SegmentEnd::cr : SegmentEnd::lf;
            next = e + 1;
        }
        if (slot.text.empty() || is_blank(slot.text)) {
            if (e != end || !slot.text.empty()) {
                ++blank_lines_;
                if (notes) {
                    Diagnostic n;
                    n.severity = Severity::note;
                    n.code = "blank-line";
                    n.text = "blank line inside the message ignored";
                    n.where.segment_index = static_cast<std::uint32_t>(segments_.size());
                    n.where.byte_offset = slot.offset;
                    n.where.has_offset = true;
                    notes->push_back(std::move(n));
                }
            }
        } else {
            segments_.push_back(slot);
        }
        p = next;
    }
    return Status::success();
}

std::string_view Message::segment_id(std::size_t i) const {
    if (!in_range(i)) return {};
    std::string_view s = segments_[i].text;
    if (is_header_segment(s, delimiters_.field)) return s.substr(0, 3);
    return s.substr(0, std::min(s.size(), s.find(delimiters_.field)));
}

std::optional<std::size_t> Message::find_segment(std::string_view id, std::size_t occurrence) const {
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        if (segment_id(i) == id && --occurrence == 0) return i;
    }
    return std::nullopt;
}

void Message::replace_segment(std::size_t i, std::string text) {
    if (!in_range(i)) return;
    segments_[i].text = store(std::move(text));
    modified_ = true;
}

void Message::insert_segment(std::size_t before, std::string text) {
    if (before > segments_.size()) {
        detail::index_out_of_range("insert position", before, segments_.size());
        before = segments_.size();
    }
    SegmentSlot slot;
    slot.text = store(std::move(text));
    slot.end = segments_.empty() ? SegmentEnd::cr : segments_[std::min(before, segments_.size() - 1)].end;
    if (slot.end == SegmentEnd::none) slot.end = SegmentEnd::cr;
    slot.offset = before < segments_.size() ? segments_[before].offset : static_cast<std::uint32_t>(original_.size());
    segments_.insert(segments_.begin() + static_cast<std::ptrdiff_t>(std::min(before, segments_.size())), slot);
    // A segment added after one that had no terminator needs a separator between them.
    for (std::size_t k = 0; k + 1 < segments_.size(); ++k)
        if (segments_[k].end == SegmentEnd::none) segments_[k].end = SegmentEnd::cr;
    modified_ = true;
}

void Message::remove_segment(std::size_t i) {
    if (!in_range(i)) return;
    segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(i));
    modified_ = true;
}

bool Message::uses_only(SegmentEnd end) const {
    return std::all_of(segments_.begin(), segments_.end(), [end](const SegmentSlot& s) { return s.end == end; });
}

void Message::write_er7(std::string& out, SegmentEndStyle style) const {
    if (!modified_ && !segments_.empty()) {
        if (style == SegmentEndStyle::keep ||
            (blank_lines_ == 0 && uses_only(end_for_style(style)))) {
            out.append(original_);
            return;
        }
    }
    for (const SegmentSlot& s : segments_) {
        out.append(s.text);
        out.append(terminator_for(style == SegmentEndStyle::keep ? s.end : end_for_style(style)));
    }
}

std::string Message::to_er7(SegmentEndStyle style) const {
    std::string out;
    write_er7(out, style);
    return out;
}

std::optional<std::string_view> nth_part(std::string_view text, char separator, int n) {
    if (n < 1) return std::nullopt;
    if (separator == 0) return n == 1 ? std::optional<std::string_view>(text) : std::nullopt;
    const char* p = text.data();
    const char* end = p + text.size();
    for (int k = 1; k < n; ++k) {
        p = detail::find_byte(p, end, separator);
        if (p == end) return std::nullopt;
        ++p;
    }
    const char* e = detail::find_byte(p, end, separator);
    return std::string_view(p, static_cast<std::size_t>(e - p));
}

int count_parts(std::string_view text, char separator) {
    if (separator == 0) return 1;
    return 1 + static_cast<int>(std::count(text.begin(), text.end(), separator));
}

std::optional<std::string_view> field_text(std::string_view s, const Delimiters& d, int number) {
    if (number < 1) return std::nullopt;
    if (is_header_segment(s, d.field)) {
        if (number == 1) return s.substr(3, 1);
        return nth_part(s, d.field, number);
    }
    return nth_part(s, d.field, number + 1);
}

int field_count(std::string_view s, const Delimiters& d) {
    int parts = count_parts(s, d.field);
    return is_header_segment(s, d.field) ? parts : parts - 1;
}

std::string replace_part(std::string_view text, char separator, int n, std::string_view part) {
    std::string out;
    if (n < 1) return std::string(text);
    if (separator == 0) return n == 1 ? std::string(part) : std::string(text);
    int have = count_parts(text, separator);
    if (n > have) {
        out.reserve(text.size() + static_cast<std::size_t>(n - have) + part.size());
        out.append(text);
        out.append(static_cast<std::size_t>(n - have), separator);
        out.append(part);
        return out;
    }
    auto old = nth_part(text, separator, n);
    std::size_t start = static_cast<std::size_t>(old->data() - text.data());
    out.reserve(text.size() - old->size() + part.size());
    out.append(text.substr(0, start));
    out.append(part);
    out.append(text.substr(start + old->size()));
    return out;
}

std::string remove_part(std::string_view text, char separator, int n) {
    if (separator == 0 || n < 1 || n > count_parts(text, separator)) return std::string(text);
    auto old = nth_part(text, separator, n);
    std::size_t start = static_cast<std::size_t>(old->data() - text.data());
    std::size_t stop = start + old->size();
    if (stop < text.size()) {
        ++stop;  // the separator after the part
    } else if (start > 0) {
        --start;  // the last part: take the separator before it
    }
    std::string out(text.substr(0, start));
    out.append(text.substr(stop));
    return out;
}

}  // namespace hl7
