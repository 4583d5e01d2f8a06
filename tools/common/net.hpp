// The network layer hl7listen (and later hl7send) stand on: addresses, and an MLLP server over Boost.Asio.
//
// The server promises: frames are cut by the library's MLLP codec (hl7/mllp.hpp) and nothing else;
// frames of one connection reach the handler in the order they came, and the replies go back in that
// order (also when some are deferred and completed later, in any order); a limit broken (size, idle time, frame time, connection count) closes that connection alone
// and is reported without a byte of its content; writing to a peer that has gone never raises SIGPIPE.
// Asio stays inside net.cpp: this header is plain C++ so that every tool compiles fast. The byte
// stream is TCP, or TLS over it when ServerOptions::tls asks (a connection whose handshake fails is
// closed and reported, never handed a frame).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/allow_list.hpp"
#include "hl7/error.hpp"
#include "hl7/mllp.hpp"

namespace hl7::net {

// A host and port as given on a command line: "127.0.0.1:2575", "[::1]:2575", "localhost:2575".
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string to_string() const;  // IPv6 literals in brackets again
};
// "bad-endpoint" when there is no ":PORT", the port is not 0 to 65535, or the host is empty.
Result<Endpoint> parse_endpoint(std::string_view text);

// Who a connection is, for the handler and the log: never anything it sent.
struct ConnectionInfo {
    std::uint64_t id = 0;  // 1, 2, ... in order of acceptance
    std::string peer;      // "127.0.0.1:53422"
};

// What the handler answers for one frame. A deferred reply is a promise: the handler (or whoever it
// hands the frame's ticket to) calls MllpServer::complete() with the real reply later, in the
// server's thread. Until then the replies of later frames on that connection wait behind it.
struct FrameReply {
    std::string message;    // the reply's message (unframed); empty: no reply
    bool close = false;     // close the connection once the reply (if any) is sent
    bool deferred = false;  // no reply yet: it comes through complete(); message and close are ignored
};

// Names one frame's reply slot: the connection and the frame's number on it (1, 2, ...).
struct ReplyTicket {
    std::uint64_t connection = 0;
    std::uint64_t sequence = 0;
};

// Events worth a line on stderr. `text` never holds message content.
enum class ServerEvent : std::uint8_t {
    listening,   // text: the bound address, "127.0.0.1:40123"
    opened,      // a connection accepted
    closed,      // a connection ended; text says why ("peer closed", "idle timeout", ...)
    refused,     // a connection turned away (too many, or not in the allow list); closed at once
    violation,   // a limit broken: the connection is closed; text says which
    dropped,     // a frame not handed on (cut short by a new start block, unterminated at close)
    error,       // an I/O problem that ends a connection or the listener
};
std::string_view server_event_name(ServerEvent event);

// TLS as a server (TLS 1.2 or later): this certificate chain and key; with `ca_file`, every client
// must present a certificate signed by one of its CAs (mutual TLS).
struct TlsServerOptions {
    std::string cert_file;
    std::string key_file;
    std::string ca_file;
    std::chrono::milliseconds handshake_timeout{10000};
    bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
    Endpoint listen{"127.0.0.1", 2575};
    std::size_t max_connections = 256;
    std::size_t max_frame_size = std::size_t(16) << 20;
    std::chrono::milliseconds idle_timeout{0};   // 0: none
    std::chrono::milliseconds frame_timeout{0};  // start block to end block; 0: none
    std::chrono::milliseconds quiet_exit{0};     // stop after this long without a frame; 0: never
    std::chrono::milliseconds drain_timeout{5000};  // after stop(): how long a frame in progress may take
    bool handle_signals = true;                     // SIGTERM and SIGINT call stop()
    AllowList allow;                                // peers admitted; empty: all
    std::function<void()> on_hangup;  // with handle_signals: SIGHUP calls it in the server's thread
    TlsServerOptions tls;
};

// A frame: its message bytes (without framing; valid only during the handler's call), where it
// began in the connection's stream, and the ticket to complete its reply with when deferred.
struct Frame {
    std::string_view message;
    std::uint64_t offset = 0;
    ReplyTicket ticket;
};

class MllpServer {
public:
    using FrameHandler = std::function<FrameReply(const ConnectionInfo&, const Frame&)>;
    using EventHandler = std::function<void(ServerEvent, const ConnectionInfo*, std::string_view text)>;

    MllpServer(ServerOptions options, FrameHandler on_frame, EventHandler on_event);
    ~MllpServer();
    MllpServer(const MllpServer&) = delete;
    MllpServer& operator=(const MllpServer&) = delete;

    // Binds and listens (reporting `listening` with the bound address); an error when it cannot.
    Status open();
    // Serves until stop() (or a signal, or quiet_exit) and every connection has finished.
    void run();
    // Stops accepting; connections finish the frame they are in (within drain_timeout), send their
    // replies and close. Safe to call from the handlers.
    void stop();
    // The address bound by open() (the port chosen when 0 was asked for).
    Endpoint bound() const;

    // Gives a deferred reply (FrameReply::deferred) its content; call in the server's thread (from a
    // handler or a task given to post()). The connection sends it once every earlier frame's reply
    // has gone, then the later ones already completed. A ticket whose connection has closed, or that
    // was completed already, is ignored: the reply is dropped.
    void complete(ReplyTicket ticket, FrameReply reply);
    // Runs `task` in the server's thread after the handlers already due: the frames that came in the
    // same round of reads, on every connection, are handled first (a group commit's moment).
    void post(std::function<void()> task);

    struct Impl;  // in net.cpp, with the connections it serves

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace hl7::net
