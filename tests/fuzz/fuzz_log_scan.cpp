// Fuzz target: the mixed-log scanner (hl7anon's reader of untrusted logs). Never crashes; regions
// cover the input contiguously and in order; every message region renders back to its bytes from its
// own ER7; and the regions do not depend on how the input arrives (at once, or in chunks of a size
// the first byte picks, or one byte at a time for short inputs).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/log_scan.hpp"

namespace {

struct Seen {
    hl7::LogRegionKind kind;
    std::string bytes;
    std::uint64_t offset, line;
    hl7::SuspectReason reason;
    std::string er7;
    bool operator==(const Seen&) const = default;
};

std::vector<Seen> scan(std::string_view input, std::size_t chunk) {
    hl7::LogScanOptions options;
    options.max_region_size = 512;  // small, so that oversized regions happen
    options.max_text_size = 256;
    hl7::LogScanner scanner(options);
    hl7::LogRegion region;
    std::vector<Seen> out;
    auto drain = [&] {
        while (scanner.next(region)) {
            Seen s{region.kind, std::string(region.bytes), region.offset, region.line, region.reason, {}};
            if (region.kind == hl7::LogRegionKind::message) {
                s.er7 = region.er7;
                FUZZ_CHECK(hl7::render(region.carrier, region.er7) == region.bytes);
            }
            out.push_back(std::move(s));
        }
    };
    for (std::size_t at = 0; at < input.size(); at += chunk) {
        scanner.feed(input.substr(at, chunk));
        drain();
    }
    scanner.finish();
    drain();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::size_t chunk = 1 + data[0] % 61;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<Seen> whole = scan(input, input.size() ? input.size() : 1);
    std::uint64_t at = 0;
    for (const Seen& s : whole) {
        FUZZ_CHECK(s.offset == at);
        FUZZ_CHECK(!s.bytes.empty());
        FUZZ_CHECK(input.substr(static_cast<std::size_t>(s.offset), s.bytes.size()) == s.bytes);
        at += s.bytes.size();
    }
    FUZZ_CHECK(at == input.size());
    FUZZ_CHECK(scan(input, chunk) == whole);
    if (input.size() < 300) FUZZ_CHECK(scan(input, 1) == whole);
    return 0;
}
