// Fuzz target: the ER7 parser. Never crashes; a parsed message re-encodes losslessly, segment by
// segment, and goes through the JSON form and back to the same ER7.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    hl7::Diagnostics notes;
    auto parsed = hl7::Message::parse(text, &notes);
    if (!parsed) return 0;
    hl7::Message& message = *parsed;
    // Unmodified: byte for byte what came in.
    FUZZ_CHECK(message.to_er7(hl7::SegmentEndStyle::keep) == text);
    // Re-encoded from its segments (each replaced by itself): the same bytes, blank lines aside.
    std::string expected;
    for (std::size_t i = 0; i < message.size(); ++i) {
        expected.append(message.segment(i));
        switch (message.segment_end(i)) {
            case hl7::SegmentEnd::cr: expected.push_back('\r'); break;
            case hl7::SegmentEnd::lf: expected.push_back('\n'); break;
            case hl7::SegmentEnd::crlf: expected.append("\r\n"); break;
            case hl7::SegmentEnd::none: break;
        }
    }
    if (!message.had_blank_lines()) FUZZ_CHECK(expected == text);
    for (std::size_t i = 0; i < message.size(); ++i) message.replace_segment(i, std::string(message.segment(i)));
    FUZZ_CHECK(message.to_er7(hl7::SegmentEndStyle::keep) == expected);

    // JSON and back: the ER7 read back re-parses, and its JSON is the JSON we wrote.
    std::string json;
    hl7::write_json(json, &message, {}, {}, {}, {}, nullptr);
    auto back = hl7::message_from_json(json);
    FUZZ_CHECK(back.ok());
    auto reparsed = hl7::Message::parse(back->er7);
    FUZZ_CHECK(reparsed.ok());
    std::string json_again;
    hl7::write_json(json_again, &*reparsed, {}, {}, {}, {}, nullptr);
    FUZZ_CHECK(json_again == json);
    return 0;
}
