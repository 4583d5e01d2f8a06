// Unit tests for the de-identification methods: keys, HMAC, pseudonyms, check digits, dates, Safe
// Harbor generalisations and fake values (hl7/pseudonym.hpp).
#include <doctest/doctest.h>

#include <cctype>
#include <set>
#include <string>

#include "hl7/pseudonym.hpp"

using namespace hl7;

namespace {

AnonKey test_key(std::uint8_t seed = 1) {
    AnonKey k;
    for (std::size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<std::uint8_t>(seed * 31 + i);
    return k;
}

std::string hex(const Subkey::Mac& m) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (auto b : m) {
        s += kHex[b >> 4];
        s += kHex[b & 15];
    }
    return s;
}

// Same shape: same length; digits stay digits, letters letters of the same case, the rest kept.
void check_shape(std::string_view in, std::string_view out) {
    REQUIRE(in.size() == out.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto a = static_cast<unsigned char>(in[i]);
        const auto b = static_cast<unsigned char>(out[i]);
        if (std::isdigit(a)) {
            CHECK(std::isdigit(b));
        } else if (std::isupper(a)) {
            CHECK(std::isupper(b));
        } else if (std::islower(a)) {
            CHECK(std::islower(b));
        } else {
            CHECK(a == b);
        }
    }
}

}  // namespace

TEST_CASE("pseudonym: HMAC-SHA256 matches RFC 4231 test case 2") {
    const std::string key = "Jefe";
    auto s = Subkey::from_raw(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
    CHECK(hex(s.mac("what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("pseudonym: key text form") {
    auto k = test_key();
    auto text = k.to_text();
    CHECK(text.size() == 65);
    auto back = AnonKey::from_text(text);
    REQUIRE(back.ok());
    CHECK(*back == k);
    auto commented = AnonKey::from_text("# hl7anon key\n" + text.substr(0, 32) + "\n  " + text.substr(32));
    REQUIRE(commented.ok());
    CHECK(*commented == k);
    CHECK_FALSE(AnonKey::from_text(text.substr(0, 62)).ok());
    CHECK_FALSE(AnonKey::from_text(text + "00").ok());
    auto bad = AnonKey::from_text(std::string(63, 'a') + "g");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "bad-key");
    CHECK(bad.error().text.find("aaa") == std::string::npos);
    auto g1 = AnonKey::generate(), g2 = AnonKey::generate();
    REQUIRE(g1.ok());
    REQUIRE(g2.ok());
    CHECK_FALSE(*g1 == *g2);
}

TEST_CASE("pseudonym: shape, determinism, classes and keys") {
    Subkey name(test_key(), "name"), id(test_key(), "id"), other_key(test_key(2), "name");
    for (std::string_view v : {"DOE", "Smith", "O'Brien-Jones", "123-45-6789", "A1b2C3", "x", "7", "MRN 000123"}) {
        auto p = pseudonym(name, v);
        check_shape(v, p);
        CHECK(p == pseudonym(name, v));
        CHECK_FALSE(equal_folded(p, v));
        CHECK(p != pseudonym(other_key, v));
    }
    CHECK(pseudonym(name, "DOE") != pseudonym(id, "DOE"));
    // Case folded: one base, the value's case applied.
    std::string upper_of_lower = pseudonym(name, "smith");
    for (char& c : upper_of_lower) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(pseudonym(name, "SMITH") == upper_of_lower);
    // Punctuation does not change the digits.
    auto a = pseudonym(id, "123-45-6789"), b = pseudonym(id, "123456789");
    std::string da;
    for (char c : a) {
        if (std::isdigit(static_cast<unsigned char>(c))) da += c;
    }
    CHECK(da == b);
    // Nothing to replace: the value itself.
    CHECK(pseudonym(name, "--") == "--");
    CHECK(pseudonym(name, "") == "");
}

TEST_CASE("pseudonym: UTF-8 becomes ASCII letters, one per character") {
    Subkey name(test_key(), "name");
    auto p = pseudonym(name, "MÜLLER");
    CHECK(p.size() == 6);
    for (char c : p) CHECK(std::isupper(static_cast<unsigned char>(c)));
    CHECK(pseudonym(name, "Müller").size() == 6);
    // Latin-1 letters fold: MÜLLER and müller share a base.
    std::string lower = pseudonym(name, "müller");
    std::string upper = p;
    for (char& c : upper) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower == upper);
    auto cjk = pseudonym(name, "\xE7\x8E\x8B \xE5\xB0\x8F");  // two CJK characters and a space
    CHECK(cjk.size() == 3);
    CHECK(cjk[1] == ' ');
    auto broken = pseudonym(name, "A\xFF\xC3");  // invalid UTF-8: one letter per byte
    CHECK(broken.size() == 3);
}

TEST_CASE("pseudonym: word by word") {
    Subkey name(test_key(), "name");
    auto whole = pseudonym_words(name, "SMITH-JONES");
    CHECK(whole == pseudonym(name, "SMITH") + "-" + pseudonym(name, "JONES"));
    CHECK(pseudonym_words(name, "Anne Marie") == pseudonym(name, "Anne") + " " + pseudonym(name, "Marie"));
}

TEST_CASE("pseudonym: check digits as HL7 defines M10 and M11") {
    CHECK(check_digit(CheckDigitScheme::m10, "12345") == 5);
    CHECK(check_digit(CheckDigitScheme::m10, "401") == 0);
    CHECK(check_digit(CheckDigitScheme::m10, "9999") == 4);
    CHECK(check_digit(CheckDigitScheme::m10, "99999999") == 8);
    CHECK(check_digit(CheckDigitScheme::m11, "1234567") == 4);
    CHECK(check_digit(CheckDigitScheme::m11, "") == std::nullopt);
    CHECK(check_digit(CheckDigitScheme::none, "123") == std::nullopt);
    CHECK(check_digit_scheme("m10") == CheckDigitScheme::m10);
    CHECK(check_digit_scheme("M11") == CheckDigitScheme::m11);
    CHECK(check_digit_scheme("ISO") == CheckDigitScheme::none);
    CHECK(has_valid_check_digit(CheckDigitScheme::m10, "123455"));
    CHECK_FALSE(has_valid_check_digit(CheckDigitScheme::m10, "123456"));
    CHECK(has_valid_check_digit(CheckDigitScheme::m11, "12345674"));

    Subkey id(test_key(), "id");
    for (auto scheme : {CheckDigitScheme::m10, CheckDigitScheme::m11}) {
        for (std::string base : {"12345", "987654321", "00042", "55"}) {
            std::string value = base + char('0' + *check_digit(scheme, base));
            auto p = pseudonym_with_check_digit(id, value, scheme);
            check_shape(value, p);
            CHECK(p != value);
            CHECK(has_valid_check_digit(scheme, p));
            CHECK(p == pseudonym_with_check_digit(id, value, scheme));
        }
    }
    // Not valid before: a plain pseudonym.
    CHECK(pseudonym_with_check_digit(id, "123456", CheckDigitScheme::m10) == pseudonym(id, "123456"));
}

TEST_CASE("pseudonym: date shift range and scope") {
    Subkey date(test_key(), "date");
    std::set<int> seen;
    for (int i = 0; i < 200; ++i) {
        int d = date_shift_days(date, "patient" + std::to_string(i));
        CHECK(d >= -365);
        CHECK(d <= -1);
        seen.insert(d);
    }
    CHECK(seen.size() > 100);
    CHECK(date_shift_days(date, "") == date_shift_days(date, ""));
    CHECK(date_shift_days(date, "") != date_shift_days(Subkey(test_key(3), "date"), ""));
}

TEST_CASE("pseudonym: year only, birth years over 89, ages") {
    auto parts = parse_date_time("DTM", "198004121530-0500", 2, 5);
    REQUIRE(parts);
    CHECK(format_date_time(year_only(*parts)) == "1980");
    CHECK(format_date_time(birth_year_only(*parts, 2024)) == "1980");
    auto old = parse_date_time("DTM", "19300101", 2, 5);
    REQUIRE(old);
    CHECK(format_date_time(birth_year_only(*old, 2024)) == "1934");
    CHECK(format_date_time(birth_year_only(*old, 0)) == "1930");
    auto edge = parse_date_time("DT", "19340615", 2, 5);
    REQUIRE(edge);
    CHECK(format_date_time(birth_year_only(*edge, 2024)) == "1934");
    auto younger = parse_date_time("DT", "19350615", 2, 5);
    REQUIRE(younger);
    CHECK(format_date_time(birth_year_only(*younger, 2024)) == "1935");

    CHECK(aggregate_age("90") == kAgeAggregateNumber);
    CHECK(aggregate_age("104.5") == kAgeAggregateNumber);
    CHECK(aggregate_age("89") == std::nullopt);
    CHECK(aggregate_age("89.9") == std::nullopt);
    CHECK(aggregate_age("abc") == std::nullopt);
    CHECK(aggregate_age("") == std::nullopt);
}

TEST_CASE("pseudonym: zip3 and the restricted prefixes") {
    CHECK(zip3("12345") == "123");
    CHECK(zip3("12345-6789") == "123");
    CHECK(zip3("03601") == "000");
    CHECK(zip3("89301") == "000");
    CHECK(zip3("82100") == "000");
    CHECK(zip3("82200") == "822");
    CHECK(zip3("K1A 0B1") == "");
    CHECK(zip3("12") == "");
    int restricted = 0;
    for (int p = 0; p < 1000; ++p) {
        char buf[4] = {char('0' + p / 100), char('0' + p / 10 % 10), char('0' + p % 10), 0};
        restricted += is_restricted_zip3(buf) ? 1 : 0;
    }
    CHECK(restricted == 17);
}

TEST_CASE("pseudonym: fake values") {
    Subkey name(test_key(), "name"), addr(test_key(), "address"), phone(test_key(), "phone"), mail(test_key(), "email");
    auto f = fake_name(name, "DOE", NamePart::family);
    CHECK(equal_folded(f, fake_name(name, "doe", NamePart::family)));
    for (char c : f) CHECK(std::isupper(static_cast<unsigned char>(c)));
    auto g = fake_name(name, "Jane", NamePart::given);
    CHECK(std::isupper(static_cast<unsigned char>(g[0])));
    CHECK(std::islower(static_cast<unsigned char>(g[1])));
    CHECK_FALSE(equal_folded(fake_name(name, "Smith", NamePart::family), "Smith"));

    auto street = fake_address(addr, "1 CANARY ROAD", AddressPart::street);
    CHECK(street.find(' ') != std::string::npos);
    CHECK(street != "1 CANARY ROAD");
    CHECK(fake_address(addr, "NY", AddressPart::state).size() == 2);
    auto zip = fake_address(addr, "12345-6789", AddressPart::zip);
    check_shape("12345-6789", zip);
    CHECK(zip != "12345-6789");

    auto p = fake_phone(phone, "(617) 555-1234");
    check_shape("(617) 555-1234", p);
    CHECK(p.substr(6, 5) == "555-0");
    CHECK(p.substr(10, 2) == "01");
    auto p11 = fake_phone(phone, "+1 617 123 4567");
    CHECK(p11.substr(0, 3) == "+1 ");
    auto intl = fake_phone(phone, "+49 30 1234567");
    check_shape("+49 30 1234567", intl);
    CHECK(intl != "+49 30 1234567");

    auto e = fake_email(mail, "jane.doe@hospital.org");
    CHECK(e.find("@example.") != std::string::npos);
    CHECK(e == fake_email(mail, "JANE.DOE@HOSPITAL.ORG"));
}
