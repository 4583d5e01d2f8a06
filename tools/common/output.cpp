// Output writing with error capture; SIGPIPE stays at its default, so a closed pipe ends us quietly.
#include "common/output.hpp"

#include <unistd.h>

#include <cerrno>

namespace hl7::cli {

bool Output::flush() {
    if (error_) {
        buffer_.clear();
        return false;
    }
    std::size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = errno;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
    return error_ == 0;
}

bool Output::finish() { return flush(); }

}  // namespace hl7::cli
