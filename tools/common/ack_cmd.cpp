// Running --ack-cmd (fork, sh -c, poll with a deadline, kill the group) and checking its ACK.
#include "common/ack_cmd.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "hl7/message.hpp"

namespace hl7::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;

int millis_left(SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

// Reaps `pid`, killing its group when it is still running at the deadline; fills the outcome.
void reap(pid_t pid, SteadyClock::time_point deadline, CommandOutcome& outcome) {
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return;
        if (outcome.timed_out || outcome.too_long || SteadyClock::now() >= deadline) {
            if (!outcome.too_long) outcome.timed_out = true;
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        ::usleep(2000);
    }
    if (WIFEXITED(status)) outcome.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    if (outcome.timed_out || outcome.too_long) ::kill(-pid, SIGKILL);  // what it left behind
}

}  // namespace

std::string CommandOutcome::describe(std::chrono::milliseconds timeout) const {
    if (!started) return fmt::format("cannot start: {}", error);
    if (timed_out) return fmt::format("timed out after {} ms", timeout.count());
    if (too_long) return "wrote more than an ACK can be";
    if (signal != 0) return fmt::format("killed by signal {}", signal);
    return fmt::format("exit status {}", exit_status);
}

CommandOutcome run_command(const std::string& command, std::string_view input, std::chrono::milliseconds timeout,
                           std::size_t max_output) {
    CommandOutcome outcome;
    auto deadline = SteadyClock::now() + timeout;
    // Its standard input is a socket, so that a write to a command that has gone is EPIPE from
    // send(MSG_NOSIGNAL), not SIGPIPE for the listener.
    int in[2], out[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
        outcome.error = std::strerror(errno);
        return outcome;
    }
    if (::pipe2(out, O_CLOEXEC) != 0) {
        outcome.error = std::strerror(errno);
        ::close(in[0]);
        ::close(in[1]);
        return outcome;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        outcome.error = std::strerror(errno);
        for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
        return outcome;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(in[1], 0);
        ::dup2(out[1], 1);
        ::signal(SIGPIPE, SIG_DFL);
        // Not the listener's sockets and files: a command left running must not hold them open.
        if (::close_range(3, ~0U, 0) != 0)
            for (int fd = 3; fd < 1024; ++fd) ::close(fd);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here, so that a kill of the group cannot come before the child's own call
    outcome.started = true;
    ::close(in[1]);
    ::close(out[1]);
    int to_child = in[0], from_child = out[0];
    ::fcntl(to_child, F_SETFL, O_NONBLOCK);
    std::string_view rest = input;
    if (rest.empty()) ::shutdown(to_child, SHUT_WR);
    std::array<char, 4096> chunk{};
    bool reading = true;
    while (reading) {
        if (SteadyClock::now() >= deadline) {
            outcome.timed_out = true;
            break;
        }
        std::array<pollfd, 2> fds{pollfd{from_child, POLLIN, 0}, pollfd{rest.empty() ? -1 : to_child, POLLOUT, 0}};
        int n = ::poll(fds.data(), fds.size(), millis_left(deadline));
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        if (fds[1].revents != 0) {
            ssize_t w = ::send(to_child, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) rest.remove_prefix(static_cast<std::size_t>(w));
            else if (w < 0 && errno != EAGAIN && errno != EINTR) rest = {};  // it stopped reading: fine
            if (rest.empty()) ::shutdown(to_child, SHUT_WR);
        }
        if (fds[0].revents != 0) {
            ssize_t r = ::read(from_child, chunk.data(), chunk.size());
            if (r > 0) {
                outcome.output.append(chunk.data(), static_cast<std::size_t>(r));
                if (outcome.output.size() > max_output) {
                    outcome.too_long = true;
                    outcome.output.resize(max_output);
                    reading = false;
                }
            } else if (r == 0 || errno != EINTR) {
                reading = false;
            }
        }
    }
    ::close(to_child);
    ::close(from_child);
    reap(pid, deadline, outcome);
    return outcome;
}

Result<std::string> ack_from_output(std::string_view output, std::string_view control_id) {
    auto bad = [](std::string_view why) { return make_error("bad-ack", fmt::format("not an ACK: {}", why)); };
    if (!output.empty() && output.front() == '\x0b') output.remove_prefix(1);
    while (!output.empty() && (output.back() == '\r' || output.back() == '\n' || output.back() == '\x1c'))
        output.remove_suffix(1);
    if (output.empty()) return bad("no output");
    std::string ack;
    ack.reserve(output.size() + 1);
    for (std::size_t i = 0; i < output.size(); ++i) {
        char c = output[i];
        if (c == '\x0b' || c == '\x1c') return bad("an MLLP block byte inside");
        if (c == '\r' && i + 1 < output.size() && output[i + 1] == '\n') continue;
        ack += c == '\n' ? '\r' : c;
    }
    ack += '\r';
    if (ack.size() < 8 || ack.compare(0, 3, "MSH") != 0) return bad("it does not start with MSH");
    char separator = ack[3];
    std::string_view msa;
    std::size_t headers = 0;
    for (std::size_t start = 0; start < ack.size();) {
        std::size_t end = ack.find('\r', start);
        std::string_view segment(ack.data() + start, end - start);
        if (segment.size() >= 4 && segment.compare(0, 3, "MSH") == 0 && segment[3] == separator) ++headers;
        if (msa.empty() && segment.size() >= 4 && segment.compare(0, 3, "MSA") == 0 && segment[3] == separator)
            msa = segment;
        start = end + 1;
    }
    if (headers != 1) return bad("more than one message");
    if (msa.empty()) return bad("no MSA segment");
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        std::size_t end = msa.find(separator, start);
        fields.push_back(msa.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    static constexpr std::array<std::string_view, 6> codes{"AA", "AE", "AR", "CA", "CE", "CR"};
    if (fields.size() < 3 || std::find(codes.begin(), codes.end(), fields[1]) == codes.end())
        return bad("MSA-1 is not an acknowledgement code");
    std::string_view answered = fields[2];
    if (std::size_t component = answered.find(ack.size() > 4 ? ack[4] : '^'); component != std::string_view::npos)
        answered = answered.substr(0, component);
    if (answered != control_id) return bad("MSA-2 does not match the message's MSH-10");
    if (!Message::parse(ack)) return bad("it cannot be parsed");
    return ack;
}

}  // namespace hl7::cli
