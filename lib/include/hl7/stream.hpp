// Splitting a byte stream into messages: plain ER7, MLLP frames, FHS/BHS batches; streaming, with
// memory bounded by the size limit (ReaderOptions::max_message_size), however large the input.
//
// A new message starts at each segment that begins with "MSH". Segments may end in CR, LF or CRLF,
// mixed. MLLP frames (0x0B ... 0x1C, then an optional CR) delimit messages too; bytes between
// frames are skipped and reported. FHS/BHS lines before a message and BTS/FTS lines after it come
// with that message, so batches round-trip. A UTF-8 byte order mark and blank lines between
// messages are skipped. Text that is not a message (no MSH) is returned as a `junk` item, and a
// message larger than the limit as an `oversized` item, so the caller can report it and go on.
// (hl7/reader.hpp reads JSON input too, and parses the messages.)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/mllp.hpp"

namespace hl7 {

struct ReadResult {
    std::size_t size = 0;  // 0 with error 0: end of input (unless idle)
    int error = 0;         // an errno value
    // No bytes yet, and none came for a while (a live pipe or socket): not the end. A message in
    // plain ER7 that ends at a segment end is then complete (`tail -f feed.log | hl7parse`).
    bool idle = false;
};

// Where bytes come from. The library reads only through this.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual ReadResult read(char* buffer, std::size_t capacity) = 0;
};

// Reads a file descriptor the caller opened (and closes).
class FdSource final : public ByteSource {
public:
    explicit FdSource(int fd) : fd_(fd) {}
    ReadResult read(char* buffer, std::size_t capacity) override;

private:
    int fd_;
};

// Reads bytes held in memory (tests, JSON-to-ER7 paths).
class StringSource final : public ByteSource {
public:
    explicit StringSource(std::string_view data, std::size_t max_read = SIZE_MAX)
        : data_(data), max_read_(max_read) {}
    explicit StringSource(const char* data, std::size_t max_read = SIZE_MAX)
        : StringSource(std::string_view(data), max_read) {}
    // The source views the bytes: a temporary string would be gone before they are read.
    explicit StringSource(std::string&& data, std::size_t max_read = SIZE_MAX) = delete;
    ReadResult read(char* buffer, std::size_t capacity) override;

private:
    std::string_view data_;
    std::size_t max_read_;  // to test reads that stop anywhere
};

namespace detail {

// A byte buffer that grows with realloc, so a large one is remapped rather than copied (memory at
// a growth step is the new size, not old plus new) and new room is not zero-filled.
class ByteBuffer {
public:
    ByteBuffer() = default;
    ~ByteBuffer() { std::free(data_); }
    ByteBuffer(const ByteBuffer&) = delete;
    ByteBuffer& operator=(const ByteBuffer&) = delete;

    char* data() { return data_; }
    const char* data() const { return data_; }
    std::size_t size() const { return capacity_; }
    char operator[](std::size_t i) const { return data_[i]; }
    // Grows to `capacity` bytes (the contents kept); false when memory runs out.
    bool resize(std::size_t capacity) {
        if (capacity <= capacity_) return true;
        void* grown = std::realloc(data_, capacity);
        if (!grown) return false;
        data_ = static_cast<char*>(grown);
        capacity_ = capacity;
        return true;
    }

private:
    char* data_ = nullptr;
    std::size_t capacity_ = 0;
};

}  // namespace detail

// One message (or batch control lines without a message, or junk, or a skipped oversized message)
// and where it came from. The views stay valid until the next call to MessageReader::next.
struct StreamItem {
    std::string_view text;                  // "MSH..." through its last segment's terminator
    std::vector<std::string_view> header;   // FHS/BHS segments just before it (no terminators)
    std::vector<std::string_view> trailer;  // BTS/FTS segments just after it
    std::uint64_t index = 0;                // 1-based number among messages, junk and oversized items
    std::uint64_t offset = 0;               // stream offset of `text` (of the skipped bytes when oversized)
    std::uint64_t line = 0;                 // 1-based line of `text`
    std::uint64_t oversized = 0;            // > 0: this many bytes (a message, frame or run of text larger
                                            // than max_message_size) were skipped here; text is empty
    bool junk = false;                      // text that is not a message
    bool framed = false;                    // came in an MLLP frame
    Diagnostics notes;                      // repairs and skipped bytes (notes and warnings)

    bool has_message() const { return !text.empty() && !junk; }
};

struct ReaderOptions {
    std::size_t read_size = 1 << 20;
    // A message, MLLP frame or run of text larger than this is skipped without being held in
    // memory (an item with `oversized` set) and reading goes on. Also the limit for one JSON object.
    std::size_t max_message_size = std::size_t(64) << 20;
};

// Splits ER7 input into messages. MLLP framing goes through MllpScanner (hl7/mllp.hpp), over this
// reader's own buffer: the framing rules are that codec's. Before the first frame, text outside
// frames is plain ER7 (a start block ends it, like the end of input); after it, bytes outside
// frames are skipped as the codec reports them. What is read does not depend on how the input is
// cut into reads.
class MessageReader {
public:
    explicit MessageReader(ByteSource& source, ReaderOptions options = {});
    MessageReader(const MessageReader&) = delete;
    MessageReader& operator=(const MessageReader&) = delete;

    // Fills `item` with the next message; false at the end of input or on a read error.
    bool next(StreamItem& item);
    // The read error that stopped reading early, if one did.
    const std::optional<Diagnostic>& error() const { return error_; }
    std::uint64_t bytes_read() const { return base_ + size_; }

private:
    // How a line ends: its terminator, or what ends the region it is in (no byte of its own).
    enum class LineEnd : std::uint8_t { cr, lf, crlf, fs, frame_begin, frame_end, eof };
    struct Line {
        std::uint64_t begin = 0, content_end = 0, end = 0;  // stream offsets
        LineEnd kind = LineEnd::eof;
        std::uint64_t number = 0;
        // A line longer than the limit is not kept: what is known of it is its first bytes and
        // whether it is blank, which is all that decides where it goes.
        bool long_line = false;
        bool blank = false;
        bool bom = false;  // a UTF-8 BOM before `begin` was skipped; noted when the line is taken
        std::uint8_t head_size = 0;
        std::array<char, 4> head{};
    };
    // What comes next in the input: a line, a framing event, or the end.
    struct Unit {
        enum class Type : std::uint8_t {
            line,
            frame_begin,
            frame_end,
            frame_too_large,  // the open frame just went past the limit
            skipped,          // a run of bytes between frames
            idle,             // the source has been idle at a line boundary
            end,
        };
        Type type = Type::end;
        Line line;
        MllpToken token;
    };
    struct Span {
        std::uint64_t begin = 0, end = 0;
    };
    enum class Kind : std::uint8_t { none, message, junk, control };
    // What the bytes being split into lines are: plain ER7 (outside frames, before the first),
    // a frame's message, or bytes between frames (only counted).
    enum class Region : std::uint8_t { plain, frame, between };
    enum class Advance : std::uint8_t { more, end, long_line, idle };

    void next_unit(Unit& unit);
    bool find_line(Line& line);
    void drop_long_line();
    Advance advance();
    bool fill();
    void spill_item();
    void count_lines(std::uint64_t from, std::uint64_t to);
    void start_item();
    void take(const Line& line);
    bool finish(StreamItem& item);
    bool finish_oversized(StreamItem& item, std::uint64_t offset, std::uint64_t size, std::uint64_t line);
    void note(Severity severity, std::string code, std::string text, std::uint64_t offset);
    std::string_view view(std::uint64_t begin, std::uint64_t end) const {
        return {data_.data() + (begin - base_), static_cast<std::size_t>(end - begin)};
    }
    std::string_view item_view(Span span) const;
    static std::uint64_t text_end(const Line& line) { return line.kind == LineEnd::fs ? line.content_end : line.end; }

    ByteSource& source_;
    ReaderOptions options_;
    MllpScanner scanner_;
    detail::ByteBuffer data_;
    std::size_t size_ = 0;       // valid bytes in data_
    std::uint64_t base_ = 0;     // stream offset of data_[0]
    bool eof_ = false;           // the source has no more bytes
    bool idle_ = false;          // the last read said the source is idle
    bool idle_close_ = false;    // while idle, a CR at the end of the bytes ends its line
    bool idle_pending_ = false;  // idle: to be told to next() once at a line boundary
    bool finished_ = false;      // and the scanner has said all it had to say
    bool long_line_ = false;     // fill() found the line being read longer than the limit
    std::optional<Diagnostic> error_;

    // Line splitting: stream offsets.
    Region region_ = Region::plain;
    std::uint64_t pos_ = 0;         // next byte to split into lines
    std::uint64_t region_end_ = 0;  // end of the bytes the scanner has classified so far
    std::size_t line_scanned_ = 0;  // bytes after pos_ known to hold no line end
    detail::Lookout cr_, lf_, fs_;  // where the next line ends are
    std::optional<MllpToken> boundary_;  // what ends the region at region_end_
    std::uint64_t line_no_ = 1;     // line number at pos_: 1 + the LFs before it (a CR alone ends none)
    std::optional<Unit> unread_;
    std::optional<Line> dropped_;   // the long line being read: its start, first bytes, blankness

    bool saw_frame_ = false;
    bool in_frame_ = false;
    bool frame_dropped_ = false;  // the open frame went past the limit; its item was dropped
    std::uint64_t frame_line_ = 0;
    std::uint64_t message_count_ = 0;

    // The item being assembled.
    Kind kind_ = Kind::none;
    bool closed_ = false;    // trailer lines seen: the next other line starts a new item
    bool dropping_ = false;  // past the limit: its bytes are no longer kept, it is reported oversized
    bool item_framed_ = false;
    Span body_;
    std::uint64_t body_line_ = 0;
    std::uint64_t item_begin_ = 0, item_end_ = 0;  // its first byte; the end of its last line that is not blank
    std::uint64_t item_line_ = 0;                  // line of item_begin_
    std::vector<Span> header_, trailer_;
    std::uint64_t keep_from_ = 0;  // first byte the current item needs in data_
    std::string spilled_;          // the item's bytes, moved out of data_ when blank lines after it pile up
    std::uint64_t spilled_at_ = 0;  // stream offset of spilled_[0]
    Diagnostics notes_;
};

}  // namespace hl7
