// Presentation for people and scripts: the tree view, the stream summary, pretty JSON, -f rows.
// Only tools format like this; the library hands them values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"
#include "hl7/error.hpp"
#include "hl7/path.hpp"

namespace hl7::cli {

// Appends one line per non-empty field ("PID-5      DOE^JANE"), repetitions on lines of their own
// ("PID-3[2]"), each segment introduced by its ID and occurrence. Values are shown as decoded
// text in UTF-8; HL7 null shows as "".
void write_tree(const Message& message, Charset charset, std::string& out);

// Counts of a stream's messages by type, event, version and sending facility.
class MessageSummary {
public:
    void add(const Message& message);
    void set_unparseable(std::uint64_t count) { unparseable_ = count; }
    std::uint64_t messages() const { return messages_; }

    // Aligned text, one section per grouping, largest counts first.
    void write_text(std::string& out) const;
    // {"messages":N,"unparseable":N,"type":{...},"event":{...},"version":{...},"sending_facility":{...}}
    void write_json(std::string& out) const;

private:
    std::uint64_t messages_ = 0;
    std::uint64_t unparseable_ = 0;
    std::map<std::string, std::uint64_t> type_, event_, version_, facility_;
};

// Re-indents compact JSON for people; `color` adds ANSI colours in jq's style.
std::string pretty_json(std::string_view compact, bool color);

// Facts about where a message came from rather than what it holds, usable as -f columns:
// @file, @message (its index), @offset, @line, @length (bytes) and @type (MSH-9 as TYPE^EVENT
// or TYPE^EVENT^STRUCTURE, with ^ whatever the message's delimiters).
enum class PseudoField : std::uint8_t { file, message, offset, line, length, type };
std::optional<PseudoField> parse_pseudo_field(std::string_view text);
// The names, for --help and completions.
inline constexpr std::string_view kPseudoFieldNames = "@file @message @offset @line @length @type";

// Where a message was read, for pseudo-fields.
struct MessageOrigin {
    std::string_view file;
    std::uint64_t index = 0, offset = 0, line = 0, length = 0;
};

// One -f column: a path into the message, or a pseudo-field.
struct Column {
    Path path;
    std::optional<PseudoField> pseudo;
};
// "@line" or a path; an error for an unknown pseudo-field or a bad path.
Result<Column> parse_column(std::string_view text);
// The value of a pseudo-field.
std::string pseudo_value(PseudoField field, const Message& message, const MessageOrigin& origin);

// Appends one tab-separated line (no newline) of the values of `columns`; several values of one
// path are joined with `joiner`.
void extract_row(const Message& message, const std::vector<Column>& columns, const MessageOrigin& origin,
                 Charset charset, std::string_view joiner, std::string& out);

// With --each SEG: the columns as they read for each SEG segment of the message, in order, one
// row per segment (each row ends in a newline). A path into SEG without [n] names that segment;
// a path into another segment without [n] names the nearest one before it (the OBR an OBX
// follows, the PID of its patient), else the first. Nothing when the message has no SEG.
void extract_rows_each(const Message& message, std::string_view each, const std::vector<Column>& columns,
                       const MessageOrigin& origin, Charset charset, std::string_view joiner, std::string& out);
// The columns as they read for one segment (index `segment`, 0-based) under the --each rules.
std::vector<Column> columns_for_segment(const Message& message, std::size_t segment, const std::vector<Column>& columns);

// The same as a JSON object keyed by the columns as written; several values become a list;
// @message, @offset, @line and @length are numbers.
void extract_json(const Message& message, const std::vector<Column>& columns, const MessageOrigin& origin,
                  const std::vector<std::string>& names, Charset charset, std::string& out);

}  // namespace hl7::cli
