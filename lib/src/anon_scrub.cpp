// The free-text scrubber of hl7anon: known identifying values and patterns (SSN, phone, e-mail,
// URL, IP, dates) replaced in one pass with hand-written scanners (see hl7/anon.hpp).
#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "hl7/anon.hpp"
#include "hl7/datatypes.hpp"

namespace hl7::anon {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_upper(c) || is_lower(c); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_word(char c) { return is_alnum(c) || static_cast<unsigned char>(c) >= 0x80; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char lower(char c) { return is_upper(c) ? static_cast<char>(c + 32) : c; }

// The byte at text[i] case folded as fold_case folds it (ASCII, and Latin-1 after a 0xC3 lead).
char folded_at(std::string_view text, std::size_t i) {
    const char c = text[i];
    if (is_upper(c)) return static_cast<char>(c + 32);
    const auto u = static_cast<unsigned char>(c);
    if (i > 0 && static_cast<unsigned char>(text[i - 1]) == 0xC3 && u >= 0x80 && u <= 0x9E && u != 0x97)
        return static_cast<char>(u + 0x20);
    return c;
}

bool word_start(std::string_view text, std::size_t pos) { return pos == 0 || !is_word(text[pos - 1]); }
bool word_end(std::string_view text, std::size_t end) { return end >= text.size() || !is_word(text[end]); }

// A separator that may stand between the digits of an identifier or phone number.
bool is_digit_separator(char c) { return c == '-' || c == '.' || c == ' ' || c == '(' || c == ')' || c == '/'; }

// Known values are matched whole up to this length; the words of a longer one are known on their
// own (the anonymizer adds them), so text is still scrubbed word by word.
constexpr std::size_t kLongestMatched = 96;

}  // namespace

std::string_view value_kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::name: return "name";
        case ValueKind::id: return "id";
        case ValueKind::phone: return "phone";
        case ValueKind::email: return "email";
        case ValueKind::address: return "address";
        case ValueKind::date: return "date";
        case ValueKind::text: return "text";
        case ValueKind::other: break;
    }
    return "other";
}

// --- known values -----------------------------------------------------------------------------

struct KnownValues::Impl {
    struct Entry {
        std::string key;  // case folded; digits alone for a digits entry
        std::string replacement;
        ValueKind kind = ValueKind::other;
        bool digits_only = false;
        std::uint32_t tag = 0;
    };
    std::size_t max_values;
    std::size_t dropped = 0;
    std::vector<Entry> entries;
    std::unordered_map<std::string, std::size_t> by_key;         // text entries, for de-duplication
    std::unordered_map<std::string, std::size_t> by_digits;      // digits entries
    std::size_t longest_text = 0;  // of the text keys, up to kLongestMatched
    std::size_t longest_digits = 0;
    mutable std::string folded;    // match_at's scratch: the text from a word start, case folded

    bool full() const { return entries.size() >= max_values; }

    void add_text(std::string key, std::string_view replacement, ValueKind kind, std::uint32_t tag) {
        if (by_key.count(key)) return;
        if (full()) {
            ++dropped;
            return;
        }
        const std::size_t index = entries.size();
        longest_text = std::min(kLongestMatched, std::max(longest_text, key.size()));
        by_key.emplace(key, index);
        entries.push_back({std::move(key), std::string(replacement), kind, false, tag});
    }

    void add_digits(std::string digits, std::string replacement_digits, ValueKind kind, std::uint32_t tag) {
        if (by_digits.count(digits)) return;
        if (full()) {
            ++dropped;
            return;
        }
        longest_digits = std::max(longest_digits, digits.size());
        by_digits.emplace(digits, entries.size());
        entries.push_back({std::move(digits), std::move(replacement_digits), kind, true, tag});
    }
};

KnownValues::KnownValues(std::size_t max_values) : impl_(std::make_unique<Impl>()) { impl_->max_values = max_values; }
KnownValues::~KnownValues() = default;
KnownValues::KnownValues(KnownValues&&) noexcept = default;
KnownValues& KnownValues::operator=(KnownValues&&) noexcept = default;

void KnownValues::add(std::string_view value, std::string_view replacement, ValueKind kind, std::uint32_t tag) {
    // Trim spaces: a value is matched as the words it holds.
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    std::size_t alnum = 0, digits = 0;
    for (char c : value) {
        alnum += is_word(c) ? 1 : 0;
        digits += is_digit(c) ? 1 : 0;
    }
    if (value.size() < 2 || alnum == 0) return;
    if (is_word(value.front()) && is_word(value.back())) {
        std::string key;
        fold_case(value, key);
        impl_->add_text(std::move(key), replacement, kind, tag);
    }
    if ((kind == ValueKind::id || kind == ValueKind::phone) && digits >= 5) {
        std::string d, r;
        for (char c : value) {
            if (is_digit(c)) d += c;
        }
        for (char c : replacement) {
            if (is_digit(c)) r += c;
        }
        if (r.size() == d.size()) impl_->add_digits(std::move(d), std::move(r), kind, tag);
    }
}

std::size_t KnownValues::size() const { return impl_->entries.size(); }
std::size_t KnownValues::dropped() const { return impl_->dropped; }
void KnownValues::clear() {
    const std::size_t max = impl_->max_values;
    impl_ = std::make_unique<Impl>();
    impl_->max_values = max;
}
std::string_view KnownValues::replacement(std::size_t entry) const { return impl_->entries[entry].replacement; }
ValueKind KnownValues::kind(std::size_t entry) const { return impl_->entries[entry].kind; }
std::uint32_t KnownValues::tag(std::size_t entry) const { return impl_->entries[entry].tag; }

std::optional<KnownValues::Match> KnownValues::match_at(std::string_view text, std::size_t pos) const {
    if (pos >= text.size() || !word_start(text, pos)) return std::nullopt;
    std::optional<Match> best;
    const Impl& im = *impl_;
    if (pos + 1 < text.size() && !im.by_key.empty()) {
        // One hash lookup per word end within reach, however many values are known (a bucket per
        // first bytes grew with every date and number starting "20" and made logs quadratic).
        std::string& f = im.folded;
        f.clear();
        const std::size_t limit = std::min(text.size(), pos + im.longest_text);
        for (std::size_t e = pos; e < limit; ++e) {
            f.push_back(folded_at(text, e));
            if (f.size() >= 2 && word_end(text, e + 1)) {
                if (auto it = im.by_key.find(f); it != im.by_key.end()) best = Match{pos, e + 1, it->second, false};
            }
        }
    }
    if (!im.by_digits.empty() && (is_digit(text[pos]) || (text[pos] == '(' && pos + 1 < text.size() && is_digit(text[pos + 1])))) {
        // Digits with single separators between them; the longest known run that ends on a digit
        // not followed by another digit.
        std::string digits;
        std::size_t i = pos;
        while (i < text.size() && digits.size() < im.longest_digits) {
            if (is_digit(text[i])) {
                digits += text[i++];
                if (digits.size() >= 5 && (i >= text.size() || !is_alnum(text[i]))) {
                    auto it = im.by_digits.find(digits);
                    if (it != im.by_digits.end() && (!best || i - pos > best->end - best->begin))
                        best = Match{pos, i, it->second, true};
                }
            } else if (is_digit_separator(text[i]) && i + 1 < text.size() &&
                       (is_digit(text[i + 1]) || (text[i] == ')' && text[i + 1] == ' '))) {
                ++i;
            } else {
                break;
            }
        }
    }
    return best;
}

// --- the scrubber -----------------------------------------------------------------------------

namespace {

// The replacement of a known value in the case the text wrote it in.
void append_in_case(std::string_view matched, std::string_view replacement, std::string& out) {
    bool any_upper = false, any_lower = false;
    for (char c : matched) {
        any_upper |= is_upper(c);
        any_lower |= is_lower(c);
    }
    const std::size_t start = out.size();
    out += replacement;
    auto tail = std::string_view(out).substr(start);
    if (tail.size() == matched.size()) {
        for (std::size_t k = 0; k < matched.size(); ++k) {
            char& c = out[start + k];
            if (is_upper(matched[k]) && is_lower(c)) c = static_cast<char>(c - 32);
            if (is_lower(matched[k]) && is_upper(c)) c = static_cast<char>(c + 32);
        }
    } else if (any_upper != any_lower) {
        for (std::size_t k = start; k < out.size(); ++k) {
            if (any_upper && is_lower(out[k])) out[k] = static_cast<char>(out[k] - 32);
            if (any_lower && is_upper(out[k])) out[k] = static_cast<char>(out[k] + 32);
        }
    }
}

// The matched text with its digits replaced, in order, by `digits`.
void append_digits_into(std::string_view matched, std::string_view digits, std::string& out) {
    std::size_t next = 0;
    for (char c : matched) out += is_digit(c) && next < digits.size() ? digits[next++] : c;
}

std::size_t count_digits(std::string_view text, std::size_t pos, std::size_t max) {
    std::size_t n = 0;
    while (pos + n < text.size() && n < max && is_digit(text[pos + n])) ++n;
    return n;
}

int number(std::string_view text, std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) v = v * 10 + (text[pos + k] - '0');
    return v;
}

bool digit_bounded(std::string_view text, std::size_t end) { return end >= text.size() || !is_alnum(text[end]); }

// A date in text: its end and the parts, in one of the formats, with the writer of that format.
enum class DateFormat : std::uint8_t { iso, compact, us, european };

struct FoundDate {
    std::size_t end = 0;
    DateFormat format = DateFormat::iso;
    DateTimeParts parts;
    std::size_t compact_digits = 8;
};

std::optional<DateTimeParts> make_date(int year, int month, int day) {
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    char buf[9];
    buf[0] = static_cast<char>('0' + year / 1000);
    buf[1] = static_cast<char>('0' + year / 100 % 10);
    buf[2] = static_cast<char>('0' + year / 10 % 10);
    buf[3] = static_cast<char>('0' + year % 10);
    buf[4] = static_cast<char>('0' + month / 10);
    buf[5] = static_cast<char>('0' + month % 10);
    buf[6] = static_cast<char>('0' + day / 10);
    buf[7] = static_cast<char>('0' + day % 10);
    return parse_date_time("DT", std::string_view(buf, 8), 2, 5);
}

std::optional<FoundDate> find_date(std::string_view text, std::size_t pos) {
    const std::size_t lead = count_digits(text, pos, 15);
    if (lead == 4 && pos + 10 <= text.size() && text[pos + 4] == '-' && count_digits(text, pos + 5, 3) == 2 &&
        text[pos + 7] == '-' && count_digits(text, pos + 8, 3) == 2 && digit_bounded(text, pos + 10)) {
        if (auto p = make_date(number(text, pos, 4), number(text, pos + 5, 2), number(text, pos + 8, 2)))
            return FoundDate{pos + 10, DateFormat::iso, *p};
    }
    if ((lead == 8 || lead == 12 || lead == 14) && digit_bounded(text, pos + lead)) {
        const int year = number(text, pos, 4);
        if (year >= 1900 && year <= 2099) {
            if (auto p = parse_date_time("DTM", text.substr(pos, lead), 2, 5))
                return FoundDate{pos + lead, DateFormat::compact, *p, lead};
        }
    }
    if (lead == 1 || lead == 2) {
        const char sep = pos + lead < text.size() ? text[pos + lead] : 0;
        if (sep == '/' || sep == '.') {
            const std::size_t p2 = pos + lead + 1;
            const std::size_t second = count_digits(text, p2, 3);
            if ((second == 1 || second == 2) && p2 + second < text.size() && text[p2 + second] == sep &&
                count_digits(text, p2 + second + 1, 5) == 4 && digit_bounded(text, p2 + second + 5)) {
                const int a = number(text, pos, lead), b = number(text, p2, second);
                const int year = number(text, p2 + second + 1, 4);
                const bool us = sep == '/';
                if (auto p = make_date(year, us ? a : b, us ? b : a))
                    return FoundDate{p2 + second + 5, us ? DateFormat::us : DateFormat::european, *p};
            }
        }
    }
    return std::nullopt;
}

void append_two(int v, std::string& out) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
}

// Writes `parts` in the format it was found in (the US and European forms with two-digit days
// and months, whatever the original used).
void append_date(const FoundDate& found, const DateTimeParts& parts, std::string& out) {
    auto year = [&] {
        append_two(parts.year / 100, out);
        append_two(parts.year % 100, out);
    };
    switch (found.format) {
        case DateFormat::compact: append_date_time(parts, out); break;
        case DateFormat::iso:
            year();
            out += '-';
            append_two(parts.month, out);
            out += '-';
            append_two(parts.day, out);
            break;
        case DateFormat::us:
            append_two(parts.month, out);
            out += '/';
            append_two(parts.day, out);
            out += '/';
            year();
            break;
        case DateFormat::european:
            append_two(parts.day, out);
            out += '.';
            append_two(parts.month, out);
            out += '.';
            year();
            break;
    }
}

// ddd-dd-dddd or nine digits alone.
std::size_t find_ssn(std::string_view text, std::size_t pos) {
    const std::size_t lead = count_digits(text, pos, 10);
    if (lead == 9 && digit_bounded(text, pos + 9)) return pos + 9;
    if (lead == 3 && pos + 11 <= text.size() && text[pos + 3] == '-' && count_digits(text, pos + 4, 3) == 2 &&
        text[pos + 6] == '-' && count_digits(text, pos + 7, 5) == 4 && digit_bounded(text, pos + 11))
        return pos + 11;
    return std::string_view::npos;
}

// US phone numbers: [+1 |1-](ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd, ddd ddd dddd, 10 digits.
std::size_t find_phone(std::string_view text, std::size_t pos) {
    std::size_t i = pos;
    if (i < text.size() && text[i] == '+') ++i;
    if (i + 1 < text.size() && text[i] == '1' && (text[i + 1] == ' ' || text[i + 1] == '-' || text[i + 1] == '.')) i += 2;
    else if (i != pos) return std::string_view::npos;  // '+' without 1
    if (i < text.size() && text[i] == '(') {
        if (count_digits(text, i + 1, 4) != 3 || i + 4 >= text.size() || text[i + 4] != ')') return std::string_view::npos;
        i += 5;
        if (i < text.size() && text[i] == ' ') ++i;
        if (count_digits(text, i, 4) != 3 || i + 3 >= text.size()) return std::string_view::npos;
        i += 3;
        if (text[i] == '-' || text[i] == '.' || text[i] == ' ') ++i;
    } else {
        const std::size_t lead = count_digits(text, i, 11);
        if (lead == 10 && i == pos && digit_bounded(text, i + 10)) return i + 10;
        if (lead != 3 || i + 3 >= text.size()) return std::string_view::npos;
        const char sep = text[i + 3];
        if (sep != '-' && sep != '.' && sep != ' ') return std::string_view::npos;
        if (count_digits(text, i + 4, 4) != 3 || i + 7 >= text.size() || text[i + 7] != sep) return std::string_view::npos;
        i += 8;
    }
    if (count_digits(text, i, 5) != 4 || !digit_bounded(text, i + 4)) return std::string_view::npos;
    return i + 4;
}

bool email_local(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

std::size_t find_email(std::string_view text, std::size_t pos) {
    std::size_t i = pos;
    while (i < text.size() && email_local(text[i])) ++i;
    if (i == pos || i >= text.size() || text[i] != '@') return std::string_view::npos;
    std::size_t d = ++i;
    while (i < text.size() && domain_char(text[i])) ++i;
    while (i > d && (text[i - 1] == '.' || text[i - 1] == '-')) --i;
    const std::string_view domain = text.substr(d, i - d);
    const std::size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) return std::string_view::npos;
    for (char c : domain.substr(dot + 1)) {
        if (!is_alpha(c)) return std::string_view::npos;
    }
    return i;
}

bool starts_with_folded(std::string_view text, std::size_t pos, std::string_view prefix) {
    if (text.size() - pos < prefix.size()) return false;
    for (std::size_t k = 0; k < prefix.size(); ++k) {
        if (lower(text[pos + k]) != prefix[k]) return false;
    }
    return true;
}

// A URL: its end, and the length of the scheme part kept ("https://", "www.").
std::size_t find_url(std::string_view text, std::size_t pos, std::size_t& scheme) {
    static constexpr std::array<std::string_view, 5> kStarts = {"https://", "http://", "ftp://", "file://", "www."};
    scheme = 0;
    for (auto s : kStarts) {
        if (starts_with_folded(text, pos, s)) {
            scheme = s.size();
            break;
        }
    }
    if (scheme == 0) return std::string_view::npos;
    std::size_t i = pos + scheme;
    while (i < text.size()) {
        const char c = text[i];
        if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"' || c == '\'' || c == '\\') break;
        ++i;
    }
    while (i > pos + scheme && (text[i - 1] == '.' || text[i - 1] == ',' || text[i - 1] == ')' || text[i - 1] == ';'))
        --i;
    return i > pos + scheme ? i : std::string_view::npos;
}

std::size_t find_ipv4(std::string_view text, std::size_t pos) {
    std::size_t i = pos;
    for (int part = 0; part < 4; ++part) {
        const std::size_t n = count_digits(text, i, 4);
        if (n == 0 || n > 3 || number(text, i, n) > 255) return std::string_view::npos;
        i += n;
        if (part < 3) {
            if (i >= text.size() || text[i] != '.') return std::string_view::npos;
            ++i;
        }
    }
    if (i < text.size() && (is_alnum(text[i]) || (text[i] == '.' && i + 1 < text.size() && is_digit(text[i + 1]))))
        return std::string_view::npos;
    return i;
}

// IPv6: hex groups of 1-4 digits, either eight of them or fewer with one "::"; at least one group of
// 3-4 hex digits or a hex letter, so that times (10:30:00) never look like one.
std::size_t find_ipv6(std::string_view text, std::size_t pos) {
    std::size_t i = pos;
    int groups = 0, colons = 0;
    bool double_colon = false, strong = false;
    while (i < text.size()) {
        std::size_t n = 0;
        bool letter = false;
        while (i + n < text.size() && is_hex(text[i + n]) && n < 5) {
            letter |= !is_digit(text[i + n]);
            ++n;
        }
        if (n > 4) return std::string_view::npos;
        if (n > 0) {
            ++groups;
            strong |= letter || n >= 3;
            i += n;
        }
        if (i < text.size() && text[i] == ':') {
            if (i + 1 < text.size() && text[i + 1] == ':') {
                if (double_colon) return std::string_view::npos;
                double_colon = true;
                colons += 2;
                i += 2;
                continue;
            }
            if (n == 0 && !(i > pos && text[i - 1] == ':')) return std::string_view::npos;
            ++colons;
            ++i;
            if (i >= text.size() || !is_hex(text[i])) {
                --i;  // a trailing ':' is not part of the address
                --colons;
                break;
            }
            continue;
        }
        break;
    }
    if (i < text.size() && (is_alnum(text[i]))) return std::string_view::npos;
    const bool shape = double_colon ? groups >= 1 && groups <= 7 : groups == 8 && colons == 7;
    return shape && strong && colons >= 2 ? i : std::string_view::npos;
}

void append_pseudonym(const Subkey* key, std::string_view value, std::string& out) {
    static const Subkey kNone;
    out += pseudonym(key ? *key : kNone, value);
}

}  // namespace

ScrubStats scrub_text(std::string_view text, const KnownValues& known, const ScrubOptions& options, std::string& out) {
    ScrubStats stats;
    out.reserve(out.size() + text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\\') {
            // A kept escape sequence (\.br\, \H\, \X0D\ ...) is copied as it is.
            const std::size_t close = text.find('\\', i + 1);
            const std::size_t end = close == std::string_view::npos ? text.size() : close + 1;
            out.append(text.substr(i, end - i));
            i = end;
            continue;
        }
        const bool start = word_start(text, i);
        if (!start || !(is_word(c) || c == '(' || c == '+')) {
            out += c;
            ++i;
            continue;
        }
        if (auto m = known.match_at(text, i)) {
            const std::string_view matched = text.substr(m->begin, m->end - m->begin);
            if (m->digits_only) append_digits_into(matched, known.replacement(m->entry), out);
            else append_in_case(matched, known.replacement(m->entry), out);
            ++stats.known;
            i = m->end;
            continue;
        }
        if (options.patterns) {
            std::size_t end = std::string_view::npos;
            std::size_t scheme = 0;
            if (is_alpha(c) && (end = find_url(text, i, scheme)) != std::string_view::npos) {
                out.append(text.substr(i, scheme));
                append_pseudonym(options.text_key, text.substr(i + scheme, end - i - scheme), out);
            } else if (is_alnum(c) && (end = find_email(text, i)) != std::string_view::npos) {
                append_pseudonym(options.email_key, text.substr(i, end - i), out);
            } else if (is_hex(c) && (end = find_ipv6(text, i)) != std::string_view::npos) {
                const auto mac = (options.id_key ? *options.id_key : Subkey()).mac(text.substr(i, end - i));
                static constexpr char kHex[] = "0123456789abcdef";
                out += "2001:db8::";
                for (int k = 0; k < 2; ++k) {
                    out += kHex[mac[static_cast<std::size_t>(k)] >> 4];
                    out += kHex[mac[static_cast<std::size_t>(k)] & 15];
                }
            } else if (is_digit(c) && (end = find_ipv4(text, i)) != std::string_view::npos) {
                const auto mac = (options.id_key ? *options.id_key : Subkey()).mac(text.substr(i, end - i));
                out += "10.";
                out += std::to_string(mac[0]);
                out += '.';
                out += std::to_string(mac[1]);
                out += '.';
                out += std::to_string(mac[2]);
            } else if (is_digit(c)) {
                if (auto d = find_date(text, i)) {
                    end = d->end;
                    std::optional<DateTimeParts> shifted;
                    if (options.date_shift_days != 0) shifted = add_days(d->parts, options.date_shift_days);
                    if (shifted) append_date(*d, *shifted, out);
                    else append_pseudonym(options.id_key, text.substr(i, end - i), out);
                } else if ((end = find_ssn(text, i)) != std::string_view::npos) {
                    append_pseudonym(options.id_key, text.substr(i, end - i), out);
                } else if ((end = find_phone(text, i)) != std::string_view::npos) {
                    append_pseudonym(options.phone_key, text.substr(i, end - i), out);
                }
            } else if ((c == '(' || c == '+') && (end = find_phone(text, i)) != std::string_view::npos) {
                append_pseudonym(options.phone_key, text.substr(i, end - i), out);
            }
            if (end != std::string_view::npos) {
                ++stats.patterns;
                i = end;
                continue;
            }
        }
        // No match here: copy the word, so that nothing starts inside it.
        if (is_word(c)) {
            std::size_t end = i;
            while (end < text.size() && is_word(text[end])) ++end;
            out.append(text.substr(i, end - i));
            i = end;
        } else {
            out += c;
            ++i;
        }
    }
    return stats;
}

}  // namespace hl7::anon
