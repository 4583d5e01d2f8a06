// One parsed HL7 v2 message: delimiters, segments as views into the input, edits, ER7 output.
//
// A Message refers to the bytes it was parsed from and copies nothing; keep them alive as long as
// the message (or use parse_copy). Segments that an edit changes get storage of their own, so
// re-encoding writes the untouched segments exactly as they came in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"

namespace hl7 {

namespace detail {
// A bug in the caller: aborts with a message on stderr when assertions are on (assertions_enabled()),
// otherwise returns so that the caller can fall back to a harmless result.
void index_out_of_range(const char* what, std::size_t index, std::size_t size);
// True when the library was built with assertions (no NDEBUG, or _GLIBCXX_ASSERTIONS).
bool assertions_enabled();
}  // namespace detail

// The encoding characters. 0 means "not in use": MSH-2 may be shorter than four characters.
struct Delimiters {
    char field = '|';
    char component = '^';
    char repetition = '~';
    char escape = '\\';
    char subcomponent = '&';
    char truncation = 0;  // the fifth MSH-2 character of v2.7+; never splits anything

    // MSH-2 as it would be written for these delimiters.
    std::string encoding_characters() const;
    bool operator==(const Delimiters&) const = default;
};

// How a segment ended in the input.
enum class SegmentEnd : std::uint8_t { none, cr, lf, crlf };

// How segments end on output; `keep` writes each segment's original ending.
enum class SegmentEndStyle : std::uint8_t { keep, cr, lf, crlf };

// Reads MSH-1 and MSH-2 (or FHS/BHS-1 and -2) from the start of a header segment.
// Notes about unusual but accepted encoding characters are appended to `notes`.
Result<Delimiters> read_delimiters(std::string_view header_segment, Diagnostics* notes = nullptr);

class Message {
public:
    Message() = default;
    Message(Message&&) noexcept = default;
    Message& operator=(Message&&) noexcept = default;
    Message(const Message&) = delete;
    Message& operator=(const Message&) = delete;

    // Parses one message starting with "MSH". `text` must outlive the message.
    static Result<Message> parse(std::string_view text, Diagnostics* notes = nullptr);
    static Result<Message> parse(const char* text, Diagnostics* notes = nullptr) {
        return parse(std::string_view(text), notes);
    }
    // A temporary string would die before the message that views it: use parse_copy.
    static Result<Message> parse(std::string&& text, Diagnostics* notes = nullptr) = delete;
    // Same, but the message keeps its own copy of the text.
    static Result<Message> parse_copy(std::string text, Diagnostics* notes = nullptr);
    // Re-parses into this object, reusing its allocations (the streaming hot path).
    Status assign(std::string_view text, Diagnostics* notes = nullptr);
    Status assign(const char* text, Diagnostics* notes = nullptr) { return assign(std::string_view(text), notes); }
    Status assign(std::string&& text, Diagnostics* notes = nullptr) = delete;

    const Delimiters& delimiters() const { return delimiters_; }
    std::string_view original_text() const { return original_; }

    // Segment indexes are 0-based and must be below size() (insert_segment: at most size()). An index
    // out of range is a bug in the caller: it aborts when assertions are on (a debug build without
    // NDEBUG, or -D_GLIBCXX_ASSERTIONS); otherwise the call is harmless -- accessors return an empty
    // view, SegmentEnd::none or 0, replace and remove do nothing, insert appends.
    std::size_t size() const { return segments_.size(); }
    bool empty() const { return segments_.empty(); }
    // Text of segment i (0-based) without its terminator.
    std::string_view segment(std::size_t i) const { return in_range(i) ? segments_[i].text : std::string_view(); }
    SegmentEnd segment_end(std::size_t i) const { return in_range(i) ? segments_[i].end : SegmentEnd::none; }
    // Byte offset of segment i in the original text (of the original segment if it was edited).
    std::uint32_t segment_offset(std::size_t i) const { return in_range(i) ? segments_[i].offset : 0; }
    std::string_view segment_id(std::size_t i) const;
    // Index of the n-th (1-based) segment with this ID, if there is one.
    std::optional<std::size_t> find_segment(std::string_view id, std::size_t occurrence = 1) const;

    // Edits. Segment text is ER7 without terminator, encoded with this message's delimiters.
    // For edits at a path (values, [*], escaping, charsets), use hl7::Editor (hl7/edit.hpp).
    void replace_segment(std::size_t i, std::string text);
    void insert_segment(std::size_t before, std::string text);
    void remove_segment(std::size_t i);
    bool modified() const { return modified_; }

    // Appends the message as ER7. An unmodified message with `keep` (or with the style its input
    // used throughout) is written byte for byte as it came in.
    void write_er7(std::string& out, SegmentEndStyle style = SegmentEndStyle::keep) const;
    std::string to_er7(SegmentEndStyle style = SegmentEndStyle::keep) const;

    // A short description of repairs made while reading (line ends other than CR, blank lines).
    bool had_blank_lines() const { return blank_lines_ > 0; }
    bool uses_only(SegmentEnd end) const;

private:
    bool in_range(std::size_t i) const {
        if (i < segments_.size()) [[likely]]
            return true;
        detail::index_out_of_range("segment index", i, segments_.size());
        return false;
    }

    struct SegmentSlot {
        std::string_view text;
        std::uint32_t offset = 0;
        SegmentEnd end = SegmentEnd::cr;
    };
    std::string_view store(std::string text);

    std::string_view original_;
    Delimiters delimiters_;
    std::vector<SegmentSlot> segments_;
    std::deque<std::string> owned_;  // deque: adding storage never moves what views point at
    std::uint32_t blank_lines_ = 0;
    bool modified_ = false;
};

// Field navigation on one segment's text. Field numbers follow HL7: for MSH, FHS and BHS field 1
// is the field separator itself and field 2 the encoding characters (both atomic).
//
// A header segment is "MSH", "FHS" or "BHS" and then a character that can be a field separator.
// Inside a message, pass the message's field separator: a line such as "MSH^x|..." in the middle
// of a message is then a segment whose ID is "MSH^x" (not a header with another separator), so
// that fields are always split the way the message's delimiters say.
// True for a well-formed segment ID: an upper-case letter, then two upper-case letters or digits.
bool is_well_formed_segment_id(std::string_view id);
// A warning for each segment whose ID is not well formed (a wrapped line, a log annotation, control
// bytes): such a line is kept as a segment, losslessly, but it is named by its position ("segment
// 3"), never by its text, which may be patient data.
void check_segment_ids(const Message& message, Diagnostics& out);

bool is_header_segment(std::string_view segment_text);
bool is_header_segment(std::string_view segment_text, char field_separator);

// Text of field `number` (1-based), or nullopt when the segment has fewer fields.
std::optional<std::string_view> field_text(std::string_view segment_text, const Delimiters& delimiters,
                                           int number);
// The highest field number present (0 for a bare segment ID).
int field_count(std::string_view segment_text, const Delimiters& delimiters);

// The n-th (1-based) part of `text` split at `separator`, or nullopt when there are fewer parts.
// A separator of 0 (not in use) means the whole text is part 1.
std::optional<std::string_view> nth_part(std::string_view text, char separator, int n);
int count_parts(std::string_view text, char separator);

// Returns `text` with its n-th part (1-based) replaced, adding empty parts when there are fewer.
// n < 1 names no part: `text` comes back unchanged.
std::string replace_part(std::string_view text, char separator, int n, std::string_view part);
// Returns `text` without its n-th part (and one separator); unchanged when there are fewer parts.
std::string remove_part(std::string_view text, char separator, int n);

}  // namespace hl7
