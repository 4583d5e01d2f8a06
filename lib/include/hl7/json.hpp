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

inline constexpr int kJsonFormVersion = 1;

// Where a message came from, written as "source" (omitted when file is empty and index is 0).
struct JsonSource {
    std::string_view file;
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
    std::uint64_t line = 0;
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
    std::string file;  // from "source", if present
    std::uint64_t index = 0;
    std::size_t unmappable = 0;  // characters the message's charset cannot hold, written as '?'
};
Result<JsonMessage> message_from_json(std::string_view json);

// Splits a stream of JSON objects (NDJSON, or pretty-printed objects back to back).
class JsonObjectReader {
public:
    explicit JsonObjectReader(ByteSource& source) : source_(source) {}
    // The next object's text (valid until the next call); false at end of input.
    bool next(std::string_view& object, std::uint64_t& offset, std::uint64_t& line);
    const std::optional<Diagnostic>& error() const { return error_; }

private:
    bool fill();
    ByteSource& source_;
    std::vector<char> data_;
    std::size_t start_ = 0, size_ = 0;
    std::uint64_t base_ = 0, line_ = 1;
    bool eof_ = false;
    std::optional<Diagnostic> error_;
};

}  // namespace hl7
