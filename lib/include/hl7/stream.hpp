// Splitting a byte stream into messages: plain ER7, MLLP frames, FHS/BHS batches; streaming, with
// memory bounded by the largest message.
//
// A new message starts at each segment that begins with "MSH". Segments may end in CR, LF or CRLF,
// mixed. MLLP frames (0x0B ... 0x1C, then an optional CR) delimit messages too; bytes between
// frames are skipped and reported. FHS/BHS lines before a message and BTS/FTS lines after it come
// with that message, so batches round-trip. A UTF-8 byte order mark and blank lines between
// messages are skipped. Text that is not a message (no MSH) is returned as a `junk` item, so the
// caller can report it and go on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"

namespace hl7 {

struct ReadResult {
    std::size_t size = 0;  // 0 with error 0: end of input
    int error = 0;         // an errno value
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
    ReadResult read(char* buffer, std::size_t capacity) override;

private:
    std::string_view data_;
    std::size_t max_read_;  // to test reads that stop anywhere
};

// One message (or batch control lines without a message, or junk) and where it came from.
// The views stay valid until the next call to MessageReader::next.
struct StreamItem {
    std::string_view text;                  // "MSH..." through its last segment's terminator
    std::vector<std::string_view> header;   // FHS/BHS segments just before it (no terminators)
    std::vector<std::string_view> trailer;  // BTS/FTS segments just after it
    std::uint64_t index = 0;                // 1-based number among messages and junk
    std::uint64_t offset = 0;               // stream offset of `text`
    std::uint64_t line = 0;                 // 1-based line of `text`
    bool junk = false;                      // text that is not a message
    bool framed = false;                    // came in an MLLP frame
    Diagnostics notes;                      // repairs and skipped bytes (notes and warnings)

    bool has_message() const { return !text.empty() && !junk; }
};

struct ReaderOptions {
    std::size_t read_size = 1 << 20;
    // A message (or run of junk) larger than this ends the stream with an error instead of
    // taking all memory.
    std::size_t max_message_size = std::size_t(1) << 30;
};

class MessageReader {
public:
    explicit MessageReader(ByteSource& source, ReaderOptions options = {});
    MessageReader(const MessageReader&) = delete;
    MessageReader& operator=(const MessageReader&) = delete;

    // Fills `item` with the next message; false at the end of input or on a read error.
    bool next(StreamItem& item);
    // Why reading stopped early (an I/O error or an oversized message), if it did.
    const std::optional<Diagnostic>& error() const { return error_; }
    std::uint64_t bytes_read() const { return base_ + size_; }

private:
    enum class LineEnd : std::uint8_t { cr, lf, crlf, fs, eof };
    struct Line {
        std::size_t begin = 0, content_end = 0, end = 0;
        LineEnd kind = LineEnd::eof;
        std::uint64_t number = 0;
    };
    struct Span {
        std::size_t begin = 0, end = 0;
    };
    enum class Kind : std::uint8_t { none, message, junk, control };

    bool read_line(Line& line);
    bool fill();
    void start_item();
    bool finish(StreamItem& item);
    void note(Severity severity, std::string code, std::string text, std::uint64_t offset);
    std::size_t text_end(const Line& line) const { return line.kind == LineEnd::fs ? line.content_end : line.end; }

    ByteSource& source_;
    ReaderOptions options_;
    std::vector<char> data_;
    std::size_t size_ = 0;       // valid bytes in data_
    std::size_t pos_ = 0;        // next unread byte
    std::size_t scanned_ = 0;    // bytes after pos_ known to hold no line end
    std::uint64_t base_ = 0;     // stream offset of data_[0]
    std::uint64_t line_no_ = 1;  // line number at pos_
    bool eof_ = false;
    std::optional<Diagnostic> error_;
    std::optional<Line> unread_;
    enum class AfterEndBlock : std::uint8_t { none, cr, lf };
    AfterEndBlock after_end_block_ = AfterEndBlock::none;  // a CR/LF after 0x1C still to skip
    bool in_frame_ = false;
    bool saw_frame_ = false;
    std::uint64_t message_count_ = 0;

    // The item being assembled, as offsets into data_ (data_ moves when it is compacted).
    Kind kind_ = Kind::none;
    bool closed_ = false;  // trailer lines seen: the next other line starts a new item
    bool item_framed_ = false;
    Span body_;
    std::uint64_t body_line_ = 0;
    std::vector<Span> header_, trailer_;
    std::size_t keep_from_ = 0;  // first byte the current item needs
    Diagnostics notes_;
    std::uint64_t skipped_ = 0;  // bytes outside MLLP frames waiting to be reported
    std::uint64_t skipped_at_ = 0;
};

}  // namespace hl7
