// De-identifying HL7 v2 messages (hl7anon): profiles of ordered rules (selector -> method), applied
// leaf by leaf to a message through the walk and the editor; the free-text scrubber; the residue
// check; one value's pseudonym for `hl7anon lookup`.
//
// What it promises:
// - Structure is never rewritten: a leaf is replaced in place (hl7/edit.hpp), so segment order,
//   repetition, component and subcomponent counts, empty parts and `""` nulls, MSH-1/MSH-2 and every
//   untouched segment stay byte for byte; MSH-10 (and MSA-2, which must keep matching it) are kept
//   by every built-in profile. Replacements are escaped, so the output parses as the input did.
// - One value, one replacement: pseudonyms depend only on the key, the class and the value, so the
//   same name in PID-5 and NK1-2, or an identifier in PID-3 and MRG-1, get the same pseudonym in every
//   message of every run with that key. Values seen in structured fields (per run, bounded) are
//   replaced wherever they reappear in free text.
// - Reports never hold original values: paths, methods, classes and counts only.
// - Fail closed inside a message: a leaf a method cannot handle as its type says (a date that does
//   not parse, a ZIP that is not one) is pseudonymised or cleared, never kept, and counted in a
//   warning. A message that does not parse is an error for the caller (who scrubs it whole).
// - The library never prints, reads the clock or the environment: the key comes from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/pseudonym.hpp"

namespace hl7::anon {

// --- methods and rules --------------------------------------------------------------------------

enum class Method : std::uint8_t {
    keep,            // left as it is
    clear,           // emptied (separators kept)
    constant,        // the rule's constant value
    pseudonym,       // format-preserving keyed pseudonym (check digits kept valid in CX)
    fake_name,       // a plausible name from the bundled lists (family / given by component)
    fake_address,    // a plausible street, city, state, ZIP by component
    fake_phone,      // the shape kept, 555-01xx for 10-digit numbers; e-mail components fake_email
    fake_email,      // <word><nn>@example.com
    date_shift,      // the key's whole-day shift, precision and offset kept
    year_only,       // the year alone (birth dates: ages over 89 aggregated)
    zip3,            // addresses: ZIP to its first three digits (restricted ones 000), state and
                     // country kept, every other address part cleared
    age,             // ages (OBX-5 NM in years): 90 and over become 90
    scrub_text,      // free text: known values and patterns (SSN, phone, e-mail, URL, IP, dates) replaced
    remove_segment,  // the whole segment removed (the only method that changes structure)
};

std::string_view method_name(Method method);
std::optional<Method> method_from_name(std::string_view name);

// What a rule matches. A path pattern is SEG-F[.C[.S]] where SEG may end with '*' (Z*, *), F, C and
// S may be '*', and a repetition [n] or [*] may follow F ("PID-3[*].1" is "PID-3.1" in every
// repetition; [n] names that repetition). "SEG-*" is every field of the segment. A datatype matches
// a leaf whose field, component or leaf datatype is that name (XPN anywhere: PID-5, NK1-2, a Z-field
// a caller defines as XPN); DTM also matches leaves of type TS and DT. With both, both must match
// ({path: OBX-5, datatype: TX}).
struct Selector {
    std::string path;      // empty: any place
    std::string datatype;  // empty: any type
};

struct Rule {
    Selector selector;
    Method method = Method::keep;
    std::string constant;     // for Method::constant
    // The class of leaves whose datatype gives them no role of their own (ST, IS, an untyped Z-field:
    // "id", "name", "address", "text"...; "text" when empty). A typed leaf keeps its role's class
    // (XPN names "name", CX-1 "id"), so pseudonyms stay consistent. "birth" with year_only caps ages
    // over 89 (the year of 90 years before the message's MSH-7).
    std::string value_class;
    // A staff rule (XCN): its method applies when the profile replaces staff names, keep otherwise.
    bool staff = false;
    std::uint64_t line = 0;  // the config line it came from (0: built in)
};

enum class StaffNames : std::uint8_t { keep, replace };
enum class DateScope : std::uint8_t { run, patient };

struct Profile {
    std::string name;         // "support", "safe-harbor", "strict", or the config's file name
    std::vector<Rule> rules;  // first match wins; a leaf no rule matches is kept
    StaffNames staff = StaffNames::keep;
    DateScope date_scope = DateScope::run;
    // Free text in unknown Z-segments counts as a warning.
    bool warn_z_segments = true;
};

// The built-in profiles: "support" (the default), "safe-harbor", "strict". nullopt for another name.
// Each starts with its MSH-7 rule (date_shift, or year_only in safe-harbor: the message time follows
// the admission it reports), then keeps MSH, MSA and ERR, then handles the identifier fields typed
// ST/IS (PID-19, PID-12, PID-23, NK1-37, GT1-12, IN1-8, IN1-36, IN2-2/6/8, OBR-18..21) and employer
// fields (IN2-3, NK1-13, GT1-21, GT1-51, IN1-9, IN1-11), then its own rules: describe() lists them.
std::optional<Profile> builtin_profile(std::string_view name);
std::vector<std::string_view> builtin_profile_names();

// The profile's rules as text, one per line, for the man page and `hl7anon --list-rules`:
//   "PID-19                 pseudonym (id)"
//   "XCN                    keep (staff: replace -> pseudonym)"
std::string describe(const Profile& profile);

// Reads an anonymisation config (YAML or JSON) over a base profile:
//   profile: support            # optional: a built-in base instead of `base`
//   staff: keep | replace       # optional
//   date_shift: run | patient   # optional
//   rules:                      # optional: placed before the base's rules (first match wins)
//     - {path: PID-5, method: fake_name}
//     - {datatype: XTN, method: clear}
//     - {path: ZPI-3, method: constant, value: "X"}
//     - {path: ZPI-4, method: pseudonym, class: id}
// Unknown keys, methods and malformed paths are errors "bad-anon-config" with the file's line.
Result<Profile> read_config(std::string_view text, std::string_view file_name, const Profile& base);

// --- known values and the free-text scrubber ----------------------------------------------------

// What kind of value a known value or a residue is.
enum class ValueKind : std::uint8_t { name, id, phone, email, address, date, text, other };
std::string_view value_kind_name(ValueKind kind);

// Identifying values and their replacements, matched in text in one pass: case-insensitive whole
// words, and for identifiers and phone numbers (5 digits or more) their digits whatever the
// punctuation between them. Bounded: past `max_values` entries new ones are dropped and counted.
class KnownValues {
public:
    explicit KnownValues(std::size_t max_values = 200000);
    ~KnownValues();
    KnownValues(KnownValues&&) noexcept;
    KnownValues& operator=(KnownValues&&) noexcept;

    // Adds `value` (plain text) with its replacement; values shorter than 2 characters, or without
    // a letter or digit, are not added (they would match everywhere).
    // `tag` is the caller's own number for the value (the residue check keeps its index there).
    void add(std::string_view value, std::string_view replacement, ValueKind kind, std::uint32_t tag = 0);
    std::size_t size() const;
    std::size_t dropped() const;
    void clear();

    struct Match {
        std::size_t begin = 0, end = 0;
        std::size_t entry = 0;
        bool digits_only = false;
    };
    // The longest known value that starts at text[pos] on a word start; nullopt when none does.
    std::optional<Match> match_at(std::string_view text, std::size_t pos) const;
    std::string_view replacement(std::size_t entry) const;
    ValueKind kind(std::size_t entry) const;
    std::uint32_t tag(std::size_t entry) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct ScrubOptions {
    // Subkeys for values found by pattern (SSNs, phones, e-mails, URLs, IPs); dates are shifted by
    // `date_shift_days` in their own format, or their digits pseudonymised when it is 0.
    const Subkey* id_key = nullptr;
    const Subkey* phone_key = nullptr;
    const Subkey* email_key = nullptr;
    const Subkey* text_key = nullptr;
    int date_shift_days = 0;
    bool patterns = true;
};

struct ScrubStats {
    std::size_t known = 0;     // known values replaced
    std::size_t patterns = 0;  // pattern hits replaced (SSN, phone, e-mail, URL, IP, date)
    std::size_t total() const { return known + patterns; }
};

// Appends `text` to `out` with every known value and every pattern hit replaced: known values first
// (with the replacement their structured field got, in the case of the text: "Doe" for a known
// "DOE" gets the pseudonym in capitalised form), then SSNs (ddd-dd-dddd, 9 digits alone), US phone
// numbers ((ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd, +1 forms, 10 digits alone), e-mail addresses,
// URLs (scheme:// or www.), IPv4 and IPv6 addresses, and dates (YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY,
// DD.MM.YYYY). HL7 escape sequences (`\...\` in TextForm::json text) are copied untouched. Matching
// is one pass over the text, hand-written scanners, no regular expressions.
ScrubStats scrub_text(std::string_view text, const KnownValues& known, const ScrubOptions& options, std::string& out);

// --- the anonymizer -----------------------------------------------------------------------------

struct AnonOptions {
    // Values remembered across messages for free-text scrubbing (bounded memory).
    std::size_t max_known_values = 200000;
    // Keep the originals of the last message for residue_check (hl7anon --check).
    bool keep_originals = false;
    // List every change with its path in AnonOutcome::changes (hl7anon --report); the counts per
    // method are kept either way.
    bool record_changes = true;
};

// One change the anonymizer made: where and how, never what.
struct AnonChange {
    std::string path;  // "PID[1]-5[1].1.1"; "segment N" when the segment ID is not well formed
    Method method = Method::keep;
    std::string value_class;  // "name", "id", ...
};

struct AnonOutcome {
    std::string er7;                  // the de-identified message
    std::vector<AnonChange> changes;  // in message order
    std::map<std::string, std::size_t> counts;  // per method name
    std::size_t text_hits = 0;        // known values and patterns replaced in free text
    Diagnostics warnings;             // z-segment, unparsed-date, unknown-version, age-over-89, ...
};

// An original identifying value, for the residue check (kept in memory only).
struct OriginalValue {
    std::string text;  // plain (unescaped) text
    std::string raw;   // as the message wrote it (escaped)
    std::string path;
    ValueKind kind = ValueKind::other;
};

class Anonymizer {
public:
    Anonymizer(const AnonKey& key, Profile profile, AnonOptions options = {});
    ~Anonymizer();
    Anonymizer(const Anonymizer&) = delete;
    Anonymizer& operator=(const Anonymizer&) = delete;

    // De-identifies one message (ER7 text, one message starting with MSH). A message that does not
    // parse is an error ("unparsable"): the caller scrubs that region whole.
    Result<AnonOutcome> anonymize(std::string_view er7);

    // Non-HL7 text (log lines): scrub_text with the values seen so far and the run's subkeys.
    ScrubStats scrub(std::string_view text, std::string& out) const;

    const KnownValues& known_values() const;
    // The identifying values of the last message (only with AnonOptions::keep_originals).
    const std::vector<OriginalValue>& originals() const;
    const Profile& profile() const;

    struct State;  // the key, profile, subkeys and values seen (anon.cpp)

private:
    std::unique_ptr<State> state_;
};

// What survived: an original value found in the output, by path and kind, and the form it was
// found in ("raw", "text", "case-folded", "digits", "date"). Never the value.
struct Residue {
    std::string path;
    ValueKind kind = ValueKind::other;
    std::string form;
};

// Scans `output` for every original value in its raw, unescaped and case-folded forms, as digits
// (identifiers and phone numbers with 5 digits or more, whatever the punctuation), and dates in
// other formats (YYYY-MM-DD, MM/DD/YYYY, DD.MM.YYYY, YYYYMMDD). Values under 3 characters are not
// searched (they would be found everywhere). Whole words only.
std::vector<Residue> residue_check(const std::vector<OriginalValue>& originals, std::string_view output);

// The pseudonym of one value under a key in a class, as the anonymizer gives it ("name": word by
// word, as in PID-5; "id", "phone", "email" and others: whole), for `hl7anon lookup`.
std::string lookup(const AnonKey& key, std::string_view value_class, std::string_view value);

}  // namespace hl7::anon
