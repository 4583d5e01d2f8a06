// Key files and the environment for hl7anon: read with a permission check, written with 0600.
#include "keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace hl7::anon_tool {

namespace {

Diagnostic key_error(std::string text) { return make_error("bad-key", std::move(text)); }

// Not cli::read_whole_file: the permissions are checked on the descriptor that is read, and the read
// stops at 64 KiB (a key is 64 digits; --key-file /dev/zero must not read forever).
Result<LoadedKey> from_file(const std::string& path, std::string origin) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("no-key", fmt::format("cannot open key file {}: {}", path, std::strerror(errno)));
    struct stat st {};
    LoadedKey loaded;
    if (::fstat(fd, &st) == 0) loaded.world_readable = (st.st_mode & S_IROTH) != 0;
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return make_error("no-key", fmt::format("cannot read key file {}: {}", path, std::strerror(e)));
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > 65536) {
            ::close(fd);
            return key_error(fmt::format("key file {} is not a key (too large)", path));
        }
    }
    ::close(fd);
    auto key = AnonKey::from_text(text);
    if (!key) return key_error(fmt::format("key file {}: {}", path, key.error().text));
    loaded.key = *key;
    loaded.origin = std::move(origin);
    return loaded;
}

}  // namespace

Result<LoadedKey> load_key(const std::string& key_file, const char* env_key, const char* env_key_file) {
    if (!key_file.empty()) return from_file(key_file, "key file " + key_file);
    if (env_key_file && *env_key_file)
        return from_file(env_key_file, fmt::format("key file {} (HL7ANON_KEY_FILE)", env_key_file));
    if (env_key && *env_key) {
        auto key = AnonKey::from_text(env_key);
        if (!key) return key_error(fmt::format("HL7ANON_KEY: {}", key.error().text));
        LoadedKey loaded;
        loaded.key = *key;
        loaded.origin = "HL7ANON_KEY";
        return loaded;
    }
    auto key = AnonKey::generate();
    if (!key) return key.error();
    LoadedKey loaded;
    loaded.key = *key;
    loaded.origin = "a random key for this run";
    loaded.random = true;
    return loaded;
}

Status write_new_key(const std::string& path) {
    auto key = AnonKey::generate();
    if (!key) return key.error();
    std::string text = "# hl7anon key: keep it secret; whoever has it can confirm a guessed value\n" + key->to_text();
    bool to_stdout = path.empty() || path == "-";
    int fd = to_stdout ? STDOUT_FILENO : ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return make_error("io", fmt::format("cannot create key file {}: {}", path, std::strerror(errno)));
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            if (!to_stdout) ::close(fd);
            return make_error("io", fmt::format("cannot write key file {}: {}", to_stdout ? "-" : path, std::strerror(e)));
        }
        done += static_cast<std::size_t>(n);
    }
    if (!to_stdout && (::fsync(fd) != 0 || ::close(fd) != 0))
        return make_error("io", fmt::format("cannot write key file {}: {}", path, std::strerror(errno)));
    return Status::success();
}

}  // namespace hl7::anon_tool
