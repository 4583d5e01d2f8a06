// Tests of the network layer: ADDR:PORT parsing, and the server's deferred replies over loopback.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/net.hpp"

using hl7::net::parse_endpoint;

TEST_CASE("parse_endpoint reads IPv4, names and bracketed IPv6 with a port") {
    auto a = parse_endpoint("127.0.0.1:2575");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 2575);
    CHECK(a->to_string() == "127.0.0.1:2575");
    auto b = parse_endpoint("[::1]:0");
    REQUIRE(b);
    CHECK(b->host == "::1");
    CHECK(b->port == 0);
    CHECK(b->to_string() == "[::1]:0");
    auto c = parse_endpoint("localhost:65535");
    REQUIRE(c);
    CHECK(c->port == 65535);
}

TEST_CASE("parse_endpoint refuses what is not ADDR:PORT") {
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":2575", "127.0.0.1:65536", "127.0.0.1:x", "127.0.0.1:25 ",
                            "::1:2575", "[]:2575", "127.0.0.1:-1"}) {
        CAPTURE(bad);
        auto e = parse_endpoint(bad);
        REQUIRE_FALSE(e);
        CHECK(e.error().code == "bad-endpoint");
    }
}

// Deferred replies over a real socket on 127.0.0.1: the server runs in a thread.
namespace {

int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

void send_frames(int fd, const std::vector<std::string>& messages) {
    std::string out;
    for (const auto& m : messages) out += "\x0b" + m + "\x1c\r";
    REQUIRE(::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size()));
}

// The messages of `count` reply frames, in the order they came.
std::vector<std::string> read_replies(int fd, std::size_t count) {
    std::vector<std::string> replies;
    std::string buffer;
    char chunk[4096];
    while (replies.size() < count) {
        std::size_t end = buffer.find("\x1c\r");
        if (end != std::string::npos) {
            replies.push_back(buffer.substr(1, end - 1));
            buffer.erase(0, end + 2);
            continue;
        }
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return replies;
}

}  // namespace

TEST_CASE("MllpServer: deferred replies, completed out of order, go out in frame order") {
    using namespace hl7::net;
    ServerOptions options;
    options.listen = Endpoint{"127.0.0.1", 0};
    options.handle_signals = false;
    options.drain_timeout = std::chrono::milliseconds(200);  // how long a closing connection waits for its replies
    std::vector<ReplyTicket> tickets;
    std::unique_ptr<MllpServer> server;
    std::atomic<int> closed{0};
    server = std::make_unique<MllpServer>(
        options,
        [&](const ConnectionInfo& c, const Frame& f) {
            CHECK(f.ticket.connection == c.id);
            if (f.message == "NOW") return FrameReply{"R-NOW", false};
            if (f.message == "LONE") return FrameReply{{}, false, true};  // never completed before its peer goes
            tickets.push_back(f.ticket);
            if (tickets.size() == 3) {
                // Completed last first, after this round of reads; a ticket completed twice is ignored.
                server->post([&] {
                    server->complete(tickets[2], FrameReply{"R3", false});
                    server->complete(tickets[0], FrameReply{"R1", false});
                    server->complete(tickets[0], FrameReply{"R1 again", false});
                    server->complete(tickets[1], FrameReply{"R2", true});
                });
            }
            return FrameReply{{}, false, true};
        },
        [&](ServerEvent e, const ConnectionInfo*, std::string_view) {
            if (e == ServerEvent::closed) ++closed;
        });
    REQUIRE(server->open());
    std::thread runner([&] { server->run(); });

    // A reply that is ready waits behind an earlier deferred one; the reply asking to close is the last.
    int fd = connect_to(server->bound().port);
    send_frames(fd, {"A", "NOW", "B", "C"});
    CHECK(read_replies(fd, 4) == std::vector<std::string>{"R1", "R-NOW", "R2"});
    ::close(fd);

    // A connection that goes with its reply still deferred: it waits for the reply no longer than the
    // drain timeout, then closes; the completion that comes later finds nobody, and nothing breaks.
    int lone = connect_to(server->bound().port);
    send_frames(lone, {"LONE"});
    ::close(lone);
    for (int i = 0; i < 200 && closed < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(closed == 2);
    server->post([&] { server->complete(ReplyTicket{2, 1}, FrameReply{"late", false}); });
    int again = connect_to(server->bound().port);
    send_frames(again, {"NOW"});
    CHECK(read_replies(again, 1) == std::vector<std::string>{"R-NOW"});
    ::close(again);
    server->stop();
    runner.join();
}
