// Presentation for people and scripts: the tree view, the stream summary, pretty JSON, -f rows.
// Only tools format like this; the library hands them values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"
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

// Appends one tab-separated line (no newline) of the values of `paths`; several values of one
// path are joined with `joiner`.
void extract_row(const Message& message, const std::vector<Path>& paths, Charset charset, std::string_view joiner,
                 std::string& out);

// The same as a JSON object keyed by the paths as written; several values become a list.
void extract_json(const Message& message, const std::vector<Path>& paths, const std::vector<std::string>& names,
                  Charset charset, std::string& out);

}  // namespace hl7::cli
