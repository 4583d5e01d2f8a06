// Fuzz target: the message stream (hl7/reader.hpp) over ER7, MLLP, batches and hl7json. Never
// crashes; the form, the entries, their messages and problems do not depend on how the bytes arrive.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/reader.hpp"

namespace {

std::vector<std::string> read_all(std::string_view input, std::size_t max_read) {
    hl7::StringSource source(input, max_read);
    hl7::ReaderOptions options;
    options.max_message_size = 4096;
    options.read_size = 4096;
    hl7::MessageStream stream(source, options);
    std::vector<std::string> out;
    while (stream.next()) {
        std::string entry = std::to_string(stream.item().index) + ":" + std::to_string(stream.item().offset) + ":";
        if (const hl7::Message* m = stream.message()) entry += "M:" + m->to_er7(hl7::SegmentEndStyle::keep);
        if (const hl7::Diagnostic* p = stream.problem()) entry += "P:" + p->code + ":" + p->text;
        for (auto h : stream.item().header) entry += "H:" + std::string(h);
        for (auto t : stream.item().trailer) entry += "T:" + std::string(t);
        for (const auto& n : stream.notes()) entry += "N:" + n.code;
        out.push_back(std::move(entry));
    }
    FUZZ_CHECK(!stream.error().has_value());
    out.push_back(std::to_string(static_cast<int>(stream.form())));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::size_t chunk = 1 + data[0] % 61;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<std::string> whole = read_all(input, SIZE_MAX);
    FUZZ_CHECK(read_all(input, chunk) == whole);
    if (input.size() < 512) FUZZ_CHECK(read_all(input, 1) == whole);
    return 0;
}
