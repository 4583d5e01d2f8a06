// The JSON form of a message (hl7json version 1): lossless, one message per line (NDJSON), and a
// flat form for quick queries. man/hl7json.7 documents it.
//
//   {"hl7json":1,"segments":[{"id":"PID","fields":["PID",[["1"]],[],[["123","","",["HOSP","1.2.3","ISO"],"MR"]]]}],
//    "source":{"file":"a.hl7","message":1,"offset":0,"line":1}}
//
// fields[N] is field N (fields[0] repeats the segment ID). A field is a list of repetitions (an
// empty field has none); a repetition a list of components; a component a string, null for the
// HL7 null "", or a list of subcomponents when it has several. Strings are decoded UTF-8 in which
// `\` only ever starts an escape sequence with no plain-text equivalent (\.br\, \H\, \Xhh\ for a
// byte invalid in the charset); a literal backslash is \E\. MSH-1 and MSH-2 are literal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/header.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"

namespace hl7 {

// Version 2 writes the HL7 null as the string "\"\"" (the two characters ER7 carries) and reads
// JSON null as empty, so that jq's padding of a list with nulls adds nothing; version 1 (still
// read) wrote the HL7 null as JSON null.
inline constexpr int kJsonFormVersion = 2;

// Where a message came from, written as "source" (omitted when file is empty and index is 0).
struct JsonSource {
    std::string_view file;
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
    std::uint64_t line = 0;
};

// Where a message read from hl7json came from: its object's "source", owned.
struct JsonOrigin {
    std::string file;
    std::uint64_t index = 0;
    std::uint64_t offset = 0, line = 0;  // 0 when the source did not say
};

struct JsonWriteOptions {
    std::optional<Charset> charset;  // overrides MSH-18
    bool include_source = true;
};

// Appends one JSON object (no newline) for a message and the batch lines around it. `message`
// may be null for batch lines without a message. Decoding problems (bad escapes, invalid bytes)
// are appended to `diagnostics` with their paths.
void write_json(std::string& out, const Message* message, const std::vector<std::string_view>& batch_header,
                const std::vector<std::string_view>& batch_trailer, const JsonSource& source,
                const JsonWriteOptions& options, Diagnostics* diagnostics);

// Appends the flat form: {"MSH-9[1].1":"ADT",...} with decoded text; empty values left out.
// Keys: SEG[occ]-F[rep].C, [occ] only from the second occurrence, .S only for components that
// have subcomponents. Not lossless: for quick jq use.
void write_flat_json(std::string& out, const Message& message, const JsonWriteOptions& options,
                     Diagnostics* diagnostics);

// A JSON string literal of `text` (UTF-8), appended.
void append_json_string(std::string& out, std::string_view text);

// A message read back from its JSON form.
struct JsonMessage {
    std::string er7;  // the message, segments ended by CR; empty for batch lines alone
    std::vector<std::string> batch_header;
    std::vector<std::string> batch_trailer;
    bool has_source = false;  // the object had a "source" member; then file and index are from it
    std::string file;
    std::uint64_t index = 0;
    std::uint64_t offset = 0, line = 0;  // 0 when the source does not say
    std::size_t unmappable = 0;  // characters the message's charset cannot hold, written as '?'
};
Result<JsonMessage> message_from_json(std::string_view json);

// One JSON object's text from a stream, and where it was.
// The elements of a JSON array (what `jq -s` makes of NDJSON), each as compact JSON text; an
// error when the text is not a valid array.
Result<std::vector<std::string>> json_array_elements(std::string_view text);

struct JsonObjectText {
    std::string_view text;     // valid until the next call; empty when too large
    std::uint64_t offset = 0;  // stream offset of its first byte
    std::uint64_t line = 0;    // 1-based line of its first byte
    std::uint64_t size = 0;    // its bytes: text.size(), or the whole size when too large
    bool too_large = false;    // larger than the limit: skipped without being kept
};

// Splits a stream of JSON objects: NDJSON, or pretty-printed objects back to back. An object ends
// at its closing brace. So that one damaged line never swallows the objects after it, an object
// also ends (and is handed out as it is, to fail parsing) where it cannot go on as JSON:
//   - at a line end inside a string (JSON strings hold no raw line ends);
//   - before a line that starts with `{` where no value may follow (after a value with no comma
//     between, or where a member name is due).
// Text outside objects is handed out a line at a time. A UTF-8 byte order mark at the start is
// skipped. Memory stays within the size limit: a larger object is scanned to its end and reported
// too_large.
class JsonObjectReader {
public:
    explicit JsonObjectReader(ByteSource& source, std::size_t max_object_size = std::size_t(64) << 20)
        : source_(source), max_object_size_(max_object_size) {}
    // The next object; false at the end of input or on a read error (see error()).
    bool next(JsonObjectText& object);
    const std::optional<Diagnostic>& error() const { return error_; }

private:
    bool fill(std::size_t& scan);
    bool skip_blanks();

    ByteSource& source_;
    std::size_t max_object_size_;
    detail::ByteBuffer data_;
    std::size_t start_ = 0, size_ = 0;  // the object (or what is kept of it) begins at start_
    std::uint64_t base_ = 0, line_ = 1;
    bool eof_ = false;
    bool bom_checked_ = false;
    std::string containers_;  // '{' and '[' open around the scanning position
    std::optional<Diagnostic> error_;
};

}  // namespace hl7
