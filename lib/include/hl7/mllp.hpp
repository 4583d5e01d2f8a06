// MLLP, the framing HL7 v2 messages travel in over TCP: a codec without I/O, shared by files, clients and servers.
//
// A frame is a start block (0x0B), the message, an end block (0x1C) and a carriage return (0x0D).
// The rules, the same for every reader (MessageReader uses them for framed files, hl7send and
// hl7listen for sockets):
//   - bytes outside frames are skipped; each run of them that is not only whitespace (CR, LF,
//     space, tab, NUL) is reported once, with where its first other byte is and its size up to
//     the next start block (or the end of input);
//   - a start block inside a frame cuts that frame short (it is delivered flagged cut_short, so
//     the caller decides what to do with it) and begins a new frame;
//   - a frame is complete at its end block; the CR after it is swallowed when it comes next, and
//     not waited for (a live sender may send nothing more for a while);
//   - a frame larger than the size limit is not kept past the limit: the bytes after it are
//     scanned to the end of the frame and dropped, and the frame is reported oversized with its
//     offset and whole size;
//   - at the end of input, a frame still open is delivered flagged unterminated.
// Every event carries its stream offset: the bytes fed so far, counted from 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"

namespace hl7 {

inline constexpr char kMllpStartBlock = '\x0b';
inline constexpr char kMllpEndBlock = '\x1c';
inline constexpr std::size_t kDefaultMaxFrameSize = std::size_t(64) << 20;  // 64 MiB

namespace detail {

// Where the next `byte` of a stream is, searched piece by piece (the pieces given in stream order,
// overlapping as they like): the answer is remembered by stream offset, so a byte that is rare or
// absent is looked for once per stretch of the stream, not once per call.
struct Lookout {
    std::uint64_t clear_until = 0;  // no such byte before this offset (from where it was looked for)
    bool found = false;             // and there is one at clear_until

    // Index in `bytes` (which begin at stream offset `base`, never less than the last base) of the
    // first `byte`, or bytes.size().
    std::size_t find(char byte, std::string_view bytes, std::uint64_t base) {
        const std::uint64_t end = base + bytes.size();
        std::uint64_t from = base;
        if (clear_until >= base) {
            if (found || clear_until >= end) return static_cast<std::size_t>(std::min(clear_until, end) - base);
            from = clear_until;
        }
        std::size_t skip = static_cast<std::size_t>(from - base);
        const void* hit = bytes.size() > skip ? std::memchr(bytes.data() + skip, static_cast<unsigned char>(byte),
                                                            bytes.size() - skip)
                                              : nullptr;
        std::size_t at = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data()) : bytes.size();
        found = hit != nullptr;
        clear_until = base + at;
        return at;
    }
};

}  // namespace detail

// How a frame ended.
enum class FrameEnd : std::uint8_t {
    complete,      // at its end block
    cut_short,     // at a start block inside it: the sender began a new frame; this one may be incomplete
    unterminated,  // at the end of input
};

// One step of the framing rules over the bytes given to MllpScanner::next.
struct MllpToken {
    enum class Kind : std::uint8_t {
        none,         // nothing to report: the given bytes are used up (or were empty)
        outside,      // `size` bytes outside any frame, at `offset`
        skipped,      // a run of bytes outside frames, not only whitespace, ended: `offset`, `size`
        frame_begin,  // a start block at `offset`
        content,      // `size` bytes of the open frame's message at `offset` (none past the size limit)
        frame_end,    // the open frame ended (see `end`, `oversized`); `offset`, `size`: its whole message
        trailer,      // the CR after an end block, at `offset`
    };
    Kind kind = Kind::none;
    FrameEnd end = FrameEnd::complete;  // frame_end: how
    bool oversized = false;             // frame_end: larger than the limit, content stopped at it
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::size_t consumed = 0;  // bytes of the input this step used; the caller moves on by this many
};

// The framing rules as a state machine over the caller's buffer: it keeps no bytes, so a reader
// that holds the stream in a buffer of its own pays no copy. Give next() the stream's bytes from
// offset() on (bytes not consumed must be given again, followed by more when they come).
class MllpScanner {
public:
    explicit MllpScanner(std::size_t max_frame_size = kDefaultMaxFrameSize) : max_frame_size_(max_frame_size) {}

    // The next token from the front of `bytes`.
    MllpToken next(std::string_view bytes);
    // At the end of input: the open frame ends unterminated, the open run of skipped bytes is
    // reported. Call until it returns none.
    MllpToken finish();

    std::uint64_t offset() const { return offset_; }  // bytes consumed so far
    bool in_frame() const { return in_frame_; }
    // Message bytes of the open frame so far, the dropped ones past the limit included.
    std::uint64_t frame_size() const { return frame_size_; }
    bool frame_oversized() const { return frame_size_ > max_frame_size_; }
    std::size_t max_frame_size() const { return max_frame_size_; }

private:
    MllpToken skipped_run();
    MllpToken frame_end(FrameEnd end);

    std::size_t max_frame_size_;
    std::uint64_t offset_ = 0;
    bool in_frame_ = false;
    bool after_end_block_ = false;  // a CR now is the frame's trailer
    std::uint64_t frame_offset_ = 0;
    std::uint64_t frame_size_ = 0;
    bool run_dirty_ = false;  // the run outside frames has a byte other than whitespace
    std::uint64_t run_offset_ = 0;
    detail::Lookout start_block_, end_block_;
};

// A frame or a problem, taken out of an MllpDecoder.
struct MllpEvent {
    enum class Kind : std::uint8_t {
        frame,      // `message` holds the frame's message; `end` says whether it is whole
        skipped,    // bytes outside frames: `offset`, `size`
        oversized,  // a frame larger than the limit, dropped: `offset`, `size` of its message; `end`
    };
    Kind kind = Kind::frame;
    FrameEnd end = FrameEnd::complete;
    std::uint64_t offset = 0;  // frame, oversized: of the message's first byte (after the start block)
    std::uint64_t size = 0;
    std::string message;  // frame: without the framing bytes
};

// The push decoder for network tools: bytes arrive in chunks of any size and are copied as needed,
// so a chunk need not outlive feed(). Memory stays below the size limit per frame.
class MllpDecoder {
public:
    explicit MllpDecoder(std::size_t max_frame_size = kDefaultMaxFrameSize) : scanner_(max_frame_size) {}

    void feed(std::string_view bytes);
    // End of input: a frame still open comes out unterminated.
    void finish();
    // Takes out the oldest event; false when none is ready. `event.message` gets the frame's
    // bytes (its storage is recycled, so reusing one event object allocates little).
    bool next(MllpEvent& event);

    bool in_frame() const { return scanner_.in_frame(); }
    std::uint64_t offset() const { return scanner_.offset(); }  // bytes fed so far

private:
    void take(const MllpToken& token);

    MllpScanner scanner_;
    std::string frame_;  // the open frame's message so far
    std::deque<MllpEvent> ready_;
    std::vector<std::string> spare_;  // message buffers handed back by next(), for reuse
};

// The encoder. A frame around `message`: start block, message, end block, CR. A message that holds
// a start or end block cannot be framed (the receiver would cut it there): an error, and nothing
// is appended.
Status append_mllp_frame(std::string& out, std::string_view message);
// The pieces, for writers that put a frame together in parts (then check the part in between
// with find_mllp_block).
inline void append_mllp_begin(std::string& out) { out.push_back(kMllpStartBlock); }
inline void append_mllp_end(std::string& out) {
    out.push_back(kMllpEndBlock);
    out.push_back('\r');
}
// Index of the first start or end block in `bytes`, or npos.
std::size_t find_mllp_block(std::string_view bytes);

}  // namespace hl7
