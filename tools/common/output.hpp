// Buffered stdout that never holds a record back while the tool waits, and reports write errors.
#pragma once

#include <string>

namespace hl7::cli {

// Records are appended to buffer(); end_record() writes them out once enough has gathered, and
// flush() is called before every blocking read of input (see InputLoop), so a downstream reader
// never waits for a record the tool already has. With --flush, every record is written at once.
class Output {
public:
    explicit Output(int fd = 1) : fd_(fd) { buffer_.reserve(kChunk * 2); }
    std::string& buffer() { return buffer_; }
    void set_flush_each_record(bool on) { flush_each_ = on; }
    void end_record() {
        if (flush_each_ || buffer_.size() >= kChunk) flush();
    }
    // Writes what is buffered; false (and error() set) on a write error.
    bool flush();
    // Final flush; false when any write failed.
    bool finish();
    int error() const { return error_; }

private:
    static constexpr std::size_t kChunk = 1 << 16;
    int fd_;
    std::string buffer_;
    bool flush_each_ = false;
    int error_ = 0;
};

}  // namespace hl7::cli
