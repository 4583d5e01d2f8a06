// The streaming message splitter: MLLP framing through MllpScanner, line scanning over a compacting buffer, batches.
#include "hl7/stream.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "scan.hpp"

namespace hl7 {

ReadResult FdSource::read(char* buffer, std::size_t capacity) {
    for (;;) {
        ssize_t n = ::read(fd_, buffer, capacity);
        if (n >= 0) return {static_cast<std::size_t>(n), 0};
        if (errno != EINTR) return {0, errno};
    }
}

ReadResult StringSource::read(char* buffer, std::size_t capacity) {
    std::size_t n = std::min({capacity, data_.size(), max_read_});
    std::memcpy(buffer, data_.data(), n);
    data_.remove_prefix(n);
    return {n, 0};
}

namespace {

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

enum class SegmentKind : std::uint8_t { msh, fhs, bhs, bts, fts, other };

// What a line starts with: "MSH|..." or a bare "MSH" (the segment ID followed by anything that can
// be a separator), and so on for the batch segments.
SegmentKind segment_kind(std::string_view line) {
    if (line.size() < 3 || (line.size() > 3 && is_alnum(line[3]))) return SegmentKind::other;
    char a = line[0], b = line[1], c = line[2];
    if (a == 'M') return b == 'S' && c == 'H' ? SegmentKind::msh : SegmentKind::other;
    if ((a != 'F' && a != 'B') || c != 'S') return SegmentKind::other;
    if (b == 'H') return a == 'F' ? SegmentKind::fhs : SegmentKind::bhs;
    if (b == 'T') return a == 'F' ? SegmentKind::fts : SegmentKind::bts;
    return SegmentKind::other;
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\0'; });
}

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string plural_bytes(std::uint64_t n) { return fmt::format("{} byte{}", n, n == 1 ? "" : "s"); }

}  // namespace

MessageReader::MessageReader(ByteSource& source, ReaderOptions options)
    : source_(source), options_(options), scanner_(options.max_message_size) {
    if (options_.read_size < 16) options_.read_size = 16;
    if (options_.max_message_size < 4) options_.max_message_size = 4;  // room for a line's first bytes
    if (!data_.resize(options_.read_size)) error_ = make_error("out-of-memory", "no memory for the read buffer");
}

void MessageReader::note(Severity severity, std::string code, std::string text, std::uint64_t offset) {
    Diagnostic d;
    d.severity = severity;
    d.code = std::move(code);
    d.text = std::move(text);
    d.where.byte_offset = offset;
    d.where.has_offset = true;
    notes_.push_back(std::move(d));
}

// Drops the bytes no longer needed, makes room and reads more. Called when the scanner has taken
// every byte in the buffer. False at the end of input, on a read error, or when the line being
// read is longer than the limit (long_line_): its bytes are not kept.
//
// What is kept: the item in progress (at most the limit, or it is dropped), blank lines after it
// (until they and the line being read pass the limit: then the item is moved aside), and the line
// being read (at most the limit). So memory stays below twice the limit, plus a read.
bool MessageReader::fill() {
    if (eof_) return false;
    std::uint64_t need = pos_;
    if (kind_ != Kind::none && !dropping_ && spilled_.empty()) {
        if (base_ + size_ - item_end_ > options_.max_message_size) spill_item();
        else need = std::min(keep_from_, pos_);
    }
    if (std::size_t drop = static_cast<std::size_t>(need - base_); drop > 0) {
        std::memmove(data_.data(), data_.data() + drop, size_ - drop);
        size_ -= drop;
        base_ += drop;
    }
    if (base_ + size_ - pos_ > options_.max_message_size) {
        long_line_ = true;
        return false;
    }
    if (data_.size() - size_ < options_.read_size / 2) {
        std::size_t capacity = std::max(data_.size() * 2, size_ + options_.read_size);
        if (!data_.resize(std::min(capacity, 2 * options_.max_message_size + options_.read_size))) {
            error_ = make_error("out-of-memory", "no memory for a larger read buffer");
            eof_ = true;
            return false;
        }
    }
    ReadResult r = source_.read(data_.data() + size_, data_.size() - size_);
    if (r.error != 0) {
        error_ = make_error("read-error", std::strerror(r.error));
        eof_ = true;
        return false;
    }
    if (r.idle && r.size == 0) {
        idle_ = true;
        return false;
    }
    idle_close_ = idle_pending_ = false;
    if (r.size == 0) {
        eof_ = true;
        return false;
    }
    size_ += r.size;
    return true;
}

// Blank lines pile up after the item in progress: its bytes (at most the limit) move to a buffer of
// their own, so the buffer need not hold the blanks. Any line that joins the item after this takes it
// past the limit, so the item's views all lie in the moved bytes.
void MessageReader::spill_item() {
    spilled_.assign(view(keep_from_, item_end_));
    spilled_at_ = keep_from_;
    keep_from_ = pos_;
}

std::string_view MessageReader::item_view(Span span) const {
    if (!spilled_.empty() && span.begin >= spilled_at_ && span.end <= spilled_at_ + spilled_.size())
        return std::string_view(spilled_).substr(static_cast<std::size_t>(span.begin - spilled_at_),
                                                  static_cast<std::size_t>(span.end - span.begin));
    return view(span.begin, span.end);
}

// Runs the scanner over the buffer's next bytes: extends the current region or sets the boundary
// that closes it.
MessageReader::Advance MessageReader::advance() {
    for (;;) {
        std::size_t at = static_cast<std::size_t>(scanner_.offset() - base_);
        if (at < size_) {
            MllpToken t = scanner_.next({data_.data() + at, size_ - at});
            switch (t.kind) {
                case MllpToken::Kind::outside:
                case MllpToken::Kind::content:
                    region_end_ = t.offset + t.size;
                    return Advance::more;
                case MllpToken::Kind::none:  // bytes of a frame past the limit: only counted
                    region_end_ = scanner_.offset();
                    return Advance::more;
                case MllpToken::Kind::skipped:
                    if (!saw_frame_) continue;  // before the first frame, text outside frames is plain ER7
                    break;
                default:
                    break;
            }
            boundary_ = t;
            return Advance::more;
        }
        if (eof_) {
            MllpToken t = scanner_.finish();
            if (t.kind == MllpToken::Kind::none) return Advance::end;
            if (t.kind == MllpToken::Kind::skipped && !saw_frame_) continue;
            boundary_ = t;
            return Advance::more;
        }
        if (!fill()) {
            if (idle_) {
                idle_ = false;
                return Advance::idle;
            }
            if (long_line_) {
                long_line_ = false;
                return Advance::long_line;
            }
            if (error_) return Advance::end;
        }
    }
}

// The next line of the current region: ended by its terminator, or by the end of the region once
// that is known. False when more bytes are needed to tell.
bool MessageReader::find_line(Line& line) {
    const char* begin = data_.data() + (pos_ - base_);
    const char* end = data_.data() + (region_end_ - base_);
    // Each of the three bytes is looked for on its own (memchr), and where it is (or that it is not
    // there) is remembered: an LF in a CR file is looked for once per buffer, not once per line.
    const std::string_view bytes(begin, static_cast<std::size_t>(end - begin));
    std::size_t at = std::min(cr_.find('\r', bytes, pos_), lf_.find('\n', bytes, pos_));
    if (region_ == Region::plain) at = std::min(at, fs_.find(kMllpEndBlock, bytes, pos_));  // none in a frame
    const char* t = begin + at;
    const bool closed = boundary_.has_value() || finished_;
    const bool cr_ends = closed || idle_close_;
    LineEnd kind;
    const char* after = t + 1;
    if (t < end) {
        if (*t == '\r') {
            if (after == end && !cr_ends) {  // CR at the end of what is known: an LF may follow
                line_scanned_ = static_cast<std::size_t>(t - begin);
                return false;
            }
            if (after < end && *after == '\n') {
                kind = LineEnd::crlf;
                ++after;
            } else {
                kind = LineEnd::cr;
            }
        } else if (*t == '\n') {
            kind = LineEnd::lf;
        } else {
            kind = LineEnd::fs;  // only in plain text: in a frame, the scanner ends the frame there
        }
    } else if (closed) {  // the region ends here, and the line with it
        kind = !boundary_                                             ? LineEnd::eof
               : boundary_->kind == MllpToken::Kind::frame_begin ? LineEnd::frame_begin
                                                                      : LineEnd::frame_end;
        after = t;
    } else {
        line_scanned_ = static_cast<std::size_t>(end - begin);
        return false;
    }
    if (dropped_) {  // the end of a long line
        line = *dropped_;
        if (line.blank && !is_blank(std::string_view(begin, static_cast<std::size_t>(t - begin)))) line.blank = false;
        dropped_.reset();
    } else {
        line = Line{};
        line.begin = pos_;
        line.number = line_no_;
    }
    line.content_end = pos_ + static_cast<std::uint64_t>(t - begin);
    line.end = pos_ + static_cast<std::uint64_t>(after - begin);
    line.kind = kind;
    if (kind == LineEnd::lf || kind == LineEnd::crlf) ++line_no_;  // as less and wc -l count
    pos_ = line.end;
    line_scanned_ = 0;
    return true;
}

// The line being read is longer than the limit: what is known of it so far is dropped, keeping its
// start, first bytes and whether it is blank.
void MessageReader::drop_long_line() {
    std::string_view bytes = view(pos_, pos_ + line_scanned_);
    if (!dropped_) {
        Line line;
        line.begin = pos_;
        line.number = line_no_;
        line.long_line = true;
        if (pos_ == 0 && bytes.substr(0, 3) == kByteOrderMark) {
            bytes.remove_prefix(3);
            line.begin = 3;
            line.bom = true;  // noted if the line is taken, as for a line of normal length
        }
        line.blank = true;
        dropped_ = line;
    }
    Line& line = *dropped_;
    while (line.head_size < line.head.size() && !bytes.empty()) {
        line.head[line.head_size++] = bytes.front();
        bytes.remove_prefix(1);
    }
    if (line.blank && !is_blank(bytes)) line.blank = false;
    if (line.blank && !is_blank(std::string_view(line.head.data(), line.head_size))) line.blank = false;
    pos_ += line_scanned_;
    line_scanned_ = 0;
}

// Between frames the bytes are only counted: line numbers go on across them.
void MessageReader::count_lines(std::uint64_t from, std::uint64_t to) {
    const char* p = data_.data() + (from - base_);
    const char* end = data_.data() + (to - base_);
    while (const void* t = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
        ++line_no_;
        p = static_cast<const char*>(t) + 1;
    }
}

void MessageReader::next_unit(Unit& unit) {
    for (;;) {
        if (region_ == Region::frame && !frame_dropped_ && scanner_.frame_oversized()) {
            frame_dropped_ = true;
            count_lines(pos_, region_end_);
            pos_ = region_end_;
            line_scanned_ = 0;
            unit.type = Unit::Type::frame_too_large;
            return;
        }
        if (pos_ < region_end_ || (dropped_ && (boundary_ || finished_))) {
            if (region_ == Region::between || (region_ == Region::frame && frame_dropped_)) {
                count_lines(pos_, region_end_);
                pos_ = region_end_;
                continue;
            }
            if (find_line(unit.line)) {
                unit.type = Unit::Type::line;
                return;
            }
        }
        if (boundary_) {
            MllpToken t = *boundary_;
            boundary_.reset();
            unit.token = t;
            line_scanned_ = 0;
            switch (t.kind) {
                case MllpToken::Kind::frame_begin:
                    saw_frame_ = true;
                    region_ = Region::frame;
                    frame_dropped_ = false;
                    pos_ = region_end_ = t.offset + 1;
                    unit.type = Unit::Type::frame_begin;
                    return;
                case MllpToken::Kind::frame_end:
                    // Bytes dropped past the limit in the same step as the end block: counted too.
                    if (frame_dropped_) count_lines(region_end_, t.offset + t.size);
                    region_ = Region::between;
                    pos_ = region_end_ = t.offset + t.size + (t.end == FrameEnd::complete ? 1 : 0);
                    unit.type = Unit::Type::frame_end;
                    return;
                case MllpToken::Kind::trailer:  // the CR after an end block: not a line end to less either
                    pos_ = region_end_ = t.offset + 1;
                    continue;
                case MllpToken::Kind::skipped:
                    unit.type = Unit::Type::skipped;
                    return;
                default:
                    continue;
            }
        }
        if (finished_) {
            unit.type = Unit::Type::end;
            return;
        }
        if (idle_pending_ && region_ == Region::plain && pos_ >= region_end_) {
            idle_pending_ = false;
            unit.type = Unit::Type::idle;
            return;
        }
        switch (advance()) {
            case Advance::more:
                break;
            case Advance::end:
                finished_ = true;
                break;
            case Advance::long_line:
                drop_long_line();
                break;
            case Advance::idle:
                // A CR at the end of the bytes now ends its line; once the lines known are taken,
                // and if none is left half-read, the caller hears of the pause.
                if (region_ != Region::plain) break;  // a frame ends at its end block, never by a pause
                idle_close_ = true;
                idle_pending_ = true;
                break;
        }
    }
}

void MessageReader::start_item() {
    kind_ = Kind::none;
    closed_ = false;
    dropping_ = false;
    item_framed_ = in_frame_;
    body_ = {};
    body_line_ = 0;
    header_.clear();
    trailer_.clear();
    notes_.clear();
    spilled_.clear();
    keep_from_ = pos_;
}

bool MessageReader::finish(StreamItem& item) {
    if (dropping_) return finish_oversized(item, item_begin_, item_end_ - item_begin_, item_line_);
    if (kind_ == Kind::message || kind_ == Kind::junk) {
        item.text = item_view(body_);
        item.junk = kind_ == Kind::junk;
        item.index = ++message_count_;
        item.offset = body_.begin;
        item.line = body_line_;
    }
    if (kind_ == Kind::control) {  // batch lines alone: where the first of them is
        Span first = !header_.empty() ? header_.front() : trailer_.front();
        item.offset = first.begin;
        item.line = body_line_;
    }
    item.framed = item_framed_;
    for (Span s : header_) item.header.push_back(item_view(s));
    for (Span s : trailer_) item.trailer.push_back(item_view(s));
    item.notes = std::move(notes_);
    notes_.clear();
    return true;
}

bool MessageReader::finish_oversized(StreamItem& item, std::uint64_t offset, std::uint64_t size, std::uint64_t line) {
    item.oversized = size;
    item.offset = offset;
    item.line = line;
    item.index = ++message_count_;
    item.framed = item_framed_;
    item.notes = std::move(notes_);
    notes_.clear();
    kind_ = Kind::none;
    return true;
}

// A line that is not blank joins the item in progress (or starts it). Past the limit, the item's
// bytes are dropped and only its extent is followed.
void MessageReader::take(const Line& line) {
    // Noted here, not where the BOM is skipped: the line may first end the message before it.
    if (line.bom)
        note(Severity::note, "bom",
             line.begin == 3 ? "UTF-8 byte order mark skipped" : "UTF-8 byte order mark before a header segment skipped",
             line.begin - 3);
    if (kind_ == Kind::none) {
        item_begin_ = keep_from_ = line.begin;
        item_line_ = line.number;
    }
    item_end_ = line.end;
    if (!dropping_ && item_end_ - item_begin_ > options_.max_message_size) {
        dropping_ = true;
        body_ = {};
        header_.clear();
        trailer_.clear();
        spilled_.clear();
        keep_from_ = pos_;
    }
}

bool MessageReader::next(StreamItem& item) {
    item.text = {};
    item.header.clear();
    item.trailer.clear();
    item.notes.clear();
    item.index = item.offset = item.line = item.oversized = 0;
    item.junk = item.framed = false;
    if (error_) return false;
    start_item();

    auto has_content = [this] { return kind_ != Kind::none; };
    Unit u;
    for (;;) {
        if (unread_) {
            u = *unread_;
            unread_.reset();
        } else {
            if (!has_content()) keep_from_ = pos_;
            next_unit(u);
        }
        switch (u.type) {
            case Unit::Type::line:
                break;
            case Unit::Type::idle:
                // A plain-ER7 message whose last segment has ended, and nothing more for a while:
                // complete (a live tail must not hold the newest message back).
                if (kind_ == Kind::message && !in_frame_) return finish(item);
                continue;
            case Unit::Type::end:
                // After a read error the item in progress may be cut short: it is not returned as
                // if it were whole.
                if (error_) return false;
                if (has_content() || !notes_.empty()) return finish(item);
                return false;
            case Unit::Type::frame_too_large:  // its bytes are dropped; frame_end reports it
                kind_ = Kind::none;
                closed_ = false;
                dropping_ = false;
                body_ = {};
                header_.clear();
                trailer_.clear();
                continue;
            case Unit::Type::skipped:
                note(Severity::warning, "skipped-bytes",
                     fmt::format("{} outside MLLP frames skipped", plural_bytes(u.token.size)), u.token.offset);
                continue;
            case Unit::Type::frame_begin:
                if (has_content()) {
                    unread_ = u;
                    return finish(item);
                }
                in_frame_ = true;
                item_framed_ = true;
                frame_line_ = line_no_;
                continue;
            case Unit::Type::frame_end: {
                in_frame_ = false;
                const MllpToken& t = u.token;
                const std::uint64_t at = t.offset + t.size;  // the end block, start block or end of input
                if (t.oversized) {
                    kind_ = Kind::none;
                    return finish_oversized(item, t.offset, t.size, frame_line_);
                }
                if (t.end == FrameEnd::cut_short) {
                    note(Severity::warning, "frame-cut-short",
                         "MLLP start block inside a frame: the frame ends there and may be incomplete", at);
                } else if (t.end == FrameEnd::unterminated) {
                    note(Severity::warning, "unterminated-frame", "MLLP frame not terminated at end of input", at);
                }
                if (has_content()) return finish(item);
                if (t.end == FrameEnd::complete)
                    note(Severity::warning, "empty-frame", "empty MLLP frame skipped", at);
                continue;
            }
        }

        Line& line = u.line;
        std::string_view content;  // of a long line, its first bytes: enough to tell where it goes
        bool blank;
        if (line.long_line) {
            content = std::string_view(line.head.data(), line.head_size);
            blank = line.blank;
        } else {
            content = view(line.begin, line.content_end);
            // A BOM starts the stream, or (what `cat *.hl7` makes of files that begin with one) a
            // header segment further on: skipped, so that the header begins its message.
            if (content.substr(0, 3) == kByteOrderMark) {
                SegmentKind after = segment_kind(content.substr(3));
                bool header = after == SegmentKind::msh || after == SegmentKind::fhs || after == SegmentKind::bhs;
                if (line.begin == 0 || header) {
                    line.bom = true;
                    line.begin += 3;
                    content.remove_prefix(3);
                }
            }
            blank = is_blank(content);
        }

        if (!blank) {
            switch (segment_kind(content)) {
                case SegmentKind::msh:
                    // Open batch header lines (FHS/BHS, no trailer yet) belong to this message.
                    if (has_content() && !(kind_ == Kind::control && !closed_)) {
                        unread_ = u;
                        return finish(item);
                    }
                    take(line);
                    kind_ = Kind::message;
                    body_ = {line.begin, text_end(line)};
                    body_line_ = line.number;
                    break;
                case SegmentKind::fhs:
                case SegmentKind::bhs:
                    if (kind_ == Kind::message || kind_ == Kind::junk || closed_) {
                        unread_ = u;
                        return finish(item);
                    }
                    if (kind_ == Kind::none) body_line_ = line.number;
                    take(line);
                    kind_ = Kind::control;
                    if (!dropping_) header_.push_back({line.begin, line.content_end});
                    break;
                case SegmentKind::bts:
                case SegmentKind::fts:
                    if (kind_ == Kind::none) body_line_ = line.number;
                    take(line);
                    if (kind_ == Kind::none) kind_ = Kind::control;
                    if (!dropping_) trailer_.push_back({line.begin, line.content_end});
                    closed_ = true;
                    break;
                case SegmentKind::other:
                    if ((kind_ == Kind::message || kind_ == Kind::junk) && !closed_) {
                        take(line);
                        body_.end = text_end(line);
                    } else if (kind_ == Kind::control && !closed_) {
                        // Batch header lines followed by something that is not a message: the junk
                        // keeps the header, so the batch lines still round-trip around it.
                        take(line);
                        kind_ = Kind::junk;
                        body_ = {line.begin, text_end(line)};
                        body_line_ = line.number;
                    } else if (has_content()) {
                        unread_ = u;
                        return finish(item);
                    } else {
                        take(line);
                        kind_ = Kind::junk;
                        body_ = {line.begin, text_end(line)};
                        body_line_ = line.number;
                    }
                    break;
            }
            if (dropping_) body_ = {};
        }
        // Noted once the line is taken (a line handed back for the next item is noted there).
        if (line.kind == LineEnd::fs)
            note(Severity::warning, "stray-end-block", "MLLP end block outside a frame ignored", line.content_end);
    }
}

}  // namespace hl7
