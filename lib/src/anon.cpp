// The hl7anon engine: a profile applied to a message leaf by leaf through the walk and the editor,
// the residue check, and lookup (see hl7/anon.hpp).
#include "hl7/anon.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "anon_internal.hpp"
#include "hl7/datatypes.hpp"
#include "hl7/edit.hpp"
#include "hl7/escape.hpp"
#include "hl7/header.hpp"
#include "hl7/path.hpp"
#include "hl7/walk.hpp"

namespace hl7::anon {

namespace {

// What a cleared required text field says instead of nothing.
constexpr std::string_view kRemovedPlaceholder = "REMOVED";


// What a leaf is within its datatype, which decides what a method does with it.
enum class Role : std::uint8_t {
    keep,     // a code or a structural part (name type, assigning authority, country): never changed
    family,   // a family name
    given,    // a given or middle name
    id,       // an identifier
    check,    // the check digit of the identifier beside it
    street,
    city,
    state,
    zip,
    address,  // another part of an address (other designation, county, census tract)
    phone,
    email,
    org,      // an organisation's name
    date,
    content,  // embedded data (ED, RP): emptied
    value,    // a primitive value whose type says nothing: the rule's class decides
};

// Every part of a family name (FN: surname, own surname prefix, own surname, partner prefix, partner
// surname): a prefix such as "van der" is part of the name too.
Role name_part(int) { return Role::family; }

// The role of component `c` (subcomponent `s`) in composite `type`; nullopt when the type is not
// one of those that carry identities.
std::optional<Role> composite_role(std::string_view type, int c, int s) {
    if (type == "XPN") {
        if (c == 1) return name_part(s);
        if (c == 2 || c == 3) return Role::given;
        if (c == 10 || c == 12 || c == 13) return Role::date;
        return Role::keep;
    }
    if (type == "XCN" || type == "PPN") {
        if (c == 1) return Role::id;
        if (c == 2) return name_part(s);
        if (c == 3 || c == 4) return Role::given;
        if (c == 11) return Role::check;
        if (c == 17 || c == 19 || c == 20 || (type == "PPN" && c == 15)) return Role::date;
        return Role::keep;
    }
    if (type == "CNN") {
        if (c == 1) return Role::id;
        if (c == 2) return Role::family;
        if (c == 3 || c == 4) return Role::given;
        return Role::keep;
    }
    if (type == "NDL") {
        if (c == 1) return s == 1 ? Role::id : s == 2 ? Role::family : (s == 3 || s == 4) ? Role::given : Role::keep;
        if (c == 2 || c == 3) return Role::date;
        return Role::keep;
    }
    if (type == "CX" || type == "CK") {
        if (c == 1) return Role::id;
        if (c == 2) return Role::check;
        if (c == 7 || c == 8) return Role::date;
        return Role::keep;
    }
    if (type == "EI" || type == "DLN") {
        if (c == 1) return Role::id;
        if (type == "DLN" && c == 3) return Role::date;
        return Role::keep;
    }
    if (type == "EIP") return s == 1 ? Role::id : Role::keep;
    if (type == "XON") {
        if (c == 1) return Role::org;
        if (c == 3 || c == 10) return Role::id;
        if (c == 4) return Role::check;
        return Role::keep;
    }
    if (type == "XAD") {
        if (c == 1) return s == 3 ? Role::address : Role::street;
        if (c == 2 || c == 8 || c == 9 || c == 10) return Role::address;
        if (c == 3) return Role::city;
        if (c == 4) return Role::state;
        if (c == 5) return Role::zip;
        if (c == 12 || c == 13 || c == 14) return Role::date;
        if (c > 14) return Role::address;  // later additions (addressee, comment): fail closed
        return Role::keep;
    }
    if (type == "XTN") {
        if (c == 1 || c == 6 || c == 7 || c == 8 || c == 10 || c == 11 || c == 12) return Role::phone;
        if (c == 4) return Role::email;
        if (c == 9) return Role::address;
        return Role::keep;
    }
    // Embedded data: the data (ED-5) or the pointer (RP-1) emptied; the types and encoding kept.
    if (type == "ED") return c == 5 ? Role::content : Role::keep;
    if (type == "RP") return c == 1 ? Role::content : Role::keep;
    if (type == "TS" || type == "DR") return c == 2 && type == "TS" ? Role::keep : Role::date;
    return std::nullopt;
}

bool is_date_type(std::string_view t) { return t == "DTM" || t == "DT" || t == "TS"; }

Role leaf_role(const Leaf& leaf) {
    if (auto r = composite_role(leaf.field_type, leaf.component, leaf.subcomponent)) return *r;
    if (auto r = composite_role(leaf.component_type, leaf.subcomponent, 1)) return *r;
    if (is_date_type(leaf.leaf_type) || is_date_type(leaf.component_type)) return Role::date;
    if (leaf.leaf_type == "TM") return Role::keep;
    return Role::value;
}

// The value class of a role; `fallback` (the rule's class, or "text") for a plain value.
std::string_view role_class(Role role, std::string_view fallback) {
    switch (role) {
        case Role::family:
        case Role::given: return "name";
        case Role::id:
        case Role::check: return "id";
        case Role::street:
        case Role::city:
        case Role::state:
        case Role::zip:
        case Role::address: return "address";
        case Role::phone: return "phone";
        case Role::email: return "email";
        case Role::org: return "org";
        case Role::date: return "date";
        default: break;
    }
    return fallback.empty() ? std::string_view("text") : fallback;
}

ValueKind class_kind(std::string_view cls) {
    if (cls == "name" || cls == "org") return ValueKind::name;
    if (cls == "id") return ValueKind::id;
    if (cls == "phone") return ValueKind::phone;
    if (cls == "email") return ValueKind::email;
    if (cls == "address") return ValueKind::address;
    if (cls == "date" || cls == "birth") return ValueKind::date;
    if (cls == "text") return ValueKind::text;
    return ValueKind::other;
}

// Whole-value pseudonyms for identifiers and addresses of communication; word by word otherwise.
bool whole_value_class(std::string_view cls) { return cls == "id" || cls == "phone" || cls == "email"; }

// A mask of the value: letters X, digits 0, the rest kept (what free text gets for a value that its
// field cleared: nothing derived from it).
std::string mask(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c >= '0' && c <= '9') out += '0';
        else if (c < 0x80 && std::isalpha(c)) out += 'X';
        else if (c >= 0xC0 || c < 0x80) out += c < 0x80 ? static_cast<char>(c) : 'X';
    }
    return out;
}

bool is_year_unit(std::string_view unit) {
    for (std::string_view u : {"a", "y", "yr", "yrs", "year", "years", "ann"}) {
        if (equal_folded(unit, u)) return true;
    }
    return false;
}

// The dates of a value in the other formats free text uses, for known values and the residue check.
void date_forms(const DateTimeParts& p, std::vector<std::string>& out) {
    if (!p.has_date || p.precision < DateTimePrecision::day) return;
    out.push_back(fmt::format("{:04}{:02}{:02}", p.year, p.month, p.day));
    out.push_back(fmt::format("{:04}-{:02}-{:02}", p.year, p.month, p.day));
    out.push_back(fmt::format("{:02}/{:02}/{:04}", p.month, p.day, p.year));
    out.push_back(fmt::format("{:02}.{:02}.{:04}", p.day, p.month, p.year));
}

struct CompiledRule {
    Rule rule;
    std::optional<detail::PathPattern> path;
};

// Applies `fn` to the parts of `text` outside kept escape sequences (\.br\, \H\ in the JSON form).
template <class Fn>
std::string outside_escapes(std::string_view text, Fn&& fn) {
    if (text.find('\\') == std::string_view::npos) return fn(text);
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t esc = text.find('\\', i);
        if (esc == std::string_view::npos) esc = text.size();
        if (esc > i) out += fn(text.substr(i, esc - i));
        if (esc >= text.size()) break;
        std::size_t close = text.find('\\', esc + 1);
        close = close == std::string_view::npos ? text.size() : close + 1;
        out.append(text.substr(esc, close - esc));
        i = close;
    }
    return out;
}

}  // namespace

// --- the anonymizer ---------------------------------------------------------------------------

struct Anonymizer::State {
    AnonKey key;
    Profile profile;
    AnonOptions options;
    std::vector<CompiledRule> rules;
    std::map<std::string, Subkey, std::less<>> subkeys;
    KnownValues known;
    std::vector<OriginalValue> originals;
    int run_shift = 0;

    State(const AnonKey& k, Profile p, AnonOptions o)
        : key(k), profile(std::move(p)), options(o), known(o.max_known_values) {
        for (const Rule& r : profile.rules) {
            CompiledRule c{r, std::nullopt};
            std::string why;
            if (!r.selector.path.empty()) {
                c.path = detail::compile_path(r.selector.path, why);
                if (!c.path) continue;  // read_config refuses these; a hand-made profile loses the rule
            }
            if (c.path && c.path->repetition > 0) rules_name_repetitions = true;
            rules.push_back(std::move(c));
        }
        run_shift = date_shift_days(subkey("date"), "");
    }

    const Subkey& subkey(std::string_view cls) {
        auto it = subkeys.find(cls);
        if (it == subkeys.end()) it = subkeys.emplace(std::string(cls), Subkey(key, cls)).first;
        return it->second;
    }

    const CompiledRule* first_match(const Leaf& leaf) const {
        for (const CompiledRule& r : rules) {
            if (r.path && !r.path->matches(leaf)) continue;
            if (!r.rule.selector.datatype.empty() && !detail::datatype_matches(r.rule.selector.datatype, leaf)) continue;
            return &r;
        }
        return nullptr;
    }

    // Values remembered, and pseudonyms made, per run: feeds repeat values, and each costs HMACs and
    // known-value entries the first time only. Both bounded (cleared when full: correctness does not
    // depend on them, only speed).
    std::unordered_set<std::string> remembered;
    std::unordered_map<std::string, std::string> pseudonyms;
    std::string scratch_key;

    bool first_time(std::string_view cls, std::string_view text, std::string_view replacement) {
        scratch_key.assign(cls);
        scratch_key.push_back('\0');
        scratch_key.append(text);
        scratch_key.push_back('\0');
        scratch_key.append(replacement);
        if (remembered.size() >= options.max_known_values) remembered.clear();
        return remembered.insert(scratch_key).second;
    }

    template <class Make>
    std::string remembered_pseudonym(std::string_view cls, std::string_view text, Make make) {
        scratch_key.assign(cls);
        scratch_key.push_back('\0');
        scratch_key.append(text);
        if (auto it = pseudonyms.find(scratch_key); it != pseudonyms.end()) return it->second;
        std::string made = make();
        if (pseudonyms.size() >= 65536) pseudonyms.clear();
        pseudonyms.emplace(scratch_key, made);
        return made;
    }

    // Which rule a leaf gets depends only on where it is and its types, which repeat from message to
    // message: the first match is remembered per place (the rule list is tried once per place, not
    // once per leaf). The repetition is part of the place only when a rule names one.
    bool rules_name_repetitions = false;
    std::unordered_map<std::string, const CompiledRule*> decisions;
    std::string place;

    const CompiledRule* rule_for(const Leaf& leaf) {
        place.clear();
        place.append(leaf.segment_id);
        place.push_back('\0');
        for (int n : {leaf.field, rules_name_repetitions ? leaf.repetition : 0, leaf.component, leaf.subcomponent}) {
            place.append(std::to_string(n));
            place.push_back('.');
        }
        for (std::string_view t : {leaf.field_type, leaf.component_type, leaf.leaf_type}) {
            place.append(t);
            place.push_back('\0');
        }
        auto it = decisions.find(place);
        if (it != decisions.end()) return it->second;
        const CompiledRule* rule = first_match(leaf);
        if (decisions.size() < 100000) decisions.emplace(place, rule);  // bounded: odd inputs have odd places
        return rule;
    }

    ScrubOptions scrub_options(int shift) {
        ScrubOptions o;
        o.id_key = &subkey("id");
        o.phone_key = &subkey("phone");
        o.email_key = &subkey("email");
        o.text_key = &subkey("text");
        o.date_shift_days = shift;
        return o;
    }
};

Anonymizer::Anonymizer(const AnonKey& key, Profile profile, AnonOptions options)
    : state_(std::make_unique<State>(key, std::move(profile), options)) {}
Anonymizer::~Anonymizer() = default;

const KnownValues& Anonymizer::known_values() const { return state_->known; }
const std::vector<OriginalValue>& Anonymizer::originals() const { return state_->originals; }
const Profile& Anonymizer::profile() const { return state_->profile; }

ScrubStats Anonymizer::scrub(std::string_view text, std::string& out) const {
    return scrub_text(text, state_->known, state_->scrub_options(state_->run_shift), out);
}

namespace {

// One message being anonymised.
class MessageRun {
public:
    MessageRun(Anonymizer::State& s, Message& m, AnonOutcome& outcome)
        : s_(s), m_(m), d_(m.delimiters()), editor_(m), out_(outcome) {}

    Status run() {
        const Header header = read_header(m_);
        charset_ = header.charset.charset;
        if (header.timestamp.size() >= 4) {
            int y = 0;
            for (char c : header.timestamp.substr(0, 4)) y = c >= '0' && c <= '9' ? y * 10 + (c - '0') : -100000;
            reference_year_ = y > 0 ? y : 0;
        }
        WalkOptions walk;
        auto match = defs::match_version(header.version_text);
        walk.version = match.version;
        if (!walk.version) {
            walk.version = defs::find_version("2.5.1");
            warn("unknown-version", "MSH-12 names no known HL7 version: datatypes read as in v2.5.1");
        }
        version_major_ = 2;
        version_minor_ = header.version && header.version->major == 2 ? header.version->minor : 5;
        shift_ = s_.run_shift;
        if (s_.profile.date_scope == DateScope::patient) {
            std::vector<PathMatch> ids;
            if (auto p = parse_path("PID-3[1].1.1")) find_values(m_, *p, ids);
            if (!ids.empty() && !ids.front().raw.empty()) shift_ = date_shift_days(s_.subkey("date"), decode(ids.front().raw));
        }
        walk_leaves(m_, walk, [this](const Leaf& leaf) { visit(leaf); });
        for (const Deferred& d : deferred_) scrub_leaf(d);
        if (!failure_.ok()) return failure_;
        for (auto it = removed_.rbegin(); it != removed_.rend(); ++it) {
            Path p;
            p.segment = std::string(m_.segment_id(*it));
            p.occurrence = occurrence_of_[*it];
            p.occurrence_given = true;
            if (auto st = editor_.remove(p); !st) return st.error();
        }
        editor_.commit();
        if (text_hits_ > 0) {
            warn("free-text-hits", fmt::format("{} identifying value(s) replaced in free text", text_hits_));
        }
        if (ages_ > 0) warn("age-over-89", fmt::format("{} age(s) over 89 aggregated", ages_));
        if (s_.known.dropped() > 0 && !dropped_warned_) {
            warn("known-values-full", "the run's store of identifying values is full: later values are not "
                                      "looked for in free text of other messages");
        }
        out_.text_hits = text_hits_;
        return Status::success();
    }

private:
    struct Deferred {
        Path path;
        std::string path_text;
        std::string raw;
    };

    std::string decode(std::string_view raw) const {
        std::string text;
        EscapeStats stats;
        decode_value(raw, d_, charset_, TextForm::json, text, stats);
        return text;
    }

    std::string encode(std::string_view text) const {
        std::string raw;
        EscapeStats stats;
        encode_value(text, d_, charset_, TextForm::json, raw, stats);
        return raw;
    }

    void warn(std::string code, std::string text) {
        Diagnostic w;
        w.severity = Severity::warning;
        w.code = std::move(code);
        w.text = std::move(text);
        out_.warnings.push_back(std::move(w));
    }

    static std::string path_text(const Leaf& leaf) {
        if (!is_well_formed_segment_id(leaf.segment_id)) return fmt::format("segment {}", leaf.segment_index + 1);
        return leaf.path().to_string();
    }

    void record(const Leaf& leaf, Method method, std::string_view cls) {
        if (s_.options.record_changes) out_.changes.push_back({path_text(leaf), method, std::string(cls)});
        ++out_.counts[std::string(method_name(method))];
    }

    void remember(const Leaf& leaf, std::string_view text, std::string_view replacement, std::string_view cls,
                  bool derived, const std::optional<DateTimeParts>& date = std::nullopt,
                  const std::optional<DateTimeParts>& new_date = std::nullopt) {
        const ValueKind kind = class_kind(cls);
        if (s_.options.keep_originals)
            s_.originals.push_back({std::string(text), std::string(leaf.raw), path_text(leaf), kind});
        // A value already known with the same replacement adds nothing (feeds repeat values: one
        // patient's name in many segments, the same timestamps); the known-value store is bounded.
        if (!s_.first_time(cls, text, derived ? replacement : std::string_view("\x01masked"))) return;
        const std::string safe = derived ? std::string(replacement) : mask(text);
        s_.known.add(text, safe, kind);
        if (kind == ValueKind::name || kind == ValueKind::address || kind == ValueKind::text) {
            // Each word alone too, so that "Jane" in text is found when PID-5.2 was "JANE ANN".
            const Subkey& sk = s_.subkey(cls);
            std::size_t i = 0;
            while (i < text.size()) {
                while (i < text.size() && !std::isalnum(static_cast<unsigned char>(text[i])) &&
                       static_cast<unsigned char>(text[i]) < 0x80)
                    ++i;
                std::size_t end = i;
                while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                             static_cast<unsigned char>(text[end]) >= 0x80))
                    ++end;
                if (end - i >= 3 && end - i < text.size()) {
                    const std::string_view word = text.substr(i, end - i);
                    s_.known.add(word, derived ? pseudonym(sk, word) : mask(word), kind);
                }
                i = end;
            }
        }
        if (date) {
            std::vector<std::string> from, to;
            date_forms(*date, from);
            if (new_date && new_date->precision >= DateTimePrecision::day) date_forms(*new_date, to);
            for (std::size_t k = 0; k < from.size(); ++k) s_.known.add(from[k], k < to.size() ? to[k] : mask(from[k]), ValueKind::date);
        }
    }

    void set(const Leaf& leaf, std::string_view text) {
        const std::string raw = encode(text);
        // By position first (no path to resolve); by path when that cannot be done.
        if (editor_.set_raw_at(leaf.segment_index, leaf.field, leaf.repetition, leaf.component, leaf.subcomponent, raw))
            return;
        const Path p = leaf.path();
        if (auto st = editor_.set_raw(p, raw); !st) {
            if (auto cleared = editor_.clear(p); !cleared && failure_.ok()) failure_ = cleared.error();
            warn("edit-failed", fmt::format("{}: the replacement could not be written; the value was cleared",
                                            path_text(leaf)));
        }
    }

    void clear(const Leaf& leaf) {
        if (editor_.clear_at(leaf.segment_index, leaf.field, leaf.repetition, leaf.component, leaf.subcomponent)) return;
        if (auto st = editor_.clear(leaf.path()); !st && failure_.ok()) failure_ = st.error();
    }

    std::string pseudonymise(std::string_view text, std::string_view cls) {
        return s_.remembered_pseudonym(cls, text, [&] {
            const Subkey& sk = s_.subkey(cls);
            return outside_escapes(text, [&](std::string_view part) {
                return whole_value_class(cls) ? pseudonym(sk, part) : pseudonym_words(sk, part);
            });
        });
    }

    // The new identifier of the repetition the leaf is in (component `id_component`), with the check
    // digit scheme its scheme component names: a check digit embedded in the identifier is kept valid.
    std::string new_identifier(std::string_view original, CheckDigitScheme scheme, bool separate_check) {
        const Subkey& sk = s_.subkey("id");
        if (scheme != CheckDigitScheme::none && !separate_check) return pseudonym_with_check_digit(sk, original, scheme);
        return pseudonym(sk, original);
    }

    struct IdLayout {
        int id = 1, check = 2, scheme = 3;
    };
    static std::optional<IdLayout> id_layout(std::string_view type) {
        if (type == "CX" || type == "CK") return IdLayout{1, 2, 3};
        if (type == "XCN" || type == "PPN") return IdLayout{1, 11, 12};
        if (type == "XON") return IdLayout{3, 4, 5};
        return std::nullopt;
    }

    std::string component_text(const Leaf& leaf, int c) const {
        auto part = nth_part(leaf.repetition_raw, d_.component, c);
        if (!part) return {};
        auto sub = nth_part(*part, d_.subcomponent, 1);
        return sub ? decode(*sub) : std::string();
    }

    // The identifier or its check digit, keeping M10/M11 check digits valid.
    void identifier(const Leaf& leaf, Role role, const std::string& text) {
        const auto layout = id_layout(leaf.field_type);
        CheckDigitScheme scheme = CheckDigitScheme::none;
        bool separate = false;
        if (layout && leaf.subcomponent == 1) {
            scheme = check_digit_scheme(component_text(leaf, layout->scheme));
            separate = !component_text(leaf, layout->check).empty();
        }
        if (role == Role::check) {
            if (layout && scheme != CheckDigitScheme::none) {
                const std::string id = component_text(leaf, layout->id);
                if (auto c = check_digit(scheme, new_identifier(id, scheme, true))) {
                    set(leaf, std::string(1, static_cast<char>('0' + *c)));
                    record(leaf, Method::pseudonym, "id");
                    return;
                }
            }
            const std::string p = pseudonymise(text, "id");
            set(leaf, p);
            record(leaf, Method::pseudonym, "id");
            return;
        }
        const std::string p = new_identifier(text, scheme, separate);
        set(leaf, p);
        record(leaf, Method::pseudonym, "id");
        remember(leaf, text, p, "id", true);
    }

    std::optional<DateTimeParts> parse_date(const Leaf& leaf, std::string_view text) const {
        std::string_view type = leaf.leaf_type;
        if (!is_date_type(type)) type = is_date_type(leaf.component_type) ? leaf.component_type : "DTM";
        if (type == "TS") type = version_minor_ >= 5 ? "DTM" : "TS";
        auto p = parse_date_time(type, text, version_major_, version_minor_);
        if (!p) p = parse_date_time("DTM", text, 2, 5);  // lenient: a DTM in an older message
        return p;
    }

    void date(const Leaf& leaf, Method method, std::string_view cls, const std::string& text) {
        auto parts = parse_date(leaf, text);
        if (!parts) {
            // Fail closed: a date that does not read is not kept.
            if (method == Method::year_only) {
                clear(leaf);
                record(leaf, Method::clear, "date");
                remember(leaf, text, "", "date", false);
            } else {
                const std::string p = pseudonymise(text, "date");
                set(leaf, p);
                record(leaf, Method::pseudonym, "date");
                remember(leaf, text, p, "date", true);
            }
            warn("unparsed-date", fmt::format("{}: not a date as its type says; {}", path_text(leaf),
                                              method == Method::year_only ? "cleared" : "pseudonymised"));
            return;
        }
        std::optional<DateTimeParts> moved;
        if (method == Method::year_only) {
            moved = cls == "birth" ? birth_year_only(*parts, reference_year_) : year_only(*parts);
            if (cls == "birth" && moved->year != parts->year) ++ages_;
        } else {
            moved = add_days(*parts, shift_);
            if (!moved) moved = year_only(*parts);
        }
        const std::string out = format_date_time(*moved);
        if (out != text) set(leaf, out);
        record(leaf, method, "date");
        remember(leaf, text, out, "date", method == Method::date_shift, parts, moved);
    }

    void visit(const Leaf& leaf) {
        if (leaf.null) return;
        if (removed_.count(leaf.segment_index)) return;
        occurrence_of_[leaf.segment_index] = leaf.occurrence;
        const CompiledRule* cr = s_.rule_for(leaf);
        if (!cr) return;
        const Rule& rule = cr->rule;
        Method method = rule.method;
        if (rule.staff && s_.profile.staff == StaffNames::keep) method = Method::keep;
        if (s_.profile.warn_z_segments && leaf.segment_id.size() == 3 && leaf.segment_id[0] == 'Z' &&
            is_well_formed_segment_id(leaf.segment_id) && warned_z_.insert(std::string(leaf.segment_id)).second) {
            warn("z-segment", fmt::format("segment {} (a Z-segment) is handled by rule {}{}", leaf.segment_id,
                                          rule.selector.path.empty() ? rule.selector.datatype : rule.selector.path,
                                          method == Method::scrub_text ? ": free text scrubbed, other values kept" : ""));
        }
        if (method == Method::keep) return;
        if (method == Method::remove_segment) {
            if (leaf.segment_index == 0) return;  // the MSH that starts the message stays
            removed_.insert(leaf.segment_index);
            record(leaf, method, "");
            return;
        }
        if (method == Method::scrub_text) {
            deferred_.push_back({leaf.path(), path_text(leaf), std::string(leaf.raw)});
            return;
        }
        const Role role = leaf_role(leaf);
        if (role == Role::keep) return;
        const std::string text = decode(leaf.raw);
        const std::string_view cls = role_class(role, rule.value_class);

        switch (method) {
            case Method::clear:
                // A required field emptied would make a valid message invalid (hl7validate must report
                // nothing new): its first text leaf gets a placeholder that says what happened.
                if (leaf.subcomponent == 1 && leaf.leaf_type == "ST" &&
                    ((leaf.component == 1 && leaf.field_def && leaf.field_def->usage == defs::Usage::required) ||
                     (leaf.component_def && leaf.component_def->usage == defs::Usage::required))) {
                    set(leaf, kRemovedPlaceholder);
                    record(leaf, Method::constant, cls);
                    remember(leaf, text, kRemovedPlaceholder, cls, false);
                    return;
                }
                clear(leaf);
                record(leaf, method, cls);
                remember(leaf, text, "", cls, false);
                return;
            case Method::constant:
                set(leaf, rule.constant);
                record(leaf, method, cls);
                remember(leaf, text, rule.constant, cls, false);
                return;
            case Method::age: {
                const auto seg = m_.segment(leaf.segment_index);
                auto units = field_text(seg, d_, 6);
                std::string_view unit = units ? nth_part(*units, d_.component, 1).value_or("") : "";
                if (!is_year_unit(unit)) return;
                if (auto a = aggregate_age(text)) {
                    set(leaf, *a);
                    record(leaf, method, "age");
                    ++ages_;
                }
                return;
            }
            case Method::date_shift:
            case Method::year_only:
                if (role == Role::date || role == Role::value) date(leaf, method, rule.value_class, text);
                return;
            case Method::zip3: {
                if (role == Role::state || role == Role::date) return;
                if (role == Role::zip) {
                    const std::string z = zip3(text);
                    if (z.empty()) clear(leaf);
                    else set(leaf, z);
                    record(leaf, z.empty() ? Method::clear : method, "address");
                    remember(leaf, text, "", "address", false);
                    return;
                }
                clear(leaf);
                record(leaf, Method::clear, cls);
                remember(leaf, text, "", cls, false);
                return;
            }
            default: break;
        }
        // pseudonym and the fake_* methods.
        if (role == Role::content) {
            clear(leaf);
            record(leaf, Method::clear, "content");
            return;
        }
        if (role == Role::date) {
            date(leaf, Method::date_shift, "", text);
            return;
        }
        if (role == Role::state && method != Method::fake_address) return;
        if (role == Role::id || role == Role::check) {
            identifier(leaf, role, text);
            return;
        }
        std::string out;
        Method used = Method::pseudonym;
        const Subkey& sk = s_.subkey(cls);
        if (method == Method::fake_name && (role == Role::family || role == Role::given)) {
            out = fake_name(sk, text, role == Role::family ? NamePart::family : NamePart::given);
            used = method;
        } else if (method == Method::fake_address &&
                   (role == Role::street || role == Role::city || role == Role::state || role == Role::zip)) {
            out = fake_address(sk, text, role == Role::street ? AddressPart::street
                                         : role == Role::city ? AddressPart::city
                                         : role == Role::state ? AddressPart::state
                                                               : AddressPart::zip);
            used = method;
        } else if ((method == Method::fake_phone || method == Method::fake_email) && role == Role::phone) {
            out = fake_phone(sk, text);
            used = Method::fake_phone;
        } else if ((method == Method::fake_phone || method == Method::fake_email) && role == Role::email) {
            out = fake_email(sk, text);
            used = Method::fake_email;
        } else if (role == Role::value && whole_known(text, out)) {
            // A value seen in a structured field (a name in a Z-segment): its replacement there.
        } else {
            out = pseudonymise(text, cls);
        }
        set(leaf, out);
        record(leaf, used, cls);
        remember(leaf, text, out, cls, true);
    }

    // The replacement of `text` when the whole of it is a known value.
    bool whole_known(std::string_view text, std::string& out) const {
        auto m = s_.known.match_at(text, 0);
        if (!m || m->begin != 0 || m->end != text.size() || m->digits_only) return false;
        out = std::string(s_.known.replacement(m->entry));
        return !out.empty();
    }

    void scrub_leaf(const Deferred& d) {
        const std::string text = decode(d.raw);
        std::string out;
        const ScrubStats stats = scrub_text(text, s_.known, s_.scrub_options(shift_), out);
        if (stats.total() == 0) return;
        text_hits_ += stats.total();
        if (auto st = editor_.set_raw(d.path, encode(out)); !st) {
            if (auto cleared = editor_.clear(d.path); !cleared && failure_.ok()) failure_ = cleared.error();
        }
        out_.changes.push_back({d.path_text, Method::scrub_text, "text"});
        ++out_.counts[std::string(method_name(Method::scrub_text))];
    }

    Anonymizer::State& s_;
    Message& m_;
    Delimiters d_;
    Charset charset_ = Charset::ascii;
    Editor editor_;
    AnonOutcome& out_;
    int shift_ = 0;
    int reference_year_ = 0;
    int version_major_ = 2, version_minor_ = 5;
    std::size_t text_hits_ = 0, ages_ = 0;
    bool dropped_warned_ = false;
    std::vector<Deferred> deferred_;
    std::set<std::size_t> removed_;
    std::map<std::size_t, int> occurrence_of_;
    std::set<std::string> warned_z_;
    Status failure_;
};

}  // namespace

Result<AnonOutcome> Anonymizer::anonymize(std::string_view er7) {
    auto parsed = Message::parse(er7);
    if (!parsed) {
        Diagnostic e = parsed.error();
        e.code = "unparsable";
        e.text = "the message could not be parsed: " + e.text;
        e.value.clear();
        return e;
    }
    Message& m = *parsed;
    if (m.empty() || m.segment_id(0) != "MSH") return make_error("unparsable", "the message does not start with MSH");
    state_->originals.clear();
    AnonOutcome outcome;
    MessageRun run(*state_, m, outcome);
    if (auto st = run.run(); !st) {
        Diagnostic e = st.error();
        e.value.clear();
        return e;
    }
    m.write_er7(outcome.er7);
    return outcome;
}

// --- residue check ----------------------------------------------------------------------------

std::vector<Residue> residue_check(const std::vector<OriginalValue>& originals, std::string_view output) {
    KnownValues values(SIZE_MAX);
    enum Form : std::uint32_t { text_form = 0, raw_form = 1, date_form = 2 };
    auto tag = [](std::size_t index, Form form) { return static_cast<std::uint32_t>(index * 4 + form); };
    for (std::size_t i = 0; i < originals.size(); ++i) {
        const OriginalValue& o = originals[i];
        if (o.text.size() < 3) continue;
        values.add(o.text, o.text, o.kind, tag(i, text_form));
        if (o.raw != o.text && o.raw.size() >= 3) values.add(o.raw, o.raw, o.kind, tag(i, raw_form));
        if (o.kind == ValueKind::date) {
            if (auto p = parse_date_time("DTM", o.text, 2, 5)) {
                std::vector<std::string> forms;
                date_forms(*p, forms);
                for (const std::string& f : forms) values.add(f, f, ValueKind::date, tag(i, date_form));
            }
        }
    }
    std::vector<Residue> out;
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t pos = 0; pos < output.size();) {
        auto m = values.match_at(output, pos);
        if (!m) {
            ++pos;
            continue;
        }
        const std::uint32_t t = values.tag(m->entry);
        const OriginalValue& o = originals[t / 4];
        const std::string_view found = output.substr(m->begin, m->end - m->begin);
        std::string form = m->digits_only          ? "digits"
                           : t % 4 == date_form    ? "date"
                           : found == o.text       ? "text"
                           : found == o.raw        ? "raw"
                                                   : "case-folded";
        if (seen.emplace(o.path, form).second) out.push_back({o.path, o.kind, form});
        pos = m->end;
    }
    return out;
}

std::string lookup(const AnonKey& key, std::string_view value_class, std::string_view value) {
    const Subkey sk(key, value_class);
    return whole_value_class(value_class) ? pseudonym(sk, value) : pseudonym_words(sk, value);
}

}  // namespace hl7::anon
