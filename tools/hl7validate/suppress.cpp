// Finding filters and positions for hl7validate.
#include "suppress.hpp"

#include "hl7/header.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hl7::cli {

Result<Suppressions> Suppressions::parse(const std::vector<std::string>& items) {
    Suppressions s;
    for (const std::string& item : items) {
        static constexpr int kCodes[] = {100, 101, 102, 103, 104, 200, 201, 202, 203, 207};
        static constexpr std::string_view kRules[] = {
            "syntax",      "header",  "version",  "structure", "required-segment", "cardinality",
            "unexpected-segment", "segment-order", "unknown-segment", "required", "withdrawn", "repetition",
            "length",      "datatype", "table",    "escape",    "charset",          "profile"};
        bool digits = !item.empty() && std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
            int code = item.size() <= 4 ? std::stoi(item) : -1;
            if (std::find(std::begin(kCodes), std::end(kCodes), code) == std::end(kCodes))
                return make_error("bad-ignore", fmt::format("--ignore {}: not a table 0357 code hl7validate reports "
                                                            "(100-104, 200-203, 207)",
                                                            item));
            s.codes_.push_back(code);
        } else if (std::find(std::begin(kRules), std::end(kRules), item) != std::end(kRules)) {
            s.rules_.push_back(item);
        } else if (auto path = parse_path(item)) {
            s.paths_.push_back(*path);
        } else if (std::any_of(item.begin(), item.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
            std::string names;
            for (std::string_view r : kRules) names += (names.empty() ? "" : ", ") + std::string(r);
            return make_error("bad-ignore", fmt::format("--ignore {}: not a rule name ({})", item, names));
        } else {
            return make_error("bad-ignore", fmt::format("--ignore {}: not a code, a rule name or a path ({})", item,
                                                        path.error().text));
        }
    }
    return s;
}

namespace {

// Whether `p` (a finding's location) lies at or below `within`.
bool inside(const Path& p, const Path& within) {
    if (p.segment != within.segment) return false;
    if (within.occurrence_given && within.occurrence != Path::all && p.occurrence != within.occurrence) return false;
    if (within.field == 0) return true;
    if (p.field != within.field) return false;
    if (within.repetition_given && within.repetition != Path::all && p.repetition != within.repetition) return false;
    if (within.component == 0) return true;
    if (p.component != within.component) return false;
    return within.subcomponent == 0 || p.subcomponent == within.subcomponent;
}

}  // namespace

void Suppressions::apply(std::vector<Finding>& findings, bool warnings_as_errors) const {
    findings.erase(std::remove_if(findings.begin(), findings.end(),
                                  [this](const Finding& f) {
                                      if (std::find(codes_.begin(), codes_.end(), f.code) != codes_.end()) return true;
                                      if (std::find(rules_.begin(), rules_.end(), f.rule) != rules_.end()) return true;
                                      for (const Path& p : paths_)
                                          if (inside(f.location, p)) return true;
                                      return false;
                                  }),
                   findings.end());
    if (warnings_as_errors)
        for (Finding& f : findings)
            if (f.severity == Severity::warning) f.severity = Severity::error;
}

void limit_errors(std::vector<Finding>& findings, std::uint64_t max, std::uint64_t& reported) {
    if (max == 0) return;
    findings.erase(std::remove_if(findings.begin(), findings.end(),
                                  [&](const Finding& f) {
                                      if (f.severity != Severity::error) return false;
                                      return ++reported > max;
                                  }),
                   findings.end());
}

void describe(const Message& message, const StreamItem& item, const std::vector<Finding>& findings,
              MessageReport& report, bool from_json) {
    Header header = read_header(message);
    report.type = std::string(header.message_type);
    report.control_id = std::string(header.control_id);
    report.finding_offsets.clear();
    report.finding_lines.clear();
    if (findings.empty()) return;
    // The line each segment starts on, in one pass, counted as less and editors count: by LFs.
    std::string_view text = message.original_text();
    std::vector<std::uint64_t> segment_lines(message.size(), item.line);
    std::uint64_t line = item.line;
    std::size_t k = 0;
    for (std::size_t s = 0; s < message.size() && !from_json; ++s) {
        std::uint32_t at = message.segment_offset(s);
        for (; k < at && k < text.size(); ++k)
            if (text[k] == '\n') ++line;
        segment_lines[s] = line;
    }
    for (const Finding& f : findings) {
        bool known = !from_json && f.segment_index > 0 && f.segment_index <= message.size();
        report.finding_offsets.push_back(known ? item.offset + message.segment_offset(f.segment_index - 1)
                                               : item.offset);
        report.finding_lines.push_back(known ? segment_lines[f.segment_index - 1] : item.line);
    }
}

}  // namespace hl7::cli
