// Fuzz target: the stream splitter (MessageReader). Never crashes; every item is the input's bytes at
// its offset; and what is read does not depend on how the input arrives (one read, reads of a size
// the first byte picks, one byte at a time) nor on the size of the reader's buffer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/stream.hpp"

namespace {

struct Seen {
    std::string text;
    std::vector<std::string> header, trailer;
    std::uint64_t index, offset, line;
    bool junk, framed;
    std::uint64_t oversized;
    std::vector<std::string> notes;  // code@offset

    bool operator==(const Seen&) const = default;
};

std::vector<Seen> read_all(std::string_view input, std::size_t max_read, std::size_t read_size) {
    hl7::StringSource source(input, max_read);
    hl7::ReaderOptions options;
    options.read_size = read_size;
    options.max_message_size = 2048;  // small, so that oversized items happen
    hl7::MessageReader reader(source, options);
    std::vector<Seen> out;
    hl7::StreamItem item;
    while (reader.next(item)) {
        Seen s{std::string(item.text), {}, {}, item.index, item.offset, item.line, item.junk, item.framed,
               item.oversized, {}};
        for (auto h : item.header) s.header.emplace_back(h);
        for (auto t : item.trailer) s.trailer.emplace_back(t);
        for (const auto& n : item.notes) s.notes.push_back(n.code + "@" + std::to_string(n.where.byte_offset));
        out.push_back(std::move(s));
    }
    FUZZ_CHECK(!reader.error().has_value());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::size_t chunk = 1 + data[0] % 97;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<Seen> whole = read_all(input, SIZE_MAX, 4096);
    for (const Seen& s : whole) {
        if (s.oversized || s.text.empty()) continue;
        FUZZ_CHECK(s.offset <= input.size() && input.substr(s.offset, s.text.size()) == s.text);
    }
    FUZZ_CHECK(read_all(input, chunk, 4096) == whole);
    FUZZ_CHECK(read_all(input, SIZE_MAX, 16) == whole);
    if (input.size() < 512) FUZZ_CHECK(read_all(input, 1, 64) == whole);
    return 0;
}
