// The flat JSON form: one key per leaf value ("PID-5[1].1"), for quick queries; not lossless.
#include <fmt/format.h>

#include <algorithm>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"
#include "json_internal.hpp"

namespace hl7 {

void write_flat_json(std::string& out, const Message& message, const JsonWriteOptions& options,
                     Diagnostics* diagnostics) {
    const Delimiters& d = message.delimiters();
    Charset charset = detail::charset_for(message, options, diagnostics);
    std::string value;
    bool first = true;
    auto emit = [&](const std::string& key, std::string_view raw, bool literal) {
        if (raw.empty()) return;
        out.push_back(first ? '{' : ',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        if (!literal && raw == "\"\"") {
            out.append("null");
            return;
        }
        value.clear();
        EscapeStats stats;
        if (literal) {
            value.assign(raw);
        } else {
            decode_value(raw, d, charset, TextForm::plain, value, stats);
        }
        append_json_string(out, value);
    };
    std::vector<std::pair<std::string_view, int>> seen;
    for (std::size_t i = 0; i < message.size(); ++i) {
        std::string_view id = message.segment_id(i);
        int occurrence = 1;
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        if (it == seen.end()) {
            seen.emplace_back(id, 1);
        } else {
            occurrence = ++it->second;
        }
        std::string seg_key = occurrence > 1 ? fmt::format("{}[{}]", id, occurrence) : std::string(id);
        std::string_view seg = message.segment(i);
        bool header = is_header_segment(seg, d.field);
        int fields = field_count(seg, d);
        for (int f = 1; f <= fields; ++f) {
            std::string_view field = *field_text(seg, d, f);
            if (header && f <= 2) {
                emit(fmt::format("{}-{}", seg_key, f), field, true);
                continue;
            }
            int nreps = count_parts(field, d.repetition);
            for (int r = 1; r <= nreps; ++r) {
                std::string_view rep = *nth_part(field, d.repetition, r);
                int ncomps = count_parts(rep, d.component);
                for (int c = 1; c <= ncomps; ++c) {
                    std::string_view comp = *nth_part(rep, d.component, c);
                    int nsubs = count_parts(comp, d.subcomponent);
                    if (nsubs == 1) {
                        emit(fmt::format("{}-{}[{}].{}", seg_key, f, r, c), comp, false);
                        continue;
                    }
                    for (int s = 1; s <= nsubs; ++s)
                        emit(fmt::format("{}-{}[{}].{}.{}", seg_key, f, r, c, s), *nth_part(comp, d.subcomponent, s),
                             false);
                }
            }
        }
    }
    if (first) out.push_back('{');
    out.push_back('}');
}

}  // namespace hl7
