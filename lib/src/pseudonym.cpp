// The de-identification methods as pure functions of a key and a value (see hl7/pseudonym.hpp).
#include "hl7/pseudonym.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "anon_data.hpp"

namespace hl7 {

namespace detail {

// HMAC-SHA256 with the key already absorbed: the digest states after the inner and the outer
// padded key blocks (RFC 2104), copied for each MAC so that the key schedule is done once.
struct HmacState {
    EVP_MD_CTX* inner = nullptr;
    EVP_MD_CTX* outer = nullptr;

    explicit HmacState(std::span<const std::uint8_t> key) {
        std::array<unsigned char, 64> ipad{}, opad{};
        std::memcpy(ipad.data(), key.data(), std::min<std::size_t>(key.size(), 64));
        opad = ipad;
        for (auto& b : ipad) b ^= 0x36;
        for (auto& b : opad) b ^= 0x5c;
        inner = EVP_MD_CTX_new();
        outer = EVP_MD_CTX_new();
        if (inner && outer) {
            EVP_DigestInit_ex(inner, EVP_sha256(), nullptr);
            EVP_DigestUpdate(inner, ipad.data(), ipad.size());
            EVP_DigestInit_ex(outer, EVP_sha256(), nullptr);
            EVP_DigestUpdate(outer, opad.data(), opad.size());
        }
    }
    ~HmacState() {
        EVP_MD_CTX_free(inner);
        EVP_MD_CTX_free(outer);
    }
    HmacState(const HmacState&) = delete;
    HmacState& operator=(const HmacState&) = delete;

    Subkey::Mac mac(std::string_view data, const unsigned char* tail, std::size_t tail_size) const {
        Subkey::Mac out{};
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        if (!ctx || !inner || !outer) {
            EVP_MD_CTX_free(ctx);
            return out;
        }
        std::array<unsigned char, 32> inner_hash{};
        unsigned int n = 0;
        bool ok = EVP_MD_CTX_copy_ex(ctx, inner) == 1 && EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
                  (tail_size == 0 || EVP_DigestUpdate(ctx, tail, tail_size) == 1) &&
                  EVP_DigestFinal_ex(ctx, inner_hash.data(), &n) == 1 && EVP_MD_CTX_copy_ex(ctx, outer) == 1 &&
                  EVP_DigestUpdate(ctx, inner_hash.data(), inner_hash.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &n) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok) out.fill(0);
        return out;
    }
};

}  // namespace detail

// --- keys -------------------------------------------------------------------------------------

AnonKey AnonKey::from_bytes(std::span<const std::uint8_t, 32> bytes) {
    AnonKey key;
    std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
    return key;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<AnonKey> AnonKey::from_text(std::string_view text) {
    AnonKey key;
    std::size_t digits = 0;
    bool line_start = true;
    bool comment = false;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            line_start = true;
            comment = false;
            continue;
        }
        if (comment) continue;
        if (c == ' ' || c == '\t') continue;
        if (line_start && c == '#') {
            comment = true;
            continue;
        }
        line_start = false;
        int v = hex_value(c);
        if (v < 0) return make_error("bad-key", "the key holds a character that is not a hexadecimal digit");
        if (digits >= 64) return make_error("bad-key", "the key is longer than 64 hexadecimal digits (32 bytes)");
        auto& byte = key.bytes[digits / 2];
        byte = static_cast<std::uint8_t>(digits % 2 == 0 ? v << 4 : byte | v);
        ++digits;
    }
    if (digits != 64) return make_error("bad-key", "the key must be 64 hexadecimal digits (32 bytes)");
    return key;
}

Result<AnonKey> AnonKey::generate() {
    AnonKey key;
    if (RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1)
        return make_error("no-random", "the random generator could not make a key");
    return key;
}

std::string AnonKey::to_text() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(65);
    for (std::uint8_t b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    out += '\n';
    return out;
}

Subkey::Subkey(const AnonKey& key, std::string_view class_name) : class_name_(class_name) {
    // The class subkey is HMAC-SHA256(key, class name); the state below is keyed with it.
    detail::HmacState master(key.bytes);
    Mac sub = master.mac(class_name, nullptr, 0);
    state_ = std::make_shared<const detail::HmacState>(sub);
}

Subkey Subkey::from_raw(std::span<const std::uint8_t> key_bytes, std::string_view class_name) {
    Subkey s;
    s.class_name_ = std::string(class_name);
    s.state_ = std::make_shared<const detail::HmacState>(key_bytes.subspan(0, std::min<std::size_t>(key_bytes.size(), 64)));
    return s;
}

Subkey::Mac Subkey::mac(std::string_view data) const {
    if (!state_) return Mac{};
    return state_->mac(data, nullptr, 0);
}

Subkey::Mac Subkey::mac(std::string_view data, std::uint32_t counter) const {
    if (!state_) return Mac{};
    const unsigned char tail[4] = {static_cast<unsigned char>(counter >> 24), static_cast<unsigned char>(counter >> 16),
                                   static_cast<unsigned char>(counter >> 8), static_cast<unsigned char>(counter)};
    return state_->mac(data, tail, sizeof tail);
}

// --- folding and characters -------------------------------------------------------------------

namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool is_letter(unsigned char c) { return is_upper(c) || is_lower(c); }
bool is_word_byte(unsigned char c) { return is_digit(c) || is_letter(c) || c >= 0x80; }

// The length of the UTF-8 character at text[i]: its lead byte and the continuation bytes that
// follow; 1 for a byte that does not start a well-formed sequence.
std::size_t char_length(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
    if (n == 1 || c >= 0xF5) return 1;
    if (i + n > text.size()) return 1;
    for (std::size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
    }
    return n;
}

}  // namespace

void fold_case(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (is_upper(c)) {
            out += static_cast<char>(c + 32);
        } else if (c == 0xC3 && i + 1 < text.size()) {
            auto n = static_cast<unsigned char>(text[i + 1]);
            out += static_cast<char>(c);
            // U+00C0-U+00DE are the upper-case Latin-1 letters (but U+00D7, the multiplication sign).
            out += static_cast<char>(n >= 0x80 && n <= 0x9E && n != 0x97 ? n + 0x20 : n);
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
}

bool equal_folded(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    std::string fa, fb;
    fold_case(a, fa);
    fold_case(b, fb);
    return fa == fb;
}

// --- pseudonyms -------------------------------------------------------------------------------

namespace {

// Uniform digits and letters from HMAC blocks of (key, round, counter), by rejection sampling.
class Keystream {
public:
    Keystream(const Subkey& subkey, std::string_view key, std::uint32_t round)
        : subkey_(subkey), key_(key), round_(round) {}

    std::uint8_t byte() {
        if (pos_ == block_.size()) {
            block_ = subkey_.mac(key_, (round_ << 20) | counter_++);
            pos_ = 0;
        }
        return block_[pos_++];
    }
    int below(int n) {  // uniform in [0, n), n <= 256
        const int limit = 256 - 256 % n;
        for (;;) {
            int b = byte();
            if (b < limit) return b % n;
        }
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v = (v << 8) | byte();
        return v;
    }

private:
    const Subkey& subkey_;
    std::string_view key_;
    std::uint32_t round_;
    std::uint32_t counter_ = 0;
    Subkey::Mac block_{};
    std::size_t pos_ = 32;
};

// The keystream key of a value: its letters, digits and non-ASCII characters, case folded.
void stream_key(std::string_view value, std::string& key) {
    std::string folded;
    fold_case(value, folded);
    for (char c : folded) {
        if (is_word_byte(static_cast<unsigned char>(c))) key += c;
    }
}

bool all_upper_letters(std::string_view value) {
    bool any = false;
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (is_lower(u)) return false;
        if (is_upper(u)) any = true;
    }
    return any;
}

bool has_word_char(std::string_view value) {
    return std::any_of(value.begin(), value.end(), [](char c) { return is_word_byte(static_cast<unsigned char>(c)); });
}

// One derivation of the shape-keeping pseudonym of `value` from the keystream of `key`.
void derive(const Subkey& subkey, std::string_view key, std::string_view value, std::uint32_t round, std::string& out) {
    Keystream ks(subkey, key, round);
    const bool upper = all_upper_letters(value);
    for (std::size_t i = 0; i < value.size();) {
        auto c = static_cast<unsigned char>(value[i]);
        if (is_digit(c)) {
            out += static_cast<char>('0' + ks.below(10));
            ++i;
        } else if (is_letter(c)) {
            out += static_cast<char>((is_upper(c) ? 'A' : 'a') + ks.below(26));
            ++i;
        } else if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
        } else {
            out += static_cast<char>((upper ? 'A' : 'a') + ks.below(26));
            i += char_length(value, i);
        }
    }
}

std::string pseudonym_round(const Subkey& subkey, std::string_view value, std::uint32_t first_round) {
    std::string key;
    stream_key(value, key);
    std::string out;
    const bool must_differ = has_word_char(value);
    for (std::uint32_t round = first_round;; ++round) {
        out.clear();
        derive(subkey, key, value, round, out);
        // 64 rounds: a value with a letter or digit differs with probability 9/10 or more per round.
        if (!must_differ || !equal_folded(out, value) || round >= first_round + 64) break;
    }
    return out;
}

}  // namespace

std::string pseudonym(const Subkey& subkey, std::string_view value) { return pseudonym_round(subkey, value, 0); }

std::string pseudonym_words(const Subkey& subkey, std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        if (!is_word_byte(static_cast<unsigned char>(value[i]))) {
            out += value[i++];
            continue;
        }
        std::size_t end = i;
        while (end < value.size() && is_word_byte(static_cast<unsigned char>(value[end]))) ++end;
        out += pseudonym(subkey, value.substr(i, end - i));
        i = end;
    }
    return out;
}

// --- check digits -----------------------------------------------------------------------------

CheckDigitScheme check_digit_scheme(std::string_view cx3) {
    if (equal_folded(cx3, "M10")) return CheckDigitScheme::m10;
    if (equal_folded(cx3, "M11")) return CheckDigitScheme::m11;
    return CheckDigitScheme::none;
}

std::optional<int> check_digit(CheckDigitScheme scheme, std::string_view digits) {
    if (scheme == CheckDigitScheme::none) return std::nullopt;
    int sum = 0;
    int position = 0;  // 1 for the units digit
    for (std::size_t i = digits.size(); i-- > 0;) {
        auto c = static_cast<unsigned char>(digits[i]);
        if (!is_digit(c)) continue;
        const int d = c - '0';
        ++position;
        if (scheme == CheckDigitScheme::m10) {
            if (position % 2 == 1) {
                const int p = d * 2;
                sum += p > 9 ? p - 9 : p;  // the digits of the product
            } else {
                sum += d;
            }
        } else {
            sum += d * (2 + (position - 1) % 6);
        }
    }
    if (position == 0) return std::nullopt;
    if (scheme == CheckDigitScheme::m10) return (10 - sum % 10) % 10;
    int c1 = sum % 11;
    if (c1 == 0) c1 = 1;
    return (11 - c1) % 10;
}

namespace {

std::size_t last_digit_index(std::string_view value) {
    for (std::size_t i = value.size(); i-- > 0;) {
        if (is_digit(static_cast<unsigned char>(value[i]))) return i;
    }
    return std::string_view::npos;
}

}  // namespace

bool has_valid_check_digit(CheckDigitScheme scheme, std::string_view value) {
    std::size_t last = last_digit_index(value);
    if (last == std::string_view::npos) return false;
    auto c = check_digit(scheme, value.substr(0, last));
    return c && *c == value[last] - '0';
}

std::string pseudonym_with_check_digit(const Subkey& subkey, std::string_view value, CheckDigitScheme scheme) {
    if (!has_valid_check_digit(scheme, value)) return pseudonym(subkey, value);
    for (std::uint32_t round = 0;; round += 1) {
        std::string out = pseudonym_round(subkey, value, round);
        std::size_t last = last_digit_index(out);
        auto c = check_digit(scheme, std::string_view(out).substr(0, last));
        out[last] = static_cast<char>('0' + *c);
        if (!equal_folded(out, value) || round >= 64) return out;
    }
}

// --- dates ------------------------------------------------------------------------------------

int date_shift_days(const Subkey& subkey, std::string_view scope) {
    std::string data = "date-shift:";
    data += scope;
    const auto m = subkey.mac(data);
    const std::uint32_t v = (std::uint32_t{m[0]} << 24) | (std::uint32_t{m[1]} << 16) | (std::uint32_t{m[2]} << 8) | m[3];
    return -1 - static_cast<int>(v % 365);
}

DateTimeParts year_only(const DateTimeParts& parts) {
    if (!parts.has_date) return parts;
    DateTimeParts out;
    out.year = parts.year;
    out.precision = DateTimePrecision::year;
    return out;
}

DateTimeParts birth_year_only(const DateTimeParts& parts, int reference_year) {
    DateTimeParts out = year_only(parts);
    if (out.has_date && reference_year > 0 && reference_year - out.year >= 90) out.year = reference_year - 90;
    return out;
}

// --- Safe Harbor ------------------------------------------------------------------------------

namespace {

// The three-digit ZIP prefixes whose areas held 20,000 people or fewer in the 2000 Census, which
// HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(B)) turns into 000. Source: HHS Office for Civil
// Rights, "Guidance Regarding Methods for De-identification of Protected Health Information"
// (2012), section 3.4, which lists these 17 prefixes from the 2000 Census (the 2002 final rule's
// preamble, 67 FR 53182, describes the method); cross-checked against the restricted-ZCTA list of
// public de-identification configurations (the same 17). HHS warns that a newer census may change
// the list.
constexpr std::array<std::string_view, 17> kRestrictedZip3 = {
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893",
};

}  // namespace

bool is_restricted_zip3(std::string_view prefix) {
    return std::find(kRestrictedZip3.begin(), kRestrictedZip3.end(), prefix) != kRestrictedZip3.end();
}

std::string zip3(std::string_view zip) {
    if (zip.size() < 3 || !is_digit(zip[0]) || !is_digit(zip[1]) || !is_digit(zip[2])) return {};
    std::string prefix(zip.substr(0, 3));
    return is_restricted_zip3(prefix) ? std::string("000") : prefix;
}

std::optional<std::string_view> aggregate_age(std::string_view age) {
    std::size_t i = 0;
    if (i < age.size() && age[i] == '+') ++i;
    long whole = 0;
    std::size_t digits = 0;
    for (; i < age.size() && is_digit(static_cast<unsigned char>(age[i])); ++i, ++digits) {
        if (whole < 100000) whole = whole * 10 + (age[i] - '0');
    }
    if (i < age.size() && age[i] == '.') {
        ++i;
        for (; i < age.size() && is_digit(static_cast<unsigned char>(age[i])); ++i) ++digits;
    }
    if (i != age.size() || digits == 0) return std::nullopt;
    if (whole >= 90) return kAgeAggregateNumber;
    return std::nullopt;
}

// --- fake values ------------------------------------------------------------------------------

namespace {

std::uint32_t pick(const Subkey& subkey, std::string_view value, std::uint32_t salt = 0) {
    std::string key;
    fold_case(value, key);
    const auto m = subkey.mac(key, salt);
    return (std::uint32_t{m[0]} << 24) | (std::uint32_t{m[1]} << 16) | (std::uint32_t{m[2]} << 8) | m[3];
}

// The word the list gives at the picked index, or the next one when it is the value itself.
std::string_view choose(std::span<const std::string_view> list, std::uint32_t index, std::string_view value) {
    std::size_t i = index % list.size();
    if (equal_folded(list[i], value)) i = (i + 1) % list.size();
    return list[i];
}

void apply_case_of(std::string_view value, std::string& text) {
    bool any_lower = false, any_upper = false;
    for (char c : value) {
        any_lower |= is_lower(static_cast<unsigned char>(c));
        any_upper |= is_upper(static_cast<unsigned char>(c));
    }
    if (any_upper && !any_lower) {
        for (char& c : text) c = is_lower(static_cast<unsigned char>(c)) ? static_cast<char>(c - 32) : c;
    } else if (any_lower && !any_upper) {
        for (char& c : text) c = is_upper(static_cast<unsigned char>(c)) ? static_cast<char>(c + 32) : c;
    }
}

// The value's shape with digits from the keystream (the first of them at least `first_min`).
std::string new_digits(const Subkey& subkey, std::string_view value) {
    std::string key;
    stream_key(value, key);
    for (std::uint32_t round = 0;; ++round) {
        Keystream ks(subkey, key, round);
        std::string out(value);
        for (char& c : out) {
            if (is_digit(static_cast<unsigned char>(c))) c = static_cast<char>('0' + ks.below(10));
        }
        if (out != value || round >= 64) return out;
    }
}

}  // namespace

std::string fake_name(const Subkey& subkey, std::string_view value, NamePart part) {
    auto list = part == NamePart::family ? anon_data::family_names() : anon_data::given_names();
    std::string out(choose(list, pick(subkey, value), value));
    apply_case_of(value, out);
    return out;
}

std::string fake_address(const Subkey& subkey, std::string_view value, AddressPart part) {
    std::string out;
    switch (part) {
        case AddressPart::street: {
            const std::uint32_t v = pick(subkey, value);
            out = std::to_string(1 + v % 9899);
            out += ' ';
            out += choose(anon_data::street_words(), pick(subkey, value, 1), value);
            out += ' ';
            out += anon_data::street_suffixes()[(v >> 16) % anon_data::street_suffixes().size()];
            if (equal_folded(out, value)) out.insert(0, "1");
            break;
        }
        case AddressPart::city: out = choose(anon_data::city_names(), pick(subkey, value), value); break;
        case AddressPart::state: out = choose(anon_data::state_codes(), pick(subkey, value), value); break;
        case AddressPart::zip: return has_word_char(value) ? new_digits(subkey, value) : std::string(value);
        case AddressPart::other: return pseudonym_words(subkey, value);
    }
    apply_case_of(value, out);
    return out;
}

std::string fake_phone(const Subkey& subkey, std::string_view value) {
    std::size_t count = 0;
    for (char c : value) count += is_digit(static_cast<unsigned char>(c)) ? 1 : 0;
    std::size_t first = 0;  // digits to keep: a leading country code 1
    if (count == 11) {
        std::size_t i = value.find_first_of("0123456789");
        if (value[i] != '1') return new_digits(subkey, value);
        first = 1;
    } else if (count != 10) {
        return new_digits(subkey, value);
    }
    std::string key;
    stream_key(value, key);
    Keystream ks(subkey, key, 0);
    std::string digits;
    digits += static_cast<char>('2' + ks.below(8));
    digits += static_cast<char>('0' + ks.below(10));
    digits += static_cast<char>('0' + ks.below(10));
    digits += "55501";
    digits += static_cast<char>('0' + ks.below(10));
    digits += static_cast<char>('0' + ks.below(10));
    std::string out(value);
    std::size_t seen = 0, next = 0;
    for (char& c : out) {
        if (!is_digit(static_cast<unsigned char>(c))) continue;
        if (seen++ < first) continue;
        c = digits[next++];
    }
    return out;
}

std::string fake_email(const Subkey& subkey, std::string_view value) {
    static constexpr std::array<std::string_view, 3> kDomains = {"example.com", "example.org", "example.net"};
    const std::uint32_t v = pick(subkey, value);
    std::string out(choose(anon_data::given_names(), v, value));
    apply_case_of("lower", out);
    const std::uint32_t n = (v >> 8) % 100;
    out += static_cast<char>('0' + n / 10);
    out += static_cast<char>('0' + n % 10);
    out += '@';
    out += kDomains[(v >> 20) % kDomains.size()];
    return out;
}

}  // namespace hl7
