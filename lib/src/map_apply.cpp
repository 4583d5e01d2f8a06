// hl7map's engine: a rule set applied to one message through the Editor, all or nothing, with the
// effects of each rule recorded for --trace.
#include <algorithm>
#include <fmt/format.h>

#include "hl7/escape.hpp"
#include "hl7/query.hpp"
#include "map_internal.hpp"

namespace hl7::map {

using detail::Condition;
using detail::Expr;
using detail::Op;
using detail::Program;
using detail::Rule;

namespace {

// A segment or repetition that `each` is at: paths inside name it when they leave it out.
struct Binding {
    std::string segment;
    int occurrence = 1;
    int field = 0;  // 0: a segment binding
    int repetition = 1;
    bool gone = false;  // a rule deleted or renamed the segment: the rest of the body skips it
};

// One value read for a text operation: where it is, its raw text, and its unescaped text.
struct Value {
    Path path;
    std::string raw;
    std::string text;
};

bool is_null(std::string_view raw) { return raw == "\"\""; }

// Byte offsets of the first `n` UTF-8 characters' ends, to cut text without splitting a character.
std::size_t char_count(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

std::size_t byte_offset(std::string_view text, std::size_t chars) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            if (seen == chars) return i;
            ++seen;
        }
    }
    return text.size();
}

std::string substring(std::string_view text, int start, int length) {
    const std::size_t from = byte_offset(text, static_cast<std::size_t>(start - 1));
    if (length < 0) return std::string(text.substr(from));
    const std::size_t to = byte_offset(text, static_cast<std::size_t>(start - 1 + length));
    return std::string(text.substr(from, to - from));
}

std::string replace_all(std::string_view text, std::string_view find, std::string_view with) {
    std::string out;
    std::size_t at = 0;
    while (true) {
        const auto hit = text.find(find, at);
        if (hit == std::string_view::npos) break;
        out.append(text.substr(at, hit - at));
        out.append(with);
        at = hit + find.size();
    }
    out.append(text.substr(at));
    return out;
}

class Engine {
public:
    Engine(const Program& program, Message& message, const MapOptions& options)
        : program_(program), message_(message), options_(options), editor_(message, options.edit) {}

    MapOutcome run() {
        if (program_.when && !holds(*program_.when)) {
            outcome_.matched = false;
            return std::move(outcome_);
        }
        const bool ok = run_rules(program_.rules);
        if (!ok) {
            if (saved_) {
                // A `before` insertion committed the edits so far; put the message back as it came.
                auto restored = Message::parse_copy(std::move(*saved_));
                if (restored) message_ = std::move(*restored);
            } else {
                editor_.discard();
            }
            return std::move(outcome_);
        }
        outcome_.changed = editor_.pending() || saved_.has_value();
        editor_.commit();
        return std::move(outcome_);
    }

private:
    // --- rules -----------------------------------------------------------------------------------

    bool run_rules(const std::vector<Rule>& rules) {
        for (const Rule& r : rules) {
            if (!run_rule(r)) return false;
            if (std::any_of(scope_.begin(), scope_.end(), [](const Binding& b) { return b.gone; })) return true;
        }
        return true;
    }

    bool run_rule(const Rule& r) {
        if (r.op == Op::each) return run_each(r);
        if (r.when && !holds(*r.when)) {
            note_skipped(r);
            return true;
        }
        switch (r.op) {
        case Op::include: return run_rules(r.body);
        case Op::set: return run_set(r);
        case Op::copy:
        case Op::move: {
            const Path from = resolve(r.path);
            const Path to = resolve(*r.to);
            Trace t(*this, r, {from, to});
            return checked(r, r.op == Op::copy ? editor_.copy(from, to) : editor_.move(from, to));
        }
        case Op::clear: {
            const Path target = resolve(r.path);
            Trace t(*this, r, {target});
            return checked(r, editor_.clear(target));
        }
        case Op::map: return run_transform(r, [&](const Value& v, std::string& out) { return map_value(r, v, out); });
        case Op::date: return run_transform(r, [&](const Value& v, std::string& out) { return date_value(r, v, out); });
        case Op::replace:
            return run_transform(r, [&](const Value& v, std::string& out) {
                if (!r.regex) {
                    out = replace_all(v.text, r.find, r.value);
                    return true;
                }
                if (v.text.size() > kMaxRegexValue) {
                    warn(r, "value-too-long", fmt::format("'{}' is longer than {} bytes, the most a regex looks at",
                                                          v.path.to_string(), kMaxRegexValue),
                         v.path, v.text);
                    return false;
                }
                out = std::regex_replace(v.text, *r.regex, r.value);
                return true;
            });
        case Op::substring:
            return run_transform(r, [&](const Value& v, std::string& out) {
                out = substring(v.text, r.start, r.length);
                return true;
            });
        case Op::pad:
            return run_transform(r, [&](const Value& v, std::string& out) {
                const std::size_t n = char_count(v.text);
                out = v.text;
                if (n >= static_cast<std::size_t>(r.width)) return true;
                std::string fill;
                for (std::size_t i = n; i < static_cast<std::size_t>(r.width); ++i) fill += r.pad_char;
                out = r.left ? fill + v.text : v.text + fill;
                return true;
            });
        case Op::truncate:
            return run_transform(r, [&](const Value& v, std::string& out) {
                const std::size_t n = char_count(v.text);
                const auto width = static_cast<std::size_t>(r.width);
                if (n <= width) out = v.text;
                else if (r.left) out = v.text.substr(byte_offset(v.text, n - width));
                else out = v.text.substr(0, byte_offset(v.text, width));
                return true;
            });
        case Op::concat: return run_concat(r);
        case Op::split: return run_split(r);
        case Op::add_segment: return run_add_segment(r);
        case Op::delete_segment:
        case Op::rename_segment: return run_segment_edit(r);
        case Op::each: break;
        }
        return true;
    }

    bool run_each(const Rule& r) {
        const Path p = resolve(r.path);
        auto body = [&](Binding b) {
            scope_.push_back(std::move(b));
            bool ok = true;
            if (!r.when || holds(*r.when)) ok = run_rules(r.body);
            else note_skipped(r);
            scope_.pop_back();
            return ok;
        };
        if (p.field == 0) {
            // Segments: rules inside may delete the current one or add more; count again after each.
            Path all;
            all.segment = p.segment;
            all.occurrence = Path::all;
            auto count = [&] {
                found_.clear();
                editor_.find(all, found_);
                return static_cast<int>(found_.size());
            };
            int n = 1;
            int remaining = count();
            if (p.occurrence_given && p.occurrence != Path::all) {
                n = p.occurrence;
                remaining = n <= remaining ? 1 : 0;
            }
            while (remaining-- > 0) {
                const int before = count();
                if (n > before) break;
                if (!body(Binding{p.segment, n, 0, 0})) return false;
                n += 1 + (count() - before);
            }
            return true;
        }
        Path reps = p;
        reps.repetition = Path::all;
        reps.component = reps.subcomponent = 0;
        std::vector<EditValue> values;
        editor_.find(reps, values);
        for (const auto& v : values) {
            if (!body(Binding{p.segment, v.path.occurrence, p.field, v.path.repetition})) return false;
        }
        return true;
    }

    bool run_set(const Rule& r) {
        const Path target = resolve(r.path);
        std::string text;
        if (r.expr) {
            if (!eval(r, *r.expr, text)) return false;
        } else {
            text = r.value;
        }
        Trace t(*this, r, {target});
        return checked(r, write(target, text));
    }

    template <class F>
    bool run_transform(const Rule& r, F&& f) {
        const Path source = resolve(r.path);
        const std::optional<Path> to = r.to ? std::optional<Path>(resolve(*r.to)) : std::nullopt;
        Trace t(*this, r, to ? std::vector<Path>{source, *to} : std::vector<Path>{source});
        std::vector<EditValue> found;
        editor_.find(source, found);
        for (auto& e : found) {
            if (e.raw.empty() || is_null(e.raw)) continue;  // nothing to translate
            Value v;
            if (!leaf(r, std::move(e), v)) return false;
            std::string out;
            if (!f(v, out)) return false;
            if (!to && out == v.text) continue;  // unchanged: leave the bytes as they are
            if (!checked(r, write(to ? *to : v.path, out))) return false;
        }
        return true;
    }

    bool map_value(const Rule& r, const Value& v, std::string& out) {
        const auto it = r.table->entries.find(v.text);
        const std::string* result = nullptr;
        if (it != r.table->entries.end()) result = &it->second;
        else if (r.table->fallback) result = &*r.table->fallback;
        if (!result) {
            warn(r, "no-mapping", fmt::format("the value at '{}' is not in the table, which has no default (\"*\")",
                                              v.path.to_string()),
                 v.path, v.text);
            return false;
        }
        out = *result == "=" ? v.text : *result;
        return true;
    }

    bool date_value(const Rule& r, const Value& v, std::string& out) {
        auto parts = detail::read_date(v.text, r.date_from ? &*r.date_from : nullptr);
        if (!parts) {
            warn(r, "bad-date",
                 fmt::format("the value at '{}' is not a date{}", v.path.to_string(),
                             r.date_from ? " in the from: format" : " (HL7 DTM: YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ])"),
                 v.path, v.text);
            return false;
        }
        if (!convert_zone(r, v, r.zone, *parts)) return false;
        out = detail::format_date(*parts, r.date_to);
        return true;
    }

    // Moves a time to another offset. A calendar date (no time) has no zone and stays as it is.
    bool convert_zone(const Rule& r, const Value& v, std::optional<int> zone, DateTimeParts& parts) {
        if (!zone || parts.precision < DateTimePrecision::hour || !parts.has_date) return true;
        if (!parts.has_offset) {
            warn(r, "no-offset",
                 fmt::format("the time at '{}' has no offset (+/-ZZZZ), so tz: cannot convert it", v.path.to_string()),
                 v.path, v.text);
            return false;
        }
        auto moved = add_seconds(parts, *zone - parts.offset_seconds());
        if (!moved) {
            warn(r, "bad-date", fmt::format("the time at '{}' moves out of the years 0001-9999", v.path.to_string()),
                 v.path, v.text);
            return false;
        }
        parts = *moved;
        const int z = *zone < 0 ? -*zone : *zone;
        parts.has_offset = true;
        parts.offset_sign = *zone < 0 ? '-' : '+';
        parts.offset_hours = z / 3600;
        parts.offset_minutes = z % 3600 / 60;
        return true;
    }

    bool run_concat(const Rule& r) {
        const Path to = resolve(*r.to);
        std::string joined;
        bool first = true;
        for (const Path& source : r.paths) {
            std::string text;
            if (!read_one(r, resolve(source), text)) return false;
            if (text.empty()) continue;
            if (!first) joined += r.separator;
            joined += text;
            first = false;
        }
        Trace t(*this, r, {to});
        return checked(r, write(to, joined));
    }

    bool run_split(const Rule& r) {
        std::string text;
        if (!read_one(r, resolve(r.path), text)) return false;
        if (text.empty()) return true;
        std::vector<Path> targets;
        for (const Path& p : r.paths) targets.push_back(resolve(p));
        Trace t(*this, r, targets);
        std::string_view rest = text;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            std::string_view part = rest;
            if (i + 1 < targets.size()) {
                const auto at = rest.find(r.separator);
                part = rest.substr(0, at);
                rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + r.separator.size());
            } else {
                rest = {};
            }
            if (!checked(r, write(targets[i], part))) return false;
        }
        return true;
    }

    bool run_add_segment(const Rule& r) {
        std::string text;
        if (!segment_text(r, text)) return false;
        const std::string id = r.value.substr(0, 3);
        Path all;
        all.segment = id;
        all.occurrence = Path::all;
        Trace t(*this, r, {all});
        SegmentPosition where = SegmentPosition::at_end();
        if (r.place != Rule::Place::end) {
            const Path anchor = resolve(r.anchor);
            if (r.place == Rule::Place::after) {
                where = anchor.occurrence == Path::all ? SegmentPosition::after_last(anchor.segment)
                                                       : SegmentPosition::after(anchor.segment, anchor.occurrence);
            } else {
                // The editor inserts after a segment; find the one before the anchor in the message
                // as edited so far (hence the commit, undone from saved_ if a later rule fails).
                if (!saved_) saved_ = message_.to_er7();
                editor_.commit();
                const auto index = message_.find_segment(anchor.segment, static_cast<std::size_t>(anchor.occurrence));
                if (!index) {
                    warn(r, "no-segment", fmt::format("cannot insert before '{}': the message has no such segment",
                                                      anchor.to_string()),
                         anchor, {});
                    return false;
                }
                if (*index == 0) {
                    warn(r, "bad-path", "cannot insert before the first segment", anchor, {});
                    return false;
                }
                const std::string_view previous = message_.segment_id(*index - 1);
                int occurrence = 0;
                for (std::size_t i = 0; i < *index; ++i) occurrence += message_.segment_id(i) == previous;
                where = SegmentPosition::after(previous, occurrence);
            }
        }
        auto inserted = editor_.insert_segment(where, text);
        if (!inserted) return checked(r, Status(inserted.error()));
        return true;
    }

    // The rule's segment text (written with |^~\&) in the message's delimiters.
    bool segment_text(const Rule& r, std::string& out) {
        const Delimiters& d = message_.delimiters();
        for (char c : r.value) {
            char mapped = c;
            switch (c) {
            case '|': mapped = d.field; break;
            case '^': mapped = d.component; break;
            case '~': mapped = d.repetition; break;
            case '\\': mapped = d.escape; break;
            case '&': mapped = d.subcomponent; break;
            default:
                if (c != 0 && (c == d.field || c == d.component || c == d.repetition || c == d.escape ||
                               c == d.subcomponent)) {
                    // A plain character of the rule that this message uses as a delimiter.
                    const char letter = c == d.field ? 'F' : c == d.component ? 'S' : c == d.repetition ? 'R'
                                      : c == d.escape ? 'E' : 'T';
                    if (d.escape == 0) {
                        warn(r, "no-separator", "the segment holds a delimiter of the message, which has no escape "
                                                "character to write it with",
                             {}, r.value);
                        return false;
                    }
                    out.push_back(d.escape);
                    out.push_back(letter);
                    out.push_back(d.escape);
                    continue;
                }
            }
            if (mapped == 0) {
                warn(r, "no-separator", fmt::format("the segment uses '{}', which the message's MSH-2 does not have", c),
                     {}, r.value);
                return false;
            }
            out.push_back(mapped);
        }
        return true;
    }

    bool run_segment_edit(const Rule& r) {
        Path p = resolve(r.path);
        if (!p.occurrence_given) p.occurrence = Path::all;  // ZPI: all of them
        std::vector<Path> watched{p};
        if (r.op == Op::rename_segment) {
            Path renamed;
            renamed.segment = r.value;
            renamed.occurrence = Path::all;
            watched.push_back(renamed);
        }
        Trace t(*this, r, watched);
        if (p.occurrence != Path::all) {
            found_.clear();
            Path all = p;
            all.occurrence = Path::all;
            editor_.find(all, found_);
            if (static_cast<std::size_t>(p.occurrence) > found_.size()) return true;  // absent: nothing to do
        }
        if (!checked(r, r.op == Op::delete_segment ? editor_.remove(p) : editor_.rename(p, r.value))) return false;
        for (Binding& b : scope_) {
            if (b.segment == p.segment && (p.occurrence == Path::all || p.occurrence == b.occurrence)) b.gone = true;
        }
        return true;
    }

    // --- values ----------------------------------------------------------------------------------

    Path resolve(Path p) const {
        for (const Binding& b : scope_) {
            if (p.segment != b.segment) continue;
            if (!p.occurrence_given) {
                p.occurrence = b.occurrence;
                p.occurrence_given = true;
            }
            if (b.field != 0 && p.field == b.field && p.occurrence == b.occurrence && !p.repetition_given) {
                p.repetition = b.repetition;
                p.repetition_given = true;
            }
        }
        return p;
    }

    // Reads follow hl7/path.hpp: a field without [rep] reads its first repetition (PID-3 = A holds for
    // A~B), where an edit of the field would take all of it.
    static Path first_repetition(Path p) {
        if (p.field != 0 && !p.repetition_given) {
            p.repetition = 1;
            p.repetition_given = true;
        }
        return p;
    }

    // Text that is empty empties the target and creates nothing; other text is set (escaped).
    Status write(const Path& target, std::string_view text) {
        if (text.empty()) return editor_.clear(target);
        return editor_.set(target, text);
    }

    bool is_composite(std::string_view raw) const {
        const Delimiters& d = message_.delimiters();
        for (char c : raw) {
            if (c != 0 && (c == d.component || c == d.repetition || c == d.subcomponent)) return true;
        }
        return false;
    }

    void decode(std::string_view raw, std::string& out) const {
        EscapeStats stats;
        decode_value(raw, message_.delimiters(), editor_.charset(), TextForm::plain, out, stats);
    }

    // One value for a text operation: a leaf, decoded; a value with separators inside is a warning.
    bool leaf(const Rule& r, EditValue&& e, Value& v) {
        if (is_composite(e.raw)) {
            warn(r, "composite-value",
                 fmt::format("the value at '{}' has parts (components, repetitions); name the part to use",
                             e.path.to_string()),
                 e.path, e.raw);
            return false;
        }
        v.path = std::move(e.path);
        v.raw = std::move(e.raw);
        decode(v.raw, v.text);
        return true;
    }

    // The text of one value (the first the path names); empty when absent, empty or the HL7 null.
    bool read_one(const Rule& r, const Path& path, std::string& text) {
        std::vector<EditValue> found;
        editor_.find(first_repetition(path), found);
        text.clear();
        if (found.empty() || found.front().raw.empty() || is_null(found.front().raw)) return true;
        Value v;
        if (!leaf(r, std::move(found.front()), v)) return false;
        text = std::move(v.text);
        return true;
    }

    bool eval(const Rule& r, const Expr& e, std::string& out) {
        using K = Expr::Kind;
        using F = Expr::Function;
        switch (e.kind) {
        case K::literal: out = e.text; return true;
        case K::path: return read_one(r, resolve(e.path), out);
        case K::concat: {
            out.clear();
            for (const Expr& operand : e.operands) {
                std::string part;
                if (!eval(r, operand, part)) return false;
                out += part;
            }
            return true;
        }
        case K::fallback:
            for (const Expr& operand : e.operands) {
                if (!eval(r, operand, out)) return false;
                if (!out.empty()) return true;
            }
            return true;
        case K::call: {
            std::string in;
            if (!eval(r, e.operands.front(), in)) return false;
            switch (e.function) {
            case F::upper:
                out = in;
                for (char& c : out) if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
                return true;
            case F::lower:
                out = in;
                for (char& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                return true;
            case F::trim: {
                const auto first = in.find_first_not_of(" \t");
                out = first == std::string::npos ? std::string() : in.substr(first, in.find_last_not_of(" \t") - first + 1);
                return true;
            }
            case F::substr: out = substring(in, e.start, e.length); return true;
            case F::replace: out = replace_all(in, e.args[0], e.args[1]); return true;
            case F::fallback_value: out = in.empty() ? e.args[0] : in; return true;
            case F::date: {
                out.clear();
                if (in.empty()) return true;
                auto parts = detail::read_date(in, e.date_from.get());
                if (!parts) {
                    warn(r, "bad-date", "expr: date(): a value that is not a date", {}, in);
                    return false;
                }
                out = detail::format_date(*parts, *e.date_to);
                return true;
            }
            }
            return true;
        }
        }
        return true;
    }

    // --- conditions ------------------------------------------------------------------------------

    bool holds(const Condition& c) {
        using K = Condition::Kind;
        switch (c.kind) {
        case K::all:
            return std::all_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return holds(x); });
        case K::any:
            return std::any_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return holds(x); });
        case K::negate: return !holds(c.children.front());
        default: break;
        }
        std::vector<EditValue> found;
        editor_.find(first_repetition(resolve(c.path)), found);
        if (found.empty()) found.emplace_back();  // absent reads as empty
        for (const auto& v : found) {
            std::string text;
            if (!is_null(v.raw)) {
                if (is_composite(v.raw)) {
                    EscapeStats stats;
                    append_display_value(v.raw, message_.delimiters(), editor_.charset(), text, stats);
                } else {
                    decode(v.raw, text);
                }
            }
            const bool empty = text.empty();
            switch (c.kind) {
            case K::valued:
                if (!empty) return true;
                break;
            case K::is_null:
                if (is_null(v.raw)) return true;
                break;
            case K::equals:
            case K::in:
                for (const std::string& want : c.values) {
                    if (want.empty() ? empty : text == want) return true;
                }
                break;
            default: break;
            }
        }
        return false;
    }

    // --- outcome ---------------------------------------------------------------------------------

    bool checked(const Rule& r, const Status& status) {
        if (status) return true;
        const Diagnostic& e = status.error();
        Diagnostic d = e;
        d.severity = Severity::warning;
        d.text = fmt::format("{}:{}: {}: {}", program_.files[r.file], r.line, r.name, e.text);
        outcome_.warnings.push_back(std::move(d));
        return false;
    }

    void warn(const Rule& r, std::string code, std::string_view what, const Path& path, std::string value) {
        Diagnostic d;
        d.severity = Severity::warning;
        d.code = std::move(code);
        d.text = fmt::format("{}:{}: {}: {}", program_.files[r.file], r.line, r.name, what);
        if (!path.segment.empty()) d.where.path = path.to_string();
        d.value = std::move(value);
        outcome_.warnings.push_back(std::move(d));
    }

    void note_skipped(const Rule& r) {
        if (!options_.trace) return;
        RuleEffect effect;
        effect.file = program_.files[r.file];
        effect.line = r.line;
        effect.operation = r.name;
        effect.skipped = true;
        outcome_.effects.push_back(std::move(effect));
    }

    // Records a rule's effect for --trace: the values at its paths before it ran and after.
    class Trace {
    public:
        Trace(Engine& engine, const Rule& r, std::vector<Path> paths) : engine_(engine) {
            if (!engine.options_.trace) return;
            active_ = true;
            effect_.file = engine.program_.files[r.file];
            effect_.line = r.line;
            effect_.operation = r.name;
            for (const Path& p : paths) effect_.paths.push_back(p.to_string());
            paths_ = std::move(paths);
            before_ = snapshot();
        }
        ~Trace() {
            if (!active_) return;
            auto after = snapshot();
            for (const auto& [path, raw] : before_) {
                auto it = std::find_if(after.begin(), after.end(), [&](const auto& a) { return a.first == path; });
                if (it == after.end()) effect_.values.push_back({path, raw, {}, true, false});
                else if (it->second != raw) effect_.values.push_back({path, raw, it->second, true, true});
            }
            for (const auto& [path, raw] : after) {
                auto it = std::find_if(before_.begin(), before_.end(), [&](const auto& b) { return b.first == path; });
                if (it == before_.end()) effect_.values.push_back({path, {}, raw, false, true});
            }
            engine_.outcome_.effects.push_back(std::move(effect_));
        }
        Trace(const Trace&) = delete;
        Trace& operator=(const Trace&) = delete;

    private:
        std::vector<std::pair<std::string, std::string>> snapshot() const {
            std::vector<std::pair<std::string, std::string>> values;
            std::vector<EditValue> found;
            for (const Path& p : paths_) {
                found.clear();
                engine_.editor_.find(p, found);
                for (auto& v : found) values.emplace_back(v.path.to_string(), std::move(v.raw));
            }
            return values;
        }

        Engine& engine_;
        bool active_ = false;
        RuleEffect effect_;
        std::vector<Path> paths_;
        std::vector<std::pair<std::string, std::string>> before_;
    };

    const Program& program_;
    Message& message_;
    const MapOptions& options_;
    MapOutcome outcome_;
    Editor editor_;
    std::vector<Binding> scope_;
    std::vector<EditValue> found_;
    std::optional<std::string> saved_;  // the message before a mid-way commit
};

}  // namespace

MapOutcome Mapper::apply(Message& message, const MapOptions& options) const {
    if (!rules_.program) return {};
    Engine engine(*rules_.program, message, options);
    return engine.run();
}

}  // namespace hl7::map
