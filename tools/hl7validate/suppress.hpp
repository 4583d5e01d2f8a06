// --ignore and --warnings-as-errors, --max-errors, and the per-message facts reports need.
#pragma once

#include <string>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/stream.hpp"
#include "hl7/validate.hpp"
#include "report.hpp"

namespace hl7::cli {

class Suppressions {
public:
    // Each item: a 0357 code ("104"), a path ("PID-3", matching PID-3[2].1 too) or a rule name
    // ("length").
    static Result<Suppressions> parse(const std::vector<std::string>& items);
    // Drops suppressed findings; with warnings_as_errors, warnings become errors.
    void apply(std::vector<Finding>& findings, bool warnings_as_errors) const;

private:
    std::vector<int> codes_;
    std::vector<Path> paths_;
    std::vector<std::string> rules_;
};

// Keeps at most `max` errors reported in all (0: no limit), counting in `reported`; warnings stay.
void limit_errors(std::vector<Finding>& findings, std::uint64_t max, std::uint64_t& reported);

// Fills the message facts of a report: type, control ID, and the stream offset and line of each
// finding (offsets are not known for messages read from JSON).
void describe(const Message& message, const StreamItem& item, const std::vector<Finding>& findings,
              MessageReport& report, bool from_json);

}  // namespace hl7::cli
