// One file per message (hl7parse --split): names from a template, batches kept whole, nothing overwritten.
#include "common/split_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "hl7/header.hpp"

namespace hl7::cli {

namespace {

constexpr std::string_view kPlaceholders[] = {"{index}", "{control_id}", "{type}", "{file}"};

std::string safe(std::string_view text) {
    std::string out;
    for (char c : text) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == '_';
        out.push_back(ok ? c : '_');
    }
    if (out.empty() || out == "." || out == "..") out = "none";
    return out;
}

}  // namespace

Status check_split_template(std::string_view t) {
    if (t.empty()) return make_error("bad-template", "the file name template is empty");
    if (t.find('/') != std::string_view::npos)
        return make_error("bad-template", "the file name template may not contain '/' (give the folder to --split)");
    for (std::size_t at = t.find('{'); at != std::string_view::npos; at = t.find('{', at + 1)) {
        bool known = false;
        for (auto p : kPlaceholders) known = known || t.substr(at, p.size()) == p;
        if (!known) {
            std::size_t close = t.find('}', at);
            return make_error("bad-template",
                              fmt::format("unknown placeholder '{}' in '{}' (known: {{index}} {{control_id}} {{type}} {{file}})",
                                          t.substr(at, close == std::string_view::npos ? 1 : close - at + 1), t));
        }
    }
    return Status::success();
}

std::string split_file_name(std::string_view t, std::uint64_t index, const Message* message,
                            std::string_view input_name) {
    std::string control_id, type;
    if (message) {
        Header h = read_header(*message);
        control_id = std::string(h.control_id);
        type = std::string(h.type);
        if (!h.event.empty()) type += "_" + std::string(h.event);
    }
    std::string_view base = input_name.substr(input_name.rfind('/') == std::string_view::npos ? 0 : input_name.rfind('/') + 1);
    if (base == "-") base = "stdin";
    std::string out;
    for (std::size_t i = 0; i < t.size();) {
        if (t.compare(i, 7, "{index}") == 0) {
            out += fmt::format("{:06}", index);
            i += 7;
        } else if (t.compare(i, 12, "{control_id}") == 0) {
            out += safe(control_id);
            i += 12;
        } else if (t.compare(i, 6, "{type}") == 0) {
            out += safe(type);
            i += 6;
        } else if (t.compare(i, 6, "{file}") == 0) {
            out += safe(base);
            i += 6;
        } else {
            out.push_back(t[i++]);
        }
    }
    return out;
}

Status SplitFiles::open(const std::string& name) {
    if (Status s = close(); !s) return s;
    if (::mkdir(directory_.c_str(), 0777) != 0 && errno != EEXIST)
        return make_error("io", fmt::format("{}: {}", directory_, std::strerror(errno)));
    path_ = directory_ + "/" + name;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
        int e = errno;
        return make_error("io", e == EEXIST ? fmt::format("{}: exists; not overwritten", path_)
                                            : fmt::format("{}: {}", path_, std::strerror(e)));
    }
    return Status::success();
}

Status SplitFiles::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error("io", fmt::format("{}: {}", path_, std::strerror(errno)));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::success();
}

Status SplitFiles::close() {
    if (fd_ < 0) return Status::success();
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return make_error("io", fmt::format("{}: {}", path_, std::strerror(errno)));
    return Status::success();
}

}  // namespace hl7::cli
