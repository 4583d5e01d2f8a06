// Tests of the --dedupe window: keys that cannot collide, the first ACK kept, the oldest forgotten.
#include <doctest/doctest.h>

#include <string>

#include "common/dedupe.hpp"

using hl7::cli::DedupeWindow;

TEST_CASE("dedupe keys tell the three fields apart") {
    CHECK(DedupeWindow::key("AB", "C", "1") != DedupeWindow::key("A", "BC", "1"));
    CHECK(DedupeWindow::key("A", "B", "C1") != DedupeWindow::key("A", "BC", "1"));
    CHECK(DedupeWindow::key("A", "B", "1") == DedupeWindow::key("A", "B", "1"));
    CHECK_FALSE(DedupeWindow::key("", "", "").empty());
    CHECK(DedupeWindow::key(std::string(DedupeWindow::kMaxKey, 'x'), "F", "1").empty());
}

TEST_CASE("dedupe window answers a repeat with the first ACK") {
    DedupeWindow window(3);
    std::string k1 = DedupeWindow::key("APP", "FAC", "1");
    CHECK_FALSE(window.find(k1));
    window.remember(k1, "ACK1");
    REQUIRE(window.find(k1));
    CHECK(*window.find(k1) == "ACK1");
    window.remember(k1, "ACK1-again");
    CHECK(*window.find(k1) == "ACK1");
    CHECK(window.size() == 1);
    CHECK_FALSE(window.find(DedupeWindow::key("APP", "OTHER", "1")));
}

TEST_CASE("dedupe window forgets the oldest beyond its capacity") {
    DedupeWindow window(3);
    for (int i = 1; i <= 5; ++i) window.remember(DedupeWindow::key("A", "F", std::to_string(i)), "ACK" + std::to_string(i));
    CHECK(window.size() == 3);
    CHECK_FALSE(window.find(DedupeWindow::key("A", "F", "1")));
    CHECK_FALSE(window.find(DedupeWindow::key("A", "F", "2")));
    CHECK(*window.find(DedupeWindow::key("A", "F", "3")) == "ACK3");
    CHECK(*window.find(DedupeWindow::key("A", "F", "5")) == "ACK5");
}

TEST_CASE("dedupe window keeps nothing it cannot bound") {
    DedupeWindow window(10);
    window.remember("", "ACK");
    CHECK(window.size() == 0);
    CHECK_FALSE(window.find(""));
    window.remember(DedupeWindow::key("A", "F", "big"), std::string(DedupeWindow::kMaxAck + 1, 'x'));
    CHECK(window.size() == 0);
    window.remember(DedupeWindow::key("A", "F", "none"), "");  // answered with nothing: remembered as such
    REQUIRE(window.find(DedupeWindow::key("A", "F", "none")));
    CHECK(window.find(DedupeWindow::key("A", "F", "none"))->empty());
}
