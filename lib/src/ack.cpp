// ACKs: construction (swapped MSH routing fields, MSA, and ERR in the form the message's version
// uses) and reading (MSA, and ERR in either form, decoded).
#include "hl7/ack.hpp"

#include <fmt/format.h>

#include "hl7/escape.hpp"
#include "hl7/header.hpp"

namespace hl7 {

std::string_view ack_code_name(AckCode code) {
    switch (code) {
        case AckCode::AA: return "AA";
        case AckCode::AE: return "AE";
        case AckCode::AR: return "AR";
        case AckCode::CA: return "CA";
        case AckCode::CE: return "CE";
        case AckCode::CR: return "CR";
    }
    return "AA";
}

std::optional<AckCode> ack_code_from_name(std::string_view name) {
    for (AckCode code : {AckCode::AA, AckCode::AE, AckCode::AR, AckCode::CA, AckCode::CE, AckCode::CR})
        if (ack_code_name(code) == name) return code;
    return std::nullopt;
}

AckOutcome ack_outcome(AckCode code) {
    switch (code) {
        case AckCode::AA:
        case AckCode::CA: return AckOutcome::accepted;
        case AckCode::AE:
        case AckCode::CE: return AckOutcome::error;
        case AckCode::AR:
        case AckCode::CR: return AckOutcome::rejected;
    }
    return AckOutcome::rejected;
}

bool is_commit_code(AckCode code) { return code == AckCode::CA || code == AckCode::CE || code == AckCode::CR; }

std::string_view error_code_text(int code) {
    switch (code) {
        case 0: return "Message accepted";
        case 100: return "Segment sequence error";
        case 101: return "Required field missing";
        case 102: return "Data type error";
        case 103: return "Table value not found";
        case 104: return "Value too long";
        case 200: return "Unsupported message type";
        case 201: return "Unsupported event code";
        case 202: return "Unsupported processing id";
        case 203: return "Unsupported version id";
        case 204: return "Unknown key identifier";
        case 205: return "Duplicate key identifier";
        case 206: return "Application record locked";
        case 207: return "Application internal error";
        default: return "";
    }
}

namespace {

// ERR-2 (ERL): SEG ^ sequence ^ field ^ repetition ^ component ^ subcomponent; empty without a
// segment. The segment ID comes escaped: a malformed one may hold a delimiter.
std::string location_parts(const Path& p, std::string segment, char sep) {
    if (segment.empty()) return "";
    std::vector<std::string> parts{std::move(segment)};
    parts.push_back(std::to_string(p.occurrence > 0 ? p.occurrence : 1));
    if (p.field > 0) {
        parts.push_back(std::to_string(p.field));
        parts.push_back(std::to_string(p.repetition > 0 ? p.repetition : 1));
        if (p.component > 0) parts.push_back(std::to_string(p.component));
        if (p.subcomponent > 0) parts.push_back(std::to_string(p.subcomponent));
    }
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out.push_back(sep);
        out.append(parts[i]);
    }
    return out;
}

}  // namespace

std::string build_ack(const Message& original, const AckOptions& options, Diagnostics* notes) {
    Delimiters d = original.delimiters();
    // A short MSH-2 (no subcomponent separator, say) is kept: the copied fields are valid in the
    // sender's own encoding. Only without a component separator is there nothing to copy.
    bool complete = d.component != 0;
    if (!complete) d = Delimiters{};
    std::string_view msh = original.empty() ? std::string_view("MSH|^~\\&") : original.segment(0);
    auto field = [&](int n) -> std::string_view {
        return complete ? field_text(msh, original.delimiters(), n).value_or("") : std::string_view();
    };
    auto part = [&](int n, int component) -> std::string_view {
        return nth_part(field(n), original.delimiters().component, component).value_or("");
    };
    // A version that cannot be read gets the current forms: whoever sent it is likelier to speak a
    // recent version than 2.1.
    auto note = [&](int field_number, std::string text) {
        if (!notes) return;
        Diagnostic n;
        n.severity = Severity::warning;
        n.code = "ack-header-replaced";
        n.text = std::move(text);
        n.where.segment_id = "MSH";
        n.where.path = fmt::format("MSH-{}", field_number);
        notes->push_back(std::move(n));
    };
    // MSH-12 and MSH-11 as the message has them when they are valid; else values that are.
    VersionReading reading = read_version(part(12, 1));
    bool version_usable = reading.version && reading.version->major == 2;
    VersionId version = version_usable ? *reading.version : VersionId{2, 5, 1, "2.5.1"};
    std::string version_field(field(12));
    if (!version_usable || !reading.adjustments.empty()) {
        version_field = version.text;
        note(12, fmt::format("the ACK's MSH-12 is {}: the message's is {}", version.text,
                             version_usable ? "not written as a version" : "not an HL7 v2 version"));
    }
    std::string_view processing = part(11, 1);
    std::string processing_field(field(11));
    if (processing != "P" && processing != "D" && processing != "T") {
        processing_field = "P";
        note(11, "the ACK's MSH-11 is P: the message's processing ID is not one of P, D, T (HL7 table 0103)");
    }
    bool v25 = version.at_least(2, 5);
    bool has_structure = version.at_least(2, 3, 1);

    auto escaped = [&](std::string_view text) {
        std::string out;
        EscapeStats stats;
        encode_value(text, d, Charset::utf8, TextForm::plain, out, stats);
        return out;
    };

    const char* end = options.segment_end == SegmentEndStyle::lf     ? "\n"
                      : options.segment_end == SegmentEndStyle::crlf ? "\r\n"
                                                                     : "\r";
    // MSH and MSA by plain appends: a receiver builds one ACK per message, and formatting each
    // piece cost more than the rest of the ACK together.
    std::string ack;
    ack.reserve(msh.size() + 64);
    ack += "MSH";
    ack += d.field;
    ack += d.encoding_characters();
    for (std::string_view v : {field(5), field(6), field(3), field(4)}) {
        ack += d.field;
        ack += v;
    }
    ack += d.field;
    ack += escaped(options.timestamp);
    ack += d.field;
    ack += d.field;
    ack += "ACK";
    std::string_view trigger = part(9, 2);
    if (!trigger.empty() || has_structure) {
        ack += d.component;
        ack += trigger;
    }
    if (has_structure) {
        ack += d.component;
        ack += "ACK";
    }
    const std::string control_id = escaped(options.control_id);
    for (std::string_view v : {std::string_view(control_id), std::string_view(processing_field),
                               std::string_view(version_field)}) {
        ack += d.field;
        ack += v;
    }
    ack += end;

    ack += "MSA";
    ack += d.field;
    ack += ack_code_name(options.code);
    ack += d.field;
    ack += field(10);
    if (!options.text.empty()) {
        ack += d.field;
        ack += escaped(options.text);
    }
    ack += end;

    // Before 2.5 the ACK has one optional ERR segment: every finding is a repetition of its ERR-1.
    std::string old_err;
    for (const AckFinding& f : options.findings) {
        std::string code = fmt::format("{}{}{}{}HL70357", f.code, d.component, escaped(error_code_text(f.code)),
                                       d.component);
        if (v25) {
            // ERR-2 location (ERL), ERR-3 code (CWE), ERR-4 severity, ERR-8 user message.
            ack += fmt::format("ERR{}{}{}{}{}{}{}{}", d.field, d.field, location_parts(f.location, escaped(f.location.segment), d.component),
                               d.field, code, d.field, f.severity, std::string(4, d.field));
            ack += escaped(f.text);
            ack += end;
        } else {
            // ERR-1 (ELD): segment ID ^ sequence ^ field position ^ code&text&table.
            if (!old_err.empty()) {
                if (d.repetition == 0) break;  // no repetition separator: the first finding only
                old_err.push_back(d.repetition);
            }
            const Path& l = f.location;
            std::string sequence = l.segment.empty() ? "" : std::to_string(l.occurrence > 0 ? l.occurrence : 1);
            std::string position = l.field > 0 ? std::to_string(l.field) : "";
            old_err += fmt::format("{}{}{}{}{}{}{}", escaped(l.segment), d.component, sequence, d.component, position,
                                   d.component, f.code);
            if (d.subcomponent != 0)  // the code's text and coding system are subcomponents of ERR-1.4
                old_err += fmt::format("{}{}{}HL70357", d.subcomponent, escaped(error_code_text(f.code)), d.subcomponent);
        }
    }
    if (!old_err.empty()) ack += fmt::format("ERR{}{}{}", d.field, old_err, end);
    return ack;
}

// --- reading ------------------------------------------------------------------------------------

namespace {

// A decimal number of at most 9 digits, or nullopt.
std::optional<int> small_number(std::string_view text) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    int n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

bool well_formed_segment_id(std::string_view id) {
    auto upper_or_digit = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    return id.size() == 3 && id[0] >= 'A' && id[0] <= 'Z' && upper_or_digit(id[1]) && upper_or_digit(id[2]);
}

std::string decoded(std::string_view raw, const Delimiters& d, Charset charset) {
    std::string out;
    EscapeStats stats;
    decode_value(raw, d, charset, TextForm::plain, out, stats);
    return out;
}

class AckReader {
public:
    AckReader(const Message& m, Charset charset) : m_(m), d_(m.delimiters()), charset_(charset) {}

    Result<Ack> read() {
        auto msa_index = m_.find_segment("MSA");
        if (!msa_index) return make_error("not-an-ack", "no MSA segment: not an acknowledgment");
        std::string_view msa = m_.segment(*msa_index);
        std::string_view code = field(msa, 1);
        if (auto known = ack_code_from_name(code)) {
            ack_.code = *known;
        } else {
            Location where;
            where.segment_index = static_cast<std::uint32_t>(*msa_index + 1);
            where.segment_id = "MSA";
            where.path = "MSA-1";
            Diagnostic e = make_error("bad-ack-code",
                                      code.empty() ? "MSA-1 (the acknowledgment code) is empty"
                                                   : "MSA-1 is not an acknowledgment code (AA, AE, AR, CA, CE or CR)",
                                      where);
            e.value = text(code);
            return e;
        }
        ack_.acknowledged_id = text(field(msa, 2));
        if (ack_.acknowledged_id.empty())
            note(*msa_index, "MSA-2", "ack-no-control-id", "MSA-2 (the control ID acknowledged) is empty", "");
        ack_.text = text(field(msa, 3));
        ack_.error_condition = coded(first_repetition(field(msa, 6)), d_.component);
        ack_.control_id = text(field(m_.segment(0), 10));

        int err_occurrence = 0;
        for (std::size_t i = 0; i < m_.size(); ++i) {
            if (m_.segment_id(i) != "ERR") continue;
            ++err_occurrence;
            err(i, err_occurrence);
        }
        return std::move(ack_);
    }

private:
    std::string_view field(std::string_view segment, int n) const {
        return field_text(segment, d_, n).value_or(std::string_view());
    }
    std::string_view part(std::string_view text, char separator, int n) const {
        return nth_part(text, separator, n).value_or(std::string_view());
    }
    std::string_view first_repetition(std::string_view field) const { return part(field, d_.repetition, 1); }
    std::string text(std::string_view raw) const { return decoded(raw, d_, charset_); }

    // identifier ^ text ^ coding system, split at `separator` (component, or subcomponent in an ELD).
    AckCodedValue coded(std::string_view raw, char separator) const {
        AckCodedValue v;
        v.identifier = text(part(raw, separator, 1));
        v.text = text(part(raw, separator, 2));
        v.coding_system = text(part(raw, separator, 3));
        return v;
    }

    void note(std::size_t segment_index, std::string path, std::string code, std::string what, std::string_view raw) {
        Diagnostic n;
        n.severity = Severity::warning;
        n.code = std::move(code);
        n.text = std::move(what);
        n.where.segment_index = static_cast<std::uint32_t>(segment_index + 1);
        n.where.segment_id = m_.segment_id(segment_index);
        n.where.path = std::move(path);
        n.value = text(raw);
        ack_.notes.push_back(std::move(n));
    }

    // SEG ^ sequence ^ field [^ repetition ^ component ^ subcomponent]: `parts` of them (6 for an
    // ERL, 3 for an ELD). Nothing given: nullopt, and no note.
    std::optional<Path> location(std::string_view raw, int parts, std::size_t segment_index, const Path& where) {
        bool any = false;
        for (int i = 1; i <= parts; ++i) any = any || !part(raw, d_.component, i).empty();
        if (!any) return std::nullopt;
        std::string_view id = part(raw, d_.component, 1);
        int numbers[5] = {0, 0, 0, 0, 0};  // sequence, field, repetition, component, subcomponent
        bool ok = well_formed_segment_id(id);
        for (int i = 2; ok && i <= parts; ++i) {
            std::string_view n = part(raw, d_.component, i);
            if (n.empty()) continue;
            auto value = small_number(n);
            if (!value) ok = false;
            else numbers[i - 2] = *value;
        }
        if (!ok) {
            note(segment_index, where.to_string(), "ack-bad-location",
                 fmt::format("{}: not a location (segment ID ^ sequence ^ field{})", where.to_string(),
                             parts > 3 ? " ^ repetition ^ component ^ subcomponent" : ""),
                 raw);
            return std::nullopt;
        }
        Path p;
        p.segment = std::string(id);
        p.occurrence = numbers[0] > 0 ? numbers[0] : 1;
        p.occurrence_given = numbers[0] > 1;
        p.field = numbers[1];
        p.repetition = numbers[2] > 0 ? numbers[2] : 1;
        p.repetition_given = numbers[2] > 1;
        p.component = numbers[3];
        p.subcomponent = numbers[4];
        return p;
    }

    // Where a repetition of an ERR field is, for notes: ERR-2, ERR[2]-1[3].
    static Path err_path(int occurrence, int field, int repetition) {
        Path p;
        p.segment = "ERR";
        p.occurrence = occurrence;
        p.occurrence_given = occurrence > 1;
        p.field = field;
        p.repetition = repetition;
        p.repetition_given = repetition > 1;
        return p;
    }

    void err(std::size_t index, int occurrence) {
        std::string_view seg = m_.segment(index);
        std::string_view eld = field(seg, 1);
        bool erl_form = false;
        for (int f = 2, n = field_count(seg, d_); f <= n && !erl_form; ++f) erl_form = !field(seg, f).empty();

        if (!erl_form) {
            // Before 2.5: every ERR-1 repetition is one error.
            int reps = eld.empty() ? 0 : count_parts(eld, d_.repetition);
            for (int r = 1; r <= reps; ++r) {
                std::string_view rep = part(eld, d_.repetition, r);
                if (rep.empty()) continue;
                AckError e;
                e.form = AckErrorForm::eld;
                e.segment_index = index;
                if (count_parts(rep, d_.component) == 1 && !well_formed_segment_id(rep)) {
                    // 2.1 wrote ERR-1 as a code alone.
                    e.code.identifier = text(rep);
                } else {
                    if (auto p = location(rep, 3, index, err_path(occurrence, 1, r))) e.locations.push_back(*p);
                    e.code = coded(part(rep, d_.component, 4), d_.subcomponent);
                }
                ack_.errors.push_back(std::move(e));
            }
            return;
        }

        // 2.5 and later: the segment is one error.
        AckError e;
        e.form = AckErrorForm::erl;
        e.segment_index = index;
        std::string_view erl = field(seg, 2);
        int reps = erl.empty() ? 0 : count_parts(erl, d_.repetition);
        for (int r = 1; r <= reps; ++r)
            if (auto p = location(part(erl, d_.repetition, r), 6, index, err_path(occurrence, 2, r)))
                e.locations.push_back(*p);
        e.code = coded(first_repetition(field(seg, 3)), d_.component);
        // Senders that fill ERR-1 too, for older receivers, may leave ERR-2 or ERR-3 to it.
        if (!eld.empty() && (reps == 0 || e.code.empty())) {
            std::string_view first = first_repetition(eld);
            if (reps == 0)
                if (auto p = location(first, 3, index, err_path(occurrence, 1, 1))) e.locations.push_back(*p);
            if (e.code.empty()) e.code = coded(part(first, d_.component, 4), d_.subcomponent);
        }
        e.severity = text(part(first_repetition(field(seg, 4)), d_.component, 1));
        e.application_code = coded(first_repetition(field(seg, 5)), d_.component);
        e.diagnostic = text(field(seg, 7));
        e.user_message = text(field(seg, 8));
        ack_.errors.push_back(std::move(e));
    }

    const Message& m_;
    const Delimiters& d_;
    Charset charset_;
    Ack ack_;
};

}  // namespace

std::optional<int> AckError::code_number() const { return small_number(code.identifier); }

Result<Ack> parse_ack(const Message& ack, std::optional<Charset> charset) {
    if (ack.empty()) return make_error("not-an-ack", "no MSA segment: not an acknowledgment");
    return AckReader(ack, charset.value_or(declared_charset(ack).charset)).read();
}

std::string acknowledgment_id(const Message& original) {
    if (original.empty()) return {};
    const Delimiters& d = original.delimiters();
    std::string_view raw = field_text(original.segment(0), d, 10).value_or(std::string_view());
    return decoded(raw, d, declared_charset(original).charset);
}

bool acknowledges(const Ack& ack, const Message& original) {
    return !ack.acknowledged_id.empty() && acknowledgment_id(original) == ack.acknowledged_id;
}

}  // namespace hl7
