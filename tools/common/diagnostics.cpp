// Diagnostic formatting and counting; stderr is unbuffered so lines interleave with nothing.
#include "common/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unistd.h>

namespace hl7::cli {

namespace {

// Length of the valid UTF-8 sequence at s[i] (0 if it is not one); C1 controls count as invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto continuation = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
    unsigned char b = byte(i);
    if (b >= 0xC2 && b <= 0xDF && continuation(i + 1)) {
        return b == 0xC2 && byte(i + 1) < 0xA0 ? 0 : 2;  // U+0080..U+009F are controls
    }
    if (b >= 0xE0 && b <= 0xEF && continuation(i + 1) && continuation(i + 2)) {
        if (b == 0xE0 && byte(i + 1) < 0xA0) return 0;  // overlong
        if (b == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogates
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4 && continuation(i + 1) && continuation(i + 2) && continuation(i + 3)) {
        if (b == 0xF0 && byte(i + 1) < 0x90) return 0;
        if (b == 0xF4 && byte(i + 1) >= 0x90) return 0;
        return 4;
    }
    return 0;
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        unsigned char b = static_cast<unsigned char>(text[i]);
        if (b >= 0x20 && b < 0x7F) {
            out.push_back(static_cast<char>(b));
            ++i;
        } else if (std::size_t n = b >= 0x80 ? utf8_sequence(text, i) : 0; n > 0) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out += fmt::format("\\x{:02X}", b);
            ++i;
        }
    }
    return out;
}

void Reporter::print(const std::string& line) {
    if (quiet_) return;
    std::lock_guard lock(print_mutex_);
    std::size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(2, line.data() + done, line.size() - done);
        if (n <= 0) return;  // nowhere left to complain to
        done += static_cast<std::size_t>(n);
    }
}

void Reporter::begin_file(std::string_view file) {
    end_file();
    file_ = file;
}

void Reporter::end_file() {
    for (const auto& [code, count] : counts_) {
        if (repeat_limit_ == 0 || count <= repeat_limit_) continue;
        print(printable(fmt::format("{}: {}: {} more '{}' diagnostics not shown", tool_, file_, count - repeat_limit_,
                                    code)) +
              "\n");
    }
    counts_.clear();
    file_.clear();
}

void Reporter::report_input_problem(const Diagnostic& d, std::string_view file, std::uint64_t index) {
    if (repeat_limit_ != 0 && !d.code.empty() && file == file_ && (d.severity != Severity::note || verbose_)) {
        auto it = std::find_if(counts_.begin(), counts_.end(), [&](const auto& c) { return c.first == d.code; });
        if (it == counts_.end()) it = counts_.insert(counts_.end(), {d.code, 0});
        if (++it->second > repeat_limit_) {
            if (d.severity == Severity::error) ++errors_;
            if (d.severity == Severity::warning) ++warnings_;
            return;
        }
    }
    report(d, file, index);
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
    // Whatever a finding carries (a path from a damaged line, a value), stderr gets printable text.
    line = printable(line);
    if (d.where.has_offset) {
        line += d.where.line ? fmt::format(" (byte {}, line {})", d.where.byte_offset, d.where.line)
                             : fmt::format(" (byte {})", d.where.byte_offset);
    }
    line += '\n';
    print(line);
}

void Reporter::error(std::string_view text) {
    ++errors_;
    print(fmt::format("{}: error: {}\n", tool_, printable(text)));
}

void Reporter::summary(std::string_view text) { print(fmt::format("{}: {}\n", tool_, printable(text))); }

void Reporter::warning(std::string_view text) {
    ++warnings_;
    print(fmt::format("{}: warning: {}\n", tool_, printable(text)));
}

}  // namespace hl7::cli
