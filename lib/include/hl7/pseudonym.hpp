// The de-identification methods of hl7anon as pure functions of a secret key and a value:
// keyed pseudonyms that keep a value's shape, check digits, date shifts, plausible fake values,
// and the HIPAA Safe Harbor generalisations (year only, ZIP3, ages over 89).
//
// What it promises:
// - Deterministic: the same key, class and value always give the same output, in any process;
//   another key gives unrelated output. Everything comes from HMAC-SHA256 (OpenSSL).
// - Classes separate: every method works with a subkey HMAC-SHA256(key, class name) ("name", "id",
//   "phone", "email", "address", "date", "text", ...), so one value in two classes gives unrelated
//   outputs, and one value in one class the same output wherever it appears.
// - Shape kept: a pseudonym has the value's length in characters; ASCII digits stay digits, ASCII
//   letters stay letters of the same case, every other ASCII byte (spaces, punctuation) is kept as
//   it is. A non-ASCII UTF-8 character (or a byte that is not valid UTF-8) becomes one ASCII
//   letter, upper case when the value's ASCII letters are all upper case, so the output is always
//   ASCII and fits any charset a message declares.
// - Case folded: "SMITH", "Smith" and "smith" share one pseudonym up to case (the pseudonym is
//   derived from the case-folded value, then the value's own case is applied), so a name written
//   in another case in free text is still found and replaced consistently. Folding covers ASCII
//   and the Latin-1 letters of UTF-8 (U+00C0-U+00DE).
// - Never the input: a pseudonym of a value holding at least one letter or digit never equals the
//   value (ignoring case); the derivation moves to its next round until it differs.
// - Nothing here allocates beyond the returned strings; nothing is printed, thrown or read from the
//   environment, except AnonKey::generate, which asks OpenSSL's random generator for a key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hl7/datatypes.hpp"
#include "hl7/error.hpp"

namespace hl7 {

// The secret: 32 bytes. Its text form (key files, environment) is 64 hexadecimal digits, upper or
// lower case; spaces, tabs and line ends around or between them are ignored, and a line that starts
// with '#' is a comment. Nothing else is accepted.
struct AnonKey {
    std::array<std::uint8_t, 32> bytes{};

    static AnonKey from_bytes(std::span<const std::uint8_t, 32> bytes);
    // Reads the text form; "bad-key" with the reason otherwise (the key text is never quoted).
    static Result<AnonKey> from_text(std::string_view text);
    // A fresh key from OpenSSL's random generator; "no-random" when it cannot give one.
    static Result<AnonKey> generate();
    // The text form: 64 lower-case hexadecimal digits and a newline.
    std::string to_text() const;
    bool operator==(const AnonKey&) const = default;
};

namespace detail {
struct HmacState;
}

// A per-class key: HMAC-SHA256(key, class name), ready to compute HMACs. Cheap to copy (shared,
// immutable state); safe to use from several threads.
class Subkey {
public:
    Subkey() = default;  // no key: mac() gives zeros; pseudonym() and friends are then not secret
    Subkey(const AnonKey& key, std::string_view class_name);
    // A subkey from raw key bytes (at most 64), as HMAC takes them: for tests against HMAC vectors.
    static Subkey from_raw(std::span<const std::uint8_t> key_bytes, std::string_view class_name = {});

    using Mac = std::array<std::uint8_t, 32>;
    // HMAC-SHA256(subkey, data), or of data followed by `counter` as 4 big-endian bytes.
    Mac mac(std::string_view data) const;
    Mac mac(std::string_view data, std::uint32_t counter) const;

    std::string_view class_name() const { return class_name_; }
    bool valid() const { return state_ != nullptr; }

private:
    std::shared_ptr<const detail::HmacState> state_;
    std::string class_name_;
};

// --- pseudonyms ---------------------------------------------------------------------------------

// The format-preserving pseudonym of a value (see the promises above). The keystream is derived
// from the value's letters and digits alone, case folded: "123-45-6789" and "123456789" get the
// same digits, "O'Brien" and "OBRIEN" the same letters. For identifiers, phone numbers, e-mail
// addresses, and any value matched as a whole.
std::string pseudonym(const Subkey& subkey, std::string_view value);

// The same, word by word: each run of letters, digits and non-ASCII characters gets the pseudonym
// of that run alone, so "SMITH-JONES" becomes pseudonym("SMITH") '-' pseudonym("JONES") and a
// word of a name found alone in free text gets the same replacement. For names, addresses, text.
std::string pseudonym_words(const Subkey& subkey, std::string_view value);

// Check digit schemes of HL7 table 0061 that a pseudonym can keep valid.
enum class CheckDigitScheme : std::uint8_t { none, m10, m11 };

// "M10", "M11" (any case) -> the scheme; anything else (ISO, NPI, BCV, empty) -> none.
CheckDigitScheme check_digit_scheme(std::string_view cx3);

// The check digit (0-9) of `digits` (its ASCII digits; other bytes are skipped) under `scheme`, as
// HL7 v2 defines them for CK/CX (v2.5 chapter 2A, CX-3; table 0061):
//   M10: the digits in odd positions counting from the right (the units digit is position 1) are
//        doubled, the digits of the products and of the even positions are summed, and the check
//        digit is what brings the sum to the next multiple of 10 (Luhn's mod 10): 12345 -> 5,
//        401 -> 0, 9999 -> 4, 99999999 -> 8.
//   M11: m = sum of digit * weight, weights 2,3,4,5,6,7,2,3,... from the units digit; c1 = m mod 11,
//        read as 1 when 0; the check digit is (11 - c1) mod 10: 1234567 -> 4.
// nullopt when there is no digit, or the scheme is none.
std::optional<int> check_digit(CheckDigitScheme scheme, std::string_view digits);

// Whether the last digit of `value` is the check digit of the digits before it.
bool has_valid_check_digit(CheckDigitScheme scheme, std::string_view value);

// pseudonym(), then, when the value's last digit was a valid check digit under `scheme`, that digit
// recomputed over the new digits, so the pseudonym validates as the original did (a value whose
// check digit did not validate gets a plain pseudonym: nothing to keep). Never the input.
std::string pseudonym_with_check_digit(const Subkey& subkey, std::string_view value, CheckDigitScheme scheme);

// --- dates --------------------------------------------------------------------------------------

// The whole-day shift of the key for `scope` ("" for one shift per run, or a patient identifier for
// a shift per patient): from -365 to -1 days (always into the past, never 0).
int date_shift_days(const Subkey& subkey, std::string_view scope);

// The value at year precision (offset dropped): "19800412" -> "1980".
DateTimeParts year_only(const DateTimeParts& parts);

// A birth date at year precision, with the ages over 89 aggregated (HIPAA Safe Harbor): when the
// person would be 90 or older in `reference_year` (the year of the message), the year becomes
// reference_year - 90, the same for everyone that old. reference_year 0: not known, no cap.
DateTimeParts birth_year_only(const DateTimeParts& parts, int reference_year);

// --- Safe Harbor generalisations ----------------------------------------------------------------

// The first three digits of a US ZIP code ("12345-6789" -> "123"), or "000" when that prefix is one
// of the restricted prefixes of populations of 20,000 or fewer (see pseudonym.cpp for the list and
// its source). Empty when the value does not start with three digits (not a US ZIP code: it cannot
// be generalised and should be removed).
std::string zip3(std::string_view zip);
bool is_restricted_zip3(std::string_view prefix);

// An age at or above 90 aggregated: for an NM value (an age in years) of 90 or more, "90" -- the
// lowest age of the aggregate "90 or older", since an NM field cannot hold "90+"; nullopt when the
// value is below 90 or not a number (left as it is). Free text uses "90+" (kAgeAggregateText).
inline constexpr std::string_view kAgeAggregateNumber = "90";
inline constexpr std::string_view kAgeAggregateText = "90+";
std::optional<std::string_view> aggregate_age(std::string_view age_years);

// --- plausible fake values ----------------------------------------------------------------------
//
// Chosen by HMAC of the case-folded value from small bundled lists (lib/src/anon_data.cpp: common
// words and common names, no real person's data). The case of the value is applied: an all-upper
// value gets an upper-case fake, anything else a capitalised one. Never the value itself. May hold
// spaces; always ASCII.

enum class NamePart : std::uint8_t { family, given };
std::string fake_name(const Subkey& subkey, std::string_view value, NamePart part);

enum class AddressPart : std::uint8_t { street, city, state, zip, other };
// street: "<number> <word> <suffix>"; city: a town name; state: a USPS state code; zip: the
// value's digits replaced (its shape kept, "12345-6789"); other: pseudonym_words.
std::string fake_address(const Subkey& subkey, std::string_view value, AddressPart part);

// The value's shape with new digits; a 10-digit number (or 11 starting with 1) gets the exchange
// 555 and a line number 0100-0199, the range reserved for fictional use in the NANP.
std::string fake_phone(const Subkey& subkey, std::string_view value);

// "<word><2 digits>@example.com" (or .org, .net: the domains RFC 2606 reserves).
std::string fake_email(const Subkey& subkey, std::string_view value);

// --- helpers shared with the scrubber -----------------------------------------------------------

// ASCII and Latin-1 (UTF-8 C3 80-9E) upper-case to lower-case, byte for byte (the length stays).
void fold_case(std::string_view text, std::string& out);
// True when `a` and `b` are equal after fold_case.
bool equal_folded(std::string_view a, std::string_view b);

}  // namespace hl7
