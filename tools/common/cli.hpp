// Command-line set-up shared by the tools: common options, usage errors as exit 2, completions.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostics.hpp"

namespace hl7::cli {

class Cli {
public:
    Cli(std::string name, std::string description);

    CLI::App& app() { return app_; }
    Reporter& reporter() { return reporter_; }

    // Restricts an option to fixed values and lists them in the completions.
    CLI::Option* choices(CLI::Option* option, std::vector<std::string> values);
    // Values the completions offer for an option that accepts others too (charset names).
    CLI::Option* suggest(CLI::Option* option, std::vector<std::string> values);
    // Marks an option (or positional) whose value is a file name, for completions.
    CLI::Option* file(CLI::Option* option);

    // Parses the command line. Returns an exit status when the tool should stop now (help,
    // version, completion script printed, or a usage error reported), nullopt to go on.
    std::optional<int> parse(int argc, char** argv);

    // Reports a usage error found after parsing (a bad path, say) the way CLI11's are; returns 2.
    int usage_error(const std::string& text);

    // --max-message-size, for tools that read messages: the limit past which a message (frame,
    // run of text, JSON object) is skipped with its position. Call before parse().
    void add_max_message_size();
    std::size_t max_message_size() const { return max_message_size_; }
    int idle_flush_ms() const { return idle_flush_ms_; }

    // Completion scripts generated from the option definitions: "bash", "zsh" or "fish".
    std::string completion_script(const std::string& shell) const;

private:
    CLI::App app_;
    Reporter reporter_;
    std::string name_;
    bool show_values_ = false;
    bool verbose_ = false;
    std::string completion_shell_;
    std::string max_message_size_text_;
    std::size_t max_message_size_ = std::size_t(64) << 20;
    int idle_flush_ms_ = 100;
    std::map<const CLI::Option*, std::vector<std::string>> choices_;
    std::map<const CLI::Option*, std::vector<std::string>> suggestions_;
    std::vector<const CLI::Option*> files_;
};

// "64M", "512K", "1G", "1048576": bytes, with an optional K, M or G (powers of 1024); nullopt
// when malformed or out of range (at least 1 KiB, at most 4 GiB).
std::optional<std::size_t> parse_size(const std::string& text);

// Whether to colour output on `fd`: --color=always|never|auto; auto means a terminal and no
// NO_COLOR in the environment.
bool use_color(const std::string& when, int fd);

}  // namespace hl7::cli
