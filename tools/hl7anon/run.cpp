// hl7anon's loop: every input cut into regions (log scanner, or hl7json lines), each region written
// back de-identified in the form it came in, flushed per message.
#include "run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "common/exit_codes.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"

namespace hl7::anon_tool {

namespace {

constexpr std::size_t kReadSize = 1 << 16;

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

anon::AnonOptions anonymizer_options(const RunOptions& options) {
    anon::AnonOptions o;
    o.keep_originals = options.check;
    o.record_changes = !options.report_file.empty();  // paths are formatted only for the report
    return o;
}

}  // namespace

Run::Run(const AnonKey& key, anon::Profile profile, RunOptions options, cli::Reporter& reporter)
    : anonymizer_(key, std::move(profile), anonymizer_options(options)),
      whole_key_(key, "scrubbed-region"),
      options_(std::move(options)),
      reporter_(reporter) {}

Run::~Run() {
    if (report_fd_ >= 0) ::close(report_fd_);
}

Status Run::open_report() {
    if (options_.report_file.empty()) return Status::success();
    report_fd_ = ::open(options_.report_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (report_fd_ < 0)
        return make_error("io", fmt::format("cannot create report {}: {}", options_.report_file, std::strerror(errno)));
    return Status::success();
}

void Run::report_line(const std::string& text) {
    if (report_fd_ < 0) return;
    report_buffer_ += text;
    report_buffer_ += '\n';
    std::size_t done = 0;
    while (done < report_buffer_.size()) {
        ssize_t n = ::write(report_fd_, report_buffer_.data() + done, report_buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (!io_error_) reporter_.error(fmt::format("cannot write report {}: {}", options_.report_file, std::strerror(errno)));
            io_error_ = true;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    report_buffer_.clear();
}

int Run::process(const std::vector<std::string>& files) {
    // Free text is scrubbed with the identifying values seen in messages; a log names a patient in
    // text before the message that carries the name. Regular files are therefore read twice: once
    // to learn every value (nothing written), once to write. Standard input is read once.
    collecting_ = true;
    for (const std::string& name : files) {
        if (name == "-") continue;
        int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;  // reported in the writing pass
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) process_fd(name, fd);
        ::close(fd);
    }
    collecting_ = false;
    for (const std::string& name : files) {
        if (name == "-") {
            process_fd("-", STDIN_FILENO);
            continue;
        }
        int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            reporter_.error(fmt::format("cannot open {}: {}", name, std::strerror(errno)));
            missing_ = true;
            continue;
        }
        process_fd(name, fd);
        ::close(fd);
    }
    if (!output_.finish()) {
        reporter_.error(fmt::format("write error: {}", std::strerror(output_.error())));
        io_error_ = true;
    }
    if (report_fd_ >= 0 && ::fsync(report_fd_) != 0 && errno != EINVAL) io_error_ = true;
    int status = cli::exit_ok;
    if (residues_) status = cli::exit_findings;
    if (scrubbed_whole_) status = cli::exit_data;
    if (missing_) status = cli::exit_no_input;
    if (io_error_) status = cli::exit_io;
    return status;
}

std::string Run::summary() const {
    std::string text = fmt::format("{} de-identified ({}), {} replaced in free text", plural(messages_, "message", "messages"),
                                   plural(changes_, "value", "values"), plural(text_hits_, "value", "values"));
    if (scrubbed_whole_) text += fmt::format(", {} scrubbed whole", plural(scrubbed_whole_, "region", "regions"));
    if (options_.check) text += residues_ ? fmt::format(", check: {} SURVIVED", plural(residues_, "value", "values"))
                                          : ", check: no original value survived";
    return text;
}

// The input's form is decided on its first byte that is not white space, however the bytes
// arrive: '{' is hl7json NDJSON (one object per line), anything else a log or message stream.
void Run::process_fd(const std::string& name, int fd) {
    enum class Form { unknown, ndjson, log } form = Form::unknown;
    LogScanner scanner(LogScanOptions{.max_region_size = options_.max_region_size});
    LogRegion region;
    std::string held;    // before the form is known; NDJSON: the line being read
    std::uint64_t held_offset = 0, line_no = 1;
    bool dropping = false;  // NDJSON: the rest of a line too long to hold, scrubbed as it comes
    std::vector<char> buffer(kReadSize);

    auto drain = [&] {
        while (scanner.next(region)) log_region(name, region);
    };
    std::uint64_t consumed = 0;  // NDJSON: bytes of the input taken so far
    auto ndjson_bytes = [&](std::string_view bytes) {
        while (!bytes.empty()) {
            std::size_t nl = bytes.find('\n');
            std::string_view part = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
            bytes.remove_prefix(part.size());
            consumed += part.size();
            bool ends = part.back() == '\n';
            if (dropping) {
                if (!collecting_) {
                    output_.buffer() += pseudonym_words(whole_key_, part);  // reported when the drop began
                    output_.end_record();
                }
            } else {
                held.append(part);
                if (ends) {
                    ndjson_line(name, held, held_offset, line_no);
                } else if (held.size() > options_.max_region_size) {
                    scrub_whole(name, held, held_offset, line_no, "a line longer than --max-message-size");
                    output_.end_record();
                    held.clear();
                    dropping = true;
                }
            }
            if (ends) {
                held.clear();
                dropping = false;
                held_offset = consumed;
                ++line_no;
            }
        }
    };

    for (;;) {
        if (!output_.flush()) {
            reporter_.error(fmt::format("write error: {}", std::strerror(output_.error())));
            io_error_ = true;
            return;
        }
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            reporter_.error(fmt::format("cannot read {}: {}", name, std::strerror(errno)));
            io_error_ = true;
            break;
        }
        if (n == 0) break;
        std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
        if (form == Form::unknown) {
            held.append(bytes);
            std::size_t first = held.find_first_not_of(" \t\r\n");
            if (first == std::string::npos) continue;
            form = held[first] == '{' ? Form::ndjson : Form::log;
            std::string start = std::move(held);
            held.clear();
            if (form == Form::log) {
                scanner.feed(start);
                drain();
            } else {
                ndjson_bytes(start);
            }
            continue;
        }
        if (form == Form::log) {
            scanner.feed(bytes);
            drain();
        } else {
            ndjson_bytes(bytes);
        }
    }
    if (form == Form::unknown && !held.empty()) {  // white space alone: a log of blank lines
        form = Form::log;
        scanner.feed(held);
        held.clear();
    }
    if (form == Form::ndjson) {
        if (!held.empty() && !dropping) ndjson_line(name, held, held_offset, line_no);
        return;
    }
    scanner.finish();
    drain();
}

void Run::log_region(const std::string& name, const LogRegion& region) {
    if (collecting_) {
        if (region.kind == LogRegionKind::message) (void)message(name, region.er7, region.offset, region.line, er7_scratch_);
        return;
    }
    std::string& out = output_.buffer();
    switch (region.kind) {
        case LogRegionKind::text: {
            anon::ScrubStats stats = anonymizer_.scrub(region.bytes, out);
            text_hits_ += stats.total();
            if (stats.total() && report_fd_ >= 0) {
                std::string line = "{\"file\":";
                append_json_string(line, name);
                line += fmt::format(",\"kind\":\"text\",\"offset\":{},\"line\":{},\"text_hits\":{}}}", region.offset,
                                    region.line, stats.total());
                report_line(line);
            }
            break;
        }
        case LogRegionKind::message: {
            std::size_t start = out.size();
            if (!message(name, region.er7, region.offset, region.line, er7_scratch_)) {
                scrub_whole(name, region.bytes, region.offset, region.line, "a message that does not parse");
                break;
            }
            render(region.carrier, er7_scratch_, out, [this](std::string_view log_text, std::string& o) {
                text_hits_ += anonymizer_.scrub(log_text, o).total();
            });
            if (options_.check) check_output(name, std::string_view(out).substr(start));
            break;
        }
        case LogRegionKind::suspect:
            scrub_whole(name, region.bytes, region.offset, region.line,
                        fmt::format("HL7-looking text that could not be read ({})", suspect_reason_name(region.reason)));
            break;
    }
    output_.end_record();
}

void Run::ndjson_line(const std::string& name, std::string_view line, std::uint64_t offset, std::uint64_t line_no) {
    if (collecting_) {
        auto json = message_from_json(line);
        if (json && !json->er7.empty()) (void)message(name, json->er7, offset, line_no, er7_scratch_);
        else {
            LogScanner one(LogScanOptions{.max_region_size = options_.max_region_size});
            LogRegion region;
            one.feed(line);
            one.finish();
            while (one.next(region)) log_region(name, region);
        }
        return;
    }
    std::string& out = output_.buffer();
    std::string_view body = line;
    std::string_view end;
    if (!body.empty() && body.back() == '\n') {
        end = body.substr(body.size() - 1);
        body.remove_suffix(1);
        if (!body.empty() && body.back() == '\r') {
            end = line.substr(line.size() - 2);
            body.remove_suffix(1);
        }
    }
    if (body.find_first_not_of(" \t") == std::string_view::npos) {
        out.append(line);
        output_.end_record();
        return;
    }
    auto json = message_from_json(body);
    if (!json || json->er7.empty()) {
        // Not an hl7json message: a log line (HL7 inside a JSON string is found by the scanner).
        LogScanner one(LogScanOptions{.max_region_size = options_.max_region_size});
        LogRegion region;
        one.feed(line);
        one.finish();
        while (one.next(region)) {
            region.offset += offset;
            region.line += line_no - 1;
            log_region(name, region);
        }
        return;
    }
    if (!message(name, json->er7, offset, line_no, er7_scratch_)) {
        scrub_whole(name, line, offset, line_no, "an hl7json message that does not parse");
        output_.end_record();
        return;
    }
    auto parsed = Message::parse(er7_scratch_);
    if (!parsed) {  // the anonymizer writes what parses; never pass the original through
        scrub_whole(name, line, offset, line_no, "an hl7json message that does not parse after de-identification");
        output_.end_record();
        return;
    }
    std::vector<std::string_view> header(json->batch_header.begin(), json->batch_header.end());
    std::vector<std::string_view> trailer(json->batch_trailer.begin(), json->batch_trailer.end());
    JsonSource source;
    if (json->has_source) {
        source.file = json->file;
        source.index = json->index;
        source.offset = json->offset;
        source.line = json->line;
    }
    std::size_t start = out.size();
    write_json(out, &*parsed, header, trailer, source, {}, nullptr);
    if (options_.check) check_output(name, std::string_view(er7_scratch_));
    (void)start;
    out.append(end.empty() ? std::string_view("\n") : end);
    output_.end_record();
}

bool Run::message(const std::string& name, std::string_view er7, std::uint64_t offset, std::uint64_t line_no,
                  std::string& er7_out) {
    auto outcome = anonymizer_.anonymize(er7);
    if (!outcome) return false;
    if (collecting_) return true;
    ++messages_;
    for (const auto& [method, count] : outcome->counts) changes_ += count;
    text_hits_ += outcome->text_hits;
    for (Diagnostic w : outcome->warnings) {
        w.value.clear();  // never a value, even with --show-values: this is the de-identifier
        w.where.byte_offset = offset;
        w.where.line = line_no;
        w.where.has_offset = true;
        reporter_.report(w, name, messages_);
    }
    if (report_fd_ >= 0) {
        std::string line = "{\"file\":";
        append_json_string(line, name);
        line += fmt::format(",\"kind\":\"message\",\"message\":{},\"offset\":{},\"line\":{},\"changes\":[", messages_,
                            offset, line_no);
        for (std::size_t i = 0; i < outcome->changes.size(); ++i) {
            const anon::AnonChange& c = outcome->changes[i];
            line += i ? ",{\"path\":" : "{\"path\":";
            append_json_string(line, c.path);
            line += ",\"method\":";
            append_json_string(line, anon::method_name(c.method));
            line += ",\"class\":";
            append_json_string(line, c.value_class);
            line += '}';
        }
        line += "],\"counts\":{";
        bool first = true;
        for (const auto& [method, count] : outcome->counts) {
            if (!first) line += ',';
            first = false;
            append_json_string(line, method);
            line += fmt::format(":{}", count);
        }
        line += fmt::format("}},\"text_hits\":{},\"warnings\":[", outcome->text_hits);
        for (std::size_t i = 0; i < outcome->warnings.size(); ++i) {
            const Diagnostic& w = outcome->warnings[i];
            line += i ? ",{\"code\":" : "{\"code\":";
            append_json_string(line, w.code);
            line += ",\"path\":";
            append_json_string(line, w.where.path);
            line += ",\"text\":";
            append_json_string(line, w.text);
            line += '}';
        }
        line += "]}";
        report_line(line);
    }
    er7_out = std::move(outcome->er7);
    return true;
}

// Fail closed: every word of the region replaced (punctuation, delimiters and line ends kept, so
// the shape of what was there still shows), and the region reported by position only.
void Run::scrub_whole(const std::string& name, std::string_view bytes, std::uint64_t offset, std::uint64_t line_no,
                      std::string_view why) {
    if (collecting_) return;
    output_.buffer() += pseudonym_words(whole_key_, bytes);
    ++scrubbed_whole_;
    Diagnostic d;
    d.severity = Severity::warning;
    d.code = "scrubbed-whole";
    d.text = fmt::format("{}: scrubbed whole ({})", why, plural(bytes.size(), "byte", "bytes"));
    d.where.byte_offset = offset;
    d.where.line = line_no;
    d.where.has_offset = true;
    reporter_.report(d, name);
    if (report_fd_ >= 0) {
        std::string line = "{\"file\":";
        append_json_string(line, name);
        line += fmt::format(",\"kind\":\"scrubbed\",\"offset\":{},\"line\":{},\"bytes\":{},\"reason\":", offset, line_no,
                            bytes.size());
        append_json_string(line, why);
        line += '}';
        report_line(line);
    }
}

void Run::check_output(const std::string& name, std::string_view written) {
    for (const anon::Residue& r : anon::residue_check(anonymizer_.originals(), written)) {
        ++residues_;
        Diagnostic d;
        d.severity = Severity::error;
        d.code = "residue";
        d.text = fmt::format("an original {} value survived ({} form)", anon::value_kind_name(r.kind), r.form);
        d.where.path = r.path;
        reporter_.report(d, name, messages_);
    }
}

}  // namespace hl7::anon_tool
