// The MLLP rules: the scanner over the caller's bytes, the push decoder built on it, the encoder.
#include "hl7/mllp.hpp"

#include <algorithm>

#include "scan.hpp"

namespace hl7 {

namespace {

bool is_space(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\0'; }

}  // namespace

MllpToken MllpScanner::skipped_run() {
    MllpToken t;
    t.kind = MllpToken::Kind::skipped;
    t.offset = run_offset_;
    t.size = offset_ - run_offset_;
    run_dirty_ = false;
    return t;
}

MllpToken MllpScanner::frame_end(FrameEnd end) {
    MllpToken t;
    t.kind = MllpToken::Kind::frame_end;
    t.end = end;
    t.oversized = frame_oversized();
    t.offset = frame_offset_;
    t.size = frame_size_;
    in_frame_ = false;
    run_dirty_ = false;
    return t;
}

MllpToken MllpScanner::next(std::string_view bytes) {
    MllpToken t;
    if (bytes.empty()) return t;
    if (after_end_block_) {
        after_end_block_ = false;
        if (bytes[0] == '\r') {
            t.kind = MllpToken::Kind::trailer;
            t.offset = offset_++;
            t.size = t.consumed = 1;
            return t;
        }
    }

    if (!in_frame_) {
        std::size_t n = start_block_.find(kMllpStartBlock, bytes, offset_);
        if (n > 0) {
            if (!run_dirty_) {
                auto it = std::find_if_not(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), is_space);
                if (it != bytes.begin() + static_cast<std::ptrdiff_t>(n)) {
                    run_dirty_ = true;
                    run_offset_ = offset_ + static_cast<std::uint64_t>(it - bytes.begin());
                }
            }
            t.kind = MllpToken::Kind::outside;
            t.offset = offset_;
            t.size = t.consumed = n;
            offset_ += n;
            return t;
        }
        if (run_dirty_) return skipped_run();  // the start block itself comes next time
        in_frame_ = true;
        frame_offset_ = offset_ + 1;
        frame_size_ = 0;
        t.kind = MllpToken::Kind::frame_begin;
        t.offset = offset_++;
        t.size = t.consumed = 1;
        return t;
    }

    // In a frame: message bytes up to the next end or start block.
    std::size_t n = std::min(end_block_.find(kMllpEndBlock, bytes, offset_),
                             start_block_.find(kMllpStartBlock, bytes, offset_));
    std::size_t dropped = 0;
    if (n > 0) {
        if (frame_size_ < max_frame_size_) {
            std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(n, max_frame_size_ - frame_size_));
            t.kind = MllpToken::Kind::content;
            t.offset = offset_;
            t.size = t.consumed = size;
            offset_ += size;
            frame_size_ += size;
            return t;
        }
        // Past the limit: counted, not handed out.
        frame_size_ += n;
        offset_ += n;
        dropped = n;
        if (n == bytes.size()) {
            t.consumed = n;
            return t;
        }
    }
    if (bytes[dropped] == kMllpEndBlock) {
        t = frame_end(FrameEnd::complete);
        ++offset_;
        after_end_block_ = true;
        t.consumed = dropped + 1;
        return t;
    }
    // A start block inside the frame: this frame ends here, and the block begins the next one.
    t = frame_end(FrameEnd::cut_short);
    t.consumed = dropped;
    return t;
}

MllpToken MllpScanner::finish() {
    after_end_block_ = false;
    if (in_frame_) return frame_end(FrameEnd::unterminated);
    if (run_dirty_) return skipped_run();
    return {};
}

void MllpDecoder::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        MllpToken t = scanner_.next(bytes);
        if (t.kind == MllpToken::Kind::content) frame_.append(bytes.data(), t.size);
        bytes.remove_prefix(t.consumed);
        take(t);
    }
}

void MllpDecoder::finish() {
    for (MllpToken t = scanner_.finish(); t.kind != MllpToken::Kind::none; t = scanner_.finish()) take(t);
}

void MllpDecoder::take(const MllpToken& t) {
    switch (t.kind) {
        case MllpToken::Kind::frame_begin:
            frame_.clear();
            break;
        case MllpToken::Kind::frame_end: {
            MllpEvent event;
            event.kind = t.oversized ? MllpEvent::Kind::oversized : MllpEvent::Kind::frame;
            event.end = t.end;
            event.offset = t.offset;
            event.size = t.size;
            if (t.oversized) {
                // Do not hold on to a buffer as large as the limit for the frames that follow.
                std::string().swap(frame_);
            } else {
                event.message = std::move(frame_);
                frame_.clear();
            }
            if (!spare_.empty()) {
                frame_ = std::move(spare_.back());
                spare_.pop_back();
                frame_.clear();
            }
            ready_.push_back(std::move(event));
            break;
        }
        case MllpToken::Kind::skipped: {
            MllpEvent event;
            event.kind = MllpEvent::Kind::skipped;
            event.offset = t.offset;
            event.size = t.size;
            ready_.push_back(std::move(event));
            break;
        }
        default:
            break;
    }
}

bool MllpDecoder::next(MllpEvent& event) {
    if (ready_.empty()) return false;
    constexpr std::size_t kSpares = 4;
    if (event.message.capacity() > 0 && spare_.size() < kSpares) spare_.push_back(std::move(event.message));
    event = std::move(ready_.front());
    ready_.pop_front();
    return true;
}

Status append_mllp_frame(std::string& out, std::string_view message) {
    if (std::size_t at = find_mllp_block(message); at != std::string_view::npos) {
        Location where;
        where.byte_offset = at;
        where.has_offset = true;
        return make_error("mllp-block-in-message",
                          "the message holds an MLLP start or end block and cannot be framed", where);
    }
    append_mllp_begin(out);
    out.append(message);
    append_mllp_end(out);
    return {};
}

std::size_t find_mllp_block(std::string_view bytes) {
    const char* end = bytes.data() + bytes.size();
    const char* hit = detail::find_either(bytes.data(), end, kMllpStartBlock, kMllpEndBlock);
    return hit == end ? std::string_view::npos : static_cast<std::size_t>(hit - bytes.data());
}

}  // namespace hl7
