// Clock and control-ID helpers for the tools.
#include "common/clock.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace hl7::cli {

std::time_t current_time() {
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
        char* end = nullptr;
        long long v = std::strtoll(epoch, &end, 10);
        if (end && *end == '\0' && v >= 0) return static_cast<std::time_t>(v);
    }
    return std::time(nullptr);
}

// Both are asked for once per ACK, and their text changes once a second: each thread keeps the
// last second's text (formatting the time was a sixth of a receiver's work per message).
std::string hl7_timestamp(std::time_t t) {
    thread_local std::time_t cached_time = -1;
    thread_local std::string cached;
    if (t != cached_time) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        cached = fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_time = t;
    }
    return cached;
}

std::string ack_control_id(std::time_t t, std::uint64_t n) {
    thread_local std::time_t cached_time = -1;
    thread_local std::string prefix;
    if (t != cached_time) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        prefix = fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                             tm.tm_min, tm.tm_sec);
        cached_time = t;
    }
    std::string id = prefix;
    char digits[5];
    std::uint64_t rest = n % 100000;
    for (int i = 4; i >= 0; --i, rest /= 10) digits[i] = static_cast<char>('0' + rest % 10);
    id.append(digits, 5);
    return id;
}

}  // namespace hl7::cli
