// The length-prefixed spool file: append, fsync, cut back on failure, reopen on SIGHUP.
#include "common/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace hl7::cli {

namespace {

Diagnostic io_error(std::string_view what, const std::string& path, int error) {
    return make_error("store-failed", fmt::format("{} {}: {}", what, path, std::strerror(error)));
}

}  // namespace

std::string spool_record(std::string_view message) {
    std::string record = fmt::format("{}\n", message.size());
    record.reserve(record.size() + message.size() + 1);
    record.append(message);
    record += '\n';
    return record;
}

std::optional<SpoolRecord> read_spool_record(std::string_view data) {
    std::size_t lf = data.find('\n');
    if (lf == std::string_view::npos || lf == 0 || lf > 20) return std::nullopt;
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(data.data(), data.data() + lf, length);
    if (ec != std::errc() || end != data.data() + lf) return std::nullopt;
    std::size_t start = lf + 1;
    if (data.size() - start <= length || data[start + length] != '\n') return std::nullopt;
    return SpoolRecord{data.substr(start, length), start + length + 1};
}

SpoolFile::~SpoolFile() {
    if (fd_ >= 0) ::close(fd_);
}

Status SpoolFile::open(const std::string& path, bool fsync) {
    path_ = path;
    fsync_ = fsync;
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot open", path, errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return {};
}

Status SpoolFile::reopen() {
    if (staged_ > 0) return make_error("store-failed", "records staged and not committed: commit before reopening");
    return open(path_, fsync_);
}

// Writes one record; on failure cuts the file back to `size_before` (its size before the record).
Status SpoolFile::write_record(std::string_view message, std::int64_t& size_before) {
    if (fd_ < 0) return make_error("store-failed", "the spool file is not open");
    struct stat st{};
    if (::fstat(fd_, &st) != 0) return io_error("cannot stat", path_, errno);
    size_before = st.st_size;
    record_ = spool_record(message);
    std::string_view rest = record_;
    Status s;
    while (!rest.empty()) {
        ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            s = io_error("cannot write", path_, errno);
            break;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    // Not stored, so not acknowledged: leave no part of the record for a reader to trip on.
    // (A file that cannot be cut, such as a device, keeps the first error as the one to report.)
    if (!s) {
        [[maybe_unused]] int cut = ::ftruncate(fd_, st.st_size);
    }
    return s;
}

Status SpoolFile::append(std::string_view message) {
    std::int64_t size_before = 0;
    Status s = write_record(message, size_before);
    if (s && fsync_ && ::fsync(fd_) != 0) {
        s = io_error("cannot fsync", path_, errno);
        [[maybe_unused]] int cut = ::ftruncate(fd_, size_before);
    }
    return s;
}

Status SpoolFile::stage(std::string_view message) {
    std::int64_t size_before = 0;
    Status s = write_record(message, size_before);
    if (s && staged_++ == 0) batch_start_ = size_before;
    return s;
}

Status SpoolFile::commit() {
    if (staged_ == 0) return {};
    staged_ = 0;
    // fdatasync covers the appended bytes and the size that makes them readable.
    if (!fsync_ || ::fdatasync(fd_) == 0) return {};
    Status s = io_error("cannot fsync", path_, errno);
    [[maybe_unused]] int cut = ::ftruncate(fd_, batch_start_);
    return s;
}

}  // namespace hl7::cli
