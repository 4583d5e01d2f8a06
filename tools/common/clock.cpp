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

std::string hl7_timestamp(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::string ack_control_id(std::time_t t, std::uint64_t n) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}{:05}", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec, n % 100000);
}

}  // namespace hl7::cli
