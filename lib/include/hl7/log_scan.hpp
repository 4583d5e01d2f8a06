// Finding HL7 messages inside mixed log files, and writing a changed message back in the shape it came in.
//
// Interface-engine logs carry messages in many shapes: raw ER7 on lines of its own (CR, LF or CRLF
// segment ends, maybe MLLP-framed), one segment per log line behind a log prefix, a whole message on
// one line with its segment ends written out (`\r`, `<CR>`, `^M`, `\x0d`, `\n`, ...), or inside a
// JSON string. LogScanner cuts a log into regions, in input order:
//   - text:    bytes that are not HL7 (the caller scrubs them as free text);
//   - message: one message (or batch control segments with it) found in the log: its original bytes,
//              the decoded ER7 with CR segment ends, and a Carrier that says how to write an ER7 back
//              in the same shape (render);
//   - suspect: bytes that look like HL7 but could not be read as a message (a truncated or unusable
//              MSH-1/MSH-2, an escaped string that does not decode or re-encode exactly, a message
//              longer than the limit, segment lines whose header is missing). Scrub them whole.
//
// Promises:
//   - Every input byte is in exactly one region, regions come in input order and are contiguous:
//     concatenating the text and suspect regions as they are and the message regions re-rendered
//     from their unchanged ER7 gives the input byte for byte.
//   - render(region.carrier, region.er7) == region.bytes for every message region. The scanner
//     checks this before it reports a message; a region that would not round-trip exactly is
//     reported as suspect instead (fail closed).
//   - Regions do not depend on how the input is cut into feed() calls.
//   - Memory stays bounded: the scanner holds at most about two max_region_size plus the last chunk
//     fed. A message larger than the limit is reported as suspect regions of at most the limit each
//     and never held whole. Text regions are at most max(max_text_size, one line up to the limit).
//   - No content of the log goes into anything but the regions themselves.
//
// What counts as what (the rules, so callers can explain a result):
//   - A header candidate is "MSH", "FHS" or "BHS" followed by a field separator (printable ASCII, not a
//     letter, digit or space) that looks like HL7: the separator is '|', or the next byte is one more
//     punctuation character (MSH-2's first). "MSH-9 is required" or "MSH: x" in a log line is text.
//     MSH-2 must end at a field separator, and its first five characters (the encoding characters,
//     as the core reads them) must be distinct punctuation other than the field separator; otherwise
//     the candidate is suspect (bad_header) through the end of its line.
//   - Escaping: when MSH-2 as written holds a doubled backslash (`^~\\&`), or the header follows a
//     '"' and MSH-2 holds no backslash, the message is read as a JSON string: it ends at the next
//     unescaped '"' (or the end of the line) and its escapes (`\\ \" \/ \b \f \n \r \t \uXXXX`) are
//     decoded. Re-encoding follows how the region wrote things (`\/` or '/', `\u` for non-ASCII or
//     UTF-8, hex case, `\u000d` or `\r`).
//   - Inline form: when the rest of the header's text holds a written segment end followed by a
//     segment ID and the field separator, the message is on that one line (or in that one string).
//     The first such separator decides which spelling it is; only occurrences followed by a segment
//     ID (for `^M`, a known standard segment ID or a Z-segment, since `^M` also reads as a component
//     starting with M), by the end of the text, or by a frame end (0x1C, `<FS>`, `\x1c`, `^\`) end
//     segments; others are content. The message ends at the end of the line (or string), or after a
//     separator followed by a frame end. Text after the last segment on the same line cannot be told
//     from its last field and stays in the message. Text before the header is a text region.
//   - Lines form: otherwise the header's line is the message's first segment, and the lines after it
//     are its segments while they hold a segment ID and the field separator either at column 0 or
//     after a prefix of the header line's prefix shape: the same length, the same bytes except that
//     any letter or digit may stand for any letter or digit (timestamps, sequence numbers, levels of
//     one width). The region starts at the header line's start (or where the scanner resumed on that
//     line); each segment's prefix and, for a JSON string, the text after its closing quote are log
//     text held in the carrier (render can pass them through the caller's scrubber). A written
//     segment end at the end of the header's line (`^M` from `cat -v`, `\r`, `<CR>`, or a decoded CR
//     in a JSON string), and the same one at the end of its other lines, and an MLLP start (0x0B) or
//     end (0x1C, alone or ending the last segment's line) are framing, not message text. (Only when
//     the header line has it: "^M" also ends real values, "...^USA^M".)
//   - A line that is not a segment ends the message; so do a blank line, a frame end and the end of
//     input. Interleaved lines are not passed through: after a message was cut short by such a line,
//     later lines that are segments of its prefix shape (until a blank line or the next header) are
//     suspect (orphan_segments), so a message broken by another connection's line or a stack trace
//     is scrubbed, not leaked as text. For a message at column 0 (no prefix), where a segment ID alone
//     is weak evidence, only lines with a standard or Z segment ID count, and only in the run of lines
//     right after the interrupting line (the first other line not indented with a blank ends the search); the same holds at the
//     start of the log (a log that starts inside a message). Segment lines indented with blanks count
//     as segment lines (continuations and orphans) too.
//   - Batches: FHS and BHS segments before a message and BTS and FTS after it belong to that message's
//     region, as with the core reader (hl7/stream.hpp: StreamItem header/trailer); each MSH starts
//     a new region. A whole batch is never one region, because batch files are unbounded and the
//     region limit would turn them suspect; the ER7 of a region is what the core reader reads as one
//     item. Control segments without a message (an empty batch) are a message region without MSH.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hl7 {

enum class LogRegionKind : std::uint8_t { text, message, suspect };

enum class SuspectReason : std::uint8_t {
    none,
    bad_header,       // MSH-1/MSH-2 (or FHS/BHS) unusable or cut short
    undecodable,      // an escaped string that does not decode, or would not re-encode to the same bytes
    oversized,        // a message or HL7-looking line longer than LogScanOptions::max_region_size
    orphan_segments,  // segment lines whose header is missing (after an interruption, at the start of a log)
};

const char* log_region_kind_name(LogRegionKind kind);
const char* suspect_reason_name(SuspectReason reason);

enum class CarrierForm : std::uint8_t {
    lines,        // segments on log lines of their own: per-segment prefix, suffix and line end
    inline_text,  // the whole message on one line (or in one string), segment ends written as a separator
};

// How a JSON string carrier writes what it holds (render follows it; the scanner read it from the region).
struct JsonStyle {
    bool escape_solidus = false;      // '/' as `\/`
    bool escape_non_ascii = false;    // UTF-8 characters as `\uXXXX` (surrogate pairs above U+FFFF)
    bool upper_hex = false;           // `\u00E9` rather than `\u00e9`
    bool control_as_unicode = false;  // `\u000d` rather than `\r` (and so for \b \f \n \t)
};

// How a message was written into the log. Strings, not views: a carrier stays valid after the scanner
// moves on.
struct Carrier {
    struct Segment {
        // Pieces of `pieces`, as offset and size.
        std::uint32_t prefix_at = 0, prefix_size = 0;  // log text before the segment (lines form)
        std::uint32_t mark_at = 0, mark_size = 0;      // a written segment end before the line end (`^M`,
                                                       // `\r`, a decoded CR in a JSON string); escaped with
                                                       // the segment text when json_string
        std::uint32_t suffix_at = 0, suffix_size = 0;  // log text after a JSON string's closing quote
        std::uint32_t end_at = 0, end_size = 0;        // frame end (0x1C) and line end: CR, LF, CRLF, none
    };

    CarrierForm form = CarrierForm::lines;
    bool json_string = false;  // segment text is written with JSON string escapes
    JsonStyle json;
    std::string pieces;              // every piece below, back to back
    std::vector<Segment> segments;   // one per segment found (inline form: sizes all 0)
    std::uint32_t lead_at = 0, lead_size = 0;  // MLLP start block between segment 1's prefix and its text
    std::uint32_t tail_at = 0, tail_size = 0;  // a frame end (0x1C) line after the last segment
    std::string separator;           // inline form: the segment end as written (after JSON decoding):
                                     // "\\r", "<CR>", "^M", or a real "\r" inside a JSON string
    bool trailing_separator = false; // inline form: the last segment is followed by the separator too

    std::string_view piece(std::uint32_t at, std::uint32_t size) const { return {pieces.data() + at, size}; }
    std::string_view prefix(std::size_t i) const { return piece(segments[i].prefix_at, segments[i].prefix_size); }
    std::string_view mark(std::size_t i) const { return piece(segments[i].mark_at, segments[i].mark_size); }
    std::string_view suffix(std::size_t i) const { return piece(segments[i].suffix_at, segments[i].suffix_size); }
    std::string_view end(std::size_t i) const { return piece(segments[i].end_at, segments[i].end_size); }
    std::string_view lead() const { return piece(lead_at, lead_size); }
    std::string_view tail() const { return piece(tail_at, tail_size); }
    void clear();
};

struct LogRegion {
    LogRegionKind kind = LogRegionKind::text;
    // The original bytes. A view into the scanner: valid until the next call to feed() or finish()
    // (next() keeps it), so copy it or finish with it before feeding more.
    std::string_view bytes;
    std::uint64_t offset = 0;  // stream offset of bytes
    std::uint64_t line = 0;    // 1-based line of its first byte (1 + the LFs before it)
    SuspectReason reason = SuspectReason::none;  // suspect only
    // Message only (kept, not cleared, for other kinds: their buffers are reused between regions).
    std::string er7;  // decoded ER7, every segment (including the last) ending in CR
    Carrier carrier;
};

struct LogScanOptions {
    // A message larger than this (original bytes, with its prefixes) is reported as suspect. Also the
    // longest line the scanner holds whole. At least 64.
    std::size_t max_region_size = std::size_t(16) << 20;
    // Consecutive text lines are reported together up to about this many bytes.
    std::size_t max_text_size = std::size_t(64) << 10;
};

// Cuts a log into regions, incrementally. Use: feed(chunk), then next() until it returns false;
// at the end of input finish(), then next() until it returns false.
class LogScanner {
public:
    explicit LogScanner(LogScanOptions options = {});

    void feed(std::string_view bytes);
    void finish();
    // Fills `region` with the next region; false when more input is needed (or, after finish(), at
    // the end). `region`'s strings are reused: pass the same object each time.
    bool next(LogRegion& region);
    std::uint64_t bytes_fed() const { return base_ + buf_.size(); }

private:
    struct Line {
        std::uint64_t begin = 0, content_end = 0, end = 0;
    };
    enum class LineFind : std::uint8_t { found, need_more, too_long, end };
    enum class State : std::uint8_t { scan, message, drop_line };
    struct Pending {
        LogRegionKind kind = LogRegionKind::text;
        std::uint64_t begin = 0, end = 0;
        SuspectReason reason = SuspectReason::none;
    };
    struct Header;

    bool step();
    void step_scan(const Line& line);
    void step_long_text();
    void step_message(LineFind found, const Line& line);
    void step_drop_line();
    bool start_at(const Line& line, std::uint64_t candidate);
    bool start_inline(const Line& line, std::uint64_t candidate, const Header& header);
    void start_lines(const Line& line, std::uint64_t candidate, const Header& header);
    bool append_segment(const Line& line, std::uint64_t segment_begin, bool first);
    void emit_message();
    void end_message_oversized();

    LineFind find_line(std::uint64_t from, Line& line) const;
    std::uint64_t find_candidate(std::uint64_t from, std::uint64_t to, std::uint64_t read_end) const;
    std::uint64_t segment_at(std::uint64_t begin, std::uint64_t read_end, std::string_view shape, char field) const;
    bool orphan_line(std::uint64_t begin, std::uint64_t read_end) const;

    void add_text(std::uint64_t to);
    void flush_text();
    void push(LogRegionKind kind, std::uint64_t begin, std::uint64_t end, SuspectReason reason = SuspectReason::none);
    void end_weak_orphans(std::uint64_t line_begin);
    void set_orphans(std::string_view shape, char field, bool strict, SuspectReason reason);

    const char* ptr(std::uint64_t offset) const { return buf_.data() + (offset - base_); }
    char at(std::uint64_t offset) const { return buf_[static_cast<std::size_t>(offset - base_)]; }
    std::uint64_t avail() const { return base_ + buf_.size(); }
    std::string_view view(std::uint64_t begin, std::uint64_t end) const {
        return {ptr(begin), static_cast<std::size_t>(end - begin)};
    }

    LogScanOptions options_;
    std::string buf_;          // bytes from base_ on
    std::uint64_t base_ = 0;
    bool eof_ = false;
    std::uint64_t pos_ = 0;    // next byte to classify
    bool at_line_start_ = true;
    State state_ = State::scan;
    SuspectReason drop_reason_ = SuspectReason::none;

    // Output: regions decided but not yet handed out (at most one message among them).
    std::vector<Pending> out_;
    std::size_t out_head_ = 0;
    std::uint64_t classified_ = 0;  // end of the last region decided
    std::uint64_t handed_ = 0;      // end of the last region handed out
    std::uint64_t line_no_ = 1;     // line at handed_
    bool text_open_ = false;
    std::uint64_t text_begin_ = 0, text_end_ = 0;

    // The message being assembled (lines form), or the one decided (both forms).
    std::string er7_;
    Carrier carrier_;
    SuspectReason message_problem_ = SuspectReason::none;
    std::uint64_t msg_begin_ = 0, msg_end_ = 0;
    std::string shape_;
    char field_ = '|';
    bool escaped_ = false;
    std::string_view line_mark_;  // the written segment end its lines end with (a static token), or none
    bool has_msh_ = false;
    bool closed_ = false;

    // Segment lines that are suspect when they come without their header.
    bool orphans_on_ = true;
    std::string orphan_shape_;
    char orphan_field_ = '|';
    bool orphan_strict_ = true;
    SuspectReason orphan_reason_ = SuspectReason::orphan_segments;
    int orphan_grace_ = 0;  // column-0 orphans: other lines still allowed before the search ends

    std::string decoded_;  // a JSON string's text, decoded
    std::string scratch_;  // the round-trip check
};

// Something that writes log text (a segment's prefix or suffix) into `out`, e.g. the caller's scrubber.
using LogTextWriter = std::function<void(std::string_view log_text, std::string& out)>;

// Appends `er7` (segments ending in CR, LF or CRLF) to `out` in the shape `carrier` describes; log text
// pieces go through `write_log_text` when given, as they are otherwise. render(carrier, region.er7) ==
// region.bytes (see above). When `er7` has a different number of segments than the carrier (the
// de-identifier never adds or removes any; this is for safety): the last segment always gets the last
// segment's pieces (its line end, frame end), segments beyond the carrier's others get the pieces of
// the carrier's next-to-last segment (a middle line's prefix and end), and missing segments are simply
// not written (the lead and tail still are). No segment is ever dropped or merged.
void render(const Carrier& carrier, std::string_view er7, std::string& out, const LogTextWriter& write_log_text = {});
std::string render(const Carrier& carrier, std::string_view er7);

}  // namespace hl7
