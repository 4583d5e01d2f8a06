// One message writer out: a record (a message and the batch lines around it) as ER7, as ER7 in an
// MLLP frame, or as hl7json (full or flat form). Every tool writes through this, so all of them
// write the same bytes for the same record, and a stream read with MessageStream and written back
// in the form it came in is unchanged (for ER7 with `keep`, byte for byte).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"

namespace hl7 {

enum class OutputForm : std::uint8_t {
    json,       // hl7json, one object and a newline per record (NDJSON)
    flat_json,  // the flat form, one object and a newline per record; batch lines alone write nothing
    er7,        // batch header lines, the message, batch trailer lines; segments ended as segment_end says
    mllp,       // the same ER7, batch lines included, in one MLLP frame per record
};

struct WriterOptions {
    OutputForm form = OutputForm::json;
    // ER7 and MLLP: how segments (and batch lines) end. `keep` writes each segment's ending as it
    // was read (batch lines then end in CR). Whatever the style, a message never runs into what
    // follows it: one whose last segment had no ending gets a CR.
    SegmentEndStyle segment_end = SegmentEndStyle::cr;
    JsonWriteOptions json;  // JSON forms: charset override, "source" on or off
};

class MessageWriter {
public:
    explicit MessageWriter(WriterOptions options = {}) : options_(std::move(options)) {}

    // Appends one record to `out`. `message` may be null for batch lines alone. `source` is written
    // as the JSON "source". Problems met decoding values for JSON go to `diagnostics` with their
    // paths. Fails, appending nothing, only for an MLLP frame whose content would hold a start or
    // end block.
    Status write(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                 const std::vector<std::string_view>& batch_trailer, const JsonSource& source = {},
                 Diagnostics* diagnostics = nullptr) const;
    // A stream entry: its batch lines, and as "source" the file named, its index, offset and line.
    Status write(std::string& out, const StreamItem& item, const Message* message, std::string_view file,
                 Diagnostics* diagnostics = nullptr) const {
        return write(out, message, item.header, item.trailer, JsonSource{file, item.index, item.offset, item.line},
                     diagnostics);
    }

    // A stream entry read from hl7json: as "source" the origin its object carried, if any, so that
    // the origin survives `hl7parse F | jq ... | hl7parse`.
    Status write(std::string& out, const StreamItem& item, const Message* message, std::string_view file,
                 const JsonOrigin* origin, Diagnostics* diagnostics = nullptr) const {
        if (!origin) return write(out, item, message, file, diagnostics);
        return write(out, message, item.header, item.trailer,
                     JsonSource{origin->file, origin->index, origin->offset, origin->line}, diagnostics);
    }

    const WriterOptions& options() const { return options_; }

private:
    void write_er7(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                   const std::vector<std::string_view>& batch_trailer) const;

    WriterOptions options_;
};

}  // namespace hl7
