// Input iteration: opening files, format detection, message parsing and error accounting.
#include "common/inputs.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/exit_codes.hpp"
#include "hl7/json.hpp"

namespace hl7::cli {

namespace {

// Reads ahead once to detect the format, then serves those bytes first. Before every read that
// may block it flushes the tool's output, so records never wait in a buffer while we wait.
class InputSource final : public ByteSource {
public:
    InputSource(int fd, Output& output) : fd_source_(fd), output_(output) {}

    // First bytes of the input, for detection (BOM and whitespace not skipped).
    std::string_view peek() {
        if (!peeked_) {
            peeked_ = true;
            prefix_.resize(1 << 16);
            output_.flush();
            ReadResult r = fd_source_.read(prefix_.data(), prefix_.size());
            error_ = r.error;
            prefix_.resize(r.size);
        }
        return prefix_;
    }

    ReadResult read(char* buffer, std::size_t capacity) override {
        peek();
        if (error_) {
            int e = error_;
            error_ = 0;
            return {0, e};
        }
        if (offset_ < prefix_.size()) {
            std::size_t n = std::min(capacity, prefix_.size() - offset_);
            std::memcpy(buffer, prefix_.data() + offset_, n);
            offset_ += n;
            return {n, 0};
        }
        output_.flush();
        return fd_source_.read(buffer, capacity);
    }

private:
    FdSource fd_source_;
    Output& output_;
    std::string prefix_;
    std::size_t offset_ = 0;
    bool peeked_ = false;
    int error_ = 0;
};

bool looks_like_json(std::string_view bytes) {
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    for (char c : bytes) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        return c == '{';
    }
    return false;
}

}  // namespace

Result<std::string> read_whole_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("no-input", fmt::format("{}: {}", path, std::strerror(errno)));
    std::string text;
    char buffer[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return make_error("read-error", fmt::format("{}: {}", path, std::strerror(e)));
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

int worst_status(int a, int b) {
    auto rank = [](int s) {
        switch (s) {
            case exit_io: return 5;
            case exit_no_input: return 4;
            case exit_data: return 3;
            case exit_findings: return 1;
            case exit_ok: return 0;
            default: return 2;
        }
    };
    return rank(a) >= rank(b) ? a : b;
}

int InputLoop::status() const {
    if (read_error_) return exit_io;
    if (missing_) return exit_no_input;
    if (unparseable_) return exit_data;
    return exit_ok;
}

void InputLoop::report(const Diagnostic& diagnostic, const MessageContext& context, const Message* message) {
    Diagnostic d = diagnostic;
    if (!context.from_json) {
        if (d.where.has_offset) {
            d.where.byte_offset += context.item.offset;
        } else if (message && d.where.segment_index > 0 && d.where.segment_index <= message->size()) {
            d.where.byte_offset = context.item.offset + message->segment_offset(d.where.segment_index - 1);
            d.where.has_offset = true;
        }
    }
    reporter_.report(d, context.file, context.item.index);
}

void InputLoop::run(const std::vector<std::string>& files, const std::function<void(MessageContext&)>& on_message) {
    if (files.empty()) {
        run_one("-", 0, on_message);
        return;
    }
    for (const std::string& name : files) {
        if (name == "-") {
            run_one(name, 0, on_message);
            continue;
        }
        int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            reporter_.error(fmt::format("{}: {}", name, std::strerror(errno)));
            missing_ = true;
            continue;
        }
        struct stat st;
        if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            reporter_.error(fmt::format("{}: {}", name, std::strerror(EISDIR)));
            missing_ = true;
            ::close(fd);
            continue;
        }
        run_one(name, fd, on_message);
        ::close(fd);
    }
}

void InputLoop::run_one(std::string_view name, int fd, const std::function<void(MessageContext&)>& on_message) {
    InputSource source(fd, output_);
    Message message;
    Diagnostics notes;
    auto fail_read = [&](const Diagnostic& error) {
        if (error.code == "read-error") {
            reporter_.error(fmt::format("{}: read error: {}", name, error.text));
            read_error_ = true;
        } else {
            reporter_.report(error, name);
            ++unparseable_;
        }
    };

    if (looks_like_json(source.peek())) {
        JsonObjectReader reader(source);
        std::string_view object;
        std::uint64_t offset = 0, line = 0, index = 0;
        StreamItem item;
        while (reader.next(object, offset, line)) {
            item = StreamItem{};
            item.index = ++index;
            item.offset = offset;
            item.line = line;
            MessageContext context{name, item, nullptr, true};
            // Problems of a JSON object are placed at the object in the input.
            auto report_at_object = [&](Diagnostic d) {
                d.where.byte_offset = offset;
                d.where.line = line;
                d.where.has_offset = true;
                reporter_.report(d, name, index);
                return d;
            };
            auto unparseable_at_object = [&](const Diagnostic& error, const MessageContext& c) {
                Diagnostic d = report_at_object(error);
                ++unparseable_;
                if (on_unparseable_) on_unparseable_(c, d);
            };
            auto parsed = message_from_json(object);
            if (!parsed) {
                unparseable_at_object(parsed.error(), context);
                continue;
            }
            for (const auto& h : parsed->batch_header) item.header.push_back(h);
            for (const auto& t : parsed->batch_trailer) item.trailer.push_back(t);
            if (parsed->er7.empty()) {
                on_message(context);
                continue;
            }
            notes.clear();
            auto owned = Message::parse_copy(std::move(parsed->er7), &notes);
            if (!owned) {
                unparseable_at_object(owned.error(), context);
                continue;
            }
            message = std::move(*owned);
            item.text = message.original_text();
            ++messages_;
            if (parsed->unmappable) {
                Diagnostic d;
                d.severity = Severity::warning;
                d.code = "unmappable";
                d.text = fmt::format("{} character{} the message's charset cannot hold written as '?'",
                                     parsed->unmappable, parsed->unmappable == 1 ? "" : "s");
                report_at_object(d);
            }
            for (const auto& n : notes) report(n, context, &message);
            context.message = &message;
            on_message(context);
        }
        if (reader.error()) fail_read(*reader.error());
        return;
    }

    MessageReader reader(source);
    StreamItem item;
    while (reader.next(item)) {
        MessageContext context{name, item, nullptr, false};
        for (const auto& n : item.notes) reporter_.report(n, name, item.index);  // stream offsets already
        if (item.junk) {
            Diagnostic d = make_error("not-a-message", fmt::format("not an HL7 message: {} byte{} without an MSH segment",
                                                                   item.text.size(), item.text.size() == 1 ? "" : "s"));
            d.where.has_offset = true;
            d.where.line = item.line;
            report(d, context);
            ++unparseable_;
            if (on_unparseable_) on_unparseable_(context, d);
            if (!item.header.empty() || !item.trailer.empty()) {
                item.text = {};  // the batch lines around the junk still go through
                on_message(context);
            }
            continue;
        }
        if (!item.has_message()) {
            if (!item.header.empty() || !item.trailer.empty()) on_message(context);
            continue;  // else only notes about skipped bytes, reported above
        }
        notes.clear();
        if (Status status = message.assign(item.text, &notes); !status) {
            Diagnostic d = status.error();
            d.where.has_offset = true;
            d.where.line = item.line;
            report(d, context);
            ++unparseable_;
            if (on_unparseable_) on_unparseable_(context, d);
            continue;
        }
        ++messages_;
        for (const auto& n : notes) report(n, context, &message);
        if (reporter_.verbose()) report_repairs(context, message);
        context.message = &message;
        on_message(context);
    }
    if (reader.error()) fail_read(*reader.error());
}

void InputLoop::report_repairs(const MessageContext& context, const Message& message) {
    auto note = [&](std::string code, std::string text) {
        Diagnostic d;
        d.severity = Severity::note;
        d.code = std::move(code);
        d.text = std::move(text);
        d.where.has_offset = true;
        d.where.line = context.item.line;
        report(d, context);
    };
    if (context.item.framed) note("mllp-framing", "MLLP framing removed");
    if (!message.uses_only(SegmentEnd::cr)) {
        bool lf = message.uses_only(SegmentEnd::lf), crlf = message.uses_only(SegmentEnd::crlf);
        note("segment-ends", lf     ? "segments end in LF, read as CR"
                             : crlf ? "segments end in CRLF, read as CR"
                                    : "segment ends are mixed (CR, LF, CRLF), read as CR");
    }
}

}  // namespace hl7::cli
