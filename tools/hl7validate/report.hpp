// hl7validate's report forms: human lines, NDJSON, JUnit XML, GitHub annotations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/stream.hpp"
#include "hl7/validate.hpp"

namespace hl7::cli {

// One checked input: a message with its findings, or an input that could not be parsed.
struct MessageReport {
    std::string_view file;
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
    std::uint64_t line = 0;
    std::string type;        // MSH-9 as written, "ADT^A01^ADT_A01"
    std::string control_id;  // MSH-10
    const std::vector<Finding>* findings = nullptr;
    std::vector<std::uint64_t> finding_offsets, finding_lines;  // per finding, in the input stream
    bool valid = true;
    std::string unparseable;  // why the input could not be parsed, if it could not

    static MessageReport at(std::string_view file, const StreamItem& item) {
        MessageReport r;
        r.file = file;
        r.index = item.index;
        r.offset = item.offset;
        r.line = item.line;
        return r;
    }
};

class ReportWriter {
public:
    virtual ~ReportWriter() = default;
    virtual void message(const MessageReport& report, std::string& out) = 0;
    // After the last message (JUnit writes everything here).
    virtual void finish(std::string& /*out*/) {}
};

// "human", "json", "junit" or "github". Values are shown only when show_values is set.
std::unique_ptr<ReportWriter> make_report_writer(const std::string& format, bool show_values);

}  // namespace hl7::cli
