// hl7parse: reads HL7 v2 (ER7, MLLP, batches, or its own NDJSON) and writes JSON, ER7, fields,
// a tree or a summary.
#include <fmt/format.h>
#include <unistd.h>

#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/inputs.hpp"
#include "common/output.hpp"
#include "common/presentation.hpp"
#include "common/split_files.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "hl7/query.hpp"
#include "hl7/writer.hpp"

using namespace hl7;

namespace {

struct Options {
    std::vector<std::string> files;
    std::string to = "json";
    std::string segment_end = "cr";
    std::string color = "auto";
    std::string charset;
    std::string join = ",";
    std::string split_dir, split_name, each;  // not "~": a joined cell must not read as one field's repetitions
    std::vector<std::string> fields, filters;
    bool pretty = false, flat = false, tree = false, header = false, count = false, keep_unparsed = false, ignore_case = false;
};

SegmentEndStyle segment_end_style(const std::string& s) {
    if (s == "lf") return SegmentEndStyle::lf;
    if (s == "crlf") return SegmentEndStyle::crlf;
    if (s == "keep") return SegmentEndStyle::keep;
    return SegmentEndStyle::cr;
}

// Where a message came from, for pseudo-fields: the hl7json "source" when it came round a pipeline.
cli::MessageOrigin origin_of(const cli::MessageContext& m) {
    if (m.json_origin)
        return {m.json_origin->file, m.json_origin->index, m.json_origin->offset, m.json_origin->line,
                m.message ? m.message->to_er7().size() : 0};
    return {m.file, m.item.index, m.item.offset, m.item.line, m.item.text.size()};
}

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7parse", "Read HL7 v2 messages (ER7, MLLP, batches, hl7json NDJSON) and write them as JSON,\n"
                             "ER7, selected fields, a tree or a summary.");
    Options o;
    CLI::App& app = cli.app();
    cli.file(app.add_option("files", o.files, "Input files; '-' or none reads standard input")->type_name("FILE"));
    auto* to = cli.choices(app.add_option("--to", o.to, "Output form: json (NDJSON, default) or er7"), {"json", "er7"});
    auto* segment_end = cli.choices(
        app.add_option("--segment-end", o.segment_end, "Segment terminator for --to er7 (default cr, lf on a terminal)"),
                {"cr", "lf", "crlf", "keep"});
    auto* pretty = app.add_flag("--pretty", o.pretty, "Indented JSON, coloured on a terminal");
    cli.choices(app.add_option("--color", o.color, "Colour for --pretty: auto (default), always, never"),
                {"auto", "always", "never"});
    auto* flat = app.add_flag("--flat", o.flat, "Flat JSON: one key per value, such as \"PID-5[1].1\"");
    auto* tree = app.add_flag("--tree", o.tree, "A human view: one line per field with its path");
    auto* field = app.add_option("-f,--field", o.fields, "Print PATH's value (or @file @message @offset @line @length @type)")
                      ->type_name("PATH")
                      ->expected(1)
                      ->allow_extra_args(false)
                      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--each", o.each, "With -f: one row per SEG segment; other segments' paths read near it")
        ->type_name("SEG")
        ->needs(field);
    app.add_flag("--header", o.header, "With -f: print the paths as a header row first")->needs(field);
    app.add_option("--join", o.join, "With -f: text between the values of a [*] path (default ',')")->needs(field);
    app.add_option("--filter", o.filters, "Keep messages where EXPR holds: PATH, !PATH, PATH=V, ~RE, <V (see man)")
        ->type_name("EXPR")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("-i,--ignore-case", o.ignore_case, "With --filter: =, != and ~ ignore ASCII case");
    auto* keep_unparsed = app.add_flag("--keep-unparsed", o.keep_unparsed,
                                       "With --to er7: write text that is not a message as it came");
    auto* split = app.add_option("--split", o.split_dir, "Write each message (a batch whole) to its own file in DIR")
                      ->type_name("DIR");
    app.add_option("--split-name", o.split_name,
                   "With --split: file names from {index} {control_id} {type} {file} (default {index}.hl7 or .json)")
        ->type_name("TEMPLATE")
        ->needs(split);
    auto* count = app.add_flag("--count", o.count, "Print a summary by type, event, version and sending facility");
    cli.suggest(app.add_option("--charset", o.charset, "Read text as this charset whatever MSH-18 says (e.g. 8859/1, UTF-8)")
                    ->type_name("NAME"),
                {"ASCII", "UTF-8", "8859/1", "8859/2", "8859/3", "8859/4", "8859/5", "8859/6", "8859/7",
                 "8859/8", "8859/9", "8859/15", "WINDOWS-1252"});
    app.footer(
        "Paths: SEG[occurrence]-FIELD[repetition].COMPONENT.SUBCOMPONENT, 1-based; [*] for all (PID-3[*].1).\n"
        "\n"
        "Examples:\n"
        "  hl7parse adt.hl7 | jq .                 one JSON object per message (NDJSON)\n"
        "  hl7parse -f MSH-10 -f PID-5.1 *.hl7     one tab-separated row per message\n"
        "  hl7parse --filter MSH-9.1=ORU --to er7 feed.log > oru.hl7\n"
        "  hl7parse --count *.hl7                  a summary by type, event, version, sender\n"
        "\n"
        "Exit status: 0 ok, 2 usage, 65 unparseable input, 66 missing input, 74 read or write error.\n"
        "See hl7parse(1) and hl7json(7).");
    tree->excludes(field)->excludes(flat)->excludes(count)->excludes(to)->excludes(pretty);
    count->excludes(field)->excludes(flat);
    field->excludes(flat);
    flat->excludes(to);
    cli.add_max_message_size();
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();
    bool json_out = to->count() == 0 || o.to == "json";
    bool tsv_out = !o.fields.empty() && to->count() == 0;
    if (o.pretty && (!json_out || tsv_out || (o.count && to->count() == 0)))
        return cli.usage_error("--pretty is for JSON output (add --to json to -f or --count)");
    if (o.header && json_out && to->count() > 0) return cli.usage_error("--header is for tab-separated -f output");
    if (!o.each.empty() && !is_well_formed_segment_id(o.each))
        return cli.usage_error(fmt::format("--each: '{}' is not a segment ID such as OBX", o.each));
    if (split->count() && (!o.fields.empty() || o.count || o.tree || o.pretty))
        return cli.usage_error("--split writes messages (ER7 or hl7json), not -f rows, --count, --tree or --pretty");
    if (o.split_name.empty()) o.split_name = json_out && !o.flat ? "{index}.json" : "{index}.hl7";
    if (split->count()) {
        if (Status s = cli::check_split_template(o.split_name); !s) return cli.usage_error(s.error().text);
    }
    if (keep_unparsed->count() && (o.to != "er7" || !o.fields.empty() || !o.filters.empty()))
        return cli.usage_error("--keep-unparsed is for --to er7 (without -f or --filter)");

    JsonWriteOptions json_options;
    if (!o.charset.empty()) {
        json_options.charset = charset_from_name(o.charset);
        if (!json_options.charset) {
            return cli.usage_error(fmt::format("unknown charset '{}'", o.charset));
        }
    }
    std::vector<cli::Column> paths;
    for (const auto& f : o.fields) {
        auto p = cli::parse_column(f);
        if (!p) return cli.usage_error(p.error().text);
        paths.push_back(*p);
    }
    std::vector<Filter> filters;
    for (const auto& f : o.filters) {
        auto parsed = parse_filter(f, o.ignore_case);
        if (!parsed) return cli.usage_error(parsed.error().text);
        if (!parsed->pseudo.empty() && !cli::parse_pseudo_field(parsed->pseudo))
            return cli.usage_error(fmt::format("bad filter '{}': unknown pseudo-field '{}' (known: {})", f, parsed->pseudo,
                                               cli::kPseudoFieldNames));
        filters.push_back(*parsed);
    }
    bool color = o.pretty && cli::use_color(o.color, 1);
    WriterOptions writer_options;
    writer_options.form = o.flat ? OutputForm::flat_json : json_out ? OutputForm::json : OutputForm::er7;
    // CR-only lines overwrite each other on a screen: on a terminal, LF unless asked (as ls adapts).
    if (segment_end->count() == 0 && ::isatty(1) == 1) o.segment_end = "lf";
    writer_options.segment_end = segment_end_style(o.segment_end);
    writer_options.json = json_options;
    MessageWriter writer(writer_options);

    cli::Output output;
    cli::InputLoop loop(reporter, output);
    loop.set_reader_options(ReaderOptions{.max_message_size = cli.max_message_size()});
    loop.set_idle_flush(cli.idle_flush_ms());
    cli::MessageSummary summary;
    Diagnostics found;
    std::string record;
    if (tsv_out && o.header) {
        output.buffer() += fmt::format("{}\n", fmt::join(o.fields, "\t"));
    }

    if (o.keep_unparsed) {
        loop.set_text_passes_through(true);
        // A log normalised with --to er7 keeps its other text: what is not a message goes out as it came.
        loop.on_unparseable([&](const cli::MessageContext& m, const Diagnostic&) {
            if (m.from_json || m.item.text.empty()) return;
            output.buffer().append(m.item.text);
            output.end_record();
        });
    }
    cli::SplitFiles split_files(o.split_dir);
    std::uint64_t split_index = 0;
    bool split_failed = false, in_batch = false;
    const bool uses_charset = !filters.empty() || !paths.empty() || o.tree;  // not the pass-through forms
    loop.run(o.files, [&](cli::MessageContext& m) {
        Charset charset = Charset::ascii;
        if (uses_charset)
            charset = json_options.charset.value_or(m.message ? declared_charset(*m.message).charset : Charset::ascii);
        if (m.message) {
            for (const Filter& f : filters) {
                bool holds = f.pseudo.empty()
                                 ? filter_matches(*m.message, f, charset)
                                 : filter_matches_values(f, {cli::pseudo_value(*cli::parse_pseudo_field(f.pseudo),
                                                                               *m.message, origin_of(m))});
                if (!holds) return;
            }
        } else if (!filters.empty() || o.count || !paths.empty() || o.tree || o.flat) {
            return;  // batch lines alone carry no fields
        }
        std::string& out = output.buffer();
        found.clear();
        if (m.message) check_segment_ids(*m.message, found);
        if (o.count) {
            summary.add(*m.message);
        } else if (!paths.empty() && !o.each.empty()) {
            if (tsv_out) {
                cli::extract_rows_each(*m.message, o.each, paths, origin_of(m), charset, o.join, out);
            } else {
                for (std::size_t i = 0; i < m.message->size(); ++i) {
                    if (m.message->segment_id(i) != o.each) continue;
                    record.clear();
                    cli::extract_json(*m.message, cli::columns_for_segment(*m.message, i, paths), origin_of(m),
                                      o.fields, charset, record);
                    out += o.pretty ? cli::pretty_json(record, color) : record;
                    out.push_back('\n');
                }
            }
        } else if (!paths.empty()) {
            if (tsv_out) {
                cli::extract_row(*m.message, paths, origin_of(m), charset, o.join, out);
            } else {
                record.clear();
                cli::extract_json(*m.message, paths, origin_of(m), o.fields, charset, record);
                out += o.pretty ? cli::pretty_json(record, color) : record;
            }
            out.push_back('\n');
        } else if (o.tree) {
            cli::MessageOrigin at = origin_of(m);
            out += at.line ? fmt::format("# {}:message {} (line {})\n", at.file, at.index, at.line)
                           : fmt::format("# {}:message {}\n", at.file, at.index);
            cli::write_tree(*m.message, charset, out);
        } else if (!o.split_dir.empty()) {
            // A batch goes whole into the file its first message opens; any other message alone.
            record.clear();
            if (Status written = writer.write(record, m.item, m.message, m.file, m.json_origin, &found); !written)
                found.push_back(written.error());
            Status s;
            if (!m.item.header.empty()) in_batch = true;  // a batch starts: its own file
            else if (!in_batch || !split_files.is_open()) in_batch = false;
            if (!m.item.header.empty() || !in_batch)
                s = split_files.open(cli::split_file_name(o.split_name, ++split_index, m.message, m.file));
            if (s) s = split_files.write(record);
            if (!m.item.trailer.empty()) in_batch = false;  // the batch ends here
            if (s && !in_batch) s = split_files.close();
            if (!s) {
                found.push_back(s.error());
                split_failed = true;
            }
        } else {
            std::string& target = o.pretty ? record : out;  // compact output goes straight out
            record.clear();
            if (Status written = writer.write(target, m.item, m.message, m.file, m.json_origin, &found); !written)
                found.push_back(written.error());
            if (o.pretty && !record.empty()) {  // JSON re-indented, without the writer's newline
                record.pop_back();
                out += cli::pretty_json(record, color);
                out.push_back('\n');
            }
        }
        for (const auto& d : found) loop.report(d, m, m.message);
        output.end_record();
    });

    if (o.count) {
        summary.set_unparseable(loop.unparseable());
        if (to->count() && o.to == "json") {
            record.clear();
            summary.write_json(record);
            output.buffer() += o.pretty ? cli::pretty_json(record, color) : record;
            output.buffer().push_back('\n');
        } else {
            summary.write_text(output.buffer());
        }
    }
    if (Status s = split_files.close(); !s) {
        reporter.error(s.error().text);
        split_failed = true;
    }
    int status = loop.status();
    if (split_failed) status = cli::worst_status(status, cli::exit_io);
    if (!output.finish()) {
        reporter.error(fmt::format("write error: {}", std::strerror(output.error())));
        status = cli::worst_status(status, cli::exit_io);
    }
    return status;
}
