// The tree view and the stream summary.
#include "hl7/views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "hl7/escape.hpp"
#include "hl7/json.hpp"

namespace hl7 {

namespace {

// A repetition for display on one line.
std::string display(std::string_view raw, const Delimiters& d, Charset charset) {
    if (raw == "\"\"") return "\"\"";
    std::string out;
    EscapeStats stats;
    append_display_value(raw, d, charset, out, stats);
    for (char& c : out)
        if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    return out;
}

}  // namespace

void write_tree(const Message& message, Charset charset, std::string& out) {
    const Delimiters& d = message.delimiters();
    std::vector<std::pair<std::string_view, int>> seen;
    for (std::size_t i = 0; i < message.size(); ++i) {
        std::string_view id = message.segment_id(i);
        auto it = std::find_if(seen.begin(), seen.end(), [&](auto& s) { return s.first == id; });
        int occurrence = it == seen.end() ? (seen.emplace_back(id, 1), 1) : ++it->second;
        std::string seg = occurrence > 1 ? fmt::format("{}[{}]", id, occurrence) : std::string(id);
        out.append(seg);
        out.push_back('\n');
        std::string_view text = message.segment(i);
        bool header = is_header_segment(text);
        int fields = field_count(text, d);
        for (int f = 1; f <= fields; ++f) {
            std::string_view field = *field_text(text, d, f);
            if (field.empty()) continue;
            if (header && f <= 2) {
                out.append(fmt::format("  {:<12} {}\n", fmt::format("{}-{}", seg, f), field));
                continue;
            }
            int reps = count_parts(field, d.repetition);
            for (int r = 1; r <= reps; ++r) {
                std::string_view rep = *nth_part(field, d.repetition, r);
                if (rep.empty()) continue;
                std::string label = reps > 1 ? fmt::format("{}-{}[{}]", seg, f, r) : fmt::format("{}-{}", seg, f);
                out.append(fmt::format("  {:<12} {}\n", label, display(rep, d, charset)));
            }
        }
    }
}

void MessageSummary::add(const Message& m) {
    ++messages_;
    const Delimiters& d = m.delimiters();
    Charset charset = declared_charset(m).charset;
    std::string_view msh = m.empty() ? std::string_view() : m.segment(0);
    auto part = [&](int field, int component) -> std::string {
        auto f = field_text(msh, d, field);
        if (!f) return "";
        auto rep = nth_part(*f, d.repetition, 1).value_or(*f);
        std::string text;
        EscapeStats stats;
        append_display_value(nth_part(rep, d.component, component).value_or(""), d, charset, text, stats);
        return text;
    };
    auto or_none = [](std::string s) { return s.empty() ? std::string("(none)") : s; };
    std::string type = part(9, 1), trigger = part(9, 2);
    ++type_[or_none(type)];
    ++event_[or_none(trigger.empty() ? type : type + "^" + trigger)];
    ++version_[or_none(part(12, 1))];
    ++facility_[or_none(part(4, 1))];
}

namespace {

std::vector<std::pair<std::string, std::uint64_t>> by_count(const std::map<std::string, std::uint64_t>& m) {
    std::vector<std::pair<std::string, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return v;
}

}  // namespace

void MessageSummary::write_text(std::string& out) const {
    out.append(fmt::format("messages     {}\n", messages_));
    if (unparseable_) out.append(fmt::format("unparseable  {}\n", unparseable_));
    auto section = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
        if (m.empty()) return;
        out.append(fmt::format("\n{}\n", title));
        std::size_t width = 0;
        for (auto& [k, v] : m) width = std::max(width, k.size());
        for (auto& [k, v] : by_count(m)) out.append(fmt::format("  {:<{}}  {:>8}\n", k, width, v));
    };
    section("type", type_);
    section("event", event_);
    section("version", version_);
    section("sending facility", facility_);
}

void MessageSummary::write_json(std::string& out) const {
    out.append(fmt::format("{{\"messages\":{},\"unparseable\":{}", messages_, unparseable_));
    auto section = [&](const char* name, const std::map<std::string, std::uint64_t>& m) {
        out.append(fmt::format(",\"{}\":{{", name));
        bool first = true;
        for (auto& [k, v] : by_count(m)) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, k);
            out.append(fmt::format(":{}", v));
        }
        out.push_back('}');
    };
    section("type", type_);
    section("event", event_);
    section("version", version_);
    section("sending_facility", facility_);
    out.push_back('}');
}

}  // namespace hl7
