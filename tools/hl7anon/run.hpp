// One hl7anon run over its inputs: logs and message streams cut into regions, messages
// de-identified and written back in their own shape, text scrubbed, the report and the check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/diagnostics.hpp"
#include "common/output.hpp"
#include "hl7/anon.hpp"
#include "hl7/log_scan.hpp"
#include "hl7/pseudonym.hpp"

namespace hl7::anon_tool {

struct RunOptions {
    bool check = false;            // --check: residue scan of every message written
    std::string report_file;       // --report FILE ("-" is not allowed: stdout carries the data)
    std::size_t max_region_size = std::size_t(16) << 20;
};

class Run {
public:
    Run(const AnonKey& key, anon::Profile profile, RunOptions options, cli::Reporter& reporter);
    ~Run();

    Status open_report();
    // Every file in order ("-": standard input); the exit status: 0, 1 (a residue with --check),
    // 65 (a region scrubbed whole), 66 (a missing input), 74 (a read or write error).
    int process(const std::vector<std::string>& files);
    std::string summary() const;

private:
    void process_fd(const std::string& name, int fd);
    void log_region(const std::string& name, const LogRegion& region);
    void ndjson_line(const std::string& name, std::string_view line, std::uint64_t offset, std::uint64_t line_no);
    // A message de-identified; false when it did not parse (the caller scrubs it whole).
    bool message(const std::string& name, std::string_view er7, std::uint64_t offset, std::uint64_t line_no,
                 std::string& er7_out);
    void scrub_whole(const std::string& name, std::string_view bytes, std::uint64_t offset, std::uint64_t line_no,
                     std::string_view why);
    void check_output(const std::string& name, std::string_view written);
    void report_line(const std::string& text);

    anon::Anonymizer anonymizer_;
    Subkey whole_key_;  // regions scrubbed whole: every word pseudonymised
    RunOptions options_;
    cli::Reporter& reporter_;
    cli::Output output_;
    int report_fd_ = -1;
    std::string report_buffer_;
    std::string scratch_, er7_scratch_;
    anon::AnonOutcome last_outcome_;
    std::uint64_t messages_ = 0, text_hits_ = 0, scrubbed_whole_ = 0, residues_ = 0, changes_ = 0;
    bool missing_ = false, io_error_ = false;
    bool collecting_ = false;  // the first pass over regular files: values learnt, nothing written
};

}  // namespace hl7::anon_tool
