// A queue folder in the maildir manner: messages written under DIR/tmp, made durable, renamed into
// DIR/new, so that a reader of DIR/new never sees a partial file and names sort in arrival order.
//
// store() promises, when it succeeds with fsync on: the file's bytes and its name in DIR/new are on
// stable storage (file fsynced before the rename, DIR/new fsynced after it). When it fails, nothing
// is left in DIR/new, and the caller must not acknowledge the message.
//
// Group commit (stage() many, then commit() once) promises the same for each file commit() reports
// stored, at the cost of two flushes for the whole group: first the files' bytes are made durable
// (fdatasync of the file when there is one, else syncfs(2) of the folder's filesystem), only then
// are they renamed into DIR/new, and DIR/new is fsynced once. So a name in DIR/new never points at
// bytes that a crash could lose, even before the commit has finished.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"

namespace hl7::cli {

// The file name for a message: microseconds since 1970 (20 digits), a count within this run
// (12 digits), the process, connection and message numbers; ".hl7". No message content, so no
// patient data. Names sort in the order the counts are given when the times never go backwards
// (QueueDir::next_name sees to that).
std::string queue_file_name(std::uint64_t micros, std::uint64_t sequence, long pid, std::uint64_t connection,
                            std::uint64_t message);

class QueueDir {
public:
    QueueDir() = default;
    ~QueueDir();
    QueueDir(const QueueDir&) = delete;
    QueueDir& operator=(const QueueDir&) = delete;

    // Creates DIR, DIR/tmp, DIR/new and DIR/cur as needed, and keeps DIR/new open for its fsyncs.
    Status open(const std::string& dir, bool fsync);
    bool is_open() const { return new_fd_ >= 0; }

    // The next name: `now_micros` is the clock as the caller reads it; a clock that steps back is
    // held at the last time used, so names keep sorting in arrival order.
    std::string next_name(std::uint64_t now_micros, std::uint64_t connection, std::uint64_t message);

    // Writes `bytes` to tmp/NAME, fsyncs it, renames it to new/NAME and fsyncs new/ (without the
    // fsyncs when opened with fsync false). A name already in tmp/ is an error.
    Status store(const std::string& name, std::string_view bytes);

    // Writes `bytes` to tmp/NAME and keeps it for the next commit(); nothing durable yet. When it
    // fails, nothing is left in tmp/ and nothing is staged.
    Status stage(const std::string& name, std::string_view bytes);
    // Makes every staged file durable and moves it into new/ (as store() does, see the header's
    // note): one Status per file, in the order staged. Nothing is staged afterwards.
    std::vector<Status> commit();
    std::size_t staged() const { return staged_.size(); }

    const std::string& dir() const { return dir_; }

private:
    struct Staged {
        std::string name;
        int fd = -1;  // open until commit() has synced it
    };
    Status sync_staged();

    std::string dir_;
    std::vector<Staged> staged_;
    int new_fd_ = -1, tmp_fd_ = -1;
    bool fsync_ = true;
    std::uint64_t last_micros_ = 0;
    std::uint64_t sequence_ = 0;
};

}  // namespace hl7::cli
