// hl7anon: de-identifies HL7 v2 messages and the logs around them, for tickets and test data.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/inputs.hpp"
#include "common/output.hpp"
#include "hl7/anon.hpp"
#include "hl7/json.hpp"
#include "hl7/pseudonym.hpp"
#include "keys.hpp"
#include "run.hpp"

using namespace hl7;

namespace {

int keygen_main(const std::string& path, cli::Reporter& reporter) {
    if (Status s = anon_tool::write_new_key(path); !s) {
        reporter.error(s.error().text);
        return s.error().code == "no-random" ? cli::exit_unavailable : cli::exit_io;
    }
    return cli::exit_ok;
}

// One pseudonym per value: from the command line, or one per line of standard input (which keeps
// the value out of shell history and ps).
int lookup_main(const AnonKey& key, const std::string& value_class, const std::vector<std::string>& values,
                cli::Reporter& reporter) {
    cli::Output output;
    auto one = [&](std::string_view value) {
        output.buffer() += anon::lookup(key, value_class, value);
        output.buffer() += '\n';
        output.end_record();
    };
    if (!values.empty()) {
        for (const std::string& v : values) one(v);
    } else {
        std::string pending;
        char buffer[65536];
        for (;;) {
            ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                reporter.error(fmt::format("cannot read standard input: {}", std::strerror(errno)));
                return cli::exit_io;
            }
            if (n == 0) break;
            pending.append(buffer, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
                std::string_view line(pending.data() + start, nl - start);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                one(line);
            }
            pending.erase(0, start);
            output.flush();
        }
        if (!pending.empty()) one(pending);
    }
    if (!output.finish()) {
        reporter.error(fmt::format("write error: {}", std::strerror(output.error())));
        return cli::exit_io;
    }
    return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7anon", "De-identify HL7 v2 messages and logs (ER7, MLLP, batches, hl7json NDJSON, or log "
                            "files with messages inside) so they can go into a ticket.");
    CLI::App& app = cli.app();
    app.fallthrough();
    std::vector<std::string> files;
    std::string profile_name = "support", config_file, key_file, report_file, staff, date_scope;
    std::string max_size_text;
    bool check = false, list_rules = false, quiet = false;
    cli.file(app.add_option("files", files, "Input files; '-' or none reads standard input")->type_name("FILE"));
    cli.choices(app.add_option("-p,--profile", profile_name,
                               "Built-in profile: support (default), safe-harbor or strict"),
                {"support", "safe-harbor", "strict"});
    cli.file(app.add_option("--config", config_file, "Rules (YAML) that extend or override the profile")
                 ->type_name("FILE"));
    cli.file(app.add_option("--key-file", key_file, "The secret key (hl7anon keygen); else HL7ANON_KEY_FILE or HL7ANON_KEY")
                 ->type_name("FILE"));
    cli.choices(app.add_option("--staff", staff, "Staff names and IDs (XCN): keep or replace (profile's default)"),
                {"keep", "replace"});
    cli.choices(app.add_option("--date-shift", date_scope, "One date shift per run, or one per patient (PID-3)"),
                {"run", "patient"});
    cli.file(app.add_option("--report", report_file, "Write what was changed, per message, as NDJSON (no values)")
                 ->type_name("FILE"));
    app.add_flag("--check", check, "Scan the output for every original identifying value; exit 1 if one survives");
    app.add_flag("--list-rules", list_rules, "Print the profile's rules (after --config) and exit");
    app.add_flag("-q,--quiet", quiet, "No summary and no key notice on standard error");
    app.add_option("--max-message-size", max_size_text,
                   "Scrub whole (and report) a message or HL7 line larger than SIZE (default 16M; K, M, G)")
        ->type_name("SIZE")
        ->check([](const std::string& text) {
            return cli::parse_size(text) ? std::string() : std::string("expected a size from 1K to 4G, such as 16M");
        });
    CLI::App* keygen = app.add_subcommand("keygen", "Write a new key to FILE (mode 0600, never overwritten) or stdout");
    std::string keygen_file;
    keygen->add_option("file", keygen_file, "Key file to create; '-' or none writes standard output")->type_name("FILE");
    CLI::App* lookup = app.add_subcommand("lookup", "Print the pseudonym of each VALUE (or stdin line) under the key");
    std::vector<std::string> lookup_values;
    std::string lookup_class = "id";
    lookup->add_option("values", lookup_values, "Values; none reads one per line from standard input")
        ->type_name("VALUE");
    cli.choices(lookup->add_option("--class", lookup_class, "The kind of value: id (default), name, phone, email, address, text"),
                {"id", "name", "phone", "email", "address", "text"});
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();
    reporter.set_quiet(quiet);

    if (*keygen) return keygen_main(keygen_file, reporter);

    auto loaded = anon_tool::load_key(key_file, std::getenv("HL7ANON_KEY"), std::getenv("HL7ANON_KEY_FILE"));
    if (!loaded) {
        reporter.error(loaded.error().text);
        return loaded.error().code == "no-key" ? cli::exit_no_input : cli::exit_data;
    }
    if (loaded->world_readable)
        reporter.warning(fmt::format("{} can be read by every user; chmod 600 it", loaded->origin));
    if (*lookup) {
        if (loaded->random) return cli.usage_error("lookup needs the key the output was made with (--key-file)");
        return lookup_main(loaded->key, lookup_class, lookup_values, reporter);
    }

    auto profile = anon::builtin_profile(profile_name);
    if (!profile) return cli.usage_error(fmt::format("unknown profile '{}'", profile_name));
    if (!config_file.empty()) {
        auto text = cli::read_whole_file(config_file);
        if (!text) return reporter.error(text.error().text), cli::exit_no_input;
        auto combined = anon::read_config(*text, config_file, *profile);
        if (!combined) return cli.usage_error(combined.error().text);
        profile = std::move(*combined);
    }
    if (!staff.empty()) profile->staff = staff == "keep" ? anon::StaffNames::keep : anon::StaffNames::replace;
    if (!date_scope.empty()) profile->date_scope = date_scope == "run" ? anon::DateScope::run : anon::DateScope::patient;
    if (list_rules) {
        std::string text = anon::describe(*profile);
        return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0
                   ? cli::exit_ok
                   : cli::exit_io;
    }
    if (loaded->random && !quiet)
        reporter.summary("no key given (--key-file, HL7ANON_KEY_FILE, HL7ANON_KEY): a random key for this run, so "
                         "pseudonyms differ from any other run's (hl7anon keygen makes a key)");

    anon_tool::RunOptions options;
    options.check = check;
    options.report_file = report_file;
    if (!max_size_text.empty()) options.max_region_size = *cli::parse_size(max_size_text);
    anon_tool::Run run(loaded->key, std::move(*profile), options, reporter);
    if (Status opened = run.open_report(); !opened) {
        reporter.error(opened.error().text);
        return cli::exit_io;
    }
    int status = run.process(files.empty() ? std::vector<std::string>{"-"} : files);
    if (!quiet) reporter.summary(run.summary());
    return status;
}
