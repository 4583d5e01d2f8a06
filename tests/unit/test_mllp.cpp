// Tests of the MLLP codec: every framing rule under every chunking, the scanner over a growing buffer, the encoder.
#include <doctest/doctest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hl7/mllp.hpp"

using hl7::FrameEnd;
using hl7::MllpEvent;
using hl7::MllpToken;

namespace {

using Kind = MllpEvent::Kind;

struct Ev {
    Kind kind = Kind::frame;
    FrameEnd end = FrameEnd::complete;
    std::uint64_t offset = 0, size = 0;
    std::string message;
    bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
    const char* kinds[] = {"frame", "skipped", "oversized"};
    const char* ends[] = {"complete", "cut_short", "unterminated"};
    return os << "{" << kinds[static_cast<int>(e.kind)] << " " << ends[static_cast<int>(e.end)] << " @" << e.offset
              << " +" << e.size << " '" << e.message << "'}";
}

// doctest prints a vector with this (found by argument-dependent lookup).
std::ostream& operator<<(std::ostream& os, const std::vector<Ev>& events) {
    for (const Ev& e : events) os << e;
    return os;
}

Ev frame(std::uint64_t offset, std::string message, FrameEnd end = FrameEnd::complete) {
    std::uint64_t size = message.size();
    return {Kind::frame, end, offset, size, std::move(message)};
}
Ev skipped(std::uint64_t offset, std::uint64_t size) { return {Kind::skipped, FrameEnd::complete, offset, size, {}}; }
Ev oversized(std::uint64_t offset, std::uint64_t size, FrameEnd end = FrameEnd::complete) {
    return {Kind::oversized, end, offset, size, {}};
}

// A fixed-seed generator, the same on every platform.
struct Lcg {
    std::uint32_t state;
    std::uint32_t next() { return state = state * 1664525u + 1013904223u; }
};

// Ways to cut an input of `size` bytes into chunks: whole, one byte at a time, random sizes.
std::vector<std::vector<std::size_t>> chunkings(std::size_t size) {
    std::vector<std::vector<std::size_t>> all;
    all.push_back({size});
    all.emplace_back(size, 1);
    for (std::uint32_t seed : {1u, 7u, 2024u}) {
        Lcg rng{seed};
        std::vector<std::size_t> cuts;
        for (std::size_t left = size; left > 0;) {
            std::size_t n = std::min<std::size_t>(left, 1 + (rng.next() >> 16) % 13);
            cuts.push_back(n);
            left -= n;
        }
        all.push_back(cuts);
    }
    return all;
}

// Feeds `input` in the given chunks (each copied and then overwritten, so the decoder cannot keep
// a view into it), then finishes; returns every event.
std::vector<Ev> decode(std::string_view input, const std::vector<std::size_t>& cuts,
                       std::size_t max = hl7::kDefaultMaxFrameSize) {
    hl7::MllpDecoder decoder(max);
    std::vector<Ev> out;
    MllpEvent e;
    auto drain = [&] {
        while (decoder.next(e)) out.push_back({e.kind, e.end, e.offset, e.size, e.message});
    };
    std::size_t pos = 0;
    for (std::size_t n : cuts) {
        std::string chunk(input.substr(pos, n));
        decoder.feed(chunk);
        chunk.assign(chunk.size(), '#');
        pos += n;
        CHECK(decoder.offset() == pos);
        drain();
    }
    decoder.finish();
    drain();
    CHECK_FALSE(decoder.in_frame());
    return out;
}

// Checks that every chunking of `input` gives `expected`.
void check_decode(std::string_view input, const std::vector<Ev>& expected, std::size_t max = hl7::kDefaultMaxFrameSize) {
    for (const auto& cuts : chunkings(input.size())) {
        INFO("chunks: ", cuts.size());
        CHECK(decode(input, cuts, max) == expected);
    }
}

const std::string VT = "\x0b", FS = "\x1c";

}  // namespace

TEST_CASE("mllp: one frame, and frames back to back") {
    check_decode(VT + "MSH|A\r" + FS + "\r", {frame(1, "MSH|A\r")});
    check_decode(VT + "A" + FS + "\r" + VT + "BB" + FS + "\r", {frame(1, "A"), frame(5, "BB")});
    check_decode("", {});
}

TEST_CASE("mllp: the CR after the end block may be missing, and is swallowed once when it comes") {
    check_decode(VT + "A" + FS + VT + "B" + FS, {frame(1, "A"), frame(4, "B")});
    // Only the CR right after the end block belongs to the frame; a second one is whitespace.
    check_decode(VT + "A" + FS + "\r\r\n" + VT + "B" + FS + "\r", {frame(1, "A"), frame(7, "B")});
    // A byte other than CR after the end block starts the run outside frames.
    check_decode(VT + "A" + FS + "X" + VT + "B" + FS, {frame(1, "A"), skipped(3, 1), frame(5, "B")});
    check_decode(VT + "A" + FS + "\rX" + VT + "B" + FS, {frame(1, "A"), skipped(4, 1), frame(6, "B")});
}

TEST_CASE("mllp: a frame is complete at its end block, without waiting for the CR") {
    hl7::MllpDecoder decoder;
    MllpEvent e;
    decoder.feed(VT + "MSH|A" + FS);
    REQUIRE(decoder.next(e));
    CHECK(e.kind == Kind::frame);
    CHECK(e.message == "MSH|A");
    CHECK_FALSE(decoder.next(e));
    decoder.feed("\r");  // arrives later: swallowed, nothing reported
    decoder.feed("\n");  // whitespace between frames: silent
    CHECK_FALSE(decoder.next(e));
    decoder.finish();
    CHECK_FALSE(decoder.next(e));
}

TEST_CASE("mllp: bytes outside frames are skipped, one event per run; whitespace-only runs are silent") {
    SUBCASE("between frames") {
        check_decode(VT + "A" + FS + "\r" + "xx\n" + VT + "B" + FS + "\r", {frame(1, "A"), skipped(4, 3), frame(8, "B")});
    }
    SUBCASE("whitespace only: CR, LF, space, tab, NUL") {
        std::string ws("\r\n \t\0\n", 6);
        check_decode(ws + VT + "A" + FS + "\r" + ws + VT + "B" + FS + "\r" + ws,
                     {frame(7, "A"), frame(17, "B")});
    }
    SUBCASE("a run starts at its first byte that is not whitespace and goes on to the next start block") {
        check_decode(VT + "A" + FS + "\r\n\n  zz\n\n" + VT + "B" + FS, {frame(1, "A"), skipped(8, 4), frame(13, "B")});
    }
    SUBCASE("before the first frame and after the last") {
        check_decode("junk" + VT + "A" + FS + "\r" + "tail\n", {skipped(0, 4), frame(5, "A"), skipped(8, 5)});
    }
    SUBCASE("only junk") { check_decode("no frames here\n", {skipped(0, 15)}); }
    SUBCASE("a stray end block outside a frame is a skipped byte") {
        check_decode(FS + "\r" + VT + "A" + FS, {skipped(0, 2), frame(3, "A")});
    }
}

TEST_CASE("mllp: a start block inside a frame cuts it short and begins the next") {
    check_decode(VT + "AB" + VT + "CD" + FS + "\r", {frame(1, "AB", FrameEnd::cut_short), frame(4, "CD")});
    // Back to back start blocks: an empty frame cut short.
    check_decode(VT + VT + "A" + FS, {frame(1, "", FrameEnd::cut_short), frame(2, "A")});
    // A run outside frames is not involved: the new frame starts at once.
    check_decode(VT + "A\rB" + VT + "C" + FS + "\r" + VT + "D" + FS,
                 {frame(1, "A\rB", FrameEnd::cut_short), frame(5, "C"), frame(9, "D")});
}

TEST_CASE("mllp: end of input inside a frame delivers it unterminated") {
    check_decode(VT + "A" + FS + "\r" + VT + "partial\r", {frame(1, "A"), frame(5, "partial\r", FrameEnd::unterminated)});
    check_decode(VT, {frame(1, "", FrameEnd::unterminated)});
}

TEST_CASE("mllp: an empty frame is a frame with an empty message") {
    check_decode(VT + FS + "\r" + VT + "A" + FS + "\r", {frame(1, ""), frame(4, "A")});
}

TEST_CASE("mllp: the size limit") {
    const std::string big(20, 'x');
    SUBCASE("a frame of exactly the limit is whole") {
        check_decode(VT + std::string(8, 'y') + FS + "\r", {frame(1, std::string(8, 'y'))}, 8);
    }
    SUBCASE("one byte more is oversized; the next frame comes through") {
        check_decode(VT + std::string(9, 'y') + FS + "\r" + VT + "A" + FS, {oversized(1, 9), frame(13, "A")}, 8);
    }
    SUBCASE("oversized frames report their whole size and how they ended") {
        check_decode(VT + big + FS + "\r" + VT + big + VT + "ok" + FS + "\r" + VT + big,
                     {oversized(1, 20), oversized(24, 20, FrameEnd::cut_short), frame(45, "ok"),
                      oversized(50, 20, FrameEnd::unterminated)},
                     8);
    }
    SUBCASE("the scanner hands out no byte past the limit") {
        for (const auto& cuts : chunkings(big.size() + 3)) {
            const std::string input = VT + big + FS + "\r";
            hl7::MllpScanner scanner(8);
            std::uint64_t content = 0;
            bool ended = false;
            std::size_t pos = 0;
            for (std::size_t n : cuts) {
                std::string_view chunk = std::string_view(input).substr(pos, n);
                pos += n;
                while (!chunk.empty()) {
                    MllpToken t = scanner.next(chunk);
                    chunk.remove_prefix(t.consumed);
                    if (t.kind == MllpToken::Kind::content) content += t.size;
                    if (t.kind == MllpToken::Kind::frame_end) {
                        ended = true;
                        CHECK(t.oversized);
                        CHECK(t.size == 20);
                    }
                }
            }
            CHECK(content == 8);
            CHECK(ended);
        }
    }
}

TEST_CASE("mllp: encoder and decoder round trip") {
    const std::vector<std::string> messages = {"MSH|^~\\&|A|B\rPID|1\r", "", "MSH|^~\\&|C\r\nPID|2\n", std::string(300, 'z'),
                                               "MSH|^~\\&|D"};
    std::string stream;
    std::vector<Ev> expected;
    for (const auto& m : messages) {
        expected.push_back(frame(stream.size() + 1, m));
        REQUIRE(hl7::append_mllp_frame(stream, m).ok());
    }
    check_decode(stream, expected);

    std::string parts;
    hl7::append_mllp_begin(parts);
    parts += "MSH|X\r";
    hl7::append_mllp_end(parts);
    CHECK(parts == VT + "MSH|X\r" + FS + "\r");
}

TEST_CASE("mllp: the encoder refuses a message holding a framing byte") {
    std::string out = "before";
    auto status = hl7::append_mllp_frame(out, "MSH|A\r" + FS + "PID|1\r");
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == "mllp-block-in-message");
    CHECK(status.error().where.byte_offset == 6);
    CHECK(out == "before");
    CHECK_FALSE(hl7::append_mllp_frame(out, "A" + VT).ok());
    CHECK(hl7::find_mllp_block("plain\rtext") == std::string_view::npos);
    CHECK(hl7::find_mllp_block(std::string(40, 'a') + VT) == 40);
}

TEST_CASE("mllp: the scanner over a caller's growing buffer gives what the decoder gives") {
    // A reader with a buffer of its own gives the scanner all its unconsumed bytes, more each time.
    const std::string input = "lead" + VT + "A\rB" + FS + "\r\n" + "junk" + VT + "C" + VT + "D" + FS + "tail";
    for (const auto& cuts : chunkings(input.size())) {
        hl7::MllpScanner scanner;
        std::string buffer;  // unconsumed bytes
        std::vector<std::string> log;
        std::string content;
        auto run = [&](MllpToken t) {
            using K = MllpToken::Kind;
            switch (t.kind) {
                case K::content: content += buffer.substr(0, t.size); break;
                case K::frame_end:
                    log.push_back("frame@" + std::to_string(t.offset) + ":" + content +
                                  (t.end == FrameEnd::cut_short ? "(cut)" : ""));
                    content.clear();
                    break;
                case K::skipped: log.push_back("skip@" + std::to_string(t.offset) + "+" + std::to_string(t.size)); break;
                case K::trailer: log.push_back("cr@" + std::to_string(t.offset)); break;
                default: break;
            }
            buffer.erase(0, t.consumed);
        };
        std::size_t pos = 0;
        for (std::size_t n : cuts) {
            buffer += input.substr(pos, n);
            pos += n;
            for (;;) {
                MllpToken t = scanner.next(buffer);
                bool progress = t.consumed > 0 || t.kind != MllpToken::Kind::none;
                run(t);
                if (!progress) break;
            }
        }
        for (MllpToken t = scanner.finish(); t.kind != MllpToken::Kind::none; t = scanner.finish()) run(t);
        CHECK(log == std::vector<std::string>{"skip@0+4", "frame@5:A\rB", "cr@9", "skip@11+4", "frame@16:C(cut)",
                                              "frame@18:D", "skip@20+4"});
        CHECK(scanner.offset() == input.size());
    }
}

TEST_CASE("mllp: random streams of framing bytes decode the same however they are cut") {
    // Inputs made mostly of the bytes the rules are about; the events must not depend on the
    // chunking, the content must come out whole (or be reported oversized), and nothing is lost:
    // every byte is in a frame's message, a skipped run, whitespace, or the framing.
    const char alphabet[] = {'\x0b', '\x1c', '\r', '\n', ' ', 'a', 'b', '\x0b', '\x1c', 'a'};
    Lcg rng{99};
    for (int round = 0; round < 300; ++round) {
        std::string input;
        std::size_t length = (rng.next() >> 16) % 60;
        for (std::size_t i = 0; i < length; ++i) input.push_back(alphabet[(rng.next() >> 16) % sizeof alphabet]);
        CAPTURE(round);
        std::size_t max = 1 + (rng.next() >> 16) % 12;
        auto whole = decode(input, {input.size()}, max);
        for (const auto& cuts : chunkings(input.size())) CHECK(decode(input, cuts, max) == whole);
        for (const Ev& e : whole) {
            REQUIRE(e.offset + e.size <= input.size());
            if (e.kind == Kind::frame) {
                CHECK(e.message == input.substr(e.offset, e.size));
                CHECK(e.size <= max);
                CHECK(input[e.offset - 1] == '\x0b');
                CHECK(e.message.find_first_of("\x0b\x1c") == std::string::npos);
            } else if (e.kind == Kind::oversized) {
                CHECK(e.size > max);
            } else {
                CHECK(input.substr(e.offset, e.size).find('\x0b') == std::string::npos);
            }
        }
    }
}
