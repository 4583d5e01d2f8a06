// Address ranges a listener admits (--allow CIDR): IPv4 and IPv6 prefixes, plain C++ and POSIX.
//
// A range is "10.0.0.0/8", "192.0.2.7" (one address), "2001:db8::/32" or "::1". An IPv4 peer seen
// through an IPv6 socket (::ffff:10.1.2.3) is matched as the IPv4 address it is. An empty list
// admits everyone; a peer whose address cannot be read is admitted by no range.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"

namespace hl7::net {

struct AddressRange {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4
    unsigned prefix = 0;                    // bits that must match: 0..32 or 0..128
};

// "bad-cidr" when the address is not a numeric IPv4 or IPv6 address or the prefix is out of range.
// Bits past the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8).
Result<AddressRange> parse_cidr(std::string_view text);

class AllowList {
public:
    void add(const AddressRange& range) { ranges_.push_back(range); }
    bool empty() const { return ranges_.empty(); }
    // Whether `address` (numeric, as a socket reports it; an IPv6 zone "%eth0" is ignored) is in
    // some range.
    bool allows(std::string_view address) const;

private:
    std::vector<AddressRange> ranges_;
};

}  // namespace hl7::net
