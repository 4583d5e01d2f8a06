// Format checks for HL7 v2 primitive datatypes; the rules are listed in hl7/datatypes.hpp.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "hl7/datatypes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace hl7 {
namespace {

enum class Kind : std::uint8_t { none, text, snm, nm, si, dt, tm, dtm, ts };

struct TypeEntry {
    std::string_view name;
    Kind kind;
};

constexpr TypeEntry kTypes[] = {
    {"DT", Kind::dt},
    {"DTM", Kind::dtm},
    {"FT", Kind::text},
    {"GTS", Kind::text},
    {"ID", Kind::text},
    {"IS", Kind::text},
    {"NM", Kind::nm},
    {"SI", Kind::si},
    {"SNM", Kind::snm},
    {"ST", Kind::text},
    {"TM", Kind::tm},
    {"TN", Kind::text},
    {"TS", Kind::ts},
    {"TX", Kind::text},
};

Kind kind_of(std::string_view type) {
    for (const auto& entry : kTypes) {
        if (entry.name == type) return entry.kind;
    }
    return Kind::none;
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

std::optional<FormatProblem> check_dt(std::string_view value, bool before_23) {
    const std::string_view shape = before_23 ? kDtShapeOld : kDtShape;
    if (!all_digits(value)) return problem(shape);
    const std::size_t n = value.size();
    const bool length_ok = before_23 ? n == 8 : (n == 4 || n == 6 || n == 8);
    if (!length_ok) return problem(shape);
    return check_date_digits(value);
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

std::optional<FormatProblem> check_time(std::string_view value, const Grammar& g) {
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

    if (sign_at == std::string_view::npos) return std::nullopt;
    const std::string_view zzzz = value.substr(sign_at + 1);
    // "2024-01-15", "1200+01a0": not an offset gone wrong but a different notation.
    if (!all_digits(zzzz)) return problem(g.shape);
    return check_offset(value[sign_at], zzzz);
}

}  // namespace

bool has_format_check(std::string_view type) { return kind_of(type) != Kind::none; }

std::optional<FormatProblem> check_primitive(std::string_view type, std::string_view value, int major, int minor) {
    const Kind kind = kind_of(type);
    if (kind == Kind::none || value.empty() || value == "\"\"") return std::nullopt;
    if (has_control(value)) return problem(kControl);

    const bool before_23 = version_before(major, minor, 2, 3);
    const bool before_25 = version_before(major, minor, 2, 5);
    switch (kind) {
        case Kind::none:
        case Kind::text: return std::nullopt;
        case Kind::snm: return check_snm(value);
        case Kind::nm: return check_nm(value);
        case Kind::si: return check_si(value);
        case Kind::dt: return check_dt(value, before_23);
        case Kind::tm: return check_time(value, before_23 ? kTmOld : kTm);
        case Kind::dtm: return check_time(value, kDtm);
        case Kind::ts: return check_time(value, before_23 ? kTsOld : before_25 ? kTs24 : kDtm);
    }
    return std::nullopt;
}

}  // namespace hl7
