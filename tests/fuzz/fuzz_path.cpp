// Fuzz target: the path parser. Never crashes; a parsed path prints to text that parses to the
// same path; lookups with it never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/path.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto path = hl7::parse_path(text);
    if (!path) {
        FUZZ_CHECK(!path.error().text.empty());
        return 0;
    }
    auto again = hl7::parse_path(path->to_string());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->to_string() == path->to_string());
    FUZZ_CHECK(again->segment == path->segment && again->field == path->field &&
               again->occurrence == path->occurrence && again->repetition == path->repetition &&
               again->component == path->component && again->subcomponent == path->subcomponent);
    static const char kMessage[] =
        "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rPID|1||1^^^H&1.2&ISO~2||DOE^J\rOBX|1|NM|A||1\rOBX|2|ST|B||x~y\r";
    auto message = hl7::Message::parse(kMessage);
    FUZZ_CHECK(message.ok());
    std::vector<hl7::PathMatch> matches;
    hl7::find_values(*message, *path, matches);
    for (const auto& m : matches) FUZZ_CHECK(m.segment_index < message->size());
    return 0;
}
