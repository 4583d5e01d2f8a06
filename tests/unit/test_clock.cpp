// Tests of the tools' clock helpers: ACK timestamps and control IDs, and their per-second cache.
#include <doctest/doctest.h>

#include "common/clock.hpp"

using hl7::cli::ack_control_id;
using hl7::cli::hl7_timestamp;

TEST_CASE("hl7_timestamp and ack_control_id format UTC seconds, and follow the time they are given") {
    CHECK(hl7_timestamp(0) == "19700101000000+0000");
    CHECK(hl7_timestamp(1700000000) == "20231114221320+0000");
    CHECK(hl7_timestamp(0) == "19700101000000+0000");  // the cache holds one second, not the first
    CHECK(ack_control_id(0, 7) == "70010100000000007");
    CHECK(ack_control_id(0, 123456) == "70010100000023456");  // the count is its last five digits
    CHECK(ack_control_id(1700000000, 1) == "23111422132000001");
    CHECK(ack_control_id(1700000000, 99999) == "23111422132099999");
    CHECK(ack_control_id(0, 100000) == "70010100000000000");
}
