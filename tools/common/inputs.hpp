// The loop every tool runs: files and stdin through the library's MessageStream (ER7, MLLP, batches
// or NDJSON, detected), one callback per message, bad input reported and skipped, and the exit
// status remembered.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostics.hpp"
#include "common/output.hpp"
#include "hl7/message.hpp"
#include "hl7/reader.hpp"
#include "hl7/stream.hpp"

namespace hl7::cli {

struct MessageContext {
    std::string_view file;        // as named on the command line; "-" for stdin
    const StreamItem& item;       // position, batch lines; for JSON input, rebuilt from the JSON
    Message* message;             // null for batch lines without a message (or around unparseable input)
    bool from_json = false;
    const JsonOrigin* json_origin = nullptr;  // the "source" a JSON object carried, if it had one
};

class InputLoop {
public:
    InputLoop(Reporter& reporter, Output& output) : reporter_(reporter), output_(output) {}

    // Called, besides the report on stderr, for each input that could not be parsed (junk, a
    // message with unusable delimiters, bad JSON): for reports that list every message.
    void on_unparseable(std::function<void(const MessageContext&, const Diagnostic&)> handler) {
        on_unparseable_ = std::move(handler);
    }

    // Runs `on_message` for every message of every file in order (none given: stdin).
    void run(const std::vector<std::string>& files, const std::function<void(MessageContext&)>& on_message);

    void set_reader_options(const ReaderOptions& options) { reader_options_ = options; }
    // Text that is not a message is wanted as it is (hl7parse --keep-unparsed): a note rather than
    // an error, not counted as unparseable; the on_unparseable handler still gets it.
    void set_text_passes_through(bool on) { text_passes_through_ = on; }
    // On a pipe, terminal or socket: complete a plain-ER7 message after this many milliseconds
    // without input following a segment end (0: wait for the next message or the end).
    void set_idle_flush(int ms) { idle_ms_ = ms; }

    std::uint64_t messages() const { return messages_; }
    std::uint64_t unparseable() const { return unparseable_; }
    // 74 after a read error, 66 after a missing input, 65 after unparseable input, else 0.
    int status() const;

    // Reports a diagnostic found in a message, adding the message's stream offset.
    void report(const Diagnostic& diagnostic, const MessageContext& context, const Message* message = nullptr);

private:
    void run_one(std::string_view name, int fd, const std::function<void(MessageContext&)>& on_message);
    void say_what_it_looks_like(std::string_view name, std::string_view kind);
    // With --verbose: what was repaired on the way in (framing, segment ends).
    void report_repairs(const MessageContext& context, const Message& message);
    Reporter& reporter_;
    ReaderOptions reader_options_;
    bool text_passes_through_ = false;
    int idle_ms_ = 100;
    Output& output_;
    std::uint64_t messages_ = 0;
    std::uint64_t unparseable_ = 0;
    std::function<void(const MessageContext&, const Diagnostic&)> on_unparseable_;
    bool missing_ = false;
    bool read_error_ = false;
};

// Reads a whole (small) file, such as a profile; the error text names the file.
Result<std::string> read_whole_file(const std::string& path);

// Combines exit statuses: the more serious wins (74 > 66 > 65 > 1 > 0).
int worst_status(int a, int b);

}  // namespace hl7::cli
