// Exit statuses every tool uses: 0 ok, 1 findings, 2 usage, and sysexits for the rest.
#pragma once

namespace hl7::cli {

enum ExitCode : int {
    exit_ok = 0,
    exit_findings = 1,      // invalid message, NAK
    exit_usage = 2,
    exit_data = 65,         // EX_DATAERR: input that could not be parsed
    exit_no_input = 66,     // EX_NOINPUT
    exit_unavailable = 69,  // EX_UNAVAILABLE
    exit_io = 74,           // EX_IOERR
    exit_temporary = 75,    // EX_TEMPFAIL
};

}  // namespace hl7::cli
