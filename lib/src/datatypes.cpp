// Format checks for HL7 v2 primitive datatypes, and dates and times in parts; the rules are listed in
// hl7/datatypes.hpp.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "hl7/datatypes.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace hl7 {
namespace {

enum class Kind : std::uint8_t { none, text, snm, nm, si, dt, tm, dtm, ts };

// The kind of a type name, by its two or three letters packed into a number (this runs for every
// value the validator checks).
constexpr std::uint32_t packed(std::string_view name) {
    std::uint32_t n = 0;
    for (char c : name) n = (n << 8) | static_cast<unsigned char>(c);
    return n;
}

Kind kind_of(std::string_view type) {
    if (type.size() < 2 || type.size() > 3) return Kind::none;
    switch (packed(type)) {
        case packed("DT"): return Kind::dt;
        case packed("DTM"): return Kind::dtm;
        case packed("FT"): return Kind::text;
        case packed("GTS"): return Kind::text;
        case packed("ID"): return Kind::text;
        case packed("IS"): return Kind::text;
        case packed("NM"): return Kind::nm;
        case packed("SI"): return Kind::si;
        case packed("SNM"): return Kind::snm;
        case packed("ST"): return Kind::text;
        case packed("TM"): return Kind::tm;
        case packed("TN"): return Kind::text;
        case packed("TS"): return Kind::ts;
        case packed("TX"): return Kind::text;
        default: return Kind::none;
    }
}

// Problem texts. Static, and never quoting the value.
constexpr std::string_view kControl = "control character";

constexpr std::string_view kNmNoDigits = "not a number: no digits";
constexpr std::string_view kNmTwoPoints = "not a number: more than one decimal point";
constexpr std::string_view kNmSign = "not a number: a sign is allowed only at the start";
constexpr std::string_view kNmChars = "not a number: only digits, a leading sign and a decimal point are allowed";

constexpr std::string_view kSiChars = "not a sequence ID: only digits are allowed";
constexpr std::string_view kSiLong = "sequence ID longer than 4 digits";

constexpr std::string_view kSnmChars = "not a telephone number string: only digits and '+' are allowed";

constexpr std::string_view kDtShape = "not a valid date: expected YYYY[MM[DD]]";
constexpr std::string_view kDtShapeOld = "not a valid date: expected YYYYMMDD before v2.3";
constexpr std::string_view kTmShape = "not a valid time: expected HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]";
constexpr std::string_view kTmShapeOld = "not a valid time: expected HHMM[SS[.S[S[S[S]]]]][+/-ZZZZ] before v2.3";
constexpr std::string_view kDtmShape = "not a valid date/time: expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]";
constexpr std::string_view kTsShape24 =
    "not a valid time stamp: expected YYYY[MM[DD[HHMM[SS[.S[S[S[S]]]]]]]][+/-ZZZZ] before v2.5";
constexpr std::string_view kTsShapeOld =
    "not a valid time stamp: expected YYYYMMDD[HHMM[SS[.S[S[S[S]]]]]][+/-ZZZZ] before v2.3";

constexpr std::string_view kNoFraction = "decimal point without fractional digits";
constexpr std::string_view kLongFraction = "more than 4 fractional digits";
constexpr std::string_view kFractionEarly = "fractional seconds without seconds";

constexpr std::string_view kYear = "year out of range (0001-9999)";
constexpr std::string_view kMonth = "month out of range (01-12)";
constexpr std::string_view kDay = "day out of range for the month";
constexpr std::string_view kHour = "hour out of range (00-23)";
constexpr std::string_view kMinute = "minute out of range (00-59)";
constexpr std::string_view kSecond = "second out of range (00-60)";

constexpr std::string_view kOffsetShape = "time zone offset must be +/-HHMM";
constexpr std::string_view kOffsetMinutes = "time zone offset minutes out of range (00-59)";
constexpr std::string_view kOffsetRange = "time zone offset out of range (-1200 to +1400)";

std::optional<FormatProblem> problem(std::string_view what) { return FormatProblem{what}; }

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
    for (char c : s) {
        if (!is_digit(c)) return false;
    }
    return true;
}

bool version_before(int major, int minor, int than_major, int than_minor) {
    return major < than_major || (major == than_major && minor < than_minor);
}

// Unicode control characters (category Cc) other than TAB: C0, DEL, and C1 (UTF-8 C2 80..C2 9F).
bool has_control(std::string_view value) {
    std::size_t i = 0;
#if defined(__SSE2__)
    // Long values (base64 payloads, report text) are mostly plain: skip 16 bytes at a time while
    // none is below 0x20, DEL, or from 0x80 (signed compare catches both ends).
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i del = _mm_set1_epi8(0x7F);
    while (value.size() - i >= 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(value.data() + i));
        __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
        if (_mm_movemask_epi8(m) != 0) break;
        i += 16;
    }
#endif
    for (; i < value.size(); ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7F) return true;
        if (c == 0xC2 && i + 1 < value.size()) {
            const auto next = static_cast<unsigned char>(value[i + 1]);
            if (next >= 0x80 && next <= 0x9F) return true;
        }
    }
    return false;
}

// The number written by digits [at, at + count) of `s` (digits already checked).
int number_at(std::string_view s, std::size_t at, std::size_t count) {
    int n = 0;
    for (std::size_t i = at; i < at + count; ++i) n = n * 10 + (s[i] - '0');
    return n;
}

bool leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && leap_year(year)) return 29;
    return kDays[static_cast<std::size_t>(month - 1)];
}

std::optional<FormatProblem> check_nm(std::string_view value) {
    std::size_t i = 0;
    if (value[0] == '+' || value[0] == '-') i = 1;
    bool digits = false;
    bool point = false;
    for (; i < value.size(); ++i) {
        const char c = value[i];
        if (is_digit(c)) {
            digits = true;
        } else if (c == '.') {
            if (point) return problem(kNmTwoPoints);
            point = true;
        } else if (c == '+' || c == '-') {
            return problem(kNmSign);
        } else {
            return problem(kNmChars);
        }
    }
    if (!digits) return problem(kNmNoDigits);
    return std::nullopt;
}

std::optional<FormatProblem> check_si(std::string_view value) {
    if (!all_digits(value)) return problem(kSiChars);
    if (value.size() > 4) return problem(kSiLong);
    return std::nullopt;
}

std::optional<FormatProblem> check_snm(std::string_view value) {
    for (char c : value) {
        if (!is_digit(c) && c != '+') return problem(kSnmChars);
    }
    return std::nullopt;
}

// YYYY[MM[DD]] given as 4, 6 or 8 checked digits.
std::optional<FormatProblem> check_date_digits(std::string_view d) {
    const int year = number_at(d, 0, 4);
    if (year < 1) return problem(kYear);
    if (d.size() < 6) return std::nullopt;
    const int month = number_at(d, 4, 2);
    if (month < 1 || month > 12) return problem(kMonth);
    if (d.size() < 8) return std::nullopt;
    const int day = number_at(d, 6, 2);
    if (day < 1 || day > days_in_month(year, month)) return problem(kDay);
    return std::nullopt;
}

// HH[MM[SS]] given as 2, 4 or 6 checked digits.
std::optional<FormatProblem> check_clock_digits(std::string_view d) {
    if (number_at(d, 0, 2) > 23) return problem(kHour);
    if (d.size() < 4) return std::nullopt;
    if (number_at(d, 2, 2) > 59) return problem(kMinute);
    if (d.size() < 6) return std::nullopt;
    if (number_at(d, 4, 2) > 60) return problem(kSecond);
    return std::nullopt;
}

// The digits after the sign of +/-ZZZZ.
std::optional<FormatProblem> check_offset(char sign, std::string_view zzzz) {
    if (zzzz.size() != 4) return problem(kOffsetShape);
    const int hours = number_at(zzzz, 0, 2);
    const int minutes = number_at(zzzz, 2, 2);
    if (minutes > 59) return problem(kOffsetMinutes);
    const int total = hours * 60 + minutes;
    if (total > (sign == '+' ? 14 * 60 : 12 * 60)) return problem(kOffsetRange);
    return std::nullopt;
}

// The precision `n` digits give: 4 year, 6 month, 8 day, 10 hour, 12 minute, 14 second for dates;
// 2 hour, 4 minute, 6 second for times.
DateTimePrecision precision_of(std::size_t n, bool date) {
    if (!date) n += 8;
    switch (n) {
        case 4: return DateTimePrecision::year;
        case 6: return DateTimePrecision::month;
        case 8: return DateTimePrecision::day;
        case 10: return DateTimePrecision::hour;
        case 12: return DateTimePrecision::minute;
        default: return DateTimePrecision::second;
    }
}

// Fills `out` from checked digits: a date's (from 4 to 14) or a time's (2, 4 or 6).
void fill_digits(std::string_view d, bool date, DateTimeParts& out) {
    out.has_date = date;
    out.precision = precision_of(d.size(), date);
    std::size_t at = 0;
    auto take = [&](int& field) {
        if (at + 2 <= d.size()) field = number_at(d, at, 2);
        at += 2;
    };
    if (date) {
        out.year = number_at(d, 0, 4);
        at = 4;
        take(out.month);
        take(out.day);
    }
    take(out.hour);
    take(out.minute);
    take(out.second);
}

std::optional<FormatProblem> check_dt(std::string_view value, bool before_23, DateTimeParts* parts) {
    const std::string_view shape = before_23 ? kDtShapeOld : kDtShape;
    if (!all_digits(value)) return problem(shape);
    const std::size_t n = value.size();
    const bool length_ok = before_23 ? n == 8 : (n == 4 || n == 6 || n == 8);
    if (!length_ok) return problem(shape);
    if (auto p = check_date_digits(value)) return p;
    if (parts) fill_digits(value, true, *parts);
    return std::nullopt;
}

// A time or date/time: digits, then optionally .S[S[S[S]]] after the seconds, then optionally
// +/-ZZZZ. `lengths` has bit n set when n digits are a valid precision; `date_digits` is 8 for
// date/times and 0 for times; `full` is the digit count with seconds.
struct Grammar {
    std::string_view shape;
    std::uint32_t lengths;
    std::size_t date_digits;
    std::size_t full;
};

constexpr std::uint32_t bits(std::initializer_list<unsigned> ns) {
    std::uint32_t mask = 0;
    for (unsigned n : ns) mask |= std::uint32_t{1} << n;
    return mask;
}

constexpr Grammar kTm{kTmShape, bits({2, 4, 6}), 0, 6};
constexpr Grammar kTmOld{kTmShapeOld, bits({4, 6}), 0, 6};
constexpr Grammar kDtm{kDtmShape, bits({4, 6, 8, 10, 12, 14}), 8, 14};
constexpr Grammar kTs24{kTsShape24, bits({4, 6, 8, 12, 14}), 8, 14};
constexpr Grammar kTsOld{kTsShapeOld, bits({8, 12, 14}), 8, 14};

std::optional<FormatProblem> check_time(std::string_view value, const Grammar& g, DateTimeParts* parts) {
    const std::size_t sign_at = value.find_first_of("+-");
    const std::string_view main = value.substr(0, sign_at);

    std::size_t n = 0;
    while (n < main.size() && is_digit(main[n])) ++n;
    const std::string_view digits = main.substr(0, n);
    if (n == 0 || n > 31 || (g.lengths & (std::uint32_t{1} << n)) == 0) return problem(g.shape);

    if (n < main.size()) {
        if (main[n] != '.') return problem(g.shape);
        const std::string_view fraction = main.substr(n + 1);
        if (!all_digits(fraction)) return problem(g.shape);
        if (fraction.empty()) return problem(kNoFraction);
        if (fraction.size() > 4) return problem(kLongFraction);
        if (n != g.full) return problem(kFractionEarly);
    }

    if (g.date_digits != 0) {
        const std::size_t date_n = n < g.date_digits ? n : g.date_digits;
        if (auto p = check_date_digits(digits.substr(0, date_n))) return p;
    }
    if (n > g.date_digits) {
        if (auto p = check_clock_digits(digits.substr(g.date_digits))) return p;
    }

    if (sign_at != std::string_view::npos) {
        const std::string_view zzzz = value.substr(sign_at + 1);
        // "2024-01-15", "1200+01a0": not an offset gone wrong but a different notation.
        if (!all_digits(zzzz)) return problem(g.shape);
        if (auto p = check_offset(value[sign_at], zzzz)) return p;
    }
    if (parts) {
        *parts = DateTimeParts{};
        fill_digits(digits, g.date_digits != 0, *parts);
        if (n < main.size()) {
            const std::string_view fraction = main.substr(n + 1);
            parts->fraction = number_at(fraction, 0, fraction.size());
            parts->fraction_digits = static_cast<int>(fraction.size());
        }
        if (sign_at != std::string_view::npos) {
            parts->has_offset = true;
            parts->offset_sign = value[sign_at];
            parts->offset_hours = number_at(value, sign_at + 1, 2);
            parts->offset_minutes = number_at(value, sign_at + 3, 2);
        }
    }
    return std::nullopt;
}

// The check of a non-empty value of a known kind; `parts` (dates and times only) filled when it
// passes.
std::optional<FormatProblem> check_kind(Kind kind, std::string_view value, int major, int minor,
                                        DateTimeParts* parts) {
    if (has_control(value)) return problem(kControl);
    const bool before_23 = version_before(major, minor, 2, 3);
    const bool before_25 = version_before(major, minor, 2, 5);
    switch (kind) {
        case Kind::none:
        case Kind::text: return std::nullopt;
        case Kind::snm: return check_snm(value);
        case Kind::nm: return check_nm(value);
        case Kind::si: return check_si(value);
        case Kind::dt: return check_dt(value, before_23, parts);
        case Kind::tm: return check_time(value, before_23 ? kTmOld : kTm, parts);
        case Kind::dtm: return check_time(value, kDtm, parts);
        case Kind::ts: return check_time(value, before_23 ? kTsOld : before_25 ? kTs24 : kDtm, parts);
    }
    return std::nullopt;
}

// --- calendar arithmetic ---------------------------------------------------------------------

// Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar, and back: the
// calendar repeats every 400 years (146097 days); within an era, years are counted from March so
// that the leap day falls last.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;                                 // [0, 399]
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;        // [0, 146096]
    return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

constexpr std::int64_t kSecondsPerDay = 86400;

// Seconds into the day of the middle of the period a value names below a day (a leap second as :59).
std::int64_t middle_of_day_part(const DateTimeParts& p) {
    const std::int64_t hour = p.hour * 3600;
    switch (p.precision) {
        case DateTimePrecision::year:
        case DateTimePrecision::month:
        case DateTimePrecision::day: return kSecondsPerDay / 2;
        case DateTimePrecision::hour: return hour + 1800;
        case DateTimePrecision::minute: return hour + p.minute * 60 + 30;
        case DateTimePrecision::second: return hour + p.minute * 60 + std::min(p.second, 59);
    }
    return 0;
}

void append_digits(std::string& out, int value, int digits) {
    char buffer[4];
    for (int i = digits; i-- > 0;) {
        buffer[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(buffer, static_cast<std::size_t>(digits));
}

}  // namespace

bool has_format_check(std::string_view type) { return kind_of(type) != Kind::none; }

std::optional<FormatProblem> check_primitive(std::string_view type, std::string_view value, int major, int minor) {
    const Kind kind = kind_of(type);
    if (kind == Kind::none || value.empty() || value == "\"\"") return std::nullopt;
    return check_kind(kind, value, major, minor, nullptr);
}

std::optional<DateTimeParts> parse_date_time(std::string_view type, std::string_view value, int major, int minor) {
    const Kind kind = kind_of(type);
    if (kind != Kind::dt && kind != Kind::tm && kind != Kind::dtm && kind != Kind::ts) return std::nullopt;
    if (value.empty() || value == "\"\"") return std::nullopt;
    DateTimeParts parts;
    if (check_kind(kind, value, major, minor, &parts)) return std::nullopt;
    return parts;
}

void append_date_time(const DateTimeParts& p, std::string& out) {
    using P = DateTimePrecision;
    if (p.has_date) {
        append_digits(out, p.year, 4);
        if (p.precision >= P::month) append_digits(out, p.month, 2);
        if (p.precision >= P::day) append_digits(out, p.day, 2);
    }
    if (p.precision >= P::hour) append_digits(out, p.hour, 2);
    if (p.precision >= P::minute) append_digits(out, p.minute, 2);
    if (p.precision >= P::second) {
        append_digits(out, p.second, 2);
        if (p.fraction_digits > 0) {
            out += '.';
            append_digits(out, p.fraction, p.fraction_digits);
        }
    }
    if (p.has_offset) {
        out += p.offset_sign;
        append_digits(out, p.offset_hours, 2);
        append_digits(out, p.offset_minutes, 2);
    }
}

std::string format_date_time(const DateTimeParts& parts) {
    std::string out;
    append_date_time(parts, out);
    return out;
}

std::optional<DateTimeParts> add_seconds(const DateTimeParts& p, std::int64_t seconds) {
    using P = DateTimePrecision;
    // Beyond 10000 years the result is out of range whatever the value: no overflow below.
    constexpr std::int64_t kLimit = std::int64_t{10000} * 366 * kSecondsPerDay;
    if (seconds > kLimit || seconds < -kLimit) return std::nullopt;
    DateTimeParts out = p;
    const bool whole_minutes = seconds % 60 == 0;
    std::int64_t into_day;
    if (!p.has_date) {
        const std::int64_t moved = middle_of_day_part(p) + seconds;
        into_day = moved - floor_div(moved, kSecondsPerDay) * kSecondsPerDay;  // around the clock
    } else {
        std::int64_t days;
        switch (p.precision) {
            case P::year: days = days_from_civil(p.year, 7, 1); break;
            case P::month: days = days_from_civil(p.year, p.month, 15); break;
            default: days = days_from_civil(p.year, p.month, p.day); break;
        }
        const std::int64_t moved = days * kSecondsPerDay + middle_of_day_part(p) + seconds;
        const std::int64_t day = floor_div(moved, kSecondsPerDay);
        into_day = moved - day * kSecondsPerDay;
        std::int64_t year;
        int month, mday;
        civil_from_days(day, year, month, mday);
        if (year < 1 || year > 9999) return std::nullopt;
        out.year = static_cast<int>(year);
        if (p.precision >= P::month) out.month = month;
        if (p.precision >= P::day) out.day = mday;
    }
    if (p.precision >= P::hour) out.hour = static_cast<int>(into_day / 3600);
    if (p.precision >= P::minute) out.minute = static_cast<int>(into_day / 60 % 60);
    if (p.precision >= P::second) {
        out.second = static_cast<int>(into_day % 60);
        if (p.second == 60 && whole_minutes) out.second = 60;  // the leap second, moved by whole minutes
    }
    return out;
}

std::optional<DateTimeParts> add_days(const DateTimeParts& p, std::int64_t days) {
    if (!p.has_date) return p;  // a time of day is the same time every day
    constexpr std::int64_t kLimit = std::int64_t{10000} * 366;
    if (days > kLimit || days < -kLimit) return std::nullopt;
    return add_seconds(p, days * kSecondsPerDay);
}

}  // namespace hl7
