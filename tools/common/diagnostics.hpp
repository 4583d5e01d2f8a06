// One format for every diagnostic: "tool: file:message N:PATH: severity: text (byte B)".
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hl7/error.hpp"

namespace hl7::cli {

// `text` with every byte that is not printable ASCII or valid UTF-8 (control bytes, C1 controls,
// invalid sequences) written as \xHH, so a diagnostic never carries raw control bytes.
std::string printable(std::string_view text);

class Reporter {
public:
    explicit Reporter(std::string tool) : tool_(std::move(tool)) {}

    void set_show_values(bool on) { show_values_ = on; }
    void set_verbose(bool on) { verbose_ = on; }
    void set_quiet(bool on) { quiet_ = on; }
    bool verbose() const { return verbose_; }
    bool show_values() const { return show_values_; }
    const std::string& tool() const { return tool_; }

    // Prints a finding about `file` (message `index` when non-zero). Notes print only when verbose;
    // values only with --show-values, since they may be patient data.
    void report(const Diagnostic& diagnostic, std::string_view file, std::uint64_t index = 0);
    // "tool: error: text" for problems that belong to no message.
    void error(std::string_view text);
    void warning(std::string_view text);
    // "tool: text": a closing summary, not a finding.
    void summary(std::string_view text);

    // As report(), for problems of the input itself (text that is not a message, skipped bytes):
    // those of one code about one file print at most `repeat_limit` times, and end_file() says how
    // many more there were. Binary input would otherwise flood stderr. Findings about messages are
    // never capped.
    void report_input_problem(const Diagnostic& diagnostic, std::string_view file, std::uint64_t index = 0);
    void set_repeat_limit(std::uint64_t limit) { repeat_limit_ = limit; }
    void begin_file(std::string_view file);
    void end_file();

    std::uint64_t errors() const { return errors_; }
    std::uint64_t warnings() const { return warnings_; }

private:
    void print(const std::string& line);
    std::string tool_;
    bool show_values_ = false;
    bool verbose_ = false;
    bool quiet_ = false;
    // hl7send reports from its reading thread and its network thread: counts are atomic and each
    // line goes out whole.
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::uint64_t> warnings_{0};
    std::mutex print_mutex_;
    std::uint64_t repeat_limit_ = 20;
    std::string file_;
    std::vector<std::pair<std::string, std::uint64_t>> counts_;  // per code, in the current file
};

}  // namespace hl7::cli
