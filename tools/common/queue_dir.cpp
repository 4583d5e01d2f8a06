// The maildir-style queue folder: tmp, fsync, rename into new, fsync new.
#include "common/queue_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hl7::cli {

std::string queue_file_name(std::uint64_t micros, std::uint64_t sequence, long pid, std::uint64_t connection,
                            std::uint64_t message) {
    return fmt::format("{:020}.{:012}.P{}C{}M{}.hl7", micros, sequence, pid, connection, message);
}

namespace {

Diagnostic io_error(std::string_view what, const std::string& path, int error) {
    return make_error("store-failed", fmt::format("{} {}: {}", what, path, std::strerror(error)));
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) {
        struct stat st{};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
        return io_error("not a folder:", path, ENOTDIR);
    }
    return io_error("cannot create", path, errno);
}

Status write_all(int fd, std::string_view bytes, const std::string& path) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("cannot write", path, errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

QueueDir::~QueueDir() {
    if (new_fd_ >= 0) ::close(new_fd_);
}

Status QueueDir::open(const std::string& dir, bool fsync) {
    dir_ = dir;
    fsync_ = fsync;
    for (const std::string& path : {dir, dir + "/tmp", dir + "/new", dir + "/cur"}) {
        if (Status s = make_dir(path); !s) return s;
    }
    if (new_fd_ >= 0) ::close(new_fd_);
    new_fd_ = ::open((dir + "/new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (new_fd_ < 0) return io_error("cannot open", dir + "/new", errno);
    return {};
}

std::string QueueDir::next_name(std::uint64_t now_micros, std::uint64_t connection, std::uint64_t message) {
    last_micros_ = std::max(last_micros_, now_micros);
    return queue_file_name(last_micros_, ++sequence_, static_cast<long>(::getpid()), connection, message);
}

Status QueueDir::store(const std::string& name, std::string_view bytes) {
    if (new_fd_ < 0) return make_error("store-failed", "the queue folder is not open");
    std::string tmp = dir_ + "/tmp/" + name, target = dir_ + "/new/" + name;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot create", tmp, errno);
    Status s = write_all(fd, bytes, tmp);
    if (s && fsync_ && ::fsync(fd) != 0) s = io_error("cannot fsync", tmp, errno);
    if (::close(fd) != 0 && s) s = io_error("cannot close", tmp, errno);
    // Names are unique (time, count, process; tmp/NAME created O_EXCL), so rename replaces nothing.
    if (s && ::rename(tmp.c_str(), target.c_str()) != 0) s = io_error("cannot move into new/:", target, errno);
    if (!s) ::unlink(tmp.c_str());
    if (s && fsync_ && ::fsync(new_fd_) != 0) {
        s = io_error("cannot fsync", dir_ + "/new", errno);
        ::unlink(target.c_str());  // not durable: not acknowledged, so not left for a forwarder either
    }
    return s;
}

}  // namespace hl7::cli
