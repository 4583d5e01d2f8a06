// Tests of size options as the tools read them ("16M", "512K"): parse_size.
#include <doctest/doctest.h>

#include "common/cli.hpp"

using hl7::cli::parse_size;

TEST_CASE("parse_size reads bytes with K, M, G as powers of 1024") {
    CHECK(parse_size("1024") == std::size_t(1024));
    CHECK(parse_size("1K") == std::size_t(1024));
    CHECK(parse_size("16M") == std::size_t(16) << 20);
    CHECK(parse_size("16MiB") == std::size_t(16) << 20);
    CHECK(parse_size("4G") == std::size_t(4) << 30);
}

TEST_CASE("parse_size refuses malformed sizes and sizes out of range") {
    for (const char* bad : {"", "M", "1023", "5G", "16T", "-1K", "1.5M", "16 M"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_size(bad));
    }
}
