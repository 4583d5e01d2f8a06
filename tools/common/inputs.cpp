// Input iteration: opening files, running the library's message stream, reporting and counting.
#include "common/inputs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/exit_codes.hpp"
#include "hl7/reader.hpp"

namespace hl7::cli {

namespace {

// Before every read that may block it flushes the tool's output, so records never wait in a
// buffer while the tool waits for input (pipelines do not stall).
// Flushes what is written before each read, so a pipeline never waits on our buffer; on a pipe,
// terminal or socket, says once that the input has been idle for `idle_ms` (the reader then
// completes a plain-ER7 message that has ended), and then waits as long as it takes.
class FlushingSource final : public ByteSource {
public:
    FlushingSource(int fd, Output& output, int idle_ms) : fd_(fd), fd_source_(fd), output_(output), idle_ms_(idle_ms) {
        struct stat st;
        if (idle_ms_ > 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) idle_ms_ = 0;  // files never pause
    }
    ReadResult read(char* buffer, std::size_t capacity) override {
        output_.flush();
        if (idle_ms_ > 0 && !said_idle_) {
            pollfd p{fd_, POLLIN, 0};
            int n;
            do n = ::poll(&p, 1, idle_ms_);
            while (n < 0 && errno == EINTR);
            if (n == 0) {
                said_idle_ = true;
                ReadResult idle;
                idle.idle = true;
                return idle;
            }
        }
        said_idle_ = false;
        return fd_source_.read(buffer, capacity);
    }

private:
    int fd_;
    FdSource fd_source_;
    Output& output_;
    int idle_ms_;
    bool said_idle_ = false;
};

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
    if (context.json_origin) {
        // A message that came round a pipeline as hl7json is reported where it came from; an offset
        // within it is one in the original file only when the source gave the message's offset.
        const JsonOrigin& origin = *context.json_origin;
        if (origin.offset > 0 || origin.line > 0) {
            StreamItem at;
            at.offset = origin.offset;
            place_in_stream(d, at, message);
        } else {
            d.where.has_offset = false;
        }
        d.where.line = 0;
        reporter_.report(d, origin.file, origin.index);
        return;
    }
    if (!context.from_json) place_in_stream(d, context.item, message);
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
    FlushingSource source(fd, output_, idle_ms_);
    MessageStream stream(source, reader_options_);
    reporter_.begin_file(name);
    bool first = true;
    while (stream.next()) {
        if (first && !stream.binary_kind().empty()) say_what_it_looks_like(name, stream.binary_kind());
        first = false;
        const StreamItem& item = stream.item();
        MessageContext context{name, item, stream.message(), stream.from_json(),
                               stream.json_origin() ? &*stream.json_origin() : nullptr};
        for (const auto& n : stream.notes()) reporter_.report_input_problem(n, name, item.index);  // placed by the stream
        if (const Diagnostic* problem = stream.problem()) {
            if (text_passes_through_ && item.junk && !context.from_json) {
                Diagnostic note = *problem;
                note.severity = Severity::note;
                note.text += "; written as it came";
                reporter_.report_input_problem(note, name, item.index);
                if (on_unparseable_) on_unparseable_(context, *problem);
                if (!item.header.empty() || !item.trailer.empty()) on_message(context);
                continue;
            }
            reporter_.report_input_problem(*problem, name, item.index);
            ++unparseable_;
            if (on_unparseable_) on_unparseable_(context, *problem);
            // The batch lines around text that is not a message still go through.
            if (!item.header.empty() || !item.trailer.empty()) on_message(context);
            continue;
        }
        if (!context.message) {
            if (!item.header.empty() || !item.trailer.empty()) on_message(context);
            continue;  // else only notes about skipped bytes, reported above
        }
        ++messages_;
        if (reporter_.verbose() && !context.from_json) report_repairs(context, *context.message);
        on_message(context);
    }
    if (const auto& error = stream.error()) {
        reporter_.error(fmt::format("{}: read error: {}", name, error->text));
        read_error_ = true;
    }
    reporter_.end_file();
}

void InputLoop::say_what_it_looks_like(std::string_view name, std::string_view kind) {
    // Once per file, with the command that would give the tool text.
    std::string file = name == "-" ? std::string() : std::string(name) + " ";  // zcat reads stdin too
    std::string try_this;
    if (kind == "gzip") try_this = "zcat " + file + "| " + reporter_.tool();
    else if (kind == "bzip2") try_this = "bzcat " + file + "| " + reporter_.tool();
    else if (kind == "xz") try_this = "xzcat " + file + "| " + reporter_.tool();
    else if (kind == "zstd") try_this = "zstdcat " + file + "| " + reporter_.tool();
    else if (kind == "zip") try_this = "unzip -p " + file + "| " + reporter_.tool();
    else if (kind == "UTF-16" || kind == "UTF-32")
        try_this = "iconv -f " + std::string(kind) + " -t UTF-8 " + file + "| " + reporter_.tool();
    Diagnostic d;
    d.severity = Severity::warning;
    d.code = "binary-input";
    d.text = fmt::format("looks like {} data, not HL7 text", kind);
    if (!try_this.empty()) d.text += fmt::format("; try: {}", try_this);
    reporter_.report(d, name);
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
