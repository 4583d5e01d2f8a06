// Parsing and matching of --allow ranges with inet_pton.
#include "common/allow_list.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace hl7::net {

namespace {

// The address as 4 or 16 bytes; an IPv4-mapped IPv6 address as its IPv4 bytes.
std::optional<AddressRange> read_address(std::string_view text) {
    std::string s(text.substr(0, text.find('%')));
    AddressRange a;
    if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.prefix = 32;
        return a;
    }
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
    static constexpr std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped.begin(), mapped.end(), a.bytes.begin())) {
        std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
        std::fill(a.bytes.begin() + 4, a.bytes.end(), std::uint8_t(0));
        a.prefix = 32;
        return a;
    }
    a.v6 = true;
    a.prefix = 128;
    return a;
}

bool same_prefix(const AddressRange& range, const AddressRange& address) {
    unsigned bits = range.prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        std::uint8_t mask = bits >= 8 ? std::uint8_t{0xff} : static_cast<std::uint8_t>(0xff << (8 - bits));
        if ((range.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
    }
    return true;
}

}  // namespace

Result<AddressRange> parse_cidr(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return make_error("bad-cidr", fmt::format("expected an address or ADDRESS/BITS such as 10.0.0.0/8 or "
                                                  "2001:db8::/32 ({})", why));
    };
    std::size_t slash = text.find('/');
    std::string_view address = text.substr(0, slash);
    if (address.find('%') != std::string_view::npos) return bad("no zone");
    auto range = read_address(address);
    if (!range) return bad("not a numeric IPv4 or IPv6 address");
    if (slash != std::string_view::npos) {
        std::string_view bits = text.substr(slash + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
        bool written_v6 = address.find(':') != std::string_view::npos;
        unsigned most = written_v6 ? 128 : 32;
        if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || value > most)
            return bad(fmt::format("the prefix is a number from 0 to {}", most));
        // A mapped address written as IPv6 keeps its prefix in IPv6 bits.
        if (!range->v6 && written_v6) {
            if (value < 96) return bad("an IPv4-mapped prefix is at least 96 bits");
            value -= 96;
        }
        range->prefix = value;
    }
    return *range;
}

bool AllowList::allows(std::string_view address) const {
    auto peer = read_address(address);
    if (!peer) return false;
    for (const AddressRange& range : ranges_)
        if (range.v6 == peer->v6 && same_prefix(range, *peer)) return true;
    return false;
}

}  // namespace hl7::net
