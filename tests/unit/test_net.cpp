// Tests of the network layer's parts that need no socket: ADDR:PORT parsing.
#include <doctest/doctest.h>

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
