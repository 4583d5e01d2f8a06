// CLI11 glue: program-named messages, usage errors remapped to exit 2, common options.
#include "common/cli.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <iostream>

#include "common/exit_codes.hpp"

#ifndef HL7KIT_VERSION
#define HL7KIT_VERSION "0.0.0"
#endif

namespace hl7::cli {

Cli::Cli(std::string name, std::string description)
    : app_(std::move(description), name), reporter_(name), name_(std::move(name)) {
    app_.set_version_flag("--version", name_ + " (hl7kit) " HL7KIT_VERSION);
    app_.add_flag("--show-values", show_values_,
                  "Show values in diagnostics (may be patient data; off by default)");
    app_.add_flag("-v,--verbose", verbose_, "Also report notes: repairs such as LF line ends or MLLP framing");
    choices(app_.add_option("--completion", completion_shell_, "Print a completion script for SHELL and exit")
                ->type_name("SHELL")
                ->group(""),
            {"bash", "zsh", "fish"});
    app_.get_formatter()->column_width(30);
}

std::optional<std::size_t> parse_size(const std::string& text) {
    std::size_t i = 0;
    std::uint64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (n > (std::uint64_t(1) << 42)) return std::nullopt;
        ++i;
    }
    if (i == 0) return std::nullopt;
    std::string unit = text.substr(i);
    if (unit == "K" || unit == "k" || unit == "KiB") n <<= 10;
    else if (unit == "M" || unit == "m" || unit == "MiB") n <<= 20;
    else if (unit == "G" || unit == "g" || unit == "GiB") n <<= 30;
    else if (!unit.empty()) return std::nullopt;
    if (n < 1024 || n > (std::uint64_t(4) << 30)) return std::nullopt;
    return static_cast<std::size_t>(n);
}

void Cli::add_max_message_size() {
    app_.add_option("--max-message-size", max_message_size_text_,
                    "Skip (and report) a message larger than SIZE (default 64M; K, M, G)")
        ->type_name("SIZE")
        ->check([](const std::string& text) {
            return parse_size(text) ? std::string() : std::string("expected a size from 1K to 4G, such as 64M");
        });
    app_.add_option("--idle-flush", idle_flush_ms_,
                    "Pipe: end a message MS after its last segment end (default 100, 0 off)")
        ->type_name("MS")
        ->check(CLI::Range(0, 60000));
}

CLI::Option* Cli::choices(CLI::Option* option, std::vector<std::string> values) {
    option->check(CLI::IsMember(values));
    choices_[option] = std::move(values);
    return option;
}

CLI::Option* Cli::suggest(CLI::Option* option, std::vector<std::string> values) {
    suggestions_[option] = std::move(values);
    return option;
}

CLI::Option* Cli::file(CLI::Option* option) {
    files_.push_back(option);
    return option;
}

namespace {

// CLI11's "The following arguments were not expected: --bogus x" in the words of GNU tools:
// "unrecognized option '--bogus'", "invalid option -- 'q'"; other extras are left as CLI11 says.
std::string unexpected_arguments_text(const std::string& what) {
    const std::string lead = "The following argument was not expected: ";
    const std::string leads = "The following arguments were not expected: ";
    std::string rest;
    if (what.rfind(lead, 0) == 0) rest = what.substr(lead.size());
    else if (what.rfind(leads, 0) == 0) rest = what.substr(leads.size());
    else return what;
    std::string first = rest.substr(0, rest.find(' '));
    if (first.size() > 2 && first.compare(0, 2, "--") == 0)
        return "unrecognized option '" + first.substr(0, first.find('=')) + "'";
    if (first.size() > 1 && first[0] == '-' && first[1] != '-') return "invalid option -- '" + first.substr(1, 1) + "'";
    return what;
}

}  // namespace

std::optional<int> Cli::parse(int argc, char** argv) {
    try {
        app_.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app_.help() << std::flush;
        return exit_ok;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app_.help("", CLI::AppFormatMode::All) << std::flush;
        return exit_ok;
    } catch (const CLI::CallForVersion&) {
        std::cout << app_.version() << '\n' << std::flush;
        return exit_ok;
    } catch (const CLI::ExtrasError& e) {
        return usage_error(unexpected_arguments_text(e.what()));
    } catch (const CLI::ParseError& e) {
        // CLI11 would exit 100-127 without naming the program; usage errors are 2 here.
        return usage_error(e.what());
    }
    if (!completion_shell_.empty()) {
        std::cout << completion_script(completion_shell_) << std::flush;
        return std::cout ? exit_ok : exit_io;
    }
    if (!max_message_size_text_.empty()) max_message_size_ = *parse_size(max_message_size_text_);
    reporter_.set_show_values(show_values_);
    reporter_.set_verbose(verbose_);
    return std::nullopt;
}

int Cli::usage_error(const std::string& text) {
    reporter_.error(text);
    std::string hint = "Try '" + name_ + " --help' for more information.\n";
    if (::write(2, hint.data(), hint.size()) < 0) { /* stderr is gone: nothing to do */ }
    return exit_usage;
}

bool use_color(const std::string& when, int fd) {
    if (when == "always") return true;
    if (when == "never") return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return ::isatty(fd) == 1;
}

}  // namespace hl7::cli
