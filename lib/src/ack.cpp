// ACK construction: swapped MSH routing fields, MSA, and ERR in the form the message's version uses.
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

std::string location_parts(const Path& p, char sep) {
    std::vector<std::string> parts{p.segment};
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

std::string build_ack(const Message& original, const AckOptions& options) {
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
    VersionId version = read_version(part(12, 1)).version.value_or(VersionId{2, 5, 1, "2.5.1"});
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
    std::string ack;
    ack += fmt::format("MSH{}{}", d.field, d.encoding_characters());
    for (std::string_view v : {field(5), field(6), field(3), field(4)}) ack += fmt::format("{}{}", d.field, v);
    ack += fmt::format("{}{}{}", d.field, escaped(options.timestamp), d.field);
    ack += fmt::format("{}ACK", d.field);
    std::string_view trigger = part(9, 2);
    if (!trigger.empty() || has_structure) ack += fmt::format("{}{}", d.component, trigger);
    if (has_structure) ack += fmt::format("{}ACK", d.component);
    ack += fmt::format("{}{}{}{}{}{}", d.field, escaped(options.control_id), d.field, field(11), d.field, field(12));
    ack += end;

    ack += fmt::format("MSA{}{}{}{}", d.field, ack_code_name(options.code), d.field, field(10));
    if (!options.text.empty()) ack += fmt::format("{}{}", d.field, escaped(options.text));
    ack += end;

    for (const AckFinding& f : options.findings) {
        std::string code = fmt::format("{}{}{}{}HL70357", f.code, d.component, escaped(error_code_text(f.code)),
                                       d.component);
        if (v25) {
            // ERR-2 location (ERL), ERR-3 code (CWE), ERR-4 severity, ERR-8 user message.
            ack += fmt::format("ERR{}{}{}{}{}{}{}{}", d.field, d.field, location_parts(f.location, d.component),
                               d.field, code, d.field, f.severity, std::string(4, d.field));
            ack += escaped(f.text);
        } else {
            // ERR-1 (ELD): segment ID ^ sequence ^ field position ^ code&text&table.
            const Path& l = f.location;
            std::string sequence = l.segment.empty() ? "" : std::to_string(l.occurrence > 0 ? l.occurrence : 1);
            std::string position = l.field > 0 ? std::to_string(l.field) : "";
            ack += fmt::format("ERR{}{}{}{}{}{}{}{}", d.field, l.segment, d.component, sequence, d.component, position,
                               d.component, f.code);
            if (d.subcomponent != 0)  // the code's text and coding system are subcomponents of ERR-1.4
                ack += fmt::format("{}{}{}HL70357", d.subcomponent, escaped(error_code_text(f.code)), d.subcomponent);
        }
        ack += end;
    }
    return ack;
}

}  // namespace hl7
