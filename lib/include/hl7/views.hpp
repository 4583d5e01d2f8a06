// Views of messages for people: a tree with one line per field, and a summary of a stream.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"

namespace hl7 {

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

}  // namespace hl7
