// A spool file: messages appended as length-prefixed records, each made durable before it is
// acknowledged (--spool FILE).
//
// A record is the message's length in ASCII decimal digits, LF, the message's bytes, LF:
// "123\nMSH|...\n". The bytes are kept as they came (CR segment ends, any byte value), so a reader
// takes the length, then exactly that many bytes, then checks the LF. append() promises, when it
// succeeds with fsync on, that the record is on stable storage; when it fails, the file is cut
// back to where it was, so it never holds a partial record that a later one follows. Group commit:
// stage() appends records without syncing, commit() makes them all durable with one fdatasync (the
// bytes and the file's size), or, failing, cuts the file back to where the first of them began.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hl7/error.hpp"

namespace hl7::cli {

// The record for `message`: length, LF, bytes, LF.
std::string spool_record(std::string_view message);

// Reads the record at the start of `data`: its message and the size of the whole record, or
// nullopt when `data` does not start with a whole record (cut short by a crash, or not a spool).
struct SpoolRecord {
    std::string_view message;
    std::size_t size = 0;
};
std::optional<SpoolRecord> read_spool_record(std::string_view data);

class SpoolFile {
public:
    SpoolFile() = default;
    ~SpoolFile();
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;

    // Opens (creating, mode 0644 less the umask) `path` for appending.
    Status open(const std::string& path, bool fsync);
    bool is_open() const { return fd_ >= 0; }
    // Closes and opens the path again, for log rotation: after a rename the next record goes to a
    // new file at the path. On failure the old file stays open and in use. commit() first: with
    // records staged it is an error.
    Status reopen();
    // Appends the record of `message`, then fsyncs (unless opened with fsync false).
    Status append(std::string_view message);
    // Appends the record of `message` for the next commit(); on failure the file is as it was and
    // nothing more is staged.
    Status stage(std::string_view message);
    // Makes every record staged since the last commit durable at once (fdatasync; nothing with fsync
    // false). On failure the file is cut back to before the first of them: none is stored.
    Status commit();
    std::size_t staged() const { return staged_; }

    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    bool fsync_ = true;
    std::string record_;
    std::size_t staged_ = 0;
    std::int64_t batch_start_ = 0;  // the file's size before the first staged record
    Status write_record(std::string_view message, std::int64_t& size_before);
};

}  // namespace hl7::cli
