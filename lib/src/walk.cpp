// The walk over a message's valued leaves with their definitions (see hl7/walk.hpp).
#include "hl7/walk.hpp"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "hl7/header.hpp"
#include "hl7/structure.hpp"

namespace hl7 {

namespace {

// The first component of a TS before v2.5, where the definitions call it ST (see walk.hpp).
constexpr std::string_view kTimeStamp = "TS";

// Splits `text` at `sep` without allocating; a separator of 0 (not in use) leaves the text whole.
struct Parts {
    std::string_view text;
    char sep;
    std::size_t pos = 0;
    bool done = false;

    bool next(std::string_view& part) {
        if (done) return false;
        std::size_t end = sep == 0 ? std::string_view::npos : text.find(sep, pos);
        if (end == std::string_view::npos) {
            part = text.substr(pos);
            done = true;
        } else {
            part = text.substr(pos, end - pos);
            pos = end + 1;
        }
        return true;
    }
};

class Walker {
public:
    Walker(const Message& m, const WalkOptions& options, LeafVisitor visit)
        : m_(m), d_(m.delimiters()), options_(options), visit_(visit), version_(options.version) {
        if (!version_ && !m.empty()) version_ = defs::match_version(read_header(m).version_text).version;
    }

    void run() {
        for (std::size_t i = 0; i < m_.size(); ++i) segment(i);
    }

private:
    void segment(std::size_t index) {
        const std::string_view text = m_.segment(index);
        const std::string_view id = m_.segment_id(index);
        leaf_ = Leaf{};
        leaf_.segment_id = id;
        leaf_.segment_index = index;
        leaf_.occurrence = occurrence(id);
        if (is_well_formed_segment_id(id)) {
            if (options_.segment_lookup) leaf_.segment_def = options_.segment_lookup(id);
            if (!leaf_.segment_def && version_) leaf_.segment_def = version_->segment(id);
        }
        // Field n of a header segment (MSH, FHS, BHS) starts after its encoding characters, which
        // are field 2; its field 1 is the field separator itself.
        const bool header = is_header_segment(text, d_.field);
        std::string_view rest;
        int number = 1;
        if (header) {
            rest = text.size() > 4 ? text.substr(4) : std::string_view();
            number = 2;
        } else if (text.size() > id.size()) {
            rest = text.substr(id.size() + 1);
        } else {
            return;  // a bare segment ID
        }
        const bool obx = id == "OBX";
        std::string_view obx_type;
        Parts fields{rest, d_.field};
        std::string_view value;
        for (; fields.next(value); ++number) {
            if (obx && number == 2) obx_type = first_part(first_part(value, d_.repetition), d_.component);
            if (value.empty() || (header && number <= 2)) continue;
            field(number, value, obx && number == 5, obx_type);
        }
    }

    void field(int number, std::string_view value, bool obx5, std::string_view obx_type) {
        const defs::SegmentDef* def = leaf_.segment_def;
        leaf_.field = number;
        leaf_.field_raw = value;
        leaf_.field_def = def && static_cast<std::size_t>(number) <= def->fields.size()
                              ? &def->fields[static_cast<std::size_t>(number - 1)]
                              : nullptr;
        std::string_view type = leaf_.field_def ? leaf_.field_def->datatype : std::string_view();
        const defs::DatatypeDef* dt = nullptr;
        if (obx5) {
            // OBX-5 is of the type OBX-2 names; a name the version does not define gives no type.
            dt = obx_type.empty() ? nullptr : datatype(obx_type);
            type = dt ? dt->name : std::string_view();
        } else if (!type.empty()) {
            dt = datatype(type);
        }
        leaf_.field_type = type;

        if (plain(value)) {
            // Most values have no separators at all: one repetition, one component, one subcomponent.
            leaf_.repetition = 1;
            leaf_.repetition_raw = value;
            component(1, value, dt);
            return;
        }
        Parts repetitions{value, d_.repetition};
        std::string_view rep;
        for (int r = 1; repetitions.next(rep); ++r) {
            if (rep.empty()) continue;
            leaf_.repetition = r;
            leaf_.repetition_raw = rep;
            Parts components{rep, d_.component};
            std::string_view comp;
            for (int c = 1; components.next(comp); ++c) {
                if (comp.empty()) continue;
                component(c, comp, dt);
            }
        }
    }

    void component(int number, std::string_view value, const defs::DatatypeDef* field_dt) {
        leaf_.component = number;
        leaf_.component_raw = value;
        leaf_.component_def = nullptr;
        std::string_view type;
        bool primitive = false;  // the component's value is its first subcomponent
        if (field_dt && !field_dt->primitive()) {
            if (static_cast<std::size_t>(number) <= field_dt->components.size()) {
                leaf_.component_def = &field_dt->components[static_cast<std::size_t>(number - 1)];
                type = leaf_.component_def->datatype;
            }
            if (number == 1 && field_dt->name == kTimeStamp && type == "ST") {
                type = kTimeStamp;
                primitive = true;
            }
        } else if (field_dt && number == 1) {
            type = leaf_.field_type;
            primitive = true;
        }
        const defs::DatatypeDef* dt = (type.empty() || primitive) ? nullptr : datatype(type);
        if (dt && dt->primitive()) primitive = true;
        leaf_.component_type = type;

        if (value.size() <= 32 && (d_.subcomponent == 0 || value.find(d_.subcomponent) == std::string_view::npos)) {
            emit(1, value, primitive, type, dt);
            return;
        }
        Parts subcomponents{value, d_.subcomponent};
        std::string_view sub;
        for (int s = 1; subcomponents.next(sub); ++s)
            if (!sub.empty()) emit(s, sub, primitive, type, dt);
    }

    // One leaf: subcomponent `number` of a component of type `type` (`dt` when composite).
    void emit(int number, std::string_view value, bool primitive, std::string_view type,
              const defs::DatatypeDef* dt) {
        leaf_.subcomponent = number;
        leaf_.subcomponent_def = nullptr;
        leaf_.leaf_type = {};
        if (primitive) {
            if (number == 1) leaf_.leaf_type = type;
        } else if (dt && static_cast<std::size_t>(number) <= dt->components.size()) {
            leaf_.subcomponent_def = &dt->components[static_cast<std::size_t>(number - 1)];
            leaf_.leaf_type = leaf_.subcomponent_def->datatype;
        }
        leaf_.raw = value;
        leaf_.null = value == "\"\"";
        visit_(leaf_);
    }

    // True for a short value without repetition, component or subcomponent separators (a long one
    // takes the splitters, whose searches are faster over many bytes).
    bool plain(std::string_view value) const {
        if (value.size() > 32) return false;
        for (char c : value)
            if ((c == d_.repetition || c == d_.component || c == d_.subcomponent) && c != 0) return false;
        return true;
    }

    static std::string_view first_part(std::string_view text, char sep) {
        return sep == 0 ? text : text.substr(0, text.find(sep));
    }

    int occurrence(std::string_view id) {
        for (auto& [seen, count] : occurrences_)
            if (seen == id) return ++count;
        occurrences_.emplace_back(id, 1);
        return 1;
    }

    // Datatype look-ups repeat for every field: a small direct-mapped cache keyed by where the name
    // is stored (the definitions, or the message text for OBX-2; both stable during the walk).
    const defs::DatatypeDef* datatype(std::string_view name) {
        if (!version_) return nullptr;
        auto& slot = cache_[(reinterpret_cast<std::uintptr_t>(name.data()) >> 2) % cache_.size()];
        if (slot.key != name.data() || slot.size != name.size())
            slot = {name.data(), name.size(), version_->datatype(name)};
        return slot.def;
    }
    struct Slot {
        const char* key = nullptr;
        std::size_t size = 0;
        const defs::DatatypeDef* def = nullptr;
    };

    const Message& m_;
    const Delimiters& d_;
    const WalkOptions& options_;
    LeafVisitor visit_;
    const defs::Version* version_;
    std::vector<std::pair<std::string_view, int>> occurrences_;
    std::array<Slot, 32> cache_{};
    Leaf leaf_;
};

}  // namespace

Path Leaf::path() const {
    Path p;
    p.segment = std::string(segment_id);
    p.occurrence = occurrence;
    p.occurrence_given = true;
    p.field = field;
    p.repetition = repetition;
    p.repetition_given = true;
    p.component = component;
    p.subcomponent = subcomponent;
    return p;
}

void walk_leaves(const Message& message, const WalkOptions& options, LeafVisitor visit) {
    Walker(message, options, visit).run();
}

}  // namespace hl7
