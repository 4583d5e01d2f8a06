// The MLLP client hl7send stands on: delivery of messages over one or more connections, each
// acknowledged, checked and retried by one policy, with TLS when asked.
//
// MllpSender promises: a message is reported `accepted` only when an acknowledgment that names it
// (MSA-2 = its MSH-10, unless the check is turned off) came back on the connection it was sent on,
// or an MLLP release 2 commit block did. After a timeout, a mismatched or unreadable reply, the
// connection is closed and never used again, so a late ACK is never taken for the next message's.
// Messages given to one connection go out in the order they were taken. Nothing it reports holds
// message content beyond the receiver's own ACK. Asio stays inside net_client.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net.hpp"
#include "hl7/ack.hpp"
#include "hl7/error.hpp"

namespace hl7::net {

// TLS as a client: the server's certificate is verified against `ca_file` (the system's store when
// empty) and its name against `server_name` (the host when empty), unless `insecure`.
struct TlsClientOptions {
    bool enabled = false;
    std::string ca_file;
    std::string cert_file;  // with key_file: a client certificate (mutual TLS)
    std::string key_file;
    std::string server_name;
    bool insecure = false;
};

// Why an attempt did not end in acceptance. Names as --retry-on and --fail-on take them.
enum class SendProblem : std::uint8_t {
    none,
    connect,   // no connection (refused, unreachable, connect timeout, name not resolved)
    tls,       // the TLS handshake failed (certificate not trusted, wrong name, protocol)
    timeout,   // no complete reply within the ACK timeout
    closed,    // the peer closed or reset the connection before replying
    mismatch,  // the reply acknowledges another message (MSA-2 is not our MSH-10)
    garbage,   // the reply is no acknowledgment (no MSA, bytes outside frames, a bad MLLP2 block)
    AE, AR, CE, CR,  // a negative acknowledgment (MLLP2 negative commit block counts as AR)
};
std::string_view send_problem_name(SendProblem problem);
std::optional<SendProblem> send_problem_from_name(std::string_view name);

// A set of problems, for the retry policy.
class ProblemSet {
public:
    ProblemSet() = default;
    static ProblemSet default_retried();  // connect, timeout, closed, mismatch, garbage, AR, CR (not tls, AE, CE)
    bool has(SendProblem p) const { return (bits_ >> static_cast<unsigned>(p)) & 1U; }
    void add(SendProblem p) { bits_ |= 1U << static_cast<unsigned>(p); }
    void remove(SendProblem p) { bits_ &= ~(1U << static_cast<unsigned>(p)); }

private:
    std::uint32_t bits_ = 0;
};

struct SenderOptions {
    Endpoint peer;
    std::size_t connections = 1;
    // Messages sent on a connection before their ACKs come back (pipelining); 1: each waits for
    // the one before. Above 1, a message retried after a NAK goes after those sent behind it.
    std::size_t window = 1;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds ack_timeout{30000};
    bool wait_for_ack = true;     // false: fire and forget (reported `sent`)
    bool mllp2 = false;           // wait for the MLLP release 2 commit block instead of an HL7 ACK
    bool check_control_id = true; // MSA-2 must be the message's MSH-10
    int retries = 3;              // further attempts after the first
    std::chrono::milliseconds backoff{500};       // before the first retry; doubled for each next one
    std::chrono::milliseconds max_backoff{30000};
    ProblemSet retried = ProblemSet::default_retried();
    double rate = 0;              // messages per second over all connections; 0: as fast as ACKs come
    std::size_t max_reply_size = std::size_t(16) << 20;
    std::size_t queue_limit = 256;  // messages taken from the producer and not yet sent
    TlsClientOptions tls;
    bool handle_signals = true;   // SIGTERM and SIGINT call stop()
    std::uint64_t jitter_seed = 0;  // 0: seeded from the clock (tests fix it)
};

// One message to deliver. `message` is exactly the bytes to frame (segment ends already as wanted).
struct Delivery {
    std::string message;
    std::uint64_t tag = 0;  // the caller's own handle, given back in the outcome
    std::string expected_id;  // acknowledgment_id(message) when the caller has it; empty: read from `message`
};

enum class DeliveryStatus : std::uint8_t {
    accepted,  // AA or CA (or an MLLP2 commit block)
    rejected,  // a final AE, AR, CE or CR
    failed,    // retries exhausted, or a problem not retried; `problem` says which. Stops the run.
    sent,      // wait_for_ack off: written to the socket
    not_sent,  // taken but never attempted: the run stopped first
};
std::string_view delivery_status_name(DeliveryStatus status);

struct DeliveryOutcome {
    std::uint64_t tag = 0;
    DeliveryStatus status = DeliveryStatus::not_sent;
    SendProblem problem = SendProblem::none;  // the last attempt's problem
    std::string problem_detail;               // "connection refused", "certificate verify failed"; no content
    std::optional<Ack> ack;                   // the acknowledgment read, when one was
    std::string ack_message;                  // its bytes as received (unframed)
    int attempts = 0;
    std::chrono::microseconds round_trip{0};  // last attempt: write to reply
    std::uint64_t connection = 0;             // 1, 2, ...: connections opened, in order, over the run
};

// Connection events for -v. Never message content.
enum class ClientEvent : std::uint8_t { connected, closed, retrying, stopping };

class MllpSender {
public:
    using OutcomeHandler = std::function<void(DeliveryOutcome&&)>;
    using EventHandler = std::function<void(ClientEvent, std::uint64_t connection, std::string_view text)>;

    MllpSender(SenderOptions options, OutcomeHandler on_outcome, EventHandler on_event = {});
    ~MllpSender();
    MllpSender(const MllpSender&) = delete;
    MllpSender& operator=(const MllpSender&) = delete;

    // Checks the options and loads TLS files: an error (bad CA file, key not matching) before any
    // message is taken.
    Status prepare();

    // From any thread: hands over a message, blocking while queue_limit messages wait. False once
    // the run has stopped (a failure, stop()): the message is not taken.
    bool submit(Delivery delivery);
    // From any thread: no more messages will come. run() returns when those taken are done.
    void finish();

    // Runs the connections in the calling thread until finish() and all messages done, or a stop.
    // Every message taken gets exactly one outcome, in the calling thread.
    void run();
    // Stops taking messages; messages in flight finish (their ACK is awaited), those waiting are
    // reported not_sent. Safe from the handlers and from other threads.
    void stop();

    // Whether stop() was called or a failure stopped the run (from any thread).
    bool stopping() const;
    // Whether any connection was ever made.
    bool ever_connected() const;
    std::uint64_t retries_made() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace hl7::net
