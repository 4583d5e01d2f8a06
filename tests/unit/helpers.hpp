// Shared helpers for the unit tests: test data files and reading a whole stream into copies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/stream.hpp"

namespace testutil {

inline std::string data_path(std::string_view name) { return std::string(HL7_TEST_DATA) + "/" + std::string(name); }

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string read_data(std::string_view name) { return read_file(data_path(name)); }

// tests/data/*.hl7 (not bad/), sorted by name.
inline std::vector<std::string> hl7_data_files() {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(HL7_TEST_DATA)) {
        if (entry.is_regular_file() && entry.path().extension() == ".hl7") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// A StreamItem whose views have been copied, so it outlives the next call to next().
struct Item {
    std::string text;
    std::vector<std::string> header, trailer;
    std::uint64_t index = 0, offset = 0, line = 0, oversized = 0;
    bool junk = false, framed = false;
    hl7::Diagnostics notes;
    bool has_message() const { return !text.empty() && !junk; }
};

struct ReadAll {
    std::vector<Item> items;
    std::optional<hl7::Diagnostic> error;
    std::uint64_t bytes_read = 0;
};

inline ReadAll read_all(std::string_view data, std::size_t max_read = SIZE_MAX,
                        hl7::ReaderOptions options = hl7::ReaderOptions{}) {
    hl7::StringSource source(data, max_read);
    hl7::MessageReader reader(source, options);
    hl7::StreamItem item;
    ReadAll result;
    while (reader.next(item)) {
        Item copy;
        copy.text = std::string(item.text);
        for (auto h : item.header) copy.header.emplace_back(h);
        for (auto t : item.trailer) copy.trailer.emplace_back(t);
        copy.index = item.index;
        copy.offset = item.offset;
        copy.line = item.line;
        copy.oversized = item.oversized;
        copy.junk = item.junk;
        copy.framed = item.framed;
        copy.notes = item.notes;
        result.items.push_back(std::move(copy));
    }
    result.error = reader.error();
    result.bytes_read = reader.bytes_read();
    return result;
}

inline const hl7::Diagnostic* find_code(const hl7::Diagnostics& list, std::string_view code) {
    for (const auto& d : list)
        if (d.code == code) return &d;
    return nullptr;
}

// The configurations every stream test runs under: reads cut at 1, 2, 3, 7 bytes or not at all,
// with the smallest buffer (16) and the default one.
struct ReadConfig {
    std::size_t max_read;
    std::size_t read_size;
};

inline std::vector<ReadConfig> read_configs() {
    std::vector<ReadConfig> configs;
    for (std::size_t max_read : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(7), std::size_t(SIZE_MAX)}) {
        configs.push_back({max_read, 16});
        configs.push_back({max_read, hl7::ReaderOptions{}.read_size});
    }
    return configs;
}

inline ReadAll read_with(std::string_view data, const ReadConfig& config) {
    hl7::ReaderOptions options;
    options.read_size = config.read_size;
    return read_all(data, config.max_read, options);
}

inline std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

}  // namespace testutil
