// The one record writer: ER7 with a segment-end style, ER7 in an MLLP frame, hl7json.
#include "hl7/writer.hpp"

#include "hl7/mllp.hpp"

namespace hl7 {

void MessageWriter::write_er7(std::string& out, const Message* message,
                              const std::vector<std::string_view>& batch_header,
                              const std::vector<std::string_view>& batch_trailer) const {
    const SegmentEndStyle style = options_.segment_end;
    const std::string_view end = style == SegmentEndStyle::lf     ? "\n"
                                 : style == SegmentEndStyle::crlf ? "\r\n"
                                                                  : "\r";
    for (std::string_view h : batch_header) out.append(h).append(end);
    if (message && !message->empty()) {
        message->write_er7(out, style);
        // Kept endings, but a message never runs into the next: add the CR it lacked.
        if (out.back() != '\r' && out.back() != '\n') out.push_back('\r');
    }
    for (std::string_view t : batch_trailer) out.append(t).append(end);
}

Status MessageWriter::write(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                            const std::vector<std::string_view>& batch_trailer, const JsonSource& source,
                            Diagnostics* diagnostics) const {
    switch (options_.form) {
        case OutputForm::json:
            write_json(out, message, batch_header, batch_trailer, source, options_.json, diagnostics);
            out.push_back('\n');
            break;
        case OutputForm::flat_json:
            if (!message) break;
            write_flat_json(out, *message, options_.json, diagnostics);
            out.push_back('\n');
            break;
        case OutputForm::er7:
            write_er7(out, message, batch_header, batch_trailer);
            break;
        case OutputForm::mllp: {
            const std::size_t start = out.size();
            append_mllp_begin(out);
            write_er7(out, message, batch_header, batch_trailer);
            std::size_t at = find_mllp_block(std::string_view(out).substr(start + 1));
            if (at != std::string_view::npos) {
                out.resize(start);
                Location where;
                where.byte_offset = at;
                where.has_offset = true;
                return make_error("mllp-block-in-message",
                                  "the message holds an MLLP start or end block and cannot be framed", where);
            }
            append_mllp_end(out);
            break;
        }
    }
    return {};
}

}  // namespace hl7
