// The one message stream: form detection, then MessageReader or the JSON object reader, and parsing.
#include "hl7/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace hl7 {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// Blank bytes kept at most while the form is not yet known; past them the input is ER7 (whose
// reader skips blank lines as well). Only a file of nothing but whitespace comes near it.
constexpr std::size_t kMaxBlankPrefix = std::size_t(1) << 20;

// Enough bytes to tell the magic numbers below apart.
constexpr std::size_t kMagicBytes = 8;

// Compressed, archived or wide-character input by its first bytes: what people feed a text tool
// by mistake.
std::string_view binary_kind_of(std::string_view b) {
    auto starts = [b](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
    using namespace std::string_view_literals;
    if (starts("\x1F\x8B"sv)) return "gzip";
    if (starts("PK\x03\x04"sv) || starts("PK\x05\x06"sv)) return "zip";
    if (starts("BZh"sv) && b.size() > 3 && b[3] >= '1' && b[3] <= '9') return "bzip2";
    if (starts("\xFD" "7zXZ\x00"sv)) return "xz";
    if (starts("\x28\xB5\x2F\xFD"sv)) return "zstd";
    if (starts("%PDF-"sv)) return "PDF";
    if (starts("\xFF\xFE\x00\x00"sv) || starts("\x00\x00\xFE\xFF"sv)) return "UTF-32";
    if (starts("\xFF\xFE"sv) || starts("\xFE\xFF"sv) || starts("M\0S\0H\0"sv) || starts("\0M\0S\0H"sv))
        return "UTF-16";
    return {};
}

// The form the first bytes say, or unknown when they are all blank so far (or a part of a BOM).
InputForm form_of(std::string_view bytes) {
    if (bytes.substr(0, 3) == kByteOrderMark) {
        bytes.remove_prefix(3);
    } else if (bytes.size() < 3 && kByteOrderMark.substr(0, bytes.size()) == bytes && !bytes.empty()) {
        return InputForm::unknown;
    }
    for (char c : bytes) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '{' || c == '[' ? InputForm::json : InputForm::er7;
    }
    return InputForm::unknown;
}

std::string plural(std::uint64_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

}  // namespace

void place_in_stream(Diagnostic& d, const StreamItem& item, const Message* message) {
    if (d.where.has_offset) {
        d.where.byte_offset += item.offset;
    } else if (message && d.where.segment_index > 0 && d.where.segment_index <= message->size()) {
        d.where.byte_offset = item.offset + message->segment_offset(d.where.segment_index - 1);
        d.where.has_offset = true;
    }
}

ReadResult MessageStream::Replay::read(char* buffer, std::size_t capacity) {
    if (served < prefix.size()) {
        std::size_t n = std::min(capacity, prefix.size() - served);
        std::memcpy(buffer, prefix.data() + served, n);
        served += n;
        if (served == prefix.size()) {  // not needed any more
            std::string().swap(prefix);
            served = 0;
        }
        return {n, 0};
    }
    if (pending_error != 0) {
        int e = pending_error;
        pending_error = 0;
        return {0, e};
    }
    return source_.read(buffer, capacity);
}

MessageStream::MessageStream(ByteSource& source, ReaderOptions options) : replay_(source), options_(options) {}

// Reads until the first byte that is not blank (or the end of input) and decides by it: the
// decision never depends on how the bytes were cut into reads.
void MessageStream::decide_form() {
    std::string& prefix = replay_.prefix;
    constexpr std::size_t kStep = 1 << 16;
    for (;;) {
        form_ = form_of(prefix);
        // The magic numbers need a few bytes: read on to them (or the end) whatever the chunking.
        if (form_ != InputForm::unknown && prefix.size() >= kMagicBytes) {
            binary_kind_ = binary_kind_of(prefix);
            return;
        }
        if (form_ != InputForm::unknown && replay_.pending_error == 0) {
            std::size_t old = prefix.size();
            prefix.resize(kMagicBytes);
            ReadResult r = replay_.read_source(prefix.data() + old, kMagicBytes - old);
            while (r.idle && r.size == 0 && r.error == 0) r = replay_.read_source(prefix.data() + old, kMagicBytes - old);
            prefix.resize(old + r.size);
            if (r.error != 0) replay_.pending_error = r.error;
            if (r.size > 0 && r.error == 0) continue;
            binary_kind_ = binary_kind_of(prefix);  // the end (or an error) came first
            return;
        }
        if (form_ != InputForm::unknown) {
            binary_kind_ = binary_kind_of(prefix);
            return;
        }
        if (prefix.size() >= kMaxBlankPrefix) break;
        std::size_t old = prefix.size();
        prefix.resize(old + kStep);
        ReadResult r = replay_.read_source(prefix.data() + old, kStep);
        while (r.idle && r.size == 0 && r.error == 0) r = replay_.read_source(prefix.data() + old, kStep);
        prefix.resize(old + r.size);
        if (r.error != 0) {
            replay_.pending_error = r.error;
            break;
        }
        if (r.size == 0) break;
    }
    form_ = InputForm::er7;
}

bool MessageStream::next() {
    has_message_ = false;
    problem_.reset();
    json_origin_.reset();
    if (form_ == InputForm::unknown) decide_form();
    return form_ == InputForm::json ? next_json() : next_er7();
}

bool MessageStream::next_er7() {
    if (!er7_) er7_.emplace(replay_, options_);
    if (!er7_->next(item_)) {
        error_ = er7_->error();
        return false;
    }
    auto placed = [this](Diagnostic d) {
        d.where.has_offset = true;
        d.where.byte_offset += item_.offset;
        d.where.line = item_.line;
        return d;
    };
    if (item_.oversized > 0) {
        problem_ = placed(make_error("message-too-large",
                                     fmt::format("message larger than the limit of {} bytes ({}): skipped",
                                                 options_.max_message_size, plural(item_.oversized, "byte"))));
        return true;
    }
    if (item_.junk) {
        problem_ = placed(make_error("not-a-message", fmt::format("not an HL7 message: {} without an MSH segment",
                                                                  plural(item_.text.size(), "byte"))));
        return true;
    }
    if (!item_.has_message()) return true;  // batch lines alone, or notes about skipped bytes
    parse_notes_.clear();
    if (Status status = message_.assign(item_.text, &parse_notes_); !status) {
        problem_ = placed(status.error());
        return true;
    }
    has_message_ = true;
    for (Diagnostic& n : parse_notes_) {
        place_in_stream(n, item_, &message_);
        item_.notes.push_back(std::move(n));
    }
    return true;
}

// The next JSON value to read as a message: an object of the stream, or the next element of an
// array (what `jq -s` makes of NDJSON), which is read whole, within the size limit, and handed out
// element by element, placed at the array. False at the end (or a read error).
bool MessageStream::next_json_value(JsonObjectText& object) {
    for (;;) {
        if (array_next_ < array_.size()) {
            object = array_at_;
            object.text = array_[array_next_++];
            object.size = object.text.size();
            return true;
        }
        array_.clear();
        array_next_ = 0;
        if (!json_->next(object)) {
            error_ = json_->error();
            return false;
        }
        std::string_view t = object.text;
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n'))
            t.remove_prefix(1);
        if (object.too_large || t.empty() || t.front() != '[') return true;
        auto elements = json_array_elements(object.text);
        if (!elements) return true;  // reported as the object it is
        if (elements->empty()) continue;  // [] holds no message
        array_ = std::move(*elements);
        array_at_ = object;
    }
}

bool MessageStream::next_json() {
    if (!json_) json_.emplace(replay_, options_.max_message_size);
    JsonObjectText object;
    if (!next_json_value(object)) return false;
    item_.text = {};
    item_.header.clear();
    item_.trailer.clear();
    item_.notes.clear();
    item_.index = ++json_index_;
    item_.offset = object.offset;
    item_.line = object.line;
    item_.oversized = 0;
    item_.junk = item_.framed = false;
    // Problems of an object are placed at the object.
    auto at_object = [&](Diagnostic d) {
        d.where.byte_offset = object.offset;
        d.where.line = object.line;
        d.where.has_offset = true;
        return d;
    };
    if (object.too_large) {
        item_.oversized = object.size;
        problem_ = at_object(make_error("message-too-large",
                                        fmt::format("JSON object larger than the limit of {} bytes ({}): skipped",
                                                    options_.max_message_size, plural(object.size, "byte"))));
        return true;
    }
    auto parsed = message_from_json(object.text);
    if (!parsed) {
        problem_ = at_object(parsed.error());
        return true;
    }
    json_header_ = std::move(parsed->batch_header);
    json_trailer_ = std::move(parsed->batch_trailer);
    for (const auto& h : json_header_) item_.header.push_back(h);
    for (const auto& t : json_trailer_) item_.trailer.push_back(t);
    if (parsed->has_source)
        json_origin_ = JsonOrigin{std::move(parsed->file), parsed->index, parsed->offset, parsed->line};
    if (parsed->er7.empty()) return true;  // batch lines alone
    json_text_.swap(parsed->er7);
    parse_notes_.clear();
    if (Status status = message_.assign(json_text_, &parse_notes_); !status) {
        problem_ = at_object(status.error());
        return true;
    }
    has_message_ = true;
    item_.text = message_.original_text();
    if (parsed->unmappable) {
        Diagnostic d;
        d.severity = Severity::warning;
        d.code = "unmappable";
        d.text = fmt::format("{} the message's charset cannot hold written as '?'", plural(parsed->unmappable, "character"));
        item_.notes.push_back(at_object(std::move(d)));
    }
    for (Diagnostic& n : parse_notes_) item_.notes.push_back(std::move(n));
    return true;
}

}  // namespace hl7
