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
    enum class Op { present, absent, equals, not_equals, matches, not_matches, less, less_equal, greater, greater_equal };
    Path path;
    Op op = Op::present;
    std::string value;                    // decoded text to compare with
    std::shared_ptr<std::wregex> regex;   // for matches: ECMAScript over Unicode characters, searched anywhere
    bool ignore_case = false;             // for =, != and ~ (ASCII letters)
    std::string text;                     // as written
    std::string pseudo;                   // "@file" ... when the subject is a pseudo-field, not a path
};

// PATH (any value non-empty), !PATH (none), PATH=V, PATH!=V, PATH~RE, PATH!~RE, PATH~*RE (case
// ignored), and PATH<V, PATH<=V, PATH>V, PATH>=V: numbers compare as numbers, a date/time V
// (8 digits or more) by its digits (20210301 is 20210301000000, so MSH-7>=20210301 holds across
// precisions; offsets are not applied), anything else by bytes. `ignore_case` (--ignore-case) makes
// every =, != and ~ ignore ASCII case. A subject that starts with '@' ("@length>100000") is kept in
// `pseudo` for the caller to evaluate (filter_matches_values), with no path. A bad path or regex is
// an error.
Result<Filter> parse_filter(std::string_view text, bool ignore_case = false);

// Longest value a PATH~REGEX filter looks at; longer values do not match (std::regex recursion).
inline constexpr std::size_t kMaxRegexValue = 4096;

// Values are compared decoded. PATH=V holds when any value the path names equals V (so with
// [*], any repetition or segment); PATH!=V when none does; PATH when any value is non-empty; the
// ordered comparisons and ~ when any value satisfies them; !PATH and !~ when none does.
bool filter_matches(const Message& message, const Filter& filter, Charset charset);
// The same test over values found some other way (a pseudo-field's value, say).
bool filter_matches_values(const Filter& filter, const std::vector<std::string>& values);

// The decoded text of each value `path` names, for people: escapes decoded, and TAB, CR and LF
// written as \X09\ \X0D\ \X0A\ so one value stays one cell. A path above leaf level gives the
// ER7 text of that part (with its delimiters).
void extract_values(const Message& message, const Path& path, Charset charset, std::vector<std::string>& out);

}  // namespace hl7
