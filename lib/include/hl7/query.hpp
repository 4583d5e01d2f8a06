// Selecting messages and values by path: filters (PID-8=F, MSH-9.1!=ACK, PID-5.1~^SM) and
// field extraction (the `cut` of HL7).
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

struct Filter {
    enum class Op { present, equals, not_equals, matches };
    Path path;
    Op op = Op::present;
    std::string value;                  // decoded text to compare with
    std::shared_ptr<std::regex> regex;  // for matches (ECMAScript, searched anywhere in the value)
    std::string text;                   // as written
};

// PATH, PATH=VALUE, PATH!=VALUE or PATH~REGEX. A bad path or regex is an error.
Result<Filter> parse_filter(std::string_view text);

// Longest value a PATH~REGEX filter looks at; longer values do not match (std::regex recursion).
inline constexpr std::size_t kMaxRegexValue = 4096;

// Values are compared decoded. PATH=V holds when any value the path names equals V (so with
// [*], any repetition or segment); PATH!=V when none does; PATH when any value is non-empty.
bool filter_matches(const Message& message, const Filter& filter, Charset charset);

// The decoded text of each value `path` names, for people: escapes decoded, and TAB, CR and LF
// written as \X09\ \X0D\ \X0A\ so one value stays one cell. A path above leaf level gives the
// ER7 text of that part (with its delimiters).
void extract_values(const Message& message, const Path& path, Charset charset, std::vector<std::string>& out);

}  // namespace hl7
