// Fuzz target: the JSON reader. Never crashes; JSON that reads as a message goes to ER7 and back to
// JSON that reads as the same ER7 (JSON -> ER7 -> JSON -> ER7 is stable).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto first = hl7::message_from_json(text);
    if (!first || first->er7.empty()) return 0;
    auto message = hl7::Message::parse(first->er7);
    if (!message) return 0;  // JSON can describe ER7 whose delimiters do not parse
    std::string json;
    std::vector<std::string_view> header(first->batch_header.begin(), first->batch_header.end());
    std::vector<std::string_view> trailer(first->batch_trailer.begin(), first->batch_trailer.end());
    hl7::write_json(json, &*message, header, trailer, {}, {}, nullptr);
    auto second = hl7::message_from_json(json);
    FUZZ_CHECK(second.ok());
    FUZZ_CHECK(second->er7 == first->er7);
    FUZZ_CHECK(second->batch_header == first->batch_header);
    FUZZ_CHECK(second->batch_trailer == first->batch_trailer);
    return 0;
}
