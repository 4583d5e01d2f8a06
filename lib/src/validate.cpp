// The validator: header, structure (segment order, groups, cardinality), fields, datatypes, tables.
#include "hl7/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "hl7/datatypes.hpp"
#include "hl7/escape.hpp"
#include "hl7/header.hpp"
#include "hl7/profile.hpp"
#include "scan.hpp"

namespace hl7 {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool well_formed_id(std::string_view id) {
    return id.size() == 3 && is_upper(id[0]) && (is_upper(id[1]) || is_digit(id[1])) &&
           (is_upper(id[2]) || is_digit(id[2]));
}

bool is_z_segment(std::string_view id) { return !id.empty() && id[0] == 'Z'; }

// Splits `text` at `sep` without allocating: call next() until it returns false.
struct Splitter {
    std::string_view text;
    char sep;
    std::size_t pos = 0;
    bool done = false;
    bool next(std::string_view& part) {
        if (done) return false;
        if (sep == 0) {
            part = text;
            done = true;
            return true;
        }
        std::size_t e = text.find(sep, pos);
        if (e == std::string_view::npos) {
            part = text.substr(pos);
            done = true;
        } else {
            part = text.substr(pos, e - pos);
            pos = e + 1;
        }
        return true;
    }
};

class MessageValidator {
public:
    MessageValidator(const Message& m, Charset charset, const ValidationOptions& options, std::vector<Finding>& out)
        : m_(m), d_(m.delimiters()), charset_(charset), options_(options), out_(out) {}

    void run() {
        header();
        segment_ids_and_occurrences();
        if (version_) structure();
        for (std::size_t i = 0; i < m_.size(); ++i) fields(i);
        for (const auto& profile : options_.profiles) profile->check(m_, charset_, out_);
    }

private:
    Finding& add(Severity severity, int code, std::string rule, Path location, std::uint32_t segment_index,
                 std::string text, std::string_view value = {}) {
        Finding f;
        f.severity = severity;
        f.code = code;
        f.rule = std::move(rule);
        f.location = std::move(location);
        f.segment_index = segment_index;
        f.text = std::move(text);
        f.value = std::string(value);
        out_.push_back(std::move(f));
        return out_.back();
    }

    Path path_of(std::size_t segment, int field = 0, int repetition = 1, int component = 0, int subcomponent = 0) {
        Path p;
        p.segment = std::string(ids_[segment]);
        p.occurrence = occurrences_[segment];
        p.field = field;
        p.repetition = repetition;
        p.repetition_given = repetition > 1;
        p.component = component;
        p.subcomponent = subcomponent;
        return p;
    }

    // The decoded text of a leaf value: `raw` itself when there is nothing to decode, else the
    // decoding in a buffer reused from value to value (valid until the next call).
    std::string_view decoded(std::string_view raw, EscapeStats& stats) {
        if (!needs_decoding(raw, d_)) return raw;
        decode_buffer_.clear();
        decode_value(raw, d_, charset_, TextForm::plain, decode_buffer_, stats);
        return decode_buffer_;
    }

    // Lookups repeat for every field of every segment: a small direct-mapped cache in front of the
    // binary searches. Datatype names are keyed by where they are stored (definitions or message
    // text, both stable while this message is checked).
    const defs::DatatypeDef* datatype(std::string_view type) {
        auto& slot = datatype_cache_[(reinterpret_cast<std::uintptr_t>(type.data()) >> 2) % datatype_cache_.size()];
        if (slot.key != type.data() || slot.size != type.size()) slot = {type.data(), type.size(), version_->datatype(type)};
        return slot.def;
    }
    const defs::TableDef* cached_table(std::uint16_t number) {
        auto& slot = table_cache_[number % table_cache_.size()];
        if (slot.number != number || !slot.looked_up) slot = {number, true, defs::table(number)};
        return slot.def;
    }
    struct DatatypeSlot {
        const char* key = nullptr;
        std::size_t size = 0;
        const defs::DatatypeDef* def = nullptr;
    };
    struct TableSlot {
        std::uint16_t number = 0;
        bool looked_up = false;
        const defs::TableDef* def = nullptr;
    };
    std::array<DatatypeSlot, 64> datatype_cache_{};
    std::array<TableSlot, 64> table_cache_{};

    // Characters of a value once decoded (UTF-8 code points; escapes count as what they stand for).
    std::size_t characters(std::string_view raw) {
        EscapeStats stats;
        std::string_view text = decoded(raw, stats);
        std::size_t n = 0;
        for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return n;
    }

    // --- header -----------------------------------------------------------------------------

    void header() {
        const Header h = read_header(m_);
        Path p;
        p.segment = "MSH";
        auto at = [&](int field, int component = 0) {
            Path q = p;
            q.field = field;
            q.component = component;
            return q;
        };
        // Version first: everything else depends on the definition set.
        std::string_view msh12 = h.version_text;
        std::string wanted = options_.version_override;
        for (const auto& profile : options_.profiles)
            if (wanted.empty() && !profile->version().empty()) wanted = profile->version();
        if (!wanted.empty()) {
            auto match = defs::match_version(wanted);
            version_ = match.version;
            if (!version_) {
                add(Severity::error, kUnsupportedVersion, "version", at(12), 1,
                    fmt::format("version '{}' to validate as is not known", wanted));
            } else if (match.normalised != version_->name) {
                add(Severity::warning, kUnsupportedVersion, "version", at(12), 1,
                    fmt::format("version '{}' validated as {}, the nearest definitions here", wanted, version_->name));
            }
        } else {
            // MSH-12 is protocol data, not patient data: the notes may quote it.
            auto match = defs::match_version(msh12);
            version_ = match.version;
            if (!version_) {
                add(Severity::error, kUnsupportedVersion, "version", at(12, 1), 1,
                    msh12.empty() ? std::string("MSH-12 (version) is empty: fields and structure not checked")
                                  : fmt::format("{}; fields and structure not checked", match.note),
                    msh12);
            } else if (!match.exact) {
                add(Severity::warning, kUnsupportedVersion, "version", at(12, 1), 1, match.note, msh12);
            }
        }
        if (version_) {
            VersionId v = read_version(version_->name).version.value_or(VersionId{2, 5, 0, "2.5"});
            std::tie(major_, minor_) = std::tie(v.major, v.minor);
        }

        std::string_view type = h.type, trigger = h.event, structure = h.structure;
        if (type.empty()) {
            add(Severity::error, kRequiredMissing, "header", at(9, 1), 1, "MSH-9.1 (message type) is empty");
        } else if (const auto* t = defs::table(76); t && !t->values.empty() && !t->find(type) && type[0] != 'Z') {
            add(Severity::error, kUnsupportedMessageType, "header", at(9, 1), 1,
                "message type not in HL7 table 0076", type);
        }
        if (!trigger.empty()) {
            if (const auto* t = defs::table(3); t && !t->values.empty() && !t->find(trigger) && trigger[0] != 'Z')
                add(Severity::error, kUnsupportedEvent, "header", at(9, 2), 1, "trigger event not in HL7 table 0003",
                    trigger);
        }
        if (!structure.empty()) {
            if (const auto* t = defs::table(354); t && !t->values.empty() && !t->find(structure) && structure[0] != 'Z')
                add(Severity::error, kUnsupportedMessageType, "header", at(9, 3), 1,
                    "message structure not in HL7 table 0354", structure);
        }
        if (version_) {
            std::string key = trigger.empty() ? std::string(type) : fmt::format("{}_{}", type, trigger);
            if (!structure.empty()) message_def_ = version_->message(structure);
            if (!message_def_ && !trigger.empty()) message_def_ = version_->message(key);
            if (!message_def_) message_def_ = version_->message(type);
            if (!message_def_ && !type.empty()) {
                add(Severity::warning, kUnsupportedMessageType, "structure", at(9), 1,
                    fmt::format("no message structure for {} in version {}: segment order not checked",
                                structure.empty() ? key : std::string(structure), version_->name));
            } else if (message_def_ && !structure.empty() && message_def_->structure != structure) {
                add(Severity::warning, kUnsupportedMessageType, "header", at(9, 3), 1,
                    fmt::format("MSH-9.3 does not match the structure {} defines for {}", version_->name, key));
            }
        }
        std::string_view processing = h.processing_id;
        if (!processing.empty()) {
            if (const auto* t = defs::table(103); t && !t->values.empty() && !t->find(processing))
                add(Severity::error, kUnsupportedProcessingId, "header", at(11, 1), 1,
                    "processing ID not in HL7 table 0103", processing);
        }
    }

    // --- segment IDs and occurrences ----------------------------------------------------------

    void segment_ids_and_occurrences() {
        ids_.resize(m_.size());
        occurrences_.resize(m_.size());
        std::vector<std::pair<std::string_view, int>> seen;
        for (std::size_t i = 0; i < m_.size(); ++i) {
            std::string_view id = m_.segment_id(i);
            ids_[i] = id;
            auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
            occurrences_[i] = it == seen.end() ? (seen.emplace_back(id, 1), 1) : ++it->second;
            if (!well_formed_id(id)) {
                add(Severity::error, kSegmentSequence, "syntax", path_of(i), static_cast<std::uint32_t>(i + 1),
                    "segment ID is not three upper-case letters or digits", id);
            }
        }
    }

    // --- structure ----------------------------------------------------------------------------

    const defs::SegmentDef* segment_def(std::string_view id) const {
        for (const auto& profile : options_.profiles)
            if (const auto* s = profile->segment(id)) return s;
        return version_ ? version_->segment(id) : nullptr;
    }

    static bool in_structure(std::span<const defs::StructureNode> nodes, std::string_view id) {
        for (const auto& n : nodes) {
            if (n.is_group() ? in_structure(n.children, id) : n.name == id) return true;
        }
        return false;
    }

    // Whether a node can begin with segment `id`: its first segment, or any before the first
    // required one.
    static bool can_start(const defs::StructureNode& node, std::string_view id) {
        if (!node.is_group()) return node.name == id;
        for (const auto& child : node.children) {
            if (can_start(child, id)) return true;
            if (child.min > 0) return false;
        }
        return false;
    }

    // Z-segments may appear anywhere unless --no-z; with it, those a profile defines still may.
    bool z_allowed(std::string_view id) const {
        if (!is_z_segment(id)) return false;
        if (options_.allow_z_segments) return true;
        for (const auto& profile : options_.profiles)
            if (profile->segment(id)) return true;
        return false;
    }

    bool skippable(std::size_t i) const { return unplaced_[i]; }

    // The segment a missing node is reported at: a segment's own ID; for a group its first required
    // segment, or its first segment when none is required.
    static std::string_view first_segment(const defs::StructureNode& node) {
        if (!node.is_group()) return node.name;
        for (const auto& child : node.children)
            if (child.min > 0) return first_segment(child);
        return first_segment(node.children.front());
    }

    // Up to `wanted` out-of-order occurrences of segment `id` not yet counted in this pass: a
    // segment set aside as misplaced is present, and is not reported missing as well.
    int credit(std::string_view id, int wanted) {
        int n = 0;
        for (std::size_t k = 0; k < ids_.size() && n < wanted; ++k) {
            if (misplaced_[k] && !credited_[k] && ids_[k] == id) {
                credited_[k] = true;
                ++n;
            }
        }
        return n;
    }

    std::size_t skip(std::size_t i) const {
        while (i < ids_.size() && skippable(i)) ++i;
        return i;
    }

    // Matches the nodes of one group from segment i; returns where matching stopped.
    std::size_t match(std::span<const defs::StructureNode> nodes, std::size_t i, std::string_view group) {
        for (const auto& node : nodes) {
            int count = 0;
            for (;;) {
                i = skip(i);
                if (node.max != 0 && count >= node.max) break;
                if (i >= ids_.size() || !can_start(node, ids_[i])) break;
                if (node.is_group()) {
                    std::size_t next = match(node.children, i, node.name);
                    if (next == i) break;
                    i = next;
                } else {
                    ++i;
                }
                ++count;
            }
            if (count < node.min && !node.is_group()) count += credit(node.name, node.min - count);
            if (count < node.min) {
                std::string what = node.is_group() ? fmt::format("group {}", node.name)
                                                    : fmt::format("segment {}", node.name);
                std::string where = group.empty() ? "" : fmt::format(" in group {}", group);
                Path p;
                p.segment = std::string(first_segment(node));
                if (node.min > 1 && count > 0) {
                    add(Severity::error, kSegmentSequence, "cardinality", p, 0,
                        fmt::format("{} occurs {} time{}{}, at least {} required", what, count, count == 1 ? "" : "s",
                                    where, node.min));
                } else {
                    add(Severity::error, kSegmentSequence, "required-segment", p, 0,
                        fmt::format("required {} missing{}", what, where));
                }
            }
        }
        return i;
    }

    void structure() {
        if (!message_def_) return;
        unplaced_.assign(m_.size(), false);
        misplaced_.assign(m_.size(), false);
        credited_.assign(m_.size(), false);
        for (std::size_t i = 1; i < m_.size(); ++i) {
            bool z = is_z_segment(ids_[i]);
            if (z && z_allowed(ids_[i])) {
                unplaced_[i] = true;  // allowed anywhere: not matched
                continue;
            }
            if (!in_structure(message_def_->nodes, ids_[i])) {
                unplaced_[i] = true;
                if (!well_formed_id(ids_[i])) continue;  // reported once, as a syntax error
                add(Severity::error, kSegmentSequence, "unexpected-segment", path_of(i),
                    static_cast<std::uint32_t>(i + 1),
                    z ? fmt::format("Z-segment {} not allowed (--no-z)", ids_[i])
                      : fmt::format("segment {} is not part of {}", ids_[i], message_def_->structure));
            }
        }
        // Match; a segment where matching stops is out of order (or, right after a segment with the
        // same ID, repeats more often than allowed): set it aside and match again, so that one
        // misplaced segment does not hide the order of all that follow.
        std::vector<Finding> missing;
        for (;;) {
            std::fill(credited_.begin(), credited_.end(), false);
            std::size_t before = out_.size();
            std::size_t end = skip(match(message_def_->nodes, 0, ""));
            missing.assign(std::make_move_iterator(out_.begin() + static_cast<std::ptrdiff_t>(before)),
                           std::make_move_iterator(out_.end()));
            out_.resize(before);
            if (end >= m_.size()) break;
            unplaced_[end] = true;
            misplaced_[end] = true;
            bool repeats = false;  // the segment matched last has the same ID
            for (std::size_t k = end; k-- > 0;) {
                if (unplaced_[k]) continue;
                repeats = ids_[k] == ids_[end];
                break;
            }
            if (repeats)
                add(Severity::error, kSegmentSequence, "cardinality", path_of(end), static_cast<std::uint32_t>(end + 1),
                    fmt::format("segment {} occurs more often than {} allows here", ids_[end],
                                message_def_->structure));
            else
                add(Severity::error, kSegmentSequence, "segment-order", path_of(end),
                    static_cast<std::uint32_t>(end + 1),
                    fmt::format("segment {} is out of order for {}", ids_[end], message_def_->structure));
        }
        for (Finding& f : missing) out_.push_back(std::move(f));
    }

    // --- fields -------------------------------------------------------------------------------

    void fields(std::size_t index) {
        if (!version_) return;  // reported (203): fields are not checked
        const defs::SegmentDef* def = segment_def(ids_[index]);
        if (!def) {
            bool reported = !unplaced_.empty() && unplaced_[index] && !is_z_segment(ids_[index]);
            if (!is_z_segment(ids_[index]) && well_formed_id(ids_[index]) && !reported)
                add(Severity::warning, kSegmentSequence, "unknown-segment", path_of(index),
                    static_cast<std::uint32_t>(index + 1),
                    fmt::format("segment {} is not defined in version {}", ids_[index], version_->name));
            return;
        }
        std::string_view seg = m_.segment(index);
        bool header = is_header_segment(seg);
        std::uint32_t seg_no = static_cast<std::uint32_t>(index + 1);
        // Walk the fields once: field n of a header segment starts after the encoding characters.
        std::string_view rest = seg.substr(std::min(seg.size(), ids_[index].size()));
        std::vector<std::string_view>& values = field_values_;
        values.clear();
        if (header) {
            values.push_back(seg.substr(3, 1));
            rest = seg.substr(4);
            Splitter s{rest, d_.field};
            std::string_view part;
            while (s.next(part)) values.push_back(part);
        } else if (!rest.empty()) {
            Splitter s{rest.substr(1), d_.field};
            std::string_view part;
            while (s.next(part)) values.push_back(part);
        }
        obx_type_ = {};
        if (ids_[index] == "OBX" && values.size() >= 2) obx_type_ = values[1];
        for (std::size_t k = 0; k < def->fields.size(); ++k) {
            const defs::FieldDef& f = def->fields[k];
            int number = static_cast<int>(k + 1);
            std::string_view value = k < values.size() ? values[k] : std::string_view();
            bool present = k < values.size() && !value.empty();
            if (!present) {
                if (f.usage == defs::Usage::required && !header_checked(index, number, 0, false))
                    add(Severity::error, kRequiredMissing, "required", path_of(index, number), seg_no,
                        f.description.empty() ? std::string("required field missing")
                                              : fmt::format("required field {} missing", f.description));
                continue;
            }
            if (header && number <= 2) continue;  // the delimiters, checked by the parser
            if (f.usage == defs::Usage::withdrawn)
                add(Severity::note, kDataType, "withdrawn", path_of(index, number), seg_no,
                    fmt::format("field {} is withdrawn in version {}", f.description, version_->name));
            int reps = 0;
            Splitter s{value, d_.repetition};
            std::string_view rep;
            while (s.next(rep)) {
                ++reps;
                if (f.max_repetitions != 0 && reps == f.max_repetitions + 1) {
                    add(Severity::error, kDataType, "repetition", path_of(index, number, reps), seg_no,
                        f.max_repetitions == 1
                            ? std::string("field does not repeat")
                            : fmt::format("more than {} repetitions", f.max_repetitions));
                }
                if (rep.empty()) continue;
                // The HL7 null "" is no value: nothing to measure.
                // Bytes first (cheap); characters of the decoded text only when that is over.
                if (f.max_length != 0 && rep.size() > f.max_length && rep != "\"\"" &&
                    characters(rep) > f.max_length) {
                    add(options_.length_errors ? Severity::error : Severity::warning, kValueTooLong, "length",
                        path_of(index, number, reps), seg_no,
                        fmt::format("value longer than {} character{}", f.max_length, f.max_length == 1 ? "" : "s"),
                        rep);
                }
                std::string_view type = f.datatype;
                if (ids_[index] == "OBX" && number == 5) {
                    type = nth_part(obx_type_, d_.component, 1).value_or("");
                    if (type.empty()) {
                        // OBX-2 is conditional: required whenever OBX-5 is valued.
                        if (reps == 1)
                            add(Severity::error, kRequiredMissing, "required", path_of(index, 2), seg_no,
                                "OBX-2 (value type) is required when OBX-5 is valued");
                        continue;
                    }
                }
                check_value(type, f.table, rep, index, number, reps, 0, 0, 0);
            }
        }
    }

    // Checks a value of `type` at depth 0 (a repetition), 1 (a component) or 2 (a subcomponent).
    void check_value(std::string_view type, std::uint16_t table, std::string_view raw, std::size_t index, int field,
                     int rep, int component, int subcomponent, int depth) {
        if (raw == "\"\"") return;  // HL7 null: present, no value to check
        const defs::DatatypeDef* dt = version_ ? datatype(type) : nullptr;
        std::uint32_t seg_no = static_cast<std::uint32_t>(index + 1);
        if (type == "TS" && depth < 2) {
            // A time stamp is DTM^precision; its first component carries the format to check.
            char sep = depth == 0 ? d_.component : d_.subcomponent;
            std::string_view first = nth_part(raw, sep, 1).value_or(raw);
            if (!first.empty()) check_leaf("TS", 0, first, index, field, rep, depth == 0 ? 1 : component,
                                           depth == 0 ? 0 : 1, seg_no);
            return;
        }
        if (dt && !dt->primitive() && depth < 2) {
            char sep = depth == 0 ? d_.component : d_.subcomponent;
            if (table != 0 && (type == "CE" || type == "CWE" || type == "CNE" || type == "CF"))
                check_coded(table, raw, sep, index, field, rep, component, depth);
            Splitter s{raw, sep};
            std::string_view part;
            int n = 0;
            bool any = !raw.empty();
            while (s.next(part)) {
                ++n;
                if (static_cast<std::size_t>(n) > dt->components.size()) break;  // extra components: tolerated
                const defs::FieldDef& c = dt->components[static_cast<std::size_t>(n - 1)];
                if (part.empty()) continue;
                check_value(c.datatype, c.table, part, index, field, rep, depth == 0 ? n : component,
                            depth == 0 ? 0 : n, depth + 1);
            }
            // Required components of a valued composite.
            if (any) {
                for (std::size_t k = static_cast<std::size_t>(n); k < dt->components.size(); ++k) {
                    // components past the last one given are empty
                    const defs::FieldDef& c = dt->components[k];
                    if (c.usage == defs::Usage::required &&
                        !(depth == 0 && header_checked(index, field, static_cast<int>(k + 1), false)))
                        add(Severity::error, kRequiredMissing, "required", 
                            path_of(index, field, rep, depth == 0 ? static_cast<int>(k + 1) : component,
                                    depth == 0 ? 0 : static_cast<int>(k + 1)),
                            seg_no, fmt::format("required component {} ({}) missing", k + 1, c.description));
                }
                Splitter again{raw, sep};
                int m = 0;
                while (again.next(part)) {
                    ++m;
                    if (static_cast<std::size_t>(m) > dt->components.size()) break;
                    const defs::FieldDef& c = dt->components[static_cast<std::size_t>(m - 1)];
                    if (part.empty() && c.usage == defs::Usage::required &&
                        !(depth == 0 && header_checked(index, field, m, false)))
                        add(Severity::error, kRequiredMissing, "required",
                            path_of(index, field, rep, depth == 0 ? m : component, depth == 0 ? 0 : m), seg_no,
                            fmt::format("required component {} ({}) missing", m, c.description));
                }
            }
            return;
        }
        // A primitive: extra components (subcomponents) are to be ignored, as the standard says of
        // parts a receiver does not expect; the first one is the value.
        if (depth < 2) {
            char sep = depth == 0 ? d_.component : d_.subcomponent;
            if (sep != 0) raw = raw.substr(0, std::min(raw.size(), raw.find(sep)));
            if (raw.empty()) return;
        }
        check_leaf(type, table, raw, index, field, rep, component, subcomponent, seg_no);
    }

    // A coded element bound to a table: its identifier (component 1) must be in the table when the
    // coding system (component 3) is empty or names that table (HL7nnnn); other systems are not
    // this table's business.
    void check_coded(std::uint16_t table, std::string_view raw, char sep, std::size_t index, int field, int rep,
                     int component, int depth) {
        std::string_view code = nth_part(raw, sep, 1).value_or(raw);
        std::string_view system = nth_part(raw, sep, 3).value_or("");
        if (code.empty() || code == "\"\"") return;
        std::string own = fmt::format("HL7{:04}", table);
        if (!system.empty() && system != own) return;
        const defs::TableDef* t = cached_table(table);
        if (!t || t->values.empty() || pattern_value(table, code)) return;
        EscapeStats stats;
        std::string_view text = decoded(code, stats);
        if (t->find(text)) return;
        bool hl7 = t->kind == defs::TableKind::hl7;
        add(hl7 ? Severity::error : Severity::warning, kTableValue, "table",
            path_of(index, field, rep, depth == 0 ? 1 : component, depth == 0 ? 0 : 1),
            static_cast<std::uint32_t>(index + 1),
            fmt::format("code not in {} table {:04}", hl7 ? "HL7" : "user-defined", table), text);
    }

    // A primitive (or a composite below subcomponent level: checked as text).
    void check_leaf(std::string_view type, std::uint16_t table, std::string_view raw, std::size_t index, int field,
                    int rep, int component, int subcomponent, std::uint32_t seg_no) {
        EscapeStats stats;
        std::string_view text = decoded(raw, stats);
        if (stats.bad_escapes)
            add(Severity::warning, kDataType, "escape", path_of(index, field, rep, component, subcomponent), seg_no,
                "malformed escape sequence kept as text", raw);
        if (stats.invalid_bytes)
            add(Severity::warning, kDataType, "charset", path_of(index, field, rep, component, subcomponent), seg_no,
                fmt::format("byte not valid in {} (kept as \\Xhh\\)", charset_name(charset_)), raw);
        if (auto problem = check_primitive(type, text, major_, minor_)) {
            add(Severity::error, kDataType, "datatype", path_of(index, field, rep, component, subcomponent), seg_no,
                fmt::format("{}: {}", type, problem->what), text);
        }
        if (table != 0 && (type == "ID" || type == "IS") && !header_checked(index, field, component, true)) {
            const defs::TableDef* t = cached_table(table);
            if (t && !t->values.empty() && !t->find(text) && !pattern_value(table, text)) {
                bool hl7 = t->kind == defs::TableKind::hl7;
                add(hl7 ? Severity::error : Severity::warning, kTableValue, "table",
                    path_of(index, field, rep, component, subcomponent), seg_no,
                    fmt::format("value not in {} table {:04}", hl7 ? "HL7" : "user-defined", table), text);
            }
        }
    }

    // What header() reports about MSH is not reported again by the field checks: the tables of
    // MSH-9.1-3 (message type, trigger event, structure), MSH-11.1 (processing ID) and MSH-12.1
    // (version), with codes 200-203; and an empty MSH-9 or MSH-9.1 (101 at MSH-9.1).
    static bool header_checked(std::size_t index, int field, int component, bool table) {
        if (index != 0) return false;
        if (!table) return field == 9 && component <= 1;
        return (field == 9 && component <= 3) || ((field == 11 || field == 12) && component <= 1);
    }

    // Values a table gives as patterns rather than lists: 0396 names "HL7nnnn" for HL7 tables and
    // "99zzz or L" (z alphanumeric) for local coding systems.
    static bool pattern_value(std::uint16_t table, std::string_view v) {
        if (table != 396) return false;
        if (v.size() == 7 && v.substr(0, 3) == "HL7" && std::all_of(v.begin() + 3, v.end(), is_digit)) return true;
        if (v == "L") return true;
        auto alnum = [](char c) { return is_upper(c) || is_digit(c) || (c >= 'a' && c <= 'z'); };
        return v.size() > 2 && v.substr(0, 2) == "99" && std::all_of(v.begin() + 2, v.end(), alnum);
    }

    const Message& m_;
    const Delimiters& d_;
    Charset charset_;
    const ValidationOptions& options_;
    std::vector<Finding>& out_;
    const defs::Version* version_ = nullptr;
    const defs::MessageDef* message_def_ = nullptr;
    int major_ = 2, minor_ = 5;
    std::vector<std::string_view> ids_;
    std::vector<int> occurrences_;
    std::vector<bool> unplaced_;   // not matched: unexpected, misplaced, or an allowed Z-segment
    std::vector<bool> misplaced_;  // set aside as out of order (present, so not also missing)
    std::vector<bool> credited_;   // misplaced segments counted as present in this matching pass
    std::vector<std::string_view> field_values_;
    std::string_view obx_type_;
    std::string decode_buffer_;
};

}  // namespace

void validate_message(const Message& message, Charset charset, const ValidationOptions& options,
                      std::vector<Finding>& findings) {
    if (message.empty()) return;
    MessageValidator(message, charset, options, findings).run();
}

AckOptions validation_ack(const std::vector<Finding>& findings) {
    AckOptions ack;
    ack.code = AckCode::AA;
    for (const Finding& f : findings) {
        if (f.severity == Severity::note) continue;
        if (f.severity == Severity::error) {
            bool unsupported = f.code >= 200 && f.code <= 203;
            if (unsupported) ack.code = AckCode::AR;
            else if (ack.code == AckCode::AA) ack.code = AckCode::AE;
        }
        AckFinding a;
        a.location = f.location;
        a.code = f.code;
        a.severity = f.severity == Severity::error ? 'E' : 'W';
        a.text = f.text;
        ack.findings.push_back(std::move(a));
    }
    return ack;
}

std::string finding_path(const Finding& f) {
    if (f.location.segment.empty()) return "";
    return f.location.to_string();
}

}  // namespace hl7
