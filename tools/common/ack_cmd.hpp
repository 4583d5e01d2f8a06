// An external command that writes the ACK for a message (--ack-cmd): running it with a time limit,
// and checking that what it printed is an ACK for that message.
//
// run_command never lets the child outlive it: on the deadline, or output past the limit, the
// command's whole process group is killed and reaped. Writing to a command that does not read
// its input never raises SIGPIPE.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "hl7/error.hpp"

namespace hl7::cli {

struct CommandOutcome {
    std::string output;      // its standard output (at most the limit)
    bool started = false;    // false: it could not be started (see `error`)
    bool timed_out = false;  // killed at the deadline
    bool too_long = false;   // killed for writing more than the limit
    int exit_status = -1;    // when it exited on its own
    int signal = 0;          // when a signal ended it
    std::string error;       // why it could not be started

    bool finished() const { return started && !timed_out && !too_long && signal == 0 && exit_status >= 0; }
    // "timed out after 10000 ms", "killed by signal 9", "exit status 3", ...: never its output.
    std::string describe(std::chrono::milliseconds timeout) const;
};

// Runs `sh -c command` in a process group of its own, with `input` on its standard input, its
// standard output captured, its standard error the caller's.
CommandOutcome run_command(const std::string& command, std::string_view input, std::chrono::milliseconds timeout,
                           std::size_t max_output);

// The ACK in a command's output, ready to send: one message (MLLP framing bytes around it and
// trailing blank lines dropped, LF or CRLF segment ends made CR) whose MSA-1 is an acknowledgement
// code and whose MSA-2 is `control_id`. "bad-ack" otherwise, with a reason that quotes nothing of
// the output.
Result<std::string> ack_from_output(std::string_view output, std::string_view control_id);

}  // namespace hl7::cli
