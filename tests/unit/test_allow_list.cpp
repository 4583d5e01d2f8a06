// Tests of --allow ranges: IPv4 and IPv6 prefixes, mapped addresses, malformed ranges refused.
#include <doctest/doctest.h>

#include "common/allow_list.hpp"

using hl7::net::AllowList;
using hl7::net::parse_cidr;

namespace {
AllowList list_of(std::initializer_list<const char*> ranges) {
    AllowList list;
    for (const char* r : ranges) {
        auto range = parse_cidr(r);
        REQUIRE(range);
        list.add(*range);
    }
    return list;
}
}  // namespace

TEST_CASE("allow list: IPv4 prefixes") {
    AllowList list = list_of({"10.0.0.0/8", "192.0.2.7", "198.51.100.0/25"});
    CHECK(list.allows("10.1.2.3"));
    CHECK(list.allows("192.0.2.7"));
    CHECK_FALSE(list.allows("192.0.2.8"));
    CHECK(list.allows("198.51.100.127"));
    CHECK_FALSE(list.allows("198.51.100.128"));
    CHECK_FALSE(list.allows("11.0.0.1"));
    CHECK(list.allows("::ffff:10.9.9.9"));  // an IPv4 peer on an IPv6 socket
    CHECK_FALSE(list.allows("::1"));
    CHECK_FALSE(list.allows("not an address"));
}

TEST_CASE("allow list: IPv6 prefixes and zones") {
    AllowList list = list_of({"2001:db8::/32", "::1", "fe80::/10"});
    CHECK(list.allows("2001:db8:1::5"));
    CHECK_FALSE(list.allows("2001:db9::1"));
    CHECK(list.allows("::1"));
    CHECK_FALSE(list.allows("::2"));
    CHECK(list.allows("fe80::1%eth0"));
    CHECK_FALSE(list.allows("127.0.0.1"));
}

TEST_CASE("allow list: /0, bits past the prefix, an empty list") {
    CHECK(list_of({"0.0.0.0/0"}).allows("203.0.113.9"));
    CHECK_FALSE(list_of({"0.0.0.0/0"}).allows("2001:db8::1"));
    CHECK(list_of({"::/0"}).allows("2001:db8::1"));
    CHECK(list_of({"10.1.2.3/8"}).allows("10.200.0.1"));
    CHECK(list_of({"::ffff:10.0.0.0/104"}).allows("10.3.3.3"));
    CHECK(AllowList{}.empty());
}

TEST_CASE("allow list: malformed ranges are errors") {
    for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/8x", "host.example",
                            "10.0.0/8", "fe80::1%eth0", "::ffff:10.0.0.0/64", "10.0.0.0/-1"}) {
        CAPTURE(bad);
        auto range = parse_cidr(bad);
        REQUIRE_FALSE(range);
        CHECK(range.error().code == "bad-cidr");
    }
}
