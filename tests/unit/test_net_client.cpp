// Tests of the MLLP client (MllpSender) against the library's own server run in a thread on
// 127.0.0.1 with port 0: acceptance, ACK checks, retries, timeouts, stops, MLLP2.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/net.hpp"
#include "common/net_client.hpp"
#include "hl7/ack.hpp"
#include "hl7/header.hpp"

using namespace hl7;
using namespace hl7::net;
using namespace std::chrono_literals;

namespace {

std::string test_message(int n) {
    return "MSH|^~\\&|SEND|FAC|RECV|FAC|20240101120000||ADT^A01|MSG" + std::to_string(n) +
           "|P|2.5.1\rPID|1||123^^^H^MR||DOE^JANE\r";
}

// How the test server answers one frame (n counts frames over all connections, from 1).
using Answer = std::function<FrameReply(const Message& message, int n)>;

FrameReply ack_with(const Message& message, AckCode code, std::string_view control_id = {}) {
    AckOptions options;
    options.code = code;
    options.control_id = "ACK1";
    options.timestamp = "20240101120000";
    FrameReply reply;
    reply.message = build_ack(message, options);
    if (!control_id.empty()) {
        std::string original = "|" + std::string(read_header(message).control_id) + "\r";
        auto at = reply.message.find(original);
        if (at != std::string::npos) reply.message.replace(at + 1, original.size() - 2, control_id);
    }
    return reply;
}

class TestServer {
public:
    explicit TestServer(Answer answer) : answer_(std::move(answer)) {
        ServerOptions options;
        options.listen = Endpoint{"127.0.0.1", 0};
        options.handle_signals = false;
        server_ = std::make_unique<MllpServer>(
            options,
            [this](const ConnectionInfo& c, const Frame& f) {
                connections_seen = std::max<std::uint64_t>(connections_seen, c.id);
                auto message = Message::parse(f.message);
                if (!message) return FrameReply{};
                return answer_(*message, ++frames);
            },
            nullptr);
        REQUIRE(server_->open());
        thread_ = std::thread([this] { server_->run(); });
    }
    ~TestServer() {
        server_->stop();
        thread_.join();
    }
    std::uint16_t port() const { return server_->bound().port; }
    std::atomic<int> frames{0};
    std::atomic<std::uint64_t> connections_seen{0};

private:
    Answer answer_;
    std::unique_ptr<MllpServer> server_;
    std::thread thread_;
};

// Sends `count` messages and returns the outcomes in the order they came.
std::vector<DeliveryOutcome> send_all(SenderOptions options, int count) {
    options.handle_signals = false;
    options.jitter_seed = 1;
    std::vector<DeliveryOutcome> outcomes;
    MllpSender sender(options, [&](DeliveryOutcome&& d) { outcomes.push_back(std::move(d)); });
    REQUIRE(sender.prepare());
    std::thread producer([&] {
        for (int i = 1; i <= count; ++i)
            if (!sender.submit(Delivery{test_message(i), static_cast<std::uint64_t>(i), {}})) break;
        sender.finish();
    });
    sender.run();
    producer.join();
    return outcomes;
}

SenderOptions options_for(const TestServer& server) {
    SenderOptions o;
    o.peer = Endpoint{"127.0.0.1", server.port()};
    o.ack_timeout = 2000ms;
    o.backoff = 1ms;
    return o;
}

}  // namespace

TEST_CASE("problem names read back, and the default retry set is the documented one") {
    for (auto p : {SendProblem::connect, SendProblem::tls, SendProblem::timeout, SendProblem::closed,
                   SendProblem::mismatch, SendProblem::garbage, SendProblem::AE, SendProblem::AR, SendProblem::CE,
                   SendProblem::CR})
        CHECK(send_problem_from_name(send_problem_name(p)) == p);
    CHECK_FALSE(send_problem_from_name("none"));
    CHECK_FALSE(send_problem_from_name("ae"));
    ProblemSet d = ProblemSet::default_retried();
    for (auto p : {SendProblem::connect, SendProblem::timeout, SendProblem::closed, SendProblem::mismatch,
                   SendProblem::garbage, SendProblem::AR, SendProblem::CR})
        CHECK(d.has(p));
    for (auto p : {SendProblem::tls, SendProblem::AE, SendProblem::CE}) CHECK_FALSE(d.has(p));
}

TEST_CASE("messages acknowledged with AA are accepted in order over one kept connection") {
    TestServer server([](const Message& m, int) { return ack_with(m, AckCode::AA); });
    auto outcomes = send_all(options_for(server), 5);
    REQUIRE(outcomes.size() == 5);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        CHECK(outcomes[i].tag == i + 1);
        CHECK(outcomes[i].status == DeliveryStatus::accepted);
        CHECK(outcomes[i].attempts == 1);
        CHECK(outcomes[i].connection == 1);
        REQUIRE(outcomes[i].ack);
        CHECK(outcomes[i].ack->acknowledged_id == "MSG" + std::to_string(i + 1));
    }
    CHECK(server.connections_seen == 1);
}

TEST_CASE("an ACK naming another message is a mismatch: the connection is dropped each time, then failed") {
    TestServer server([](const Message& m, int) { return ack_with(m, AckCode::AA, "OTHER"); });
    SenderOptions o = options_for(server);
    o.retries = 2;
    auto outcomes = send_all(o, 3);
    REQUIRE(outcomes.size() == 3);
    CHECK(outcomes[0].status == DeliveryStatus::failed);
    CHECK(outcomes[0].problem == SendProblem::mismatch);
    CHECK(outcomes[0].attempts == 3);
    CHECK(outcomes[0].connection == 3);  // never reused after a mismatch
    // A failure stops the run: the others were never attempted.
    CHECK(outcomes[1].status == DeliveryStatus::not_sent);
    CHECK(outcomes[2].status == DeliveryStatus::not_sent);
    CHECK(server.frames == 3);
}

TEST_CASE("without the control-ID check, the same ACK is accepted") {
    TestServer server([](const Message& m, int) { return ack_with(m, AckCode::AA, "OTHER"); });
    SenderOptions o = options_for(server);
    o.check_control_id = false;
    auto outcomes = send_all(o, 2);
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[1].status == DeliveryStatus::accepted);
}

TEST_CASE("AE is final and the run goes on; AR is retried until the receiver accepts") {
    SUBCASE("AE") {
        TestServer server([](const Message& m, int n) { return ack_with(m, n == 1 ? AckCode::AE : AckCode::AA); });
        auto outcomes = send_all(options_for(server), 2);
        REQUIRE(outcomes.size() == 2);
        CHECK(outcomes[0].status == DeliveryStatus::rejected);
        CHECK(outcomes[0].problem == SendProblem::AE);
        CHECK(outcomes[0].attempts == 1);
        CHECK(outcomes[1].status == DeliveryStatus::accepted);
        CHECK(outcomes[1].connection == 1);  // a NAK leaves the connection in step
    }
    SUBCASE("AR twice, then AA") {
        TestServer server([](const Message& m, int n) { return ack_with(m, n <= 2 ? AckCode::AR : AckCode::AA); });
        auto outcomes = send_all(options_for(server), 1);
        REQUIRE(outcomes.size() == 1);
        CHECK(outcomes[0].status == DeliveryStatus::accepted);
        CHECK(outcomes[0].attempts == 3);
    }
    SUBCASE("AE retried when asked, AR final when asked") {
        TestServer server([](const Message& m, int) { return ack_with(m, AckCode::AR); });
        SenderOptions o = options_for(server);
        o.retried.remove(SendProblem::AR);
        auto outcomes = send_all(o, 1);
        REQUIRE(outcomes.size() == 1);
        CHECK(outcomes[0].status == DeliveryStatus::rejected);
        CHECK(outcomes[0].attempts == 1);
    }
}

TEST_CASE("no reply within the ACK timeout fails with timeout, and the connection is not reused") {
    TestServer server([](const Message&, int) { return FrameReply{}; });
    SenderOptions o = options_for(server);
    o.ack_timeout = 100ms;
    o.retries = 1;
    auto start = std::chrono::steady_clock::now();
    auto outcomes = send_all(o, 1);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].status == DeliveryStatus::failed);
    CHECK(outcomes[0].problem == SendProblem::timeout);
    CHECK(outcomes[0].attempts == 2);
    CHECK(outcomes[0].connection == 2);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);  // bounded by the timeouts, not by the 30 s default
}

TEST_CASE("a receiver that closes the connection after each reply gets the next message on a new one, uncounted") {
    TestServer server([](const Message& m, int) {
        FrameReply r = ack_with(m, AckCode::AA);
        r.close = true;
        return r;
    });
    auto outcomes = send_all(options_for(server), 3);
    REQUIRE(outcomes.size() == 3);
    for (const auto& o : outcomes) {
        CHECK(o.status == DeliveryStatus::accepted);
        CHECK(o.attempts == 1);
    }
    CHECK(outcomes[2].connection == 3);
}

TEST_CASE("nothing listening: connect fails, retried, and no connection is ever made") {
    std::uint16_t port = 0;
    {
        TestServer gone([](const Message& m, int) { return ack_with(m, AckCode::AA); });
        port = gone.port();
    }
    SenderOptions o;
    o.peer = Endpoint{"127.0.0.1", port};
    o.retries = 1;
    o.backoff = 1ms;
    o.handle_signals = false;
    std::vector<DeliveryOutcome> outcomes;
    MllpSender sender(o, [&](DeliveryOutcome&& d) { outcomes.push_back(std::move(d)); });
    REQUIRE(sender.prepare());
    REQUIRE(sender.submit(Delivery{test_message(1), 1, {}}));
    sender.finish();
    sender.run();
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].status == DeliveryStatus::failed);
    CHECK(outcomes[0].problem == SendProblem::connect);
    CHECK(outcomes[0].attempts == 2);
    CHECK_FALSE(sender.ever_connected());
}

TEST_CASE("MLLP release 2: the commit block is acceptance, a negative one is retried like AR") {
    TestServer server([](const Message&, int n) { return FrameReply{n == 1 ? "\x15" : "\x06", false}; });
    SenderOptions o = options_for(server);
    o.mllp2 = true;
    auto outcomes = send_all(o, 2);
    REQUIRE(outcomes.size() == 2);
    CHECK(outcomes[0].status == DeliveryStatus::accepted);
    CHECK(outcomes[0].attempts == 2);
    CHECK(outcomes[1].status == DeliveryStatus::accepted);
    CHECK_FALSE(outcomes[1].ack);
}

TEST_CASE("a reply that is no acknowledgment is garbage") {
    TestServer server([](const Message&, int) { return FrameReply{"MSH|^~\\&|X\rPID|1\r", false}; });
    SenderOptions o = options_for(server);
    o.retries = 0;
    auto outcomes = send_all(o, 1);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].status == DeliveryStatus::failed);
    CHECK(outcomes[0].problem == SendProblem::garbage);
}

TEST_CASE("--no-ack: written is enough") {
    TestServer server([](const Message&, int) { return FrameReply{}; });
    SenderOptions o = options_for(server);
    o.wait_for_ack = false;
    auto outcomes = send_all(o, 3);
    REQUIRE(outcomes.size() == 3);
    for (const auto& d : outcomes) CHECK(d.status == DeliveryStatus::sent);
}

TEST_CASE("TLS set-up errors come from prepare(), before any message") {
    SenderOptions o;
    o.peer = Endpoint{"127.0.0.1", 1};
    o.tls.enabled = true;
    o.tls.ca_file = "/nonexistent/ca.pem";
    MllpSender sender(o, [](DeliveryOutcome&&) {});
    auto s = sender.prepare();
    REQUIRE_FALSE(s);
    CHECK(s.error().code == "tls-setup");
    o.tls.ca_file.clear();
    o.tls.cert_file = "x.pem";
    MllpSender half(o, [](DeliveryOutcome&&) {});
    CHECK_FALSE(half.prepare());
}

TEST_CASE("pipelined (window 4): replies matched in order; a NAK in the middle stays one message's") {
    TestServer server([](const Message& m, int n) { return ack_with(m, n == 3 ? AckCode::AE : AckCode::AA); });
    SenderOptions o = options_for(server);
    o.window = 4;
    auto outcomes = send_all(o, 10);
    REQUIRE(outcomes.size() == 10);
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        CAPTURE(i);
        CHECK(outcomes[i].tag == i + 1);
        CHECK(outcomes[i].status == (i == 2 ? DeliveryStatus::rejected : DeliveryStatus::accepted));
        CHECK(outcomes[i].attempts == 1);
        CHECK(outcomes[i].connection == 1);
    }
}

TEST_CASE("pipelined: a mismatch drops the connection, and every message behind it is sent again") {
    std::atomic<int> mismatches{0};
    TestServer server([&](const Message& m, int n) {
        if (n == 2) {
            ++mismatches;
            return ack_with(m, AckCode::AA, "OTHER");
        }
        return ack_with(m, AckCode::AA);
    });
    SenderOptions o = options_for(server);
    o.window = 4;
    o.handle_signals = false;
    std::vector<DeliveryOutcome> outcomes;
    MllpSender sender(o, [&](DeliveryOutcome&& d) { outcomes.push_back(std::move(d)); });
    REQUIRE(sender.prepare());
    // All four queued before the run: the first batch is the whole window.
    for (int i = 1; i <= 4; ++i) REQUIRE(sender.submit(Delivery{test_message(i), static_cast<std::uint64_t>(i), {}}));
    sender.finish();
    sender.run();
    REQUIRE(outcomes.size() == 4);
    CHECK(outcomes[0].status == DeliveryStatus::accepted);
    CHECK(outcomes[0].attempts == 1);
    for (std::size_t i = 1; i < 4; ++i) {
        CAPTURE(i);
        CHECK(outcomes[i].status == DeliveryStatus::accepted);
        CHECK(outcomes[i].attempts == 2);
        CHECK(outcomes[i].connection == 2);
    }
    CHECK(mismatches == 1);
}
