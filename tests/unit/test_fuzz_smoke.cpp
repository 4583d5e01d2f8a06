// Property and robustness smoke test: mutated samples through every stage, no crash, round trips.
//
// Stages: splitting, parsing, JSON both ways, views, paths, validation and ACKs. Every message that
// parses must survive ER7 -> JSON -> ER7 -> JSON unchanged.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "hl7/ack.hpp"
#include "hl7/edit.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"
#include "hl7/query.hpp"
#include "hl7/stream.hpp"
#include "hl7/validate.hpp"
#include "common/presentation.hpp"

namespace {

// A small deterministic generator, so a failure can be replayed from its seed.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }
};

std::vector<std::string> sample_files() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(HL7_TEST_DATA)) {
        if (!entry.is_regular_file()) continue;
        auto ext = entry.path().extension();
        if (ext != ".hl7" && ext != ".bin") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

std::string mutate(std::string s, Rng& rng) {
    static const char kInteresting[] = {'|', '^', '~', '\\', '&', '#', '\r', '\n', 0x0B, 0x1C, '"', '\0',
                                        static_cast<char>(0xFF), static_cast<char>(0xC3), 'X', '.', 'M', 'S', 'H'};
    int edits = 1 + static_cast<int>(rng.below(8));
    for (int i = 0; i < edits; ++i) {
        std::size_t pos = rng.below(s.size() + 1);
        switch (rng.below(6)) {
            case 0:
                if (pos < s.size()) s[pos] = static_cast<char>(s[pos] ^ (1 << rng.below(8)));
                break;
            case 1: s.insert(pos, 1, kInteresting[rng.below(sizeof kInteresting)]); break;
            case 2:
                if (pos < s.size()) s.erase(pos, 1 + rng.below(16));
                break;
            case 3: s.resize(pos); break;
            case 4: {  // splice a piece of itself elsewhere
                std::size_t from = rng.below(s.size() + 1);
                std::size_t n = rng.below(64);
                s.insert(pos, s.substr(from, n));
                break;
            }
            default:
                if (pos < s.size()) s[pos] = kInteresting[rng.below(sizeof kInteresting)];
        }
    }
    return s;
}

std::string strip_source(std::string json) {
    auto at = json.rfind(",\"source\":");
    if (at != std::string::npos) json = json.substr(0, at) + "}";
    return json;
}

// Everything a tool might do with one input. Returns the number of messages that parsed.
int exercise(const std::string& input, std::size_t read_size, std::size_t max_read) {
    hl7::StringSource source(input, max_read);
    hl7::ReaderOptions options;
    options.read_size = read_size;
    hl7::MessageReader reader(source, options);
    hl7::StreamItem item;
    hl7::Message message;
    int parsed = 0;
    std::vector<hl7::Path> paths;
    for (const char* p : {"MSH-9.1", "PID-3[*].1", "OBX[*]-5", "PID-5.1.2", "ZZZ[2]-99[3].4.5", "MSH-2"})
        paths.push_back(*hl7::parse_path(p));
    while (reader.next(item)) {
        if (!item.has_message()) continue;
        hl7::Diagnostics notes;
        if (!message.assign(item.text, &notes)) continue;
        ++parsed;
        std::string json;
        hl7::write_json(json, &message, item.header, item.trailer, {}, {}, &notes);
        auto back = hl7::message_from_json(json);
        REQUIRE_MESSAGE(back.ok(), "the JSON we wrote must read back: " << json);
        auto reparsed = hl7::Message::parse_copy(back->er7);
        REQUIRE_MESSAGE(reparsed.ok(), "the ER7 we wrote must parse: " << back->er7);
        std::string json2;
        hl7::write_json(json2, &*reparsed, item.header, item.trailer, {}, {}, nullptr);
        CHECK_MESSAGE(strip_source(json) == strip_source(json2), "round trip changed the message");

        std::string out;
        hl7::write_flat_json(out, message, {}, nullptr);
        hl7::cli::write_tree(message, hl7::Charset::utf8, out);
        std::vector<hl7::cli::Column> columns;
        for (const auto& p : paths) columns.push_back({p, std::nullopt});
        columns.push_back({{}, hl7::cli::PseudoField::type});
        hl7::cli::extract_row(message, columns, {"f", item.index, item.offset, item.line, item.text.size()},
                              hl7::Charset::utf8, "~", out);
        CHECK(!hl7::cli::pretty_json(json, true).empty());
        hl7::AckOptions ack;
        ack.code = hl7::AckCode::AE;
        ack.findings.push_back({paths[0], 102, 'E', "x|y^z"});
        out = hl7::build_ack(message, ack);
        CHECK(hl7::Message::parse(out).ok());
        std::vector<hl7::Finding> findings;
        hl7::validate_message(message, hl7::Charset::utf8, {}, findings);
        hl7::AckOptions validated = hl7::validation_ack(findings);
        CHECK(hl7::Message::parse_copy(hl7::build_ack(message, validated)).ok());
        // A finding's path is empty only for the message as a whole; it never carries control bytes.
        for (const hl7::Finding& f : findings) {
            const std::string path = hl7::finding_path(f);
            CHECK(!path.empty() == (!f.location.segment.empty() || f.segment_index > 0));
            CHECK(std::none_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
        }
        hl7::EditOptions replace;
        replace.unrepresentable = hl7::Unrepresentable::replace;
        hl7::Editor editor(message, replace);
        (void)editor.set_raw(paths[3], "A");
        (void)editor.set(paths[2], "x|y^z\\Łódź\xFF");
        (void)editor.copy(paths[0], paths[3]);
        (void)editor.remove(paths[4]);
        editor.commit();
        out = message.to_er7(hl7::SegmentEndStyle::cr);
        CHECK(hl7::Message::parse(out).ok());
    }
    return parsed;
}

}  // namespace

TEST_CASE("mutated samples: no crash, and parsed messages round-trip through JSON") {
    auto files = sample_files();
    REQUIRE(files.size() >= 20);
    Rng rng{0x5eed1234abcdULL};
    int parsed = 0, inputs = 0;
    for (int round = 0; round < 150; ++round) {
        for (const std::string& original : files) {
            std::string input = mutate(original, rng);
            std::size_t read_size = 16 + rng.below(4096);
            std::size_t max_read = 1 + rng.below(200);
            parsed += exercise(input, read_size, max_read);
            ++inputs;
        }
    }
    MESSAGE(inputs << " mutated inputs, " << parsed << " parsed messages round-tripped");
    CHECK(parsed > inputs / 4);  // the mutations must leave enough parseable input to test anything
}

TEST_CASE("random bytes: no crash") {
    Rng rng{42};
    for (int i = 0; i < 300; ++i) {
        std::string input(rng.below(3000), '\0');
        for (char& c : input) c = static_cast<char>(rng.next());
        if (i % 3 == 0) input.insert(0, "MSH|^~\\&|");
        exercise(input, 16 + rng.below(512), 1 + rng.below(64));
    }
}
