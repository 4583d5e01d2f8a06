// The MLLP server over Boost.Asio (one io_context, one thread): accept, read, frame with the library
// codec, reply in order (deferred replies wait in their slots), limits, graceful stop. All of the Asio code lives here.
#include "common/net.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <csignal>
#include <deque>
#include <map>
#include <vector>

namespace hl7::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

Result<Endpoint> parse_endpoint(std::string_view text) {
    auto bad = [](std::string_view why) {
        return make_error("bad-endpoint", fmt::format("expected ADDR:PORT such as 127.0.0.1:2575 ({})", why));
    };
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos) return bad("an IPv6 address goes in brackets");
    if (host.empty()) return bad("no address");
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
        return bad("the port is a number from 0 to 65535");
    return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string_view server_event_name(ServerEvent event) {
    switch (event) {
        case ServerEvent::listening: return "listening";
        case ServerEvent::opened: return "open";
        case ServerEvent::closed: return "close";
        case ServerEvent::refused: return "refused";
        case ServerEvent::violation: return "limit";
        case ServerEvent::dropped: return "dropped";
        case ServerEvent::error: return "error";
    }
    return "event";
}

namespace {

// A connection reads and writes its socket, or the TLS stream over it (Connection::tls).
using Stream = tcp::socket;

std::string tls_reason(const boost::system::error_code& ec) {
    std::string text = ec.message();  // OpenSSL's reason, without the numbers in brackets after it
    if (auto paren = text.find(" ("); paren != std::string::npos) text.resize(paren);
    return text;
}

std::string endpoint_text(const tcp::endpoint& e) {
    Endpoint p{e.address().to_string(), e.port()};
    return p.to_string();
}

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxPendingReplies = 1 << 20;  // stop reading from a peer that does not read its ACKs

}  // namespace

struct Connection;

struct MllpServer::Impl {
    Impl(ServerOptions o, FrameHandler f, EventHandler e)
        : options(std::move(o)), on_frame(std::move(f)), on_event(std::move(e)) {}

    void report(ServerEvent event, const ConnectionInfo* who, std::string_view text) {
        if (on_event) on_event(event, who, text);
    }
    void do_accept();
    void do_stop();
    void arm_quiet_timer();
    void wait_signal() {
        signals.async_wait([this](boost::system::error_code ec, int signal) {
            if (ec) return;
            if (signal != SIGHUP) return do_stop();
            options.on_hangup();
            if (!stopping) wait_signal();
        });
    }
    void frame_seen() { last_frame = SteadyClock::now(); }
    void remove(std::uint64_t id) { connections.erase(id); }
    void complete(ReplyTicket ticket, FrameReply reply);

    ServerOptions options;
    FrameHandler on_frame;
    EventHandler on_event;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    asio::signal_set signals{io};
    asio::steady_timer quiet_timer{io};
    asio::steady_timer accept_retry{io};
    SteadyClock::time_point last_frame = SteadyClock::now();
    std::uint64_t next_id = 0;
    std::map<std::uint64_t, std::shared_ptr<Connection>> connections;
    bool stopping = false;
    Endpoint bound;
    std::optional<ssl::context> tls_context;
};

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(MllpServer::Impl& s, Stream st, ConnectionInfo i)
        : server(s), stream(std::move(st)), info(std::move(i)), decoder(s.options.max_frame_size),
          idle_timer(s.io), frame_timer(s.io) {}

    void start() {
        server.report(ServerEvent::opened, &info, "");
        if (server.tls_context) {
            handshake();
            return;
        }
        serve();
    }

    // TLS first: the handshake must finish within its timeout, or the connection goes.
    void handshake() {
        tls.emplace(stream, *server.tls_context);
        frame_timer.expires_after(server.options.tls.handshake_timeout);
        frame_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->closed || self->handshaken) return;
            self->server.report(ServerEvent::violation, &self->info, "TLS handshake not finished in time");
            self->close_now("TLS handshake timeout");
        });
        tls->async_handshake(ssl::stream_base::server, [self = shared_from_this()](boost::system::error_code ec) {
            if (self->closed) return;
            self->frame_timer.cancel();
            if (ec) {
                self->server.report(ServerEvent::violation, &self->info,
                                    fmt::format("TLS handshake failed: {}", tls_reason(ec)));
                self->close_now("TLS handshake failed");
                return;
            }
            self->handshaken = true;
            self->serve();
        });
    }

    void serve() {
        last_read = SteadyClock::now();
        arm_idle_timer();
        do_read();
    }

    void do_read() {
        if (closing || closed || reading) return;
        if (out_pending.size() > kMaxPendingReplies) {
            paused = true;  // resumed when the replies have gone out
            return;
        }
        reading = true;
        auto on_read = [self = shared_from_this()](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); };
        if (tls) tls->async_read_some(asio::buffer(buffer), std::move(on_read));
        else stream.async_read_some(asio::buffer(buffer), std::move(on_read));
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        reading = false;
        if (closed || closing) return;
        if (ec) {
            if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
                decoder.finish();
                process_events();
                close_after_writes("peer closed");
            } else {
                close_now(fmt::format("read error: {}", ec.message()));
            }
            return;
        }
        last_read = SteadyClock::now();
        bool was_in_frame = decoder.in_frame();
        decoder.feed(std::string_view(buffer.data(), n));
        bool frames_ended = process_events();
        if (closing || closed) return;
        if (!decoder.in_frame()) frame_started.reset();
        else if (!was_in_frame || frames_ended || !frame_started) frame_started = last_read;
        arm_frame_timer();
        if (draining && !decoder.in_frame()) {
            close_after_writes("listener stopping");
            return;
        }
        do_read();
    }

    // Hands complete frames to the handler and queues their replies; true when any frame ended.
    bool process_events() {
        bool frames_ended = false;
        while (!closing && !closed && decoder.next(event)) {
            switch (event.kind) {
                case MllpEvent::Kind::skipped: break;  // bytes between frames: the codec's rules skip them
                case MllpEvent::Kind::oversized:
                    frames_ended = true;
                    server.report(ServerEvent::violation, &info,
                                  fmt::format("frame of {} bytes at offset {} is larger than the limit of {} bytes",
                                              event.size, event.offset, server.options.max_frame_size));
                    close_after_writes("frame too large");
                    break;
                case MllpEvent::Kind::frame:
                    frames_ended = true;
                    if (event.end != FrameEnd::complete) {
                        server.report(ServerEvent::dropped, &info,
                                      fmt::format("frame of {} bytes at offset {} not acknowledged: {}", event.size,
                                                  event.offset,
                                                  event.end == FrameEnd::cut_short ? "cut short by a start block"
                                                                                   : "no end block before the close"));
                        break;
                    }
                    server.frame_seen();
                    std::uint64_t sequence = ++frames_handed;
                    FrameReply reply =
                        server.on_frame(info, Frame{event.message, event.offset, ReplyTicket{info.id, sequence}});
                    if (reply.deferred || !slots.empty()) {
                        // Behind a deferred reply every reply waits its turn in a slot.
                        if (slots.empty()) first_slot = sequence;
                        if (reply.deferred) slots.push_back(ReplySlot{{}, false, false});
                        else slots.push_back(ReplySlot{std::move(reply.message), reply.close, true});
                        if (!reply.deferred && reply.close) close_after_writes("closed by the receiver");
                        break;
                    }
                    queue_reply(reply.message);
                    flush_writes();
                    if (reply.close) close_after_writes("closed by the receiver");
                    break;
            }
        }
        return frames_ended;
    }

    void queue_reply(std::string_view message) {
        if (message.empty()) return;
        if (Status s = append_mllp_frame(out_pending, message); !s)
            server.report(ServerEvent::error, &info, "reply not sent: it holds an MLLP block byte");
    }

    // A deferred reply arrives: into its slot, then every ready reply at the front goes out in order.
    void complete(std::uint64_t sequence, FrameReply reply) {
        if (closed || reply.deferred || sequence < first_slot || sequence - first_slot >= slots.size()) return;
        ReplySlot& slot = slots[sequence - first_slot];
        if (slot.ready) return;
        slot = ReplySlot{std::move(reply.message), reply.close, true};
        while (!slots.empty() && slots.front().ready) {
            ReplySlot front = std::move(slots.front());
            slots.pop_front();
            ++first_slot;
            queue_reply(front.message);
            if (front.close) {
                slots.clear();  // closed once this reply is out: the later ones are not sent
                close_after_writes("closed by the receiver");
            }
        }
        flush_writes();
        if (closing && !writing && out_pending.empty() && slots.empty()) close_now(close_reason);
    }

    void flush_writes() {
        if (writing || closed || out_pending.empty()) return;
        out_writing.swap(out_pending);
        out_pending.clear();
        writing = true;
        // Asio sends with MSG_NOSIGNAL on Linux: a peer that has gone is an error here, not SIGPIPE.
        auto on_written = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            self->writing = false;
            self->out_writing.clear();
            if (self->closed) return;
            if (ec) {
                self->close_now(fmt::format("write error: {}", ec.message()));
                return;
            }
            if (!self->out_pending.empty()) self->flush_writes();
            else if (self->closing) {
                if (self->slots.empty()) self->close_now(self->close_reason);  // else the last complete() closes
            }
            else if (self->paused) {
                self->paused = false;
                self->do_read();
            }
        };
        if (tls) asio::async_write(*tls, asio::buffer(out_writing), std::move(on_written));
        else asio::async_write(stream, asio::buffer(out_writing), std::move(on_written));
    }

    // Sends the replies already queued (deferred ones once completed), then closes; reads nothing more.
    void close_after_writes(std::string reason) {
        if (closing || closed) return;
        closing = true;
        close_reason = std::move(reason);
        if (!writing && out_pending.empty() && slots.empty()) close_now(close_reason);
        else restart_idle_timer();  // the write completion closes; this bounds a peer that never reads
    }

    void close_now(const std::string& reason) {
        if (closed) return;
        closed = true;
        boost::system::error_code ignored;
        idle_timer.cancel();
        frame_timer.cancel();
        stream.shutdown(tcp::socket::shutdown_both, ignored);
        stream.close(ignored);
        server.report(ServerEvent::closed, &info, reason);
        server.remove(info.id);  // the handlers still pending hold the last references
    }

    // The listener stops: a connection between frames closes once its replies are out; one in a
    // frame gets drain_timeout to finish it.
    void drain() {
        if (closed || closing) return;
        draining = true;
        if (!decoder.in_frame()) {
            close_after_writes("listener stopping");
            return;
        }
        drain_deadline = SteadyClock::now() + server.options.drain_timeout;
        restart_idle_timer();
        frame_started = frame_started.value_or(SteadyClock::now());
        arm_frame_timer();
    }

    // How long the connection may go without a read: idle_timeout; once closing or draining, no
    // longer than drain_timeout.
    std::chrono::milliseconds idle_limit() const {
        if (closing || draining)
            return server.options.idle_timeout.count() > 0 ? std::min(server.options.idle_timeout, server.options.drain_timeout)
                                                           : server.options.drain_timeout;
        return server.options.idle_timeout;
    }

    // Deadline timers are armed once and re-armed on expiry for what is left, so that a read costs
    // no timer cancellation. restart_idle_timer() moves an armed deadline earlier (closing, draining).
    void arm_idle_timer() {
        if (closed || idle_armed || idle_limit().count() <= 0) return;
        idle_armed = true;
        idle_timer.expires_at(last_read + idle_limit());
        idle_timer.async_wait([self = shared_from_this(), generation = idle_generation](boost::system::error_code ec) {
            if (generation != self->idle_generation) return;  // replaced by restart_idle_timer()
            self->idle_armed = false;
            if (ec || self->closed) return;
            if (SteadyClock::now() < self->last_read + self->idle_limit()) {
                self->arm_idle_timer();
                return;
            }
            self->on_idle_expired();
        });
    }
    void restart_idle_timer() {
        ++idle_generation;
        idle_armed = false;
        idle_timer.cancel();
        last_read = SteadyClock::now();
        arm_idle_timer();
    }
    void on_idle_expired() {
        if (closing) {
            close_now(close_reason + " (replies not read in time)");
            return;
        }
        if (draining) {
            close_now("listener stopping");
            return;
        }
        server.report(ServerEvent::violation, &info,
                      fmt::format("idle for {} ms", server.options.idle_timeout.count()));
        close_now("idle timeout");
    }

    std::optional<SteadyClock::time_point> frame_deadline() const {
        std::optional<SteadyClock::time_point> d;
        if (frame_started && server.options.frame_timeout.count() > 0) d = *frame_started + server.options.frame_timeout;
        if (draining && drain_deadline) d = d ? std::min(*d, *drain_deadline) : *drain_deadline;
        return d;
    }

    void arm_frame_timer() {
        if (closed || frame_armed) return;
        auto deadline = frame_deadline();
        if (!deadline || !frame_started) return;
        frame_armed = true;
        frame_timer.expires_at(*deadline);
        frame_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            self->frame_armed = false;
            if (ec || self->closed || self->closing || !self->frame_started) return;
            auto d = self->frame_deadline();
            if (d && SteadyClock::now() >= *d) {
                bool drain_expired = self->draining && self->drain_deadline && SteadyClock::now() >= *self->drain_deadline;
                self->server.report(ServerEvent::violation, &self->info,
                                    drain_expired ? std::string("frame not finished before the drain timeout")
                                                  : fmt::format("frame not finished within {} ms",
                                                                self->server.options.frame_timeout.count()));
                self->close_now(drain_expired ? "drain timeout" : "frame timeout");
                return;
            }
            self->arm_frame_timer();
        });
    }

    MllpServer::Impl& server;
    Stream stream;
    std::optional<ssl::stream<tcp::socket&>> tls;
    bool handshaken = false;
    ConnectionInfo info;
    MllpDecoder decoder;
    MllpEvent event;
    std::array<char, kReadChunk> buffer{};
    std::string out_pending, out_writing;
    // Replies in frame order from the first deferred one not yet completed; first_slot is its frame's number.
    struct ReplySlot {
        std::string message;
        bool close = false;
        bool ready = false;
    };
    std::deque<ReplySlot> slots;
    std::uint64_t first_slot = 0, frames_handed = 0;
    asio::steady_timer idle_timer, frame_timer;
    SteadyClock::time_point last_read;
    std::optional<SteadyClock::time_point> frame_started, drain_deadline;
    std::string close_reason;
    bool reading = false, writing = false, paused = false, closing = false, closed = false, draining = false;
    bool idle_armed = false, frame_armed = false;
    std::uint64_t idle_generation = 0;
};

void MllpServer::Impl::do_accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (stopping) return;
        if (ec) {
            if (ec == asio::error::operation_aborted) return;
            // Out of descriptors, say: try again shortly rather than spin.
            report(ServerEvent::error, nullptr, fmt::format("accept: {}", ec.message()));
            accept_retry.expires_after(std::chrono::milliseconds(100));
            accept_retry.async_wait([this](boost::system::error_code e) {
                if (!e && !stopping) do_accept();
            });
            return;
        }
        boost::system::error_code peer_ec;
        auto peer = socket.remote_endpoint(peer_ec);
        ConnectionInfo info{++next_id, peer_ec ? std::string("?") : endpoint_text(peer)};
        if (!options.allow.empty() && (peer_ec || !options.allow.allows(peer.address().to_string()))) {
            report(ServerEvent::refused, &info, "address not allowed");
            boost::system::error_code ignored;
            socket.close(ignored);
        } else if (connections.size() >= options.max_connections) {
            report(ServerEvent::refused, &info, fmt::format("{} connections already open", connections.size()));
            boost::system::error_code ignored;
            socket.close(ignored);
        } else {
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);  // an ACK is one small write: never hold it back
            auto connection = std::make_shared<Connection>(*this, std::move(socket), std::move(info));
            connections.emplace(connection->info.id, connection);
            connection->start();
        }
        do_accept();
    });
}

void MllpServer::Impl::complete(ReplyTicket ticket, FrameReply reply) {
    auto it = connections.find(ticket.connection);
    if (it == connections.end()) return;  // closed: the reply has nobody to go to
    std::shared_ptr<Connection> connection = it->second;  // complete() may close and remove it
    connection->complete(ticket.sequence, std::move(reply));
}

void MllpServer::Impl::arm_quiet_timer() {
    if (stopping || options.quiet_exit.count() <= 0) return;
    quiet_timer.expires_at(last_frame + options.quiet_exit);
    quiet_timer.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping) return;
        if (SteadyClock::now() >= last_frame + options.quiet_exit) do_stop();
        else arm_quiet_timer();
    });
}

void MllpServer::Impl::do_stop() {
    if (stopping) return;
    stopping = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    quiet_timer.cancel();
    accept_retry.cancel();
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& [id, c] : connections) open.push_back(c);
    for (auto& c : open) c->drain();
}

MllpServer::MllpServer(ServerOptions options, FrameHandler on_frame, EventHandler on_event)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(on_frame), std::move(on_event))) {}

MllpServer::~MllpServer() = default;

Status MllpServer::open() {
    Impl& s = *impl_;
    if (const TlsServerOptions& t = s.options.tls; t.enabled()) {
        try {
            ssl::context context(ssl::context::tls_server);
            context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                                ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
            context.use_certificate_chain_file(t.cert_file);
            context.use_private_key_file(t.key_file.empty() ? t.cert_file : t.key_file, ssl::context::pem);
            if (!t.ca_file.empty()) {
                context.load_verify_file(t.ca_file);
                context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
            }
            s.tls_context.emplace(std::move(context));
        } catch (const boost::system::system_error& e) {
            return make_error("tls-setup", fmt::format("TLS set-up failed: {}", tls_reason(e.code())));
        }
    }
    boost::system::error_code ec;
    tcp::resolver resolver(s.io);
    auto results = resolver.resolve(s.options.listen.host, std::to_string(s.options.listen.port),
                                    tcp::resolver::numeric_service | tcp::resolver::passive, ec);
    if (ec) return make_error("listen-failed", fmt::format("cannot resolve {}: {}", s.options.listen.to_string(), ec.message()));
    std::string last_error = "no address";
    for (const auto& entry : results) {
        tcp::endpoint endpoint = entry.endpoint();
        boost::system::error_code e;
        s.acceptor.open(endpoint.protocol(), e);
        if (!e) s.acceptor.set_option(tcp::acceptor::reuse_address(true), e);
        if (!e) s.acceptor.bind(endpoint, e);
        if (!e) s.acceptor.listen(asio::socket_base::max_listen_connections, e);
        if (!e) {
            auto local = s.acceptor.local_endpoint(e);
            if (!e) {
                s.bound = Endpoint{local.address().to_string(), local.port()};
                // Before the line that tells a script it may go on: a SIGHUP or SIGTERM sent once it has
                // read it is caught (and kept until run() waits), never the default action.
                if (s.options.handle_signals) {
                    s.signals.add(SIGINT);
                    s.signals.add(SIGTERM);
                    if (s.options.on_hangup) s.signals.add(SIGHUP);
                }
                s.report(ServerEvent::listening, nullptr, s.bound.to_string());
                return {};
            }
        }
        last_error = e.message();
        boost::system::error_code ignored;
        s.acceptor.close(ignored);
    }
    return make_error("listen-failed", fmt::format("cannot listen on {}: {}", s.options.listen.to_string(), last_error));
}

void MllpServer::run() {
    Impl& s = *impl_;
    if (s.options.handle_signals) s.wait_signal();
    s.last_frame = SteadyClock::now();
    s.do_accept();
    s.arm_quiet_timer();
    s.io.run();
}

void MllpServer::stop() {
    Impl& s = *impl_;
    asio::post(s.io, [&s] { s.do_stop(); });
}

Endpoint MllpServer::bound() const { return impl_->bound; }

void MllpServer::complete(ReplyTicket ticket, FrameReply reply) { impl_->complete(ticket, std::move(reply)); }

void MllpServer::post(std::function<void()> task) { asio::post(impl_->io, std::move(task)); }

}  // namespace hl7::net
