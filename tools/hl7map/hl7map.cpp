// hl7map: applies a rule file (set, copy, move, map through tables, dates, segments...) to messages.
#include <fmt/format.h>

#include <cstring>

#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/inputs.hpp"
#include "common/output.hpp"
#include "hl7/map.hpp"
#include "hl7/writer.hpp"

using namespace hl7;

namespace {

Result<map::RuleSet> load_rules(const std::string& file) {
    auto text = cli::read_whole_file(file);
    if (!text) return text.error();
    // Includes and CSV tables: the engine names them relative to the file that names them.
    return map::read_rules(*text, file, [](std::string_view path) { return cli::read_whole_file(std::string(path)); });
}

SegmentEndStyle segment_end_style(const std::string& s) {
    if (s == "cr") return SegmentEndStyle::cr;
    if (s == "lf") return SegmentEndStyle::lf;
    if (s == "crlf") return SegmentEndStyle::crlf;
    return SegmentEndStyle::keep;
}

// --trace: one line per rule that ran, paths only; old and new values with --show-values.
void trace(const map::MapOutcome& outcome, const cli::MessageContext& m, cli::Reporter& reporter) {
    for (const map::RuleEffect& e : outcome.effects) {
        std::string line = fmt::format("{}:{}: {}", e.file, e.line, e.operation);
        if (e.skipped) line += " (when: no)";
        for (std::size_t i = 0; i < e.paths.size(); ++i) line += (i ? ", " : " ") + e.paths[i];
        Diagnostic d;
        d.severity = Severity::note;
        d.code = "trace";
        d.text = line;
        if (reporter.show_values()) {
            for (const map::ValueChange& v : e.values) {
                d.value += d.value.empty() ? "" : "; ";
                d.value += fmt::format("{}: {} -> {}", v.path, v.was_present ? "'" + v.before + "'" : "absent",
                                       v.is_present ? "'" + v.after + "'" : "absent");
            }
        }
        reporter.report(d, m.file, m.item.index);
    }
}

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7map", "Transform HL7 v2 messages (ER7, MLLP, batches or hl7json NDJSON) with a rule file: "
                           "set, copy, move, map through tables, reformat dates, add or remove segments.");
    CLI::App& app = cli.app();
    app.fallthrough();
    std::string rules_file, to, segment_end = "keep";
    std::vector<std::string> files, check_files;
    bool strict = false, do_trace = false;
    cli.file(app.add_option("rules", rules_file, "The rule file (YAML or JSON; see hl7map(1))")->type_name("RULES"));
    cli.file(app.add_option("files", files, "Input files; '-' or none reads standard input")->type_name("FILE"));
    cli.choices(app.add_option("--to", to, "Output form: er7, json (NDJSON) or mllp; default: as the input came"),
                {"er7", "json", "mllp"});
    cli.choices(app.add_option("--segment-end", segment_end, "Segment ends in ER7 output: keep (default), cr, lf, crlf"),
                {"keep", "cr", "lf", "crlf"});
    app.add_flag("--strict", strict, "A message a rule cannot apply to is not written (exit 1), not passed through");
    app.add_flag("--trace", do_trace, "Say on stderr what each rule did (paths; values with --show-values)");
    cli.add_max_message_size();
    CLI::App* check = app.add_subcommand("check", "Check rule files (operations, paths, tables, includes) and exit");
    cli.file(check->add_option("rule-files", check_files, "Rule files to check")->type_name("RULES")->required());
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();
    if (do_trace) reporter.set_verbose(true);  // trace lines are notes

    if (*check) {
        int status = cli::exit_ok;
        for (const std::string& f : check_files) {
            auto rules = load_rules(f);
            if (!rules) {
                reporter.error(rules.error().text);
                status = rules.error().code == "bad-rules" ? cli::exit_usage : cli::exit_no_input;
                continue;
            }
            reporter.summary(fmt::format("{}: {} rule{}, ok", f, rules->rule_count(), rules->rule_count() == 1 ? "" : "s"));
        }
        return status;
    }
    if (rules_file.empty()) return cli.usage_error("a rule file is required (hl7map RULES [FILE...])");
    auto rules = load_rules(rules_file);
    if (!rules) {
        reporter.error(rules.error().text);
        return rules.error().code == "bad-rules" ? cli::exit_usage : cli::exit_no_input;
    }
    map::Mapper mapper(*rules);
    map::MapOptions options;
    options.trace = do_trace;

    WriterOptions er7_options, json_options, mllp_options;
    er7_options.form = OutputForm::er7;
    er7_options.segment_end = segment_end_style(segment_end);
    json_options.form = OutputForm::json;
    mllp_options.form = OutputForm::mllp;
    mllp_options.segment_end = SegmentEndStyle::cr;
    const MessageWriter er7_writer(er7_options), json_writer(json_options), mllp_writer(mllp_options);

    cli::Output output;
    cli::InputLoop loop(reporter, output);
    loop.set_reader_options(ReaderOptions{.max_message_size = cli.max_message_size()});
    loop.set_idle_flush(cli.idle_flush_ms());
    std::uint64_t failed = 0;
    Diagnostics found;
    loop.run(files, [&](cli::MessageContext& m) {
        found.clear();
        if (m.message) {
            map::MapOutcome outcome = mapper.apply(*m.message, options);
            if (do_trace) trace(outcome, m, reporter);
            for (const Diagnostic& w : outcome.warnings) loop.report(w, m, m.message);
            if (!outcome.warnings.empty() && strict) {
                ++failed;
                return;  // rejected: not written
            }
        }
        // The form it came in unless --to says otherwise: NDJSON stays NDJSON, ER7 stays ER7.
        const MessageWriter& writer = to == "json" ? json_writer
                                      : to == "mllp" ? mllp_writer
                                      : to == "er7"  ? er7_writer
                                      : m.from_json  ? json_writer
                                      : m.item.framed ? mllp_writer
                                                      : er7_writer;
        if (Status written = writer.write(output.buffer(), m.item, m.message, m.file, m.json_origin, &found); !written)
            found.push_back(written.error());
        for (const Diagnostic& d : found) loop.report(d, m, m.message);
        output.end_record();
    });
    int status = loop.status();
    if (failed) status = cli::worst_status(status, cli::exit_findings);
    if (!output.finish()) {
        reporter.error(fmt::format("write error: {}", std::strerror(output.error())));
        status = cli::worst_status(status, cli::exit_io);
    }
    return status;
}
