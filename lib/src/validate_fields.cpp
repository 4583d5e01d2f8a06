// The validator's field checks: required fields and components, repetitions, lengths, datatype
// formats (OBX-5 by its OBX-2), escapes and charsets, and table values.
#include <fmt/format.h>

#include <algorithm>

#include "hl7/datatypes.hpp"
#include "validate_internal.hpp"

namespace hl7::detail {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

// Characters of a value once decoded (UTF-8 code points; escapes count as what they stand for).
std::size_t MessageValidator::characters(std::string_view raw) {
    EscapeStats stats;
    std::string_view text = decoded(raw, stats);
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

void MessageValidator::fields(std::size_t index) {
    if (!version_) return;  // reported (203): fields are not checked
    // A segment whose ID is not well formed is reported once, as a syntax error: no field checks.
    if (!is_well_formed_segment_id(ids_[index])) return;
    const defs::SegmentDef* def = segment_def(ids_[index]);
    if (!def) {
        bool reported = !unexpected_.empty() && unexpected_[index];
        if (!is_z_segment(ids_[index]) && !reported)
            add(Severity::warning, kSegmentSequence, "unknown-segment", path_of(index),
                static_cast<std::uint32_t>(index + 1),
                fmt::format("segment {} is not defined in version {}", ids_[index], version_->name));
        return;
    }
    std::string_view seg = m_.segment(index);
    bool header = is_header_segment(seg, d_.field);
    std::uint32_t seg_no = static_cast<std::uint32_t>(index + 1);
    // Walk the fields once: field n of a header segment starts after the encoding characters.
    std::string_view rest = seg.substr(std::min(seg.size(), ids_[index].size()));
    std::vector<std::string_view>& values = field_values_;
    values.clear();
    if (header) {
        values.push_back(seg.substr(3, 1));
        rest = seg.substr(4);
        Splitter s{rest, d_.field};
        std::string_view part;
        while (s.next(part)) values.push_back(part);
    } else if (!rest.empty()) {
        Splitter s{rest.substr(1), d_.field};
        std::string_view part;
        while (s.next(part)) values.push_back(part);
    }
    obx_type_ = {};
    if (ids_[index] == "OBX" && values.size() >= 2) obx_type_ = values[1];
    for (std::size_t k = 0; k < def->fields.size(); ++k) {
        const defs::FieldDef& f = def->fields[k];
        int number = static_cast<int>(k + 1);
        std::string_view value = k < values.size() ? values[k] : std::string_view();
        bool present = k < values.size() && !value.empty();
        // A required field of separators alone (PID-5 `^^^^`) carries no value: missing, whatever
        // its datatype. MSH-1 and MSH-2 are the delimiters themselves.
        bool only_separators = present && f.usage == defs::Usage::required && !(header && number <= 2) &&
                               value.find_first_not_of(separators_) == std::string_view::npos;
        if (!present || (only_separators && f.usage == defs::Usage::required)) {
            if (f.usage == defs::Usage::required && !header_checked(index, number, 0, false))
                add(Severity::error, kRequiredMissing, "required", path_of(index, number), seg_no,
                    fmt::format("required field {}missing{}", f.description.empty() ? std::string() : std::string(f.description) + " ",
                                only_separators ? " (it holds only separators)" : ""));
            continue;
        }
        if (header && number <= 2) continue;  // the delimiters, checked by the parser
        if (f.usage == defs::Usage::withdrawn)
            add(Severity::note, kDataType, "withdrawn", path_of(index, number), seg_no,
                fmt::format("field {} is withdrawn in version {}", f.description, version_->name));
        int reps = 0;
        Splitter s{value, d_.repetition};
        std::string_view rep;
        while (s.next(rep)) {
            ++reps;
            if (f.max_repetitions != 0 && reps == f.max_repetitions + 1) {
                add(Severity::error, kDataType, "repetition", path_of(index, number, reps), seg_no,
                    f.max_repetitions == 1
                        ? std::string("field does not repeat")
                        : fmt::format("more than {} repetitions", f.max_repetitions));
            }
            if (rep.empty()) continue;
            // The HL7 null "" is no value: nothing to measure.
            // Bytes first (cheap); characters of the decoded text only when that is over.
            if (f.max_length != 0 && rep.size() > f.max_length && rep != "\"\"" &&
                characters(rep) > f.max_length) {
                add(options_.length_errors ? Severity::error : Severity::warning, kValueTooLong, "length",
                    path_of(index, number, reps), seg_no,
                    fmt::format("value longer than {} character{}", f.max_length, f.max_length == 1 ? "" : "s"),
                    rep);
            }
            std::string_view type = f.datatype;
            if (ids_[index] == "OBX" && number == 5) {
                type = nth_part(obx_type_, d_.component, 1).value_or("");
                if (type.empty()) {
                    // OBX-2 is conditional: required whenever OBX-5 is valued.
                    if (reps == 1)
                        add(Severity::error, kRequiredMissing, "required", path_of(index, 2), seg_no,
                            "OBX-2 (value type) is required when OBX-5 is valued");
                    continue;
                }
            }
            check_value(type, f.table, rep, index, number, reps, 0, 0, 0);
        }
    }
}

// Checks a value of `type` at depth 0 (a repetition), 1 (a component) or 2 (a subcomponent).
void MessageValidator::check_value(std::string_view type, std::uint16_t table, std::string_view raw,
                                   std::size_t index, int field, int rep, int component, int subcomponent, int depth) {
    if (raw == "\"\"") return;  // HL7 null: present, no value to check
    const defs::DatatypeDef* dt = version_ ? datatype(type) : nullptr;
    std::uint32_t seg_no = static_cast<std::uint32_t>(index + 1);
    if (type == "TS" && depth < 2) {
        // A time stamp is DTM^precision; its first component carries the format to check.
        char sep = depth == 0 ? d_.component : d_.subcomponent;
        std::string_view first = nth_part(raw, sep, 1).value_or(raw);
        if (!first.empty()) check_leaf("TS", 0, first, index, field, rep, depth == 0 ? 1 : component,
                                       depth == 0 ? 0 : 1, seg_no);
        return;
    }
    if (dt && !dt->primitive() && depth < 2) {
        char sep = depth == 0 ? d_.component : d_.subcomponent;
        if (table != 0 && (type == "CE" || type == "CWE" || type == "CNE" || type == "CF"))
            check_coded(table, raw, sep, index, field, rep, component, depth);
        Splitter s{raw, sep};
        std::string_view part;
        int n = 0;
        bool any = !raw.empty();
        while (s.next(part)) {
            ++n;
            if (static_cast<std::size_t>(n) > dt->components.size()) break;  // extra components: tolerated
            const defs::FieldDef& c = dt->components[static_cast<std::size_t>(n - 1)];
            if (part.empty()) continue;
            check_value(c.datatype, c.table, part, index, field, rep, depth == 0 ? n : component,
                        depth == 0 ? 0 : n, depth + 1);
        }
        // Required components of a valued composite.
        if (any) {
            for (std::size_t k = static_cast<std::size_t>(n); k < dt->components.size(); ++k) {
                // components past the last one given are empty
                const defs::FieldDef& c = dt->components[k];
                if (c.usage == defs::Usage::required &&
                    !(depth == 0 && header_checked(index, field, static_cast<int>(k + 1), false)))
                    add(Severity::error, kRequiredMissing, "required", 
                        path_of(index, field, rep, depth == 0 ? static_cast<int>(k + 1) : component,
                                depth == 0 ? 0 : static_cast<int>(k + 1)),
                        seg_no, fmt::format("required component {} ({}) missing", k + 1, c.description));
            }
            Splitter again{raw, sep};
            int m = 0;
            while (again.next(part)) {
                ++m;
                if (static_cast<std::size_t>(m) > dt->components.size()) break;
                const defs::FieldDef& c = dt->components[static_cast<std::size_t>(m - 1)];
                if (part.empty() && c.usage == defs::Usage::required &&
                    !(depth == 0 && header_checked(index, field, m, false)))
                    add(Severity::error, kRequiredMissing, "required",
                        path_of(index, field, rep, depth == 0 ? m : component, depth == 0 ? 0 : m), seg_no,
                        fmt::format("required component {} ({}) missing", m, c.description));
            }
        }
        return;
    }
    // A primitive: extra components (subcomponents) are to be ignored, as the standard says of
    // parts a receiver does not expect; the first one is the value.
    if (depth < 2) {
        char sep = depth == 0 ? d_.component : d_.subcomponent;
        if (sep != 0) raw = raw.substr(0, std::min(raw.size(), raw.find(sep)));
        if (raw.empty()) return;
    }
    check_leaf(type, table, raw, index, field, rep, component, subcomponent, seg_no);
}

// A coded element bound to a table: its identifier (component 1) must be in the table when the
// coding system (component 3) is empty or names that table (HL7nnnn); other systems are not
// this table's business.
void MessageValidator::check_coded(std::uint16_t table, std::string_view raw, char sep, std::size_t index,
                                   int field, int rep, int component, int depth) {
    std::string_view code = nth_part(raw, sep, 1).value_or(raw);
    std::string_view system = nth_part(raw, sep, 3).value_or("");
    if (code.empty() || code == "\"\"") return;
    std::string own = fmt::format("HL7{:04}", table);
    if (!system.empty() && system != own) return;
    const defs::TableDef* t = cached_table(table);
    if (!t || t->values.empty() || pattern_value(table, code)) return;
    EscapeStats stats;
    std::string_view text = decoded(code, stats);
    if (t->find(text)) return;
    bool hl7 = t->kind == defs::TableKind::hl7;
    add(hl7 ? Severity::error : Severity::warning, kTableValue, "table",
        path_of(index, field, rep, depth == 0 ? 1 : component, depth == 0 ? 0 : 1),
        static_cast<std::uint32_t>(index + 1),
        fmt::format("code not in {} table {:04}", hl7 ? "HL7" : "user-defined", table), text);
}

// A primitive (or a composite below subcomponent level: checked as text).
void MessageValidator::check_leaf(std::string_view type, std::uint16_t table, std::string_view raw,
                                  std::size_t index, int field, int rep, int component, int subcomponent,
                                  std::uint32_t seg_no) {
    EscapeStats stats;
    std::string_view text = decoded(raw, stats);
    if (stats.bad_escapes)
        add(Severity::warning, kDataType, "escape", path_of(index, field, rep, component, subcomponent), seg_no,
            "malformed escape sequence kept as text", raw);
    if (stats.invalid_bytes) {
        add(Severity::warning, kDataType, "charset", path_of(index, field, rep, component, subcomponent), seg_no,
            fmt::format("byte not valid in {} (kept as \\Xhh\\)", charset_name(charset_)), raw);
    } else if (charset_ == Charset::ascii && !non_ascii_reported_ && text.data() != raw.data() &&
               std::any_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        // Read as UTF-8 (what such senders mean), but said once per message: MSH-18 should name it.
        non_ascii_reported_ = true;
        add(Severity::warning, kDataType, "charset", path_of(index, field, rep, component, subcomponent), seg_no,
            "bytes over 0x7F, but MSH-18 is empty or ASCII (7-bit): read as UTF-8; name the character set in MSH-18");
    }
    if (auto problem = check_primitive(type, text, major_, minor_)) {
        add(Severity::error, kDataType, "datatype", path_of(index, field, rep, component, subcomponent), seg_no,
            fmt::format("{}: {}", type, problem->what), text);
    }
    if (table != 0 && (type == "ID" || type == "IS") && !header_checked(index, field, component, true)) {
        const defs::TableDef* t = cached_table(table);
        if (t && !t->values.empty() && !t->find(text) && !pattern_value(table, text)) {
            bool hl7 = t->kind == defs::TableKind::hl7;
            add(hl7 ? Severity::error : Severity::warning, kTableValue, "table",
                path_of(index, field, rep, component, subcomponent), seg_no,
                fmt::format("value not in {} table {:04}", hl7 ? "HL7" : "user-defined", table), text);
        }
    }
}

// What header() reports about MSH is not reported again by the field checks: the tables of
// MSH-9.1-3 (message type, trigger event, structure), MSH-11.1 (processing ID) and MSH-12.1
// (version), with codes 200-203; and an empty MSH-9 or MSH-9.1 (101 at MSH-9.1).
bool MessageValidator::header_checked(std::size_t index, int field, int component, bool table) {
    if (index != 0) return false;
    if (!table) return field == 9 && component <= 1;
    return (field == 9 && component <= 3) || ((field == 11 || field == 12) && component <= 1);
}

// Values a table gives as patterns rather than lists: 0396 names "HL7nnnn" for HL7 tables and
// "99zzz or L" (z alphanumeric) for local coding systems.
bool MessageValidator::pattern_value(std::uint16_t table, std::string_view v) {
    if (table != 396) return false;
    if (v.size() == 7 && v.substr(0, 3) == "HL7" && std::all_of(v.begin() + 3, v.end(), is_digit)) return true;
    if (v == "L") return true;
    auto alnum = [](char c) { return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z'); };
    return v.size() > 2 && v.substr(0, 2) == "99" && std::all_of(v.begin() + 2, v.end(), alnum);
}

}  // namespace hl7::detail
