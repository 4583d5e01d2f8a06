// Diagnostic formatting and counting; stderr is unbuffered so lines interleave with nothing.
#include "common/diagnostics.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace hl7::cli {

void Reporter::print(const std::string& line) {
    if (quiet_) return;
    std::size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(2, line.data() + done, line.size() - done);
        if (n <= 0) return;  // nowhere left to complain to
        done += static_cast<std::size_t>(n);
    }
}

void Reporter::report(const Diagnostic& d, std::string_view file, std::uint64_t index) {
    if (d.severity == Severity::error) ++errors_;
    if (d.severity == Severity::warning) ++warnings_;
    if (d.severity == Severity::note && !verbose_) return;
    std::string line = tool_ + ": ";
    if (!file.empty()) line += fmt::format("{}:", file);
    std::uint64_t message = index ? index : d.where.message_index;
    if (message) line += fmt::format("message {}:", message);
    if (!d.where.path.empty()) line += fmt::format("{}:", d.where.path);
    else if (!d.where.segment_id.empty()) line += fmt::format("{}:", d.where.segment_id);
    if (line.back() == ':') line += ' ';
    line += fmt::format("{}: {}", severity_name(d.severity), d.text);
    if (show_values_ && !d.value.empty()) line += fmt::format(" '{}'", d.value);
    if (d.where.has_offset) {
        line += d.where.line ? fmt::format(" (byte {}, line {})", d.where.byte_offset, d.where.line)
                             : fmt::format(" (byte {})", d.where.byte_offset);
    }
    line += '\n';
    print(line);
}

void Reporter::error(std::string_view text) {
    ++errors_;
    print(fmt::format("{}: error: {}\n", tool_, text));
}

void Reporter::summary(std::string_view text) { print(fmt::format("{}: {}\n", tool_, text)); }

void Reporter::warning(std::string_view text) {
    ++warnings_;
    print(fmt::format("{}: warning: {}\n", tool_, text));
}

}  // namespace hl7::cli
