// hl7map rule files read and checked: the top level, tables (inline and CSV), every operation's
// keys, includes through the caller's loader (with cycle detection).
#include <algorithm>
#include <array>
#include <fmt/format.h>

#include "map_internal.hpp"
#include "rule_file.hpp"

namespace hl7::map {

using detail::Op;
using detail::Program;
using detail::Rule;
using detail::Table;
using rule_file::fail;
using rule_file::Node;

std::size_t RuleSet::rule_count() const { return program ? program->rule_count : 0; }

const std::vector<std::string>& RuleSet::files() const {
    static const std::vector<std::string> kNone;
    return program ? program->files : kNone;
}

namespace {

constexpr std::size_t kMaxIncludeDepth = 16;

// An error in some file of the set, already in its final form; passes through the readers of the
// files that include it.
struct FileError {
    Diagnostic diagnostic;
};

struct OpName {
    std::string_view name;
    Op op;
};

constexpr std::array<OpName, 18> kOps = {{
    {"set", Op::set},
    {"copy", Op::copy},
    {"move", Op::move},
    {"clear", Op::clear},
    {"map", Op::map},
    {"date", Op::date},
    {"concat", Op::concat},
    {"split", Op::split},
    {"replace", Op::replace},
    {"substring", Op::substring},
    {"pad", Op::pad},
    {"truncate", Op::truncate},
    {"add-segment", Op::add_segment},
    {"insert-segment", Op::add_segment},
    {"delete-segment", Op::delete_segment},
    {"rename-segment", Op::rename_segment},
    {"each", Op::each},
    {"include", Op::include},
}};

std::string sanitized(std::string_view text) {
    std::string shown;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) shown += fmt::format("\\x{:02X}", byte);
        else shown.push_back(c);
    }
    return shown;
}

Diagnostic file_error(std::string_view file, std::uint64_t line, std::string_view text) {
    Diagnostic d = make_error("bad-rules", line ? fmt::format("{}:{}: {}", sanitized(file), line, sanitized(text))
                                                : fmt::format("{}: {}", sanitized(file), sanitized(text)));
    d.where.line = line;
    return d;
}

// A name relative to the directory of the file that names it (the loader gets it joined).
std::string resolve(std::string_view including, std::string_view name) {
    if (name.empty() || name.front() == '/') return std::string(name);
    const auto slash = including.rfind('/');
    if (slash == std::string_view::npos) return std::string(name);
    return fmt::format("{}/{}", including.substr(0, slash), name);
}

bool is_header(std::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

class Reader {
public:
    Reader(Program& program, const IncludeLoader& load) : program_(program), load_(load) {}

    // Reads one file into rules (and tables into the program); the when of the file goes to `when`.
    void read_file(std::string_view text, const std::string& name, std::optional<detail::Condition>& when,
                   std::vector<Rule>& rules) {
        if (std::find(stack_.begin(), stack_.end(), name) != stack_.end() || stack_.size() >= kMaxIncludeDepth)
            throw FileError{file_error(stack_.empty() ? name : stack_.back(), include_line_,
                                       fmt::format("include '{}': an include cycle ({} includes itself)", name, name))};
        program_.files.push_back(name);
        const auto index = static_cast<std::uint32_t>(program_.files.size() - 1);
        stack_.push_back(name);
        const std::string kind = "map";
        const rule_file::Origin origin{kind, name, "bad-rules"};
        const auto first = text.find_first_not_of(" \t\r\n");
        const bool json = first != std::string_view::npos && text[first] == '{';
        auto root = rule_file::load(text, json ? rule_file::Format::json : rule_file::Format::yaml, origin);
        if (!root) {
            // The loader's text is "map 'NAME', line N: why"; keep the why, in this module's form.
            std::string why = root.error().text;
            const std::string prefix = root.error().where.line
                                           ? fmt::format("map '{}', line {}: ", name, root.error().where.line)
                                           : fmt::format("map '{}': ", name);
            if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
            throw FileError{file_error(name, root.error().where.line, why)};
        }
        try {
            read_root(*root, index, when, rules);
        } catch (const rule_file::RuleError& e) {
            throw FileError{file_error(name, e.line(), e.what())};
        }
        stack_.pop_back();
    }

private:
    void read_root(const Node& root, std::uint32_t file, std::optional<detail::Condition>& when,
                   std::vector<Rule>& rules) {
        if (root.is_null()) fail(root, "empty rule file: expected at least 'hl7map: 1'");
        rule_file::expect_map(root, "expected a mapping with hl7map: 1, and when, tables, include, rules");
        rule_file::check_keys(root, "the rule file", {"hl7map", "when", "tables", "include", "rules"});
        const Node* version = root.find("hl7map");
        if (!version) fail(root, "missing 'hl7map: 1' (the rule language version)");
        if (rule_file::scalar(*version, "hl7map") != "1")
            fail(*version, fmt::format("hl7map: version '{}' is not supported (expected 1)", version->text));
        if (const Node* n = root.find("when")) when = detail::parse_condition(rule_file::scalar(*n, "when"), n->line);
        if (const Node* n = root.find("tables")) read_tables(*n);
        if (const Node* n = root.find("include")) {
            if (!n->is_null()) {
                for (const Node* item : rule_file::one_or_more(*n)) {
                    Rule r;
                    r.op = Op::include;
                    r.name = "include";
                    r.file = file;
                    r.line = item->line;
                    read_include(*item, r);
                    rules.push_back(std::move(r));
                }
            }
        }
        if (const Node* n = root.find("rules")) {
            if (!n->is_null()) {
                rule_file::expect_sequence(*n, "rules: expected a list of rules");
                for (const Node& item : n->items) rules.push_back(read_rule(item, file));
            }
        }
    }

    void read_tables(const Node& node) {
        if (node.is_null()) return;
        rule_file::expect_map(node, "tables: expected a mapping of table names to tables");
        for (const auto& entry : node.entries) {
            const std::string& name = rule_file::scalar(entry.key, "a table name");
            if (program_.table_names.count(name)) fail(entry.key, fmt::format("table '{}' defined twice", name));
            auto table = std::make_unique<Table>(read_table(entry.value, name));
            program_.table_names[name] = table.get();
            program_.tables.push_back(std::move(table));
        }
    }

    Table read_table(const Node& node, std::string_view name) {
        rule_file::expect_map(node, fmt::format("table '{}': expected a mapping (CODE: VALUE, \"*\": default) or "
                                                "{{file: NAME.csv, default: VALUE}}",
                                                name));
        Table t;
        if (node.find("file")) {
            rule_file::check_keys(node, fmt::format("table '{}'", name), {"file", "default"});
            const Node& file = *node.find("file");
            read_csv(file, rule_file::scalar(file, "file"), t);
            if (const Node* d = node.find("default")) t.fallback = rule_file::scalar(*d, "default");
            return t;
        }
        for (const auto& entry : node.entries) {
            const std::string& key = rule_file::scalar(entry.key, fmt::format("table '{}': a code", name));
            const std::string& value = rule_file::scalar(entry.value, fmt::format("table '{}': the value of '{}'", name, key));
            if (key == "*") t.fallback = value;
            else t.entries.emplace(key, value);
        }
        return t;
    }

    // Two columns per line, comma-separated, "double quotes" around a field that holds a comma or a
    // quote (doubled inside). Blank lines and lines starting with '#' are skipped; no header line.
    void read_csv(const Node& at, const std::string& file_name, Table& t) {
        const std::string name = resolve(stack_.back(), file_name);
        auto text = load_(name);
        if (!text) fail(at, fmt::format("table file '{}': {}", name, text.error().text));
        std::string_view csv = *text;
        std::uint64_t line = 0;
        while (!csv.empty()) {
            ++line;
            auto end = csv.find('\n');
            std::string_view row = csv.substr(0, end);
            csv = end == std::string_view::npos ? std::string_view() : csv.substr(end + 1);
            if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
            if (row.empty() || row.front() == '#') continue;
            std::vector<std::string> fields(1);
            bool quoted = false;
            for (std::size_t i = 0; i < row.size(); ++i) {
                const char c = row[i];
                if (quoted) {
                    if (c == '"' && i + 1 < row.size() && row[i + 1] == '"') {
                        fields.back().push_back('"');
                        ++i;
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        fields.back().push_back(c);
                    }
                } else if (c == '"' && fields.back().empty()) {
                    quoted = true;
                } else if (c == ',') {
                    fields.emplace_back();
                } else {
                    fields.back().push_back(c);
                }
            }
            if (quoted) throw FileError{file_error(name, line, "unterminated quoted field")};
            if (fields.size() != 2)
                throw FileError{file_error(name, line, fmt::format("expected two columns (code,value), found {}",
                                                                   fields.size()))};
            if (!t.entries.emplace(fields[0], fields[1]).second)
                throw FileError{file_error(name, line, "a code given twice")};
        }
    }

    static Path path_at(const Node& node, std::string_view what) {
        const std::string& text = rule_file::scalar(node, what);
        auto p = parse_path(text);
        if (!p) fail(node, fmt::format("{}: bad path '{}': {}", what, text, p.error().text));
        return *p;
    }

    // A path a rule writes: not the delimiters, and not [*] for an occurrence that must be single.
    static Path target_at(const Node& node, std::string_view what) {
        Path p = path_at(node, what);
        if (p.field == 0) fail(node, fmt::format("{}: '{}' names a segment; name a field (PID-3) or below", what,
                                                 p.to_string()));
        if (is_header(p.segment) && p.field <= 2)
            fail(node, fmt::format("{}: '{}' is one of the message's delimiters, which rules do not change", what,
                                   p.to_string()));
        return p;
    }

    static Path segment_at(const Node& node, std::string_view what) {
        Path p = path_at(node, what);
        if (p.field != 0) fail(node, fmt::format("{}: '{}' is not a segment (ZPI, OBX[2], OBX[*])", what,
                                                 p.to_string()));
        return p;
    }

    static std::string text_of(const Node& node, std::string_view what) {
        if (node.is_null()) return {};
        return rule_file::scalar(node, what);
    }

    const Node& required(const Node& item, std::string_view key, const Rule& r) {
        const Node* n = item.find(key);
        if (!n) fail(item, fmt::format("{}: missing '{}'", r.name, key));
        return *n;
    }

    void read_include(const Node& node, Rule& r) {
        const std::string name = resolve(stack_.back(), rule_file::scalar(node, "include"));
        if (std::find(stack_.begin(), stack_.end(), name) != stack_.end())
            fail(node, fmt::format("include '{}': an include cycle ({} includes itself)", name, name));
        if (stack_.size() >= kMaxIncludeDepth) fail(node, fmt::format("include '{}': includes nested too deep", name));
        auto text = load_(name);
        if (!text) fail(node, fmt::format("include '{}': {}", name, text.error().text));
        Rule group;
        group.op = Op::include;
        group.name = "include";
        group.file = static_cast<std::uint32_t>(program_.files.size());
        group.line = 0;
        include_line_ = node.line;
        read_file(*text, name, group.when, group.body);
        r.body.push_back(std::move(group));
    }

    Rule read_rule(const Node& item, std::uint32_t file) {
        rule_file::expect_map(item, "a rule is a mapping such as {set: PATH, value: TEXT}");
        Rule r;
        r.file = file;
        r.line = item.line;
        const Node* op_node = nullptr;
        for (const auto& entry : item.entries) {
            const std::string& key = rule_file::scalar(entry.key, "a key");
            for (const auto& op : kOps) {
                if (op.name != key) continue;
                if (op_node)
                    fail(entry.key, fmt::format("a rule has one operation; this one has '{}' and '{}'", r.name, key));
                op_node = &entry.value;
                r.op = op.op;
                r.name = key;
            }
        }
        if (!op_node) {
            const std::string& first = item.entries.empty() ? std::string() : item.entries.front().key.text;
            fail(item, fmt::format("unknown operation '{}' (expected set, copy, move, clear, map, date, concat, split, "
                                   "replace, substring, pad, truncate, add-segment, insert-segment, delete-segment, "
                                   "rename-segment, each or include)",
                                   first));
        }
        const Node& op = *op_node;
        auto keys = [&](std::initializer_list<std::string_view> list) {
            rule_file::check_keys(item, fmt::format("a {} rule", r.name), list);
        };
        switch (r.op) {
        case Op::set: {
            keys({"set", "value", "expr", "when"});
            r.path = target_at(op, "set");
            const Node* value = item.find("value");
            const Node* expr = item.find("expr");
            if (value && expr) fail(*expr, "set: give value or expr, not both");
            if (!value && !expr) fail(item, "set: missing 'value' (or 'expr')");
            if (value) r.value = text_of(*value, "value");
            if (expr) r.expr = detail::parse_expression(rule_file::scalar(*expr, "expr"), expr->line);
            break;
        }
        case Op::copy:
        case Op::move: {
            keys({r.name, "to", "when"});
            r.path = path_at(op, r.name);
            const Node& to = required(item, "to", r);
            r.to = target_at(to, "to");
            if (r.op == Op::move && is_header(r.path.segment) && r.path.field <= 2)
                fail(op, fmt::format("move: '{}' is one of the message's delimiters", r.path.to_string()));
            if (r.path.field == 0) fail(op, fmt::format("{}: '{}' names a segment; name a field or below", r.name,
                                                        r.path.to_string()));
            if ((r.path.occurrence == Path::all && r.to->occurrence != Path::all) ||
                (r.path.repetition == Path::all && r.to->repetition != Path::all))
                fail(to, fmt::format("{}: the source '{}' names several values; the target needs [*] at the same "
                                     "places (values are paired, never joined)",
                                     r.name, r.path.to_string()));
            break;
        }
        case Op::clear:
            keys({"clear", "when"});
            r.path = target_at(op, "clear");
            break;
        case Op::map: {
            keys({"map", "table", "to", "when"});
            r.path = target_at(op, "map");
            const Node& table = required(item, "table", r);
            if (table.is_map()) {
                r.inline_table = std::make_shared<const Table>(read_table(table, "(inline)"));
                r.table = r.inline_table.get();
            } else {
                const std::string& name = rule_file::scalar(table, "table");
                auto it = program_.table_names.find(name);
                if (it == program_.table_names.end())
                    fail(table, fmt::format("map: no table '{}' (define it under tables:)", name));
                r.table = it->second;
            }
            read_to(item, r);
            break;
        }
        case Op::date: {
            keys({"date", "to", "from", "tz", "when"});
            r.path = target_at(op, "date");
            if (r.path.component == 0) r.path.component = 1;  // a TS: its first component is the time
            const Node& to = required(item, "to", r);
            std::string why;
            auto out = detail::compile_date_format(rule_file::scalar(to, "to"), false, why);
            if (!out) fail(to, fmt::format("date: bad date format '{}': {}", to.text, why));
            r.date_to = std::move(*out);
            if (const Node* from = item.find("from")) {
                auto in = detail::compile_date_format(rule_file::scalar(*from, "from"), true, why);
                if (!in) fail(*from, fmt::format("date: bad date format '{}': {}", from->text, why));
                r.date_from = std::move(*in);
            }
            if (const Node* tz = item.find("tz")) {
                r.zone = detail::parse_zone(rule_file::scalar(*tz, "tz"));
                if (!r.zone) fail(*tz, fmt::format("date: tz '{}': expected +HHMM, -HHMM or UTC", tz->text));
            }
            break;
        }
        case Op::concat: {
            keys({"concat", "to", "separator", "when"});
            if (!op.is_sequence()) fail(op, "concat: expected a list of paths");
            for (const Node* n : rule_file::one_or_more(op)) {
                r.paths.push_back(path_at(*n, "concat"));
                if (r.paths.back().field == 0 || r.paths.back().occurrence == Path::all ||
                    r.paths.back().repetition == Path::all)
                    fail(*n, fmt::format("concat: '{}' must name one value", r.paths.back().to_string()));
            }
            r.to = target_at(required(item, "to", r), "to");
            if (const Node* s = item.find("separator")) r.separator = text_of(*s, "separator");
            break;
        }
        case Op::split: {
            keys({"split", "to", "separator", "when"});
            r.path = target_at(op, "split");
            const Node& to = required(item, "to", r);
            for (const Node* n : rule_file::one_or_more(to)) r.paths.push_back(target_at(*n, "to"));
            r.separator = text_of(required(item, "separator", r), "separator");
            if (r.separator.empty()) fail(*item.find("separator"), "split: the separator is empty");
            break;
        }
        case Op::replace: {
            keys({"replace", "regex", "find", "with", "to", "when"});
            r.path = target_at(op, "replace");
            const Node* regex = item.find("regex");
            const Node* find = item.find("find");
            if (regex && find) fail(*find, "replace: give regex or find, not both");
            if (!regex && !find) fail(item, "replace: missing 'regex' (or 'find')");
            if (regex) {
                const std::string& re = rule_file::scalar(*regex, "regex");
                try {
                    r.regex = std::make_shared<const std::regex>(re, std::regex::ECMAScript);
                } catch (const std::regex_error& e) {
                    fail(*regex, fmt::format("replace: bad regex '{}': {}", re, e.what()));
                }
            } else {
                r.find = rule_file::scalar(*find, "find");
                if (r.find.empty()) fail(*find, "replace: find is empty");
            }
            r.value = text_of(required(item, "with", r), "with");
            read_to(item, r);
            break;
        }
        case Op::substring: {
            keys({"substring", "start", "length", "to", "when"});
            r.path = target_at(op, "substring");
            r.start = rule_file::integer(required(item, "start", r), "start", 1, 99999);
            if (const Node* n = item.find("length")) r.length = rule_file::integer(*n, "length", 0, 99999);
            read_to(item, r);
            break;
        }
        case Op::pad:
        case Op::truncate: {
            if (r.op == Op::pad) keys({"pad", "width", "char", "side", "to", "when"});
            else keys({"truncate", "width", "side", "to", "when"});
            r.path = target_at(op, r.name);
            r.width = rule_file::integer(required(item, "width", r), "width", r.op == Op::pad ? 1 : 0, 99999);
            if (const Node* n = item.find("char")) {
                r.pad_char = rule_file::scalar(*n, "char");
                std::size_t chars = 0;
                for (char c : r.pad_char) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                if (chars != 1) fail(*n, "pad: char: expected one character");
            }
            if (r.op == Op::truncate) r.left = false;  // truncate: the side cut, right by default
            if (const Node* n = item.find("side")) {
                static constexpr std::array<std::string_view, 2> kSides = {"left", "right"};
                r.left = rule_file::choice(*n, "side", kSides) == 0;
            }
            read_to(item, r);
            break;
        }
        case Op::add_segment: {
            keys({r.name, "after", "before", "when"});
            r.value = rule_file::scalar(op, r.name);
            const std::string id = r.value.substr(0, std::min(r.value.find('|'), r.value.size()));
            if (id.size() != 3 || is_header(id) || !(id[0] >= 'A' && id[0] <= 'Z') ||
                !std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }))
                fail(op, fmt::format("{}: the segment must start with a segment ID such as ZPI and '|' (not MSH, "
                                     "FHS or BHS)",
                                     r.name));
            if (r.value.find_first_of("\r\n") != std::string::npos)
                fail(op, fmt::format("{}: one segment, without CR or LF", r.name));
            const Node* after = item.find("after");
            const Node* before = item.find("before");
            if (after && before) fail(*before, fmt::format("{}: give after or before, not both", r.name));
            if (after) {
                r.place = Rule::Place::after;
                r.anchor = segment_at(*after, "after");
            } else if (before) {
                r.place = Rule::Place::before;
                r.anchor = segment_at(*before, "before");
                if (r.anchor.occurrence == Path::all)
                    fail(*before, fmt::format("{}: before: name one segment (PV1, OBX[2])", r.name));
                if (r.anchor.segment == "MSH") fail(*before, fmt::format("{}: nothing goes before MSH", r.name));
            }
            break;
        }
        case Op::delete_segment:
            keys({"delete-segment", "when"});
            r.path = segment_at(op, "delete-segment");
            if (r.path.segment == "MSH") fail(op, "delete-segment: MSH starts the message and stays");
            break;
        case Op::rename_segment: {
            keys({"rename-segment", "to", "when"});
            r.path = segment_at(op, "rename-segment");
            if (is_header(r.path.segment))
                fail(op, fmt::format("rename-segment: {} cannot be renamed", r.path.segment));
            const Node& to = required(item, "to", r);
            r.value = rule_file::scalar(to, "to");
            if (r.value.size() != 3 || is_header(r.value) || !is_well_formed_segment_id(r.value))
                fail(to, "rename-segment: to: expected a segment ID such as ZP1 (not MSH, FHS or BHS)");
            break;
        }
        case Op::each: {
            keys({"each", "do", "when"});
            r.path = path_at(op, "each");
            if (r.path.field != 0 && (r.path.component != 0 || (r.path.repetition_given && r.path.repetition != Path::all)))
                fail(op, fmt::format("each: '{}': expected segments (OBX) or a field's repetitions (PID-3[*])",
                                     r.path.to_string()));
            if (r.path.field == 0 && r.path.occurrence_given && r.path.occurrence != Path::all)
                fail(op, fmt::format("each: '{}' names one segment; each: OBX runs over all of them",
                                     r.path.to_string()));
            const Node& body = required(item, "do", r);
            if (!body.is_null()) {
                rule_file::expect_sequence(body, "each: do: expected a list of rules");
                for (const Node& inner : body.items) r.body.push_back(read_rule(inner, file));
            }
            break;
        }
        case Op::include:
            keys({"include", "when"});
            read_include(op, r);
            break;
        }
        if (const Node* when = item.find("when")) r.when = detail::parse_condition(rule_file::scalar(*when, "when"), when->line);
        ++program_.rule_count;
        return r;
    }

    static void read_to(const Node& item, Rule& r) {
        if (const Node* to = item.find("to")) r.to = target_at(*to, "to");
        if (r.to && (r.path.occurrence == Path::all || r.path.repetition == Path::all))
            fail(*item.find("to"), fmt::format("{}: with to:, the source '{}' must name one value (or use each:)",
                                               r.name, r.path.to_string()));
    }

    Program& program_;
    const IncludeLoader& load_;
    std::vector<std::string> stack_;
    std::uint64_t include_line_ = 0;
};

}  // namespace

Result<RuleSet> read_rules(std::string_view text, std::string_view file_name, const IncludeLoader& load) {
    auto program = std::make_shared<Program>();
    Reader reader(*program, load);
    try {
        reader.read_file(text, std::string(file_name), program->when, program->rules);
    } catch (const FileError& e) {
        return e.diagnostic;
    } catch (const rule_file::RuleError& e) {
        return file_error(file_name, e.line(), e.what());
    } catch (const std::exception& e) {
        return file_error(file_name, 0, e.what());
    }
    RuleSet set;
    set.program = std::move(program);
    return set;
}

}  // namespace hl7::map
