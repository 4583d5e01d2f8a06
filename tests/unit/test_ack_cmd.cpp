// Tests of --ack-cmd: running a command with a deadline, and checking that its output is this message's ACK.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/ack_cmd.hpp"

using hl7::cli::ack_from_output;
using hl7::cli::run_command;
using namespace std::chrono_literals;

namespace {
const std::string kAck = "MSH|^~\\&|R|RF|S|SF|20240101||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|MSG1\r";
}

TEST_CASE("ack_from_output takes an ACK in CR, LF or CRLF, framed or not") {
    for (const std::string& out : std::vector<std::string>{kAck, kAck + "\n", std::string("\x0b") + kAck + "\x1c\r",
                            "MSH|^~\\&|R|RF|S|SF|20240101||ACK^A01^ACK|A1|P|2.5.1\nMSA|AA|MSG1\n",
                            "MSH|^~\\&|R|RF|S|SF|20240101||ACK^A01^ACK|A1|P|2.5.1\r\nMSA|AA|MSG1\r\n\r\n"}) {
        CAPTURE(out);
        auto ack = ack_from_output(out, "MSG1");
        REQUIRE(ack);
        CHECK(*ack == kAck);
    }
    auto ae = ack_from_output("MSH|^~\\&|R||S||1||ACK|A1|P|2.5.1\rMSA|AE|MSG1^X\rERR|||207|E\r", "MSG1");
    CHECK(ae);
}

TEST_CASE("ack_from_output refuses what is not this message's ACK") {
    for (auto [out, id] : {std::pair<std::string, std::string>{"", "MSG1"},
                           {"\n\n", "MSG1"},
                           {"hello\n", "MSG1"},
                           {kAck, "MSG2"},
                           {"MSH|^~\\&|R|RF|S|SF|1||ACK|A1|P|2.5.1\r", "MSG1"},
                           {"MSH|^~\\&|R|RF|S|SF|1||ACK|A1|P|2.5.1\rMSA|OK|MSG1\r", "MSG1"},
                           {kAck + kAck, "MSG1"},
                           {"MSH|^~\\&|R\x0b|RF|S|SF|1||ACK|A1|P|2.5.1\rMSA|AA|MSG1\r", "MSG1"}}) {
        CAPTURE(out);
        auto ack = ack_from_output(out, id);
        REQUIRE_FALSE(ack);
        CHECK(ack.error().code == "bad-ack");
        CHECK(ack.error().text.find("MSG") == std::string::npos);  // never the output's content
    }
}

TEST_CASE("run_command: input on stdin, output captured, exit status") {
    auto r = run_command("tr a-z A-Z; exit 3", "msh|abc", 5s, 1024);
    CHECK(r.started);
    CHECK(r.finished());
    CHECK(r.output == "MSH|ABC");
    CHECK(r.exit_status == 3);
    auto big = run_command("cat", std::string(300000, 'x'), 5s, 1 << 20);  // more than a pipe holds
    CHECK(big.finished());
    CHECK(big.output.size() == 300000);
    auto deaf = run_command("exec 0<&-; echo done", std::string(300000, 'x'), 5s, 1024);  // does not read
    CHECK(deaf.finished());
    CHECK(deaf.output == "done\n");
}

TEST_CASE("run_command: timeouts, too much output and signals end the command") {
    auto t0 = std::chrono::steady_clock::now();
    auto slow = run_command("sleep 5 & sleep 5", "", 200ms, 1024);
    CHECK(slow.timed_out);
    CHECK_FALSE(slow.finished());
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(slow.describe(200ms) == "timed out after 200 ms");
    auto chatty = run_command("yes", "", 5s, 1000);
    CHECK(chatty.too_long);
    CHECK(chatty.output.size() == 1000);
    auto killed = run_command("kill -9 $$", "", 5s, 1024);
    CHECK(killed.signal == 9);
    CHECK(killed.describe(5s) == "killed by signal 9");
    auto missing = run_command("/nonexistent/command", "", 5s, 1024);
    CHECK(missing.finished());
    CHECK(missing.exit_status == 127);
}
