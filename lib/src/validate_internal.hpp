// What the parts of the validator share: the per-message checker whose header, structure and field
// checks live in validate_header.cpp, validate_structure.cpp and validate_fields.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/definitions.hpp"
#include "hl7/escape.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"
#include "hl7/structure.hpp"
#include "hl7/validate.hpp"

namespace hl7::detail {

inline bool is_z_segment(std::string_view id) { return !id.empty() && id[0] == 'Z'; }

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
        : m_(m), d_(m.delimiters()), charset_(charset), options_(options), out_(out) {
        for (char c : {d_.component, d_.subcomponent, d_.repetition})
            if (c != 0) separators_.push_back(c);
    }

    void run();

private:
    Finding& add(Severity severity, int code, std::string rule, Path location, std::uint32_t segment_index,
                 std::string text, std::string_view value = {});
    // The location of segment `segment` (0-based), or of a part of it. A segment whose ID is not
    // well formed gets an empty segment name: finding_path names it by its position.
    Path path_of(std::size_t segment, int field = 0, int repetition = 1, int component = 0, int subcomponent = 0) const;
    const defs::SegmentDef* segment_def(std::string_view id) const;

    // validate_header.cpp
    void header();

    // validate_structure.cpp
    void segment_ids_and_occurrences();
    void structure();
    bool z_allowed(std::string_view id) const;

    // validate_fields.cpp
    void fields(std::size_t index);
    void check_value(std::string_view type, std::uint16_t table, std::string_view raw, std::size_t index, int field,
                     int rep, int component, int subcomponent, int depth);
    void check_coded(std::uint16_t table, std::string_view raw, char sep, std::size_t index, int field, int rep,
                     int component, int depth);
    void check_leaf(std::string_view type, std::uint16_t table, std::string_view raw, std::size_t index, int field,
                    int rep, int component, int subcomponent, std::uint32_t seg_no);
    std::size_t characters(std::string_view raw);
    static bool header_checked(std::size_t index, int field, int component, bool table);
    static bool pattern_value(std::uint16_t table, std::string_view v);

    // Hot helpers of the field checks, here so that they inline.

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
        if (slot.key != type.data() || slot.size != type.size())
            slot = {type.data(), type.size(), version_->datatype(type)};
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

    const Message& m_;
    const Delimiters& d_;
    Charset charset_;
    const ValidationOptions& options_;
    std::vector<Finding>& out_;
    const defs::Version* version_ = nullptr;
    const defs::MessageDef* message_def_ = nullptr;
    int major_ = 2, minor_ = 5;
    // MSH-12 names a version newer than the definitions checked against (2.8 as 2.7.1): what the
    // older structure rejects, the newer one may allow (PRT, patient-level OBX in VXU_V04), so
    // such structure findings are warnings. The message's version as written, for the text.
    bool newer_than_definitions_ = false;
    std::string_view declared_version_;
    std::vector<std::string_view> ids_;
    std::vector<int> occurrences_;
    std::vector<bool> unexpected_;  // reported by the structure check as not part of the structure
    std::array<DatatypeSlot, 64> datatype_cache_{};
    std::array<TableSlot, 64> table_cache_{};
    std::vector<std::string_view> field_values_;
    std::string separators_;  // the component, subcomponent and repetition separators in use
    bool non_ascii_reported_ = false;  // bytes over 0x7F under an ASCII MSH-18: said once a message
    std::string_view obx_type_;
    std::string decode_buffer_;
};

}  // namespace hl7::detail
