// Format checks for HL7 v2 primitive datatypes (NM, SI, DT, TM, DTM, TS, ST, ...), by version.
//
// Pure functions: no allocation, no state, no locale. Problem texts are short static strings that
// never quote the value (values are patient data).
//
// The rules, from HL7 v2.5.1 chapter 2A and v2.7 (and the "prior to v2.3" notes for older versions):
//
//   NM   [+|-] digits [. digits]: an optional leading sign, at least one digit, at most one decimal
//        point anywhere among the digits ("5.", ".5", "+.5", "007" are numbers). No exponent, no
//        thousands separators, no spaces.
//   SI   a non-negative integer: 1 to 4 digits (0..9999), no sign.
//   DT   YYYY[MM[DD]] from v2.3; YYYYMMDD before v2.3. A real Gregorian date: year 0001-9999,
//        month 01-12, day within the month (29 February only in leap years).
//   TM   HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ] from v2.3; HHMM[SS[.S[S[S[S]]]]][+/-ZZZZ] before v2.3.
//   DTM  YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] (the type exists from v2.5).
//   TS   the first component of a time stamp (its time of the event). From v2.5 it is a DTM. In
//        v2.3 and v2.4 it is YYYY[MM[DD[HHMM[SS[.S[S[S[S]]]]]]]][+/-ZZZZ] (no hour without
//        minutes); before v2.3 YYYYMMDD[HHMM[SS[.S[S[S[S]]]]]][+/-ZZZZ]. The degree-of-precision
//        component of older versions is the caller's.
//   Time parts: hour 00-23, minute 00-59, second 00-60 (60 is a leap second, which ISO 8601 allows;
//   where it falls in local time depends on an offset that may be absent, so the minute is not
//   checked), 1 to 4 fractional digits and only after the seconds. The offset +/-ZZZZ is exactly
//   four digits HHMM, minutes 00-59, between -1200 and +1400 (the standard restricts it to
//   legally-defined time zones; those span UTC-12:00 to UTC+14:00). "+0000" and "-0000" are UTC.
//   SNM  only digits and '+'.
//   ST, TX, FT, ID, IS, GTS, TN, and every type above: no control characters (Unicode Cc: bytes
//        below 0x20 other than TAB, DEL 0x7F, and U+0080-U+009F). ID and IS values are checked
//        against their tables elsewhere.
//
// An empty value, and the HL7 null `""`, are never a format problem: whether a value must be
// present is not a format question. Other types (composites, "varies", NUL, ...) have no check.
#pragma once

#include <optional>
#include <string_view>

namespace hl7 {

// What is wrong with one primitive value: a short static description, never containing the value.
struct FormatProblem {
    std::string_view what;
};

// Checks `value` (already unescaped text, UTF-8) against the format of primitive datatype `type`
// in HL7 version `major`.`minor` (2, 5 for v2.5 and v2.5.1). nullopt when the value is fine or the
// type has no format to check.
std::optional<FormatProblem> check_primitive(std::string_view type, std::string_view value, int major, int minor);

// True when check_primitive can find a problem in a value of `type`.
bool has_format_check(std::string_view type);

}  // namespace hl7
