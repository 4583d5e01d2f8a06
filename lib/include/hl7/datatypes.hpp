// Format checks for HL7 v2 primitive datatypes (NM, SI, DT, TM, DTM, TS, ST, ...), by version, and
// dates and times read into parts, written back exactly, and shifted.
//
// Pure functions: no state, no locale, no clock; nothing allocates but format_date_time. Problem
// texts are short static strings that never quote the value (values are patient data).
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

#include <cstdint>
#include <optional>
#include <string>
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

// --- dates and times in parts ------------------------------------------------------------------
//
// DT, TM, DTM and TS (the first component of a time stamp: pass that component) are read with the
// rules check_primitive applies for the version, so a value reads exactly when it passes the check.
// Written back, the parts give the text they were read from for every value that reads: the same
// precision, the fractional digits as written ("5" and "50" stay apart), the offset as written
// ("-0000" and "+0000" stay apart).
//
// Shifting moves a value by whole days or seconds and keeps its precision and its offset (the
// local time moves; the zone it was given in stays). A value names a period -- a year, a month, a
// day, an hour, a minute, a second -- and is shifted by moving the middle of that period (1 July,
// the 15th, noon, half past, 30 seconds) and taking the period of the same precision that the moved
// middle falls in: the shift rounds to the nearest month or year for a YYYYMM or YYYY value, so a
// YYYYMM value moves only when the shift takes its 15th into another month. Values to the second
// (fraction kept as written) move exactly. Months of different lengths, leap years and year ends
// are those of the proleptic Gregorian calendar. A leap second (:60) is shifted as :59 and stays
// :60 when the shift is a whole number of minutes. A time without a date (TM) turns around the
// clock: shifting it by days changes nothing. A result outside the years 0001-9999 is no result.

enum class DateTimePrecision : std::uint8_t { year, month, day, hour, minute, second };

struct DateTimeParts {
    bool has_date = true;  // false for TM: a time of day alone
    int year = 0;          // 1-9999
    int month = 0;         // 1-12; 0 when not given
    int day = 0;           // 1-31; 0 when not given
    int hour = 0;          // 0-23; 0 when not given
    int minute = 0;
    int second = 0;        // 0-60 (60: a leap second)
    int fraction = 0;             // fractional seconds as the number written: ".05" is 5 with 2 digits
    int fraction_digits = 0;      // 0-4; only with precision second
    DateTimePrecision precision = DateTimePrecision::day;
    bool has_offset = false;
    char offset_sign = '+';       // as written: '+' or '-'
    int offset_hours = 0;         // 0-14
    int offset_minutes = 0;       // 0-59

    // The offset from UTC in seconds, signed (0 when there is none).
    int offset_seconds() const {
        int s = (offset_hours * 60 + offset_minutes) * 60;
        return has_offset && offset_sign == '-' ? -s : s;
    }
    bool operator==(const DateTimeParts&) const = default;
};

// Reads a DT, TM, DTM or TS value (`type`) in HL7 version `major`.`minor`; nullopt when it does not
// pass check_primitive (which says why), when it is empty or the HL7 null, or when `type` is none of
// these.
std::optional<DateTimeParts> parse_date_time(std::string_view type, std::string_view value, int major, int minor);

// The value the parts stand for, at their precision, with their fraction and offset.
std::string format_date_time(const DateTimeParts& parts);
void append_date_time(const DateTimeParts& parts, std::string& out);

// The parts moved by `days` days / `seconds` seconds (see above); nullopt when the result falls
// outside the years 0001-9999.
std::optional<DateTimeParts> add_days(const DateTimeParts& parts, std::int64_t days);
std::optional<DateTimeParts> add_seconds(const DateTimeParts& parts, std::int64_t seconds);

}  // namespace hl7
