// Fuzz target: the MLLP decoder fed in random chunkings. Never crashes; the events do not depend on
// how the bytes are cut; each complete frame's message, framed again, decodes to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/mllp.hpp"

namespace {

struct Event {
    int kind, end;
    std::uint64_t offset, size;
    std::string message;
    bool operator==(const Event&) const = default;
};

// Feeds `input` in pieces whose sizes come from `cuts` (cycled), then finishes.
std::vector<Event> decode(std::string_view input, std::string_view cuts, std::size_t max_frame) {
    hl7::MllpDecoder decoder(max_frame);
    std::vector<Event> out;
    hl7::MllpEvent event;
    auto drain = [&] {
        while (decoder.next(event))
            out.push_back({static_cast<int>(event.kind), static_cast<int>(event.end), event.offset, event.size,
                           event.message});
    };
    std::size_t at = 0, k = 0;
    while (at < input.size()) {
        std::size_t n = cuts.empty() ? input.size() : 1 + static_cast<unsigned char>(cuts[k++ % cuts.size()]) % 37;
        n = std::min(n, input.size() - at);
        decoder.feed(input.substr(at, n));
        at += n;
        drain();
    }
    decoder.finish();
    drain();
    FUZZ_CHECK(decoder.offset() == input.size());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    std::string_view cuts(reinterpret_cast<const char*>(data), 4);
    std::string_view input(reinterpret_cast<const char*>(data + 4), size - 4);
    const std::size_t max_frame = 64 + data[0] % 200;  // small, so that oversized frames happen
    std::vector<Event> whole = decode(input, {}, max_frame);
    FUZZ_CHECK(decode(input, cuts, max_frame) == whole);
    if (input.size() < 512) FUZZ_CHECK(decode(input, std::string_view("\0", 1), max_frame) == whole);
    for (const Event& e : whole) {
        if (e.kind != static_cast<int>(hl7::MllpEvent::Kind::frame)) continue;
        FUZZ_CHECK(e.message.size() <= max_frame);
        std::string framed;
        if (!hl7::append_mllp_frame(framed, e.message)) continue;  // holds a block byte: cannot be framed
        std::vector<Event> again = decode(framed, {}, max_frame);
        FUZZ_CHECK(again.size() == 1 && again[0].message == e.message &&
                   again[0].end == static_cast<int>(hl7::FrameEnd::complete));
    }
    return 0;
}
