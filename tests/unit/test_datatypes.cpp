// Tests of primitive datatype format checks (check_primitive, has_format_check): NM, SI, DT, TM, DTM, TS, SNM, text
// types; and of dates and times in parts: reading, writing back, shifting.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "hl7/datatypes.hpp"

namespace {

struct Case {
    std::string_view value;
    std::string_view expect;  // "" when the value is valid, else the problem text
};

std::string shown(std::string_view value) {
    std::string out;
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F) {
            constexpr char kHex[] = "0123456789ABCDEF";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view check(std::string_view type, std::string_view value, int major, int minor) {
    auto p = hl7::check_primitive(type, value, major, minor);
    return p ? p->what : std::string_view{};
}

void run(std::string_view type, int major, int minor, std::initializer_list<Case> cases) {
    for (const auto& c : cases) {
        const std::string_view got = check(type, c.value, major, minor);
        const std::string what = std::string(type) + " v" + std::to_string(major) + "." + std::to_string(minor) +
                                 " '" + shown(c.value) + "': got '" + std::string(got) + "', expected '" +
                                 std::string(c.expect) + "'";
        CHECK_MESSAGE(got == c.expect, what);
    }
}

constexpr std::string_view kOk = "";
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

using namespace std::string_view_literals;

}  // namespace

TEST_CASE("datatype: which types have a format check") {
    for (std::string_view t : {"NM", "SI", "DT", "TM", "DTM", "TS", "ST", "TX", "FT", "ID", "IS", "GTS", "SNM", "TN"}) {
        CHECK_MESSAGE(hl7::has_format_check(t), t);
    }
    for (std::string_view t : {"NUL", "varies", "VARIES", "CM", "CE", "CWE", "XPN", "HD", "", "nm", "dtm", "NM "}) {
        CHECK_FALSE_MESSAGE(hl7::has_format_check(t), t);
    }
    // A type without a check accepts anything, even control characters.
    CHECK(check("CE", "\x01", 2, 5) == kOk);
    CHECK(check("NUL", "abc", 2, 7) == kOk);
    CHECK(check("varies", "1e5", 2, 5) == kOk);
}

TEST_CASE("datatype: empty values and the HL7 null are never a format problem") {
    for (std::string_view t : {"NM", "SI", "DT", "TM", "DTM", "TS", "ST", "SNM"}) {
        for (int minor : {1, 2, 3, 4, 5, 7}) {
            CHECK(check(t, "", 2, minor) == kOk);
            CHECK(check(t, "\"\"", 2, minor) == kOk);
        }
    }
    // Only exactly two quotes is the null.
    CHECK(check("NM", "\"", 2, 5) == kNmChars);
    CHECK(check("NM", "\"\"\"", 2, 5) == kNmChars);
}

TEST_CASE("datatype NM: valid numbers") {
    run("NM", 2, 5,
        {{"0", kOk},       {"5", kOk},        {"999", kOk},     {"01200", kOk},   {"-0012.34", kOk},
         {"1.2", kOk},     {"+1.2", kOk},     {"12.0", kOk},    {"-123.792", kOk}, {"01.20", kOk},
         {".5", kOk},      {"5.", kOk},       {"+.5", kOk},     {"-5.", kOk},     {"-0", kOk},
         {"+0.0", kOk},    {"0000000000000000000000000000123", kOk},
         {"123456789012345678901234567890.123456789", kOk}});
    // The same in every version.
    run("NM", 2, 1, {{"+1.50", kOk}, {".5", kOk}});
    run("NM", 2, 7, {{"+1.50", kOk}, {"5.", kOk}});
}

TEST_CASE("datatype NM: invalid numbers") {
    run("NM", 2, 5,
        {{"+", kNmNoDigits},       {"-", kNmNoDigits},     {".", kNmNoDigits},     {"+.", kNmNoDigits},
         {"-.", kNmNoDigits},      {"1.2.3", kNmTwoPoints}, {"1..2", kNmTwoPoints}, {"..", kNmTwoPoints},
         {"1-", kNmSign},          {"+-5", kNmSign},       {"--5", kNmSign},       {"++5", kNmSign},
         {"1+2", kNmSign},         {"1e5", kNmChars},      {"1E5", kNmChars},      {"1e+5", kNmChars},
         {"1,000", kNmChars},      {"1,5", kNmChars},      {" 5", kNmChars},       {"5 ", kNmChars},
         {"- 5", kNmChars},        {"1 000", kNmChars},    {"<12", kNmChars},      {">5", kNmChars},
         {"0x10", kNmChars},       {"NaN", kNmChars},      {"Infinity", kNmChars}, {"abc", kNmChars},
         {"\t5", kNmChars},        {"5\t", kNmChars},      {"\xEF\xBC\x95", kNmChars} /* fullwidth 5 */,
         {"\xD9\xA1", kNmChars} /* Arabic-Indic 1 */,     {"5\xC2\xA0", kNmChars} /* no-break space */,
         {"1\x01", kControl},      {"\r5", kControl}});
}

TEST_CASE("datatype SI: sequence IDs") {
    run("SI", 2, 5,
        {{"0", kOk},          {"1", kOk},          {"42", kOk},         {"9999", kOk},       {"0001", kOk},
         {"10000", kSiLong},  {"00001", kSiLong},  {"123456", kSiLong}, {"-1", kSiChars},    {"+1", kSiChars},
         {"1.0", kSiChars},   {"1.", kSiChars},    {" 1", kSiChars},    {"1 ", kSiChars},    {"1a", kSiChars},
         {"\xEF\xBC\x91", kSiChars}, {"1\n", kControl}});
    run("SI", 2, 1, {{"9999", kOk}, {"10000", kSiLong}});
    run("SI", 2, 7, {{"9999", kOk}, {"10000", kSiLong}});
}

TEST_CASE("datatype DT: precision and shape (v2.5)") {
    run("DT", 2, 5,
        {{"2024", kOk},        {"202401", kOk},      {"20240115", kOk},      {"19880704", kOk},
         {"199503", kOk},      {"0001", kOk},        {"00010101", kOk},      {"9999", kOk},
         {"99991231", kOk},    {"24", kDtShape},     {"202", kDtShape},      {"20245", kDtShape},
         {"2024011", kDtShape}, {"202401151", kDtShape}, {"2024011512", kDtShape},
         {"20240115123045", kDtShape}, {"2024-01-15", kDtShape}, {"2024/01/15", kDtShape},
         {"2024+0100", kDtShape}, {"20240115+0100", kDtShape}, {"2024.5", kDtShape},
         {" 2024", kDtShape},  {"2024 ", kDtShape},  {"Jan 2024", kDtShape}, {"\xEF\xBC\x92" "024", kDtShape},
         {"2024\x01", kControl}});
}

TEST_CASE("datatype DT: year, month and day ranges") {
    run("DT", 2, 5,
        {{"0000", kYear},       {"000001", kYear},     {"00000101", kYear},   {"202400", kMonth},
         {"202413", kMonth},    {"202499", kMonth},    {"20241301", kMonth},  {"20240001", kMonth},
         {"202412", kOk},       {"202401", kOk},       {"20240100", kDay},    {"20240132", kDay},
         {"20240199", kDay}});
    // Every month's last day, and the day after it, in a common year (2023).
    run("DT", 2, 5,
        {{"20230131", kOk}, {"20230132", kDay}, {"20230228", kOk}, {"20230229", kDay},
         {"20230331", kOk}, {"20230332", kDay}, {"20230430", kOk}, {"20230431", kDay},
         {"20230531", kOk}, {"20230532", kDay}, {"20230630", kOk}, {"20230631", kDay},
         {"20230731", kOk}, {"20230732", kDay}, {"20230831", kOk}, {"20230832", kDay},
         {"20230930", kOk}, {"20230931", kDay}, {"20231031", kOk}, {"20231032", kDay},
         {"20231130", kOk}, {"20231131", kDay}, {"20231231", kOk}, {"20231232", kDay},
         {"20230101", kOk}, {"20231201", kOk}});
}

TEST_CASE("datatype DT: leap years") {
    run("DT", 2, 5,
        {{"20240229", kOk},  {"20240230", kDay}, {"20230229", kDay}, {"20000229", kOk},
         {"19000229", kDay}, {"19000228", kOk},  {"21000229", kDay}, {"24000229", kOk},
         {"16000229", kOk},  {"19960229", kOk},  {"20010229", kDay}, {"00040229", kOk},
         {"01000229", kDay}, {"00010229", kDay}, {"99960229", kOk}});
}

TEST_CASE("datatype DT: versions") {
    // Before v2.3 a date is always YYYYMMDD.
    for (int minor : {1, 2}) {
        run("DT", 2, minor,
            {{"20240115", kOk}, {"2024", kDtShapeOld}, {"202401", kDtShapeOld}, {"2024011512", kDtShapeOld},
             {"20240229", kOk}, {"20230229", kDay}, {"20241301", kMonth}, {"2024-01-15", kDtShapeOld}});
    }
    for (int minor : {3, 4, 5, 6, 7}) {
        run("DT", 2, minor, {{"2024", kOk}, {"202401", kOk}, {"20240115", kOk}, {"2024011", kDtShape}});
    }
    run("DT", 2, 8, {{"2024", kOk}, {"20240229", kOk}});
}

TEST_CASE("datatype TM: valid times (v2.5)") {
    run("TM", 2, 5,
        {{"00", kOk},          {"13", kOk},          {"23", kOk},           {"0000", kOk},
         {"0800", kOk},        {"0630", kOk},        {"2359", kOk},         {"000000", kOk},
         {"235959", kOk},      {"235960", kOk} /* leap second */,           {"000060", kOk},
         {"093544.2", kOk},    {"093544.23", kOk},   {"093544.231", kOk},   {"093544.2312", kOk},
         {"235959.9999", kOk}, {"235959+1100", kOk}, {"13+0100", kOk},      {"1230-0500", kOk},
         {"120000.0000+1400", kOk}, {"120000-1200", kOk}, {"1200+0000", kOk}, {"1200-0000", kOk},
         {"1200+0530", kOk},   {"1200+0545", kOk},   {"1200-0930", kOk},    {"1200+1245", kOk},
         {"1200+1359", kOk},   {"1200-1159", kOk},   {"1200+0059", kOk}});
}

TEST_CASE("datatype TM: invalid times (v2.5)") {
    run("TM", 2, 5,
        {{"24", kHour},             {"2400", kHour},            {"240000", kHour},          {"99", kHour},
         {"1260", kMinute},         {"0099", kMinute},          {"235961", kSecond},        {"235999", kSecond},
         {"093544.23123", kLongFraction}, {"000000.00000", kLongFraction},
         {"0935.5", kFractionEarly}, {"09.5", kFractionEarly},  {"093544.", kNoFraction},   {"09.", kNoFraction},
         {"093544.2.3", kTmShape},  {"093544.2a", kTmShape},    {".5", kTmShape},           {"1", kTmShape},
         {"123", kTmShape},         {"12345", kTmShape},        {"1234567", kTmShape},      {"20240115", kTmShape},
         {"12:30", kTmShape},       {"12h", kTmShape},          {"1200Z", kTmShape},        {"1200 +0100", kTmShape},
         {"+0100", kTmShape},       {"-0500", kTmShape},        {" 1200", kTmShape},        {"1200 ", kTmShape},
         {"1200+14", kOffsetShape}, {"1200+", kOffsetShape},    {"1200-", kOffsetShape},    {"1200+01000", kOffsetShape},
         {"1200+100", kOffsetShape}, {"1200+01a0", kTmShape},   {"1200+01:00", kTmShape},   {"1200+0100+0100", kTmShape},
         {"1200+0100-0100", kTmShape}, {"1200+1401", kOffsetRange}, {"1200+1500", kOffsetRange},
         {"1200+9999", kOffsetMinutes}, {"1200+2300", kOffsetRange}, {"1200-1201", kOffsetRange},
         {"1200-1300", kOffsetRange}, {"1200-1400", kOffsetRange}, {"1200+0160", kOffsetMinutes},
         {"1200-0099", kOffsetMinutes}, {"12\x1b", kControl},    {"1200\x7f", kControl}});
    // A range problem in the time is reported before one in the offset.
    CHECK(check("TM", "2500+1500", 2, 5) == kHour);
}

TEST_CASE("datatype TM: versions") {
    // Before v2.3 minutes are required.
    for (int minor : {1, 2}) {
        run("TM", 2, minor,
            {{"1200", kOk}, {"120000", kOk}, {"093544.2312", kOk}, {"0800-0500", kOk}, {"12", kTmShapeOld},
             {"12+0100", kTmShapeOld}, {"093544.23123", kLongFraction}, {"2400", kHour}});
    }
    for (int minor : {3, 4, 5, 6, 7}) {
        run("TM", 2, minor, {{"12", kOk}, {"12+0100", kOk}, {"1", kTmShape}, {"235960", kOk}});
    }
}

TEST_CASE("datatype DTM: valid date/times") {
    run("DTM", 2, 5,
        {{"2024", kOk},                 {"202401", kOk},              {"20240115", kOk},
         {"2024011512", kOk},           {"202401151230", kOk},        {"20240115123045", kOk},
         {"20240115123045.1", kOk},     {"20240115123045.12", kOk},   {"20240115123045.123", kOk},
         {"20240115123045.1234", kOk},  {"202401151230+0100", kOk},   {"2024+0100", kOk},
         {"202401-0500", kOk},          {"2024011512+0000", kOk},     {"20240115-0000", kOk},
         {"199904", kOk},               {"19760704010159-0500", kOk}, {"20240229", kOk},
         {"20000229120000", kOk},       {"20231231235959", kOk},      {"20161231235960", kOk},
         {"20231231235959.9999-1200", kOk}, {"20240101000000+1400", kOk}, {"00010101000000", kOk},
         {"99991231235959.9999+1400", kOk}, {"20240115000000", kOk},  {"2024011500", kOk}});
}

TEST_CASE("datatype DTM: invalid date/times") {
    run("DTM", 2, 5,
        {{"20230229", kDay},               {"19000229120000", kDay},          {"20240431", kDay},
         {"20240100", kDay},               {"202413", kMonth},                {"2024130112", kMonth},
         {"0000", kYear},                  {"00000101", kYear},               {"2024011524", kHour},
         {"202401152400", kHour},          {"202401152360", kMinute},         {"20240115235961", kSecond},
         {"20240115123045.12345", kLongFraction}, {"202401151230.5", kFractionEarly},
         {"2024011512.5", kFractionEarly}, {"2024.5", kFractionEarly},        {"20240115123045.", kNoFraction},
         {"202401151230+1401", kOffsetRange}, {"202401151230-1201", kOffsetRange},
         {"202401151230+0060", kOffsetMinutes}, {"202401151230+100", kOffsetShape},
         {"202401151230+", kOffsetShape},  {"24", kDtmShape},                {"20245", kDtmShape},
         {"2024013", kDtmShape},           {"202401151", kDtmShape},         {"20240115123", kDtmShape},
         {"2024011512304", kDtmShape},     {"202401151230450", kDtmShape},   {"-0500", kDtmShape},
         {"+0100", kDtmShape},             {"2024-01-15", kDtmShape},        {"2024-01-15T12:30:45Z", kDtmShape},
         {"20240115T123045", kDtmShape},   {"20240115 123045", kDtmShape},   {"20240115123045Z", kDtmShape},
         {".1234", kDtmShape},             {"20240115123045.1.2", kDtmShape}, {"2024\x00"sv, kControl},
         {"2024\xC2\x85", kControl}});
    // DTM has one grammar: it exists from v2.5, and a caller asking with an older version gets it too.
    run("DTM", 2, 4, {{"2024011512", kOk}, {"2024", kOk}});
    run("DTM", 2, 7, {{"2024011512", kOk}, {"20240115123045.1234+1400", kOk}});
}

TEST_CASE("datatype TS: the time of an event, by version") {
    // v2.5 on: a DTM.
    for (int minor : {5, 6, 7}) {
        run("TS", 2, minor,
            {{"2024", kOk}, {"2024011512", kOk}, {"202401151230+0100", kOk}, {"20240115123045.1234-1200", kOk},
             {"20230229", kDay}, {"2024011", kDtmShape}, {"20240115123045.12345", kLongFraction}});
    }
    // v2.3 and v2.4: YYYY[MM[DD[HHMM[SS[.S[S[S[S]]]]]]]][+/-ZZZZ]; no hour without minutes.
    for (int minor : {3, 4}) {
        run("TS", 2, minor,
            {{"2024", kOk}, {"202401", kOk}, {"20240115", kOk}, {"202401151230", kOk}, {"20240115123045", kOk},
             {"20240115123045.1234", kOk}, {"2024+0100", kOk}, {"202401151230-0500", kOk},
             {"2024011512", kTsShape24}, {"2024011512+0100", kTsShape24}, {"2024013", kTsShape24},
             {"20240229", kOk}, {"20230229", kDay}, {"202401152460", kHour}, {"202401151260", kMinute},
             {"20240115123045.12345", kLongFraction}, {"202401151230.5", kFractionEarly},
             {"202401151230+1401", kOffsetRange}});
    }
    // Before v2.3: YYYYMMDD[HHMM[SS[.S[S[S[S]]]]]][+/-ZZZZ].
    for (int minor : {1, 2}) {
        run("TS", 2, minor,
            {{"20240115", kOk}, {"202401151230", kOk}, {"20240115123045", kOk}, {"20240115123045.1234-0500", kOk},
             {"20240115+0100", kOk}, {"2024", kTsShapeOld}, {"202401", kTsShapeOld}, {"2024+0100", kTsShapeOld},
             {"2024011512", kTsShapeOld}, {"20230229", kDay}, {"20240115123061", kSecond}});
    }
}

TEST_CASE("datatype: leap seconds and midnight") {
    // Second 60 is accepted as a leap second wherever seconds are; 61 never.
    run("TM", 2, 5, {{"235960", kOk}, {"235960.5", kOk}, {"052960+0530", kOk}, {"235961", kSecond}});
    run("DTM", 2, 5, {{"20161231235960", kOk}, {"20161231235961", kSecond}});
    // Midnight is 0000; 2400 is not a time.
    run("TM", 2, 5, {{"0000", kOk}, {"2400", kHour}});
    run("DTM", 2, 5, {{"202401150000", kOk}, {"202401142400", kHour}});
}

TEST_CASE("datatype: control characters in text types") {
    for (std::string_view t : {"ST", "TX", "FT", "ID", "IS", "GTS", "TN"}) {
        run(t, 2, 5,
            {{"plain text", kOk},      {"a\tb", kOk},          {"  leading and trailing  ", kOk},
             {"|^~\\&", kOk},          {"\\.br\\", kOk},       {"caf\xC3\xA9", kOk},
             {"\xC3\x85", kOk} /* A-ring: continuation byte 0x85 is not C1 */,
             {"\xC2\xA0", kOk} /* no-break space */,          {"\xE2\x80\xA8", kOk},
             {"a\x01" "b", kControl},  {"a\rb", kControl},     {"a\nb", kControl},      {"\x1b[0m", kControl},
             {"a\x00" "b"sv, kControl}, {"\x1f", kControl},    {"a\x7f", kControl},     {"\xC2\x80", kControl},
             {"x\xC2\x9F", kControl},  {"\xC2\x85", kControl} /* NEL */});
    }
    run("SNM", 2, 5, {{"\t", kSnmChars}, {"5\x01", kControl}});
    run("SI", 2, 5, {{"\x7f", kControl}});
    run("DT", 2, 5, {{"2024\r", kControl}});
    run("TS", 2, 4, {{"2024\n", kControl}});
}

TEST_CASE("datatype SNM: telephone number digits") {
    run("SNM", 2, 5,
        {{"5551234", kOk},        {"+15551234567", kOk},   {"0012", kOk},          {"+", kOk},
         {"555-1234", kSnmChars}, {"(555)1234", kSnmChars}, {"555 1234", kSnmChars}, {"555.1234", kSnmChars},
         {"x123", kSnmChars}});
}

TEST_CASE("datatype: problem texts never contain the value") {
    // Values whose digits could be patient data: the texts are the same static strings whatever the value.
    CHECK(check("DT", "19800230", 2, 5) == check("DT", "20230229", 2, 5));
    CHECK(check("DTM", "198001011299", 2, 5) == check("DTM", "202401150060", 2, 5));
    for (std::string_view v : {"19800230"sv, "198013"sv, "0000"sv, "198001011299"sv, "19800101+1500"sv}) {
        const std::string_view what = check("DTM", v, 2, 5);
        REQUIRE_FALSE(what.empty());
        CHECK(what.find(v) == std::string_view::npos);
        CHECK(what.find("1980") == std::string_view::npos);
    }
}

// --- dates and times in parts ----------------------------------------------------------------------

namespace {

using hl7::DateTimeParts;
using hl7::DateTimePrecision;

DateTimeParts parsed(std::string_view type, std::string_view value, int major = 2, int minor = 5) {
    auto p = hl7::parse_date_time(type, value, major, minor);
    REQUIRE_MESSAGE(p.has_value(), type << " " << value);
    return *p;
}

// A shifted value, as text ("none" when out of range).
std::string shifted_days(std::string_view type, std::string_view value, std::int64_t days) {
    auto p = hl7::add_days(parsed(type, value), days);
    return p ? hl7::format_date_time(*p) : "none";
}
std::string shifted_seconds(std::string_view type, std::string_view value, std::int64_t seconds) {
    auto p = hl7::add_seconds(parsed(type, value), seconds);
    return p ? hl7::format_date_time(*p) : "none";
}

}  // namespace

TEST_CASE("date/time parts: every precision of a DTM") {
    struct Expect {
        std::string_view value;
        int year, month, day, hour, minute, second, fraction, digits;
        DateTimePrecision precision;
    };
    using P = DateTimePrecision;
    for (const Expect& e : {
             Expect{"2024", 2024, 0, 0, 0, 0, 0, 0, 0, P::year},
             Expect{"202402", 2024, 2, 0, 0, 0, 0, 0, 0, P::month},
             Expect{"20240229", 2024, 2, 29, 0, 0, 0, 0, 0, P::day},
             Expect{"2024022913", 2024, 2, 29, 13, 0, 0, 0, 0, P::hour},
             Expect{"202402291305", 2024, 2, 29, 13, 5, 0, 0, 0, P::minute},
             Expect{"20240229130507", 2024, 2, 29, 13, 5, 7, 0, 0, P::second},
             Expect{"20240229130507.5", 2024, 2, 29, 13, 5, 7, 5, 1, P::second},
             Expect{"20240229130507.05", 2024, 2, 29, 13, 5, 7, 5, 2, P::second},
             Expect{"20240229130507.0500", 2024, 2, 29, 13, 5, 7, 500, 4, P::second},
             Expect{"00010101", 1, 1, 1, 0, 0, 0, 0, 0, P::day},
             Expect{"99991231235960", 9999, 12, 31, 23, 59, 60, 0, 0, P::second},
         }) {
        DateTimeParts p = parsed("DTM", e.value);
        CAPTURE(e.value);
        CHECK(p.has_date);
        CHECK(p.year == e.year);
        CHECK(p.month == e.month);
        CHECK(p.day == e.day);
        CHECK(p.hour == e.hour);
        CHECK(p.minute == e.minute);
        CHECK(p.second == e.second);
        CHECK(p.fraction == e.fraction);
        CHECK(p.fraction_digits == e.digits);
        CHECK(p.precision == e.precision);
        CHECK_FALSE(p.has_offset);
        CHECK(hl7::format_date_time(p) == e.value);
    }
}

TEST_CASE("date/time parts: offsets as written") {
    DateTimeParts utc = parsed("DTM", "20240115123045+0000");
    DateTimeParts minus_zero = parsed("DTM", "20240115123045-0000");
    CHECK(utc.offset_seconds() == 0);
    CHECK(minus_zero.offset_seconds() == 0);
    CHECK_FALSE(utc == minus_zero);  // the sign as written is kept
    CHECK(hl7::format_date_time(minus_zero) == "20240115123045-0000");
    DateTimeParts india = parsed("DTM", "202401151230+0530");
    CHECK(india.has_offset);
    CHECK(india.offset_sign == '+');
    CHECK(india.offset_hours == 5);
    CHECK(india.offset_minutes == 30);
    CHECK(india.offset_seconds() == 19800);
    CHECK(parsed("DTM", "2024-0330").offset_seconds() == -(3 * 3600 + 30 * 60));  // an offset on a year
    CHECK(parsed("TM", "1230-1200").offset_seconds() == -43200);
    CHECK(parsed("DTM", "20240115+1400").offset_seconds() == 14 * 3600);
    CHECK(parsed("DTM", "20240115").offset_seconds() == 0);
    // Offsets check_primitive refuses do not read either.
    for (std::string_view bad : {"20240115+1401", "20240115-1201", "20240115+0160", "20240115+01", "20240115+01:00"})
        CHECK_FALSE(hl7::parse_date_time("DTM", bad, 2, 5).has_value());
}

TEST_CASE("date/time parts: DT, TM and TS by version") {
    DateTimeParts dt = parsed("DT", "202402");
    CHECK(dt.precision == DateTimePrecision::month);
    CHECK(hl7::format_date_time(dt) == "202402");
    CHECK_FALSE(hl7::parse_date_time("DT", "202402", 2, 2).has_value());  // YYYYMMDD before v2.3
    CHECK(hl7::format_date_time(parsed("DT", "19800101", 2, 2)) == "19800101");
    CHECK_FALSE(hl7::parse_date_time("DT", "2024021512", 2, 5).has_value());  // no time in a DT

    DateTimeParts tm = parsed("TM", "123045.12-0300");
    CHECK_FALSE(tm.has_date);
    CHECK(tm.hour == 12);
    CHECK(tm.minute == 30);
    CHECK(tm.second == 45);
    CHECK(tm.fraction == 12);
    CHECK(tm.fraction_digits == 2);
    CHECK(hl7::format_date_time(tm) == "123045.12-0300");
    CHECK(hl7::format_date_time(parsed("TM", "07")) == "07");
    CHECK_FALSE(hl7::parse_date_time("TM", "07", 2, 2).has_value());  // HHMM at least before v2.3
    CHECK(hl7::format_date_time(parsed("TM", "0715", 2, 2)) == "0715");

    // TS: a DTM from v2.5; no hour without minutes in v2.3 and v2.4; YYYYMMDD at least before.
    CHECK(parsed("TS", "2024011512").precision == DateTimePrecision::hour);
    CHECK_FALSE(hl7::parse_date_time("TS", "2024011512", 2, 4).has_value());
    CHECK(parsed("TS", "202401151230", 2, 4).precision == DateTimePrecision::minute);
    CHECK(parsed("TS", "2024", 2, 3).precision == DateTimePrecision::year);
    CHECK_FALSE(hl7::parse_date_time("TS", "2024", 2, 2).has_value());
    CHECK(hl7::format_date_time(parsed("TS", "202401151230-0500", 2, 1)) == "202401151230-0500");

    // Nothing to read: empty, the HL7 null, other types, bad values.
    CHECK_FALSE(hl7::parse_date_time("DTM", "", 2, 5).has_value());
    CHECK_FALSE(hl7::parse_date_time("DTM", "\"\"", 2, 5).has_value());
    CHECK_FALSE(hl7::parse_date_time("ST", "20240115", 2, 5).has_value());
    CHECK_FALSE(hl7::parse_date_time("NM", "2024", 2, 5).has_value());
    for (std::string_view bad :
         {"2024011", "20241301", "20230229", "19000229", "0000", "20240115126", "2024011524", "202401151260",
          "20240115125961", "20240115.5", "20240115123045.", "20240115123045.12345", "2024-01-15", "2024\n"})
        CHECK_MESSAGE(!hl7::parse_date_time("DTM", bad, 2, 5).has_value(), bad);
}

TEST_CASE("date/time parts: a value reads exactly when it passes the check, and writes back as it was") {
    // Random strings over the characters of dates and times, in every version and type.
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    auto next = [&]() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const std::string_view alphabet = "0000111122223333456789+-.";
    int read = 0;
    for (int i = 0; i < 60000; ++i) {
        std::string value;
        // Mostly plausible shapes: a real date/time prefix, then noise.
        const std::string_view seeds[] = {"20240229", "1980010112", "202312312359", "99991231235959", "0001", "1230"};
        value = std::string(seeds[next() % std::size(seeds)]).substr(0, next() % 15);
        for (int k = static_cast<int>(next() % 7); k > 0; --k) value += alphabet[next() % alphabet.size()];
        for (std::string_view type : {"DT", "TM", "DTM", "TS"}) {
            for (auto [major, minor] : {std::pair{2, 2}, std::pair{2, 4}, std::pair{2, 5}}) {
                auto p = hl7::parse_date_time(type, value, major, minor);
                bool passes = !value.empty() && !hl7::check_primitive(type, value, major, minor);
                CHECK_MESSAGE(p.has_value() == passes, type << " " << value << " v2." << minor);
                if (p) {
                    ++read;
                    CHECK_MESSAGE(hl7::format_date_time(*p) == value, type << " " << value);
                    // A shift by nothing changes nothing.
                    auto same = hl7::add_seconds(*p, 0);
                    REQUIRE(same.has_value());
                    CHECK_MESSAGE(hl7::format_date_time(*same) == value, type << " " << value);
                }
            }
        }
    }
    CHECK(read > 10000);
}

TEST_CASE("date/time parts: shifting by days across months, leap days and year ends") {
    CHECK(shifted_days("DT", "20240228", 1) == "20240229");
    CHECK(shifted_days("DT", "20240228", 2) == "20240301");
    CHECK(shifted_days("DT", "20230228", 1) == "20230301");
    CHECK(shifted_days("DT", "20240229", 365) == "20250228");
    CHECK(shifted_days("DT", "20240229", -366) == "20230228");
    CHECK(shifted_days("DT", "20000228", 1) == "20000229");   // 2000 is a leap year
    CHECK(shifted_days("DT", "21000228", 1) == "21000301");   // 2100 is not
    CHECK(shifted_days("DT", "20231231", 1) == "20240101");
    CHECK(shifted_days("DT", "20240101", -1) == "20231231");
    CHECK(shifted_days("DT", "19991225", 10) == "20000104");
    CHECK(shifted_days("DT", "20240131", 30) == "20240301");
    CHECK(shifted_days("DT", "20240115", -3650) == "20140117");
    // The time of day and the offset stay.
    CHECK(shifted_days("DTM", "20231231235959.1234+0100", 1) == "20240101235959.1234+0100");
    CHECK(shifted_days("DTM", "2023123123-0000", 1) == "2024010123-0000");
    // Months and years: the middle of the period moves (the 15th, 1 July).
    CHECK(shifted_days("DT", "202401", 10) == "202401");
    CHECK(shifted_days("DT", "202401", 16) == "202401");   // 15 + 16 = 31 January
    CHECK(shifted_days("DT", "202401", 17) == "202402");
    CHECK(shifted_days("DT", "202401", -14) == "202401");
    CHECK(shifted_days("DT", "202401", -15) == "202312");
    CHECK(shifted_days("DTM", "202412+0200", 17) == "202501+0200");
    CHECK(shifted_days("DT", "2024", 183) == "2024");      // 1 July + 183 days = 31 December
    CHECK(shifted_days("DT", "2024", 184) == "2025");
    CHECK(shifted_days("DT", "2024", -182) == "2024");     // 1 January
    CHECK(shifted_days("DT", "2024", -183) == "2023");
    // Out of range: no result.
    CHECK(shifted_days("DT", "99991231", 1) == "none");
    CHECK(shifted_days("DT", "00010101", -1) == "none");
    CHECK(shifted_days("DT", "20240101", 4000000) == "none");
    CHECK(shifted_days("DT", "20240101", INT64_MIN) == "none");
    // A time alone does not move by days.
    CHECK(shifted_days("TM", "2330", 5) == "2330");
}

TEST_CASE("date/time parts: shifting by seconds keeps the precision") {
    CHECK(shifted_seconds("DTM", "20231231235959", 1) == "20240101000000");
    CHECK(shifted_seconds("DTM", "20231231235959.05", 1) == "20240101000000.05");  // fraction as written
    CHECK(shifted_seconds("DTM", "202312312359", 60) == "202401010000");
    CHECK(shifted_seconds("DTM", "202312312359", 29) == "202312312359");  // half past: 59:30 + 29 s
    CHECK(shifted_seconds("DTM", "202312312359", 30) == "202401010000");
    CHECK(shifted_seconds("DTM", "2024011512", 1799) == "2024011512");
    CHECK(shifted_seconds("DTM", "2024011512", 1800) == "2024011513");
    CHECK(shifted_seconds("DTM", "2024011512", -1800) == "2024011512");
    CHECK(shifted_seconds("DTM", "2024011512", -1801) == "2024011511");
    CHECK(shifted_seconds("DT", "20240115", 43199) == "20240115");  // noon + 11:59:59
    CHECK(shifted_seconds("DT", "20240115", 43200) == "20240116");
    CHECK(shifted_seconds("DTM", "20240301000000-0500", -1) == "20240229235959-0500");
    // Around the clock for a time alone.
    CHECK(shifted_seconds("TM", "2330", 3600) == "0030");
    CHECK(shifted_seconds("TM", "000000.5", -1) == "235959.5");
    CHECK(shifted_seconds("TM", "12", -13 * 3600) == "23");
    // A leap second stays one when moved by whole minutes; else it is second 59 that moves.
    CHECK(shifted_seconds("DTM", "20161231235960", 86400) == "20170101235960");
    CHECK(shifted_seconds("DTM", "20161231235960", 1) == "20170101000000");
    CHECK(shifted_days("DTM", "20161231235960", -1) == "20161230235960");
}

TEST_CASE("date/time parts: day shifts agree with counting day by day") {
    auto days_in = [](int y, int m) {
        constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return m == 2 && leap ? 29 : kDays[m - 1];
    };
    std::uint32_t state = 12345;
    auto next = [&]() { return state = state * 1664525u + 1013904223u; };
    for (int i = 0; i < 300; ++i) {
        int y = 1890 + static_cast<int>(next() % 230), m = 1 + static_cast<int>(next() % 12);
        int d = 1 + static_cast<int>(next() % static_cast<unsigned>(days_in(y, m)));
        int shift = static_cast<int>(next() % 2001) - 1000;
        char text[40];
        std::snprintf(text, sizeof text, "%04d%02d%02d", y, m, d);
        // Step one day at a time.
        int yy = y, mm = m, dd = d;
        for (int k = 0; k < std::abs(shift); ++k) {
            if (shift > 0) {
                if (++dd > days_in(yy, mm)) dd = 1, mm = mm == 12 ? (++yy, 1) : mm + 1;
            } else if (--dd < 1) {
                mm = mm == 1 ? (--yy, 12) : mm - 1;
                dd = days_in(yy, mm);
            }
        }
        char expect[40];
        std::snprintf(expect, sizeof expect, "%04d%02d%02d", yy, mm, dd);
        CHECK_MESSAGE(shifted_days("DT", text, shift) == expect, text << " " << shift);
    }
}
