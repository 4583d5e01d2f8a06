// Tests of the diagnostics printer in tools/common: control bytes and invalid UTF-8 never reach stderr raw.
#include <doctest/doctest.h>

#include "common/diagnostics.hpp"

using hl7::cli::printable;

TEST_CASE("printable: ASCII and valid UTF-8 pass, everything else is \\xHH") {
    CHECK(printable("PID-5.1: error: bad") == "PID-5.1: error: bad");
    CHECK(printable("\xC5\x81UKASZEWSKA \xE2\x82\xAC \xF0\x9F\x98\x80") == "\xC5\x81UKASZEWSKA \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(printable(std::string_view("\x10\x00-2", 4)) == "\\x10\\x00-2");
    CHECK(printable("a\tb\rc\nd\x7F") == "a\\x09b\\x0Dc\\x0Ad\\x7F");
    CHECK(printable("\xC2\x85") == "\\xC2\\x85");            // C1 control NEL
    CHECK(printable("\xC3") == "\\xC3");                     // truncated sequence
    CHECK(printable("\xC0\xAF") == "\\xC0\\xAF");            // overlong
    CHECK(printable("\xED\xA0\x80") == "\\xED\\xA0\\x80");   // surrogate
    CHECK(printable("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // beyond U+10FFFF
    CHECK(printable("\xE9t\xE9") == "\\xE9t\\xE9");          // Latin-1 bytes
}
