// The streaming message splitter: line scanning over a compacting buffer, MLLP frames, batches.
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

constexpr char kStartBlock = 0x0B;
constexpr char kEndBlock = 0x1C;

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// "MSH|..." or a bare "MSH": the segment ID followed by anything that can be a separator.
bool starts_segment(std::string_view line, std::string_view id) {
    return line.size() >= 3 && line.substr(0, 3) == id && (line.size() == 3 || !is_alnum(line[3]));
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\0'; });
}

}  // namespace

MessageReader::MessageReader(ByteSource& source, ReaderOptions options) : source_(source), options_(options) {
    if (options_.read_size < 16) options_.read_size = 16;
    data_.resize(options_.read_size);
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

// Makes room and reads more. Keeps everything from keep_from_ on; offsets move down with it.
bool MessageReader::fill() {
    if (eof_) return false;
    std::size_t keep = std::min(keep_from_, pos_);
    if (unread_) keep = std::min(keep, unread_->begin);
    if (keep > 0) {
        std::memmove(data_.data(), data_.data() + keep, size_ - keep);
        size_ -= keep;
        pos_ -= keep;
        keep_from_ -= keep;
        base_ += keep;
        if (unread_) {
            unread_->begin -= keep;
            unread_->content_end -= keep;
            unread_->end -= keep;
        }
        body_.begin -= std::min(body_.begin, keep);
        body_.end -= std::min(body_.end, keep);
        for (std::vector<Span>* list : {&header_, &trailer_}) {
            for (Span& span : *list) {
                span.begin -= keep;
                span.end -= keep;
            }
        }
    }
    if (data_.size() - size_ < options_.read_size / 2) {
        if (size_ - keep_from_ > options_.max_message_size) {
            error_ = make_error("message-too-large",
                                fmt::format("a message or line is larger than {} bytes", options_.max_message_size));
            eof_ = true;
            return false;
        }
        data_.resize(std::max(data_.size() * 2, size_ + options_.read_size));
    }
    ReadResult r = source_.read(data_.data() + size_, data_.size() - size_);
    if (r.error != 0) {
        error_ = make_error("read-error", std::strerror(r.error));
        eof_ = true;
        return false;
    }
    if (r.size == 0) {
        eof_ = true;
        return false;
    }
    size_ += r.size;
    return true;
}

bool MessageReader::read_line(Line& line) {
    if (unread_) {
        line = *unread_;
        unread_.reset();
        return true;
    }
    if (after_end_block_ != AfterEndBlock::none) {
        if (pos_ == size_ && !eof_) fill();
        if (after_end_block_ == AfterEndBlock::cr && pos_ < size_ && data_[pos_] == '\r') {
            ++pos_;
            ++line_no_;
            after_end_block_ = AfterEndBlock::lf;
            if (pos_ == size_ && !eof_) fill();
        }
        if (after_end_block_ == AfterEndBlock::lf && pos_ < size_ && data_[pos_] == '\n') ++pos_;
        after_end_block_ = AfterEndBlock::none;
        keep_from_ = std::max(keep_from_, pos_);
    }
    for (;;) {
        const char* begin = data_.data() + pos_;
        const char* end = data_.data() + size_;
        const char* t = detail::find_any3(begin + scanned_, end, '\r', '\n', kEndBlock);
        if (t < end) {
            LineEnd kind;
            const char* after = t + 1;
            if (*t == '\r') {
                if (after == end && !eof_) {  // CR at the buffer end: an LF may follow
                    scanned_ = static_cast<std::size_t>(t - begin);
                    fill();
                    continue;
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
                kind = LineEnd::fs;
                // The optional CR (or CRLF) after the end block. When the read ends right
                // there, the frame is complete anyway: a live sender may send nothing more for
                // a while, so the CR is looked for at the start of the next read instead.
                if (after < end && *after == '\r') {
                    ++after;
                    if (after < end && *after == '\n') ++after;
                    else if (after == end && !eof_) after_end_block_ = AfterEndBlock::lf;
                } else if (after == end && !eof_) {
                    after_end_block_ = AfterEndBlock::cr;
                }
            }
            line.begin = pos_;
            line.content_end = static_cast<std::size_t>(t - data_.data());
            line.end = static_cast<std::size_t>(after - data_.data());
            line.kind = kind;
            line.number = line_no_;
            // A CR (or CRLF) after the end block ends a line too.
            if (kind != LineEnd::fs || line.end > line.content_end + 1) ++line_no_;
            pos_ = line.end;
            scanned_ = 0;
            return true;
        }
        scanned_ = static_cast<std::size_t>(end - begin);
        if (eof_ || !fill()) {
            if (error_) return false;  // read error or oversized message: no partial line
            if (pos_ == size_) return false;
            line.begin = pos_;
            line.content_end = line.end = size_;
            line.kind = LineEnd::eof;
            line.number = line_no_;
            pos_ = size_;
            scanned_ = 0;
            return true;
        }
    }
}

void MessageReader::start_item() {
    kind_ = Kind::none;
    closed_ = false;
    item_framed_ = in_frame_;
    body_ = {};
    body_line_ = 0;
    header_.clear();
    trailer_.clear();
    notes_.clear();
    keep_from_ = unread_ ? unread_->begin : pos_;
}

bool MessageReader::finish(StreamItem& item) {
    auto view = [this](Span s) { return std::string_view(data_.data() + s.begin, s.end - s.begin); };
    if (kind_ == Kind::message || kind_ == Kind::junk) {
        item.text = view(body_);
        item.junk = kind_ == Kind::junk;
        item.index = ++message_count_;
        item.offset = base_ + body_.begin;
        item.line = body_line_;
    }
    if (kind_ == Kind::control) {  // batch lines alone: where the first of them is
        Span first = !header_.empty() ? header_.front() : trailer_.front();
        item.offset = base_ + first.begin;
        item.line = body_line_;
    }
    item.framed = item_framed_;
    for (Span s : header_) item.header.push_back(view(s));
    for (Span s : trailer_) item.trailer.push_back(view(s));
    item.notes = std::move(notes_);
    notes_.clear();
    return true;
}

bool MessageReader::next(StreamItem& item) {
    item.text = {};
    item.header.clear();
    item.trailer.clear();
    item.notes.clear();
    item.index = item.offset = item.line = 0;
    item.junk = item.framed = false;
    start_item();
    if (error_) return false;

    auto has_content = [this] { return kind_ != Kind::none; };
    auto report_skipped = [this] {
        if (skipped_ > 0) {
            note(Severity::warning, "skipped-bytes",
                 fmt::format("{} byte{} outside MLLP frames skipped", skipped_, skipped_ == 1 ? "" : "s"), skipped_at_);
            skipped_ = 0;
        }
    };

    Line line;
    for (;;) {
        if (!read_line(line)) {
            // After a read error or an oversized message the item in progress may be cut short:
            // it is not returned as if it were whole.
            if (error_) return false;
            if (in_frame_) {
                in_frame_ = false;
                note(Severity::warning, "unterminated-frame", "MLLP frame not terminated at end of input",
                     base_ + size_);
            }
            report_skipped();
            if (has_content() || !notes_.empty()) return finish(item);
            return false;
        }
        std::string_view content(data_.data() + line.begin, line.content_end - line.begin);

        if (base_ + line.begin == 0 && content.substr(0, 3) == "\xEF\xBB\xBF") {
            line.begin += 3;
            content.remove_prefix(3);
            note(Severity::note, "bom", "UTF-8 byte order mark skipped", 0);
        }

        if (!in_frame_) {
            // A frame may start at the line start, or after junk on the same line.
            std::size_t vt = std::string_view::npos;
            if (!content.empty() && content[0] == kStartBlock) {
                vt = 0;
            } else if (saw_frame_ || (!starts_segment(content, "MSH") && kind_ != Kind::message)) {
                vt = content.find(kStartBlock);
            }
            if (vt != std::string_view::npos) {
                if (has_content()) {
                    unread_ = line;
                    return finish(item);
                }
                if (!is_blank(content.substr(0, vt))) {
                    if (skipped_ == 0) skipped_at_ = base_ + line.begin;
                    skipped_ += vt;
                }
                report_skipped();
                in_frame_ = true;
                saw_frame_ = true;
                item_framed_ = true;
                line.begin += vt + 1;
                keep_from_ = line.begin;
                content.remove_prefix(vt + 1);
            } else if (saw_frame_ && !has_content()) {
                // Between frames: skipped (but reported), as MLLP receivers do.
                std::size_t n = line.end - line.begin;
                if (!is_blank(content) || line.kind == LineEnd::fs) {
                    if (skipped_ == 0) skipped_at_ = base_ + line.begin;
                    skipped_ += n;
                }
                keep_from_ = pos_;
                continue;
            }
        }

        bool frame_ends = in_frame_ && line.kind == LineEnd::fs;
        if (is_blank(content)) {
            if (!has_content()) keep_from_ = pos_;
        } else if (starts_segment(content, "MSH")) {
            // Open batch header lines (FHS/BHS, no trailer yet) belong to this message.
            if (has_content() && !(kind_ == Kind::control && !closed_)) {
                unread_ = line;  // in a frame, its start block is already consumed
                return finish(item);
            }
            kind_ = Kind::message;
            body_ = {line.begin, text_end(line)};
            body_line_ = line.number;
        } else if (starts_segment(content, "FHS") || starts_segment(content, "BHS")) {
            if (kind_ == Kind::message || kind_ == Kind::junk || closed_) {
                unread_ = line;
                return finish(item);
            }
            if (kind_ == Kind::none) {
                keep_from_ = line.begin;
                body_line_ = line.number;
            }
            kind_ = Kind::control;
            header_.push_back({line.begin, line.content_end});
        } else if (starts_segment(content, "BTS") || starts_segment(content, "FTS")) {
            if (kind_ == Kind::none) {
                keep_from_ = line.begin;
                body_line_ = line.number;
                kind_ = Kind::control;
            }
            trailer_.push_back({line.begin, line.content_end});
            closed_ = true;
        } else if ((kind_ == Kind::message || kind_ == Kind::junk) && !closed_) {
            body_.end = text_end(line);
        } else if (kind_ == Kind::control && !closed_) {
            // Batch header lines followed by something that is not a message: the junk keeps
            // the header, so the batch lines still round-trip around it.
            kind_ = Kind::junk;
            body_ = {line.begin, text_end(line)};
            body_line_ = line.number;
        } else if (has_content()) {
            unread_ = line;
            return finish(item);
        } else {
            kind_ = Kind::junk;
            keep_from_ = line.begin;
            body_ = {line.begin, text_end(line)};
            body_line_ = line.number;
        }

        if (frame_ends) {
            in_frame_ = false;
            if (has_content()) return finish(item);
            note(Severity::warning, "empty-frame", "empty MLLP frame skipped", base_ + line.begin);
        } else if (!in_frame_ && line.kind == LineEnd::fs) {
            note(Severity::warning, "stray-end-block", "MLLP end block outside a frame ignored",
                 base_ + line.content_end);
        }
    }
}

}  // namespace hl7
