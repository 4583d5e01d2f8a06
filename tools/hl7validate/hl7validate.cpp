// hl7validate: checks HL7 v2 messages against the standard and profiles, for people and for CI.
#include <fmt/format.h>

#include <ctime>

#include "common/cli.hpp"
#include "common/clock.hpp"
#include "common/exit_codes.hpp"
#include "common/inputs.hpp"
#include "common/output.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "hl7/profile.hpp"
#include "hl7/validate.hpp"
#include "report.hpp"
#include "suppress.hpp"

using namespace hl7;

int main(int argc, char** argv) {
    cli::Cli cli("hl7validate", "Check HL7 v2 messages (ER7, MLLP, batches or hl7json NDJSON) against the standard "
                                "(versions 2.1 to 2.7.1) and interface profiles.");
    CLI::App& app = cli.app();
    std::vector<std::string> files, profiles, ignores;
    std::string format = "human", version_override;
    bool ack = false, quiet = false, warnings_as_errors = false, no_z = false;
    long max_errors = 0;
    cli.file(app.add_option("files", files, "Input files; '-' or none reads standard input")->type_name("FILE"));
    auto* format_option = cli.choices(
        app.add_option("--format", format, "Report form: human (default), json, junit or github"),
        {"human", "json", "junit", "github"});
    auto* ack_option = app.add_flag("--ack", ack, "Write an ACK (AA/AE/AR) per message, with an ERR per finding")
                           ->excludes(format_option);
    app.add_flag("-q,--quiet", quiet, "No report and no summary, only the exit status (input errors still shown)")
        ->excludes(ack_option)
        ->excludes(format_option);
    cli.file(app.add_option("--profile", profiles, "Check against this profile too (YAML, JSON or XML; repeatable)")
                 ->type_name("FILE")
                 ->allow_extra_args(false));
    app.add_option("--ignore", ignores, "Leave out findings with this 0357 code, path or rule (repeatable)")
        ->type_name("WHAT")
        ->allow_extra_args(false);
    app.add_flag("--warnings-as-errors", warnings_as_errors, "A message with warnings is invalid too");
    app.add_option("--version-override", version_override, "Validate as this HL7 version whatever MSH-12 says")
        ->type_name("VERSION");
    app.add_option("--max-errors", max_errors, "Report at most N errors in all (0: no limit); checking goes on")
        ->type_name("N")
        ->check(CLI::Range(0L, 1000000000L).description(""));
    app.add_flag("--no-z", no_z, "Z-segments are unexpected unless a profile defines them");
    cli.add_max_message_size();
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();

    ValidationOptions options;
    options.allow_z_segments = !no_z;
    options.version_override = version_override;
    if (!version_override.empty() && !defs::match_version(version_override).version)
        return cli.usage_error(fmt::format("unknown version '{}' for --version-override", version_override));
    for (const std::string& file : profiles) {
        auto text = cli::read_whole_file(file);
        if (!text) return reporter.error(text.error().text), cli::exit_no_input;
        std::string dir = file.find('/') == std::string::npos ? "" : file.substr(0, file.rfind('/') + 1);
        auto profile = parse_profile(*text, profile_format_for(file), file, [&](std::string_view path) {
            return cli::read_whole_file(!path.empty() && path[0] == '/' ? std::string(path) : dir + std::string(path));
        });
        if (!profile) return cli.usage_error(profile.error().text);
        options.profiles.push_back(*profile);
    }
    auto suppress = cli::Suppressions::parse(ignores);
    if (!suppress) return cli.usage_error(suppress.error().text);

    cli::Output output;
    cli::InputLoop loop(reporter, output);
    loop.set_reader_options(ReaderOptions{.max_message_size = cli.max_message_size()});
    loop.set_idle_flush(cli.idle_flush_ms());
    auto writer = cli::make_report_writer(format, reporter.show_values());
    std::vector<Finding> findings;
    std::uint64_t checked = 0, invalid = 0, warnings = 0, reported_errors = 0, acks = 0;
    std::time_t now = cli::current_time();

    auto emit = [&](cli::MessageReport& report) {
        if (!quiet && !ack) writer->message(report, output.buffer());
        output.end_record();
    };
    loop.on_unparseable([&](const cli::MessageContext& m, const Diagnostic& d) {
        ++checked, ++invalid;
        cli::MessageReport report = cli::MessageReport::at(m.file, m.item);
        report.findings = &findings;
        report.valid = false;
        report.unparseable = d.text;
        findings.clear();
        emit(report);
    });
    loop.run(files, [&](cli::MessageContext& m) {
        if (!m.message) return;  // batch lines alone
        const Message& message = *m.message;
        findings.clear();
        validate_message(message, declared_charset(message).charset, options, findings);
        suppress->apply(findings, warnings_as_errors);
        if (!reporter.verbose())  // notes (withdrawn fields valued, ...) only with -v
            std::erase_if(findings, [](const Finding& f) { return f.severity == Severity::note; });
        cli::MessageReport report = cli::MessageReport::at(m.file, m.item);
        report.findings = &findings;
        ++checked;
        for (const Finding& f : findings) {
            if (f.severity == Severity::warning) ++warnings;
            if (f.severity == Severity::error) report.valid = false;
        }
        if (!report.valid) ++invalid;
        if (ack) {  // from every finding, before --max-errors holds any back
            AckOptions options_for_ack = validation_ack(findings);
            options_for_ack.timestamp = cli::hl7_timestamp(now);
            options_for_ack.control_id = cli::ack_control_id(now, ++acks);
            Diagnostics ack_notes;
            output.buffer() += build_ack(message, options_for_ack, &ack_notes);
            for (const Diagnostic& n : ack_notes) reporter.report(n, m.file, m.item.index);
        }
        cli::limit_errors(findings, static_cast<std::uint64_t>(max_errors), reported_errors);
        if (!quiet && !ack) cli::describe(message, m.item, findings, report, m.from_json);
        emit(report);
    });
    if (!quiet && !ack) writer->finish(output.buffer());
    int status = loop.status();
    if (invalid > 0) status = cli::worst_status(status, cli::exit_findings);
    if (!output.finish()) {
        reporter.error(fmt::format("write error: {}", std::strerror(output.error())));
        status = cli::worst_status(status, cli::exit_io);
    }
    warnings += reporter.warnings();  // about the input itself: skipped bytes, short MSH-2, ...
    if (!quiet) {
        std::uint64_t limit = static_cast<std::uint64_t>(max_errors), more = reported_errors - limit;
        std::string held = max_errors > 0 && reported_errors > limit
                               ? fmt::format(" ({} more error{} not shown: --max-errors)", more, more == 1 ? "" : "s")
                               : "";
        reporter.summary(fmt::format("{} message{} checked: {} valid, {} invalid, {} warning{}{}", checked,
                                     checked == 1 ? "" : "s", checked - invalid, invalid, warnings,
                                     warnings == 1 ? "" : "s", held));
    }
    return status;
}
