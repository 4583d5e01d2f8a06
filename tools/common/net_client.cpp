// The MLLP client over Boost.Asio coroutines (one io_context, one thread, one coroutine per
// connection): connect, TLS, send, read the reply with the library codec, judge it, retry.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include "common/net_client.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <vector>

#include "hl7/message.hpp"
#include "hl7/mllp.hpp"

namespace hl7::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using asio::awaitable;

namespace {

constexpr std::array<std::string_view, 11> kProblemNames = {"none",     "connect", "tls", "timeout", "closed", "mismatch",
                                                            "garbage",  "AE",      "AR",  "CE",      "CR"};

bool is_nak(SendProblem p) {
    return p == SendProblem::AE || p == SendProblem::AR || p == SendProblem::CE || p == SendProblem::CR;
}

SendProblem problem_for(AckCode code) {
    switch (code) {
        case AckCode::AE: return SendProblem::AE;
        case AckCode::AR: return SendProblem::AR;
        case AckCode::CE: return SendProblem::CE;
        case AckCode::CR: return SendProblem::CR;
        case AckCode::AA:
        case AckCode::CA: break;
    }
    return SendProblem::none;
}

// MLLP release 2 commit acknowledgments: a frame holding only ASCII ACK, or ASCII NAK.
constexpr std::string_view kMllp2Accept = "\x06";
constexpr std::string_view kMllp2Reject = "\x15";

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::string tls_error_text(const boost::system::error_code& ec) {
    // OpenSSL's reason ("certificate verify failed") without the library's numbers around it.
    std::string text = ec.message();
    if (auto paren = text.find(" ("); paren != std::string::npos) text.resize(paren);
    return text;
}

auto awaitable_with(boost::system::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

bool is_tls_error(const boost::system::error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() || ec.category() == ssl::error::get_stream_category();
}

}  // namespace

std::string_view send_problem_name(SendProblem problem) { return kProblemNames[static_cast<std::size_t>(problem)]; }

std::optional<SendProblem> send_problem_from_name(std::string_view name) {
    for (std::size_t i = 1; i < kProblemNames.size(); ++i)
        if (kProblemNames[i] == name) return static_cast<SendProblem>(i);
    return std::nullopt;
}

ProblemSet ProblemSet::default_retried() {
    ProblemSet set;
    for (SendProblem p : {SendProblem::connect, SendProblem::timeout, SendProblem::closed, SendProblem::mismatch,
                          SendProblem::garbage, SendProblem::AR, SendProblem::CR})
        set.add(p);
    return set;
}

std::string_view delivery_status_name(DeliveryStatus status) {
    switch (status) {
        case DeliveryStatus::accepted: return "accepted";
        case DeliveryStatus::rejected: return "rejected";
        case DeliveryStatus::failed: return "failed";
        case DeliveryStatus::sent: return "sent";
        case DeliveryStatus::not_sent: return "not-sent";
    }
    return "status";
}

struct Worker;

struct MllpSender::Impl {
    Impl(SenderOptions o, OutcomeHandler out, EventHandler ev)
        : options(std::move(o)), on_outcome(std::move(out)), on_event(std::move(ev)),
          rng(options.jitter_seed ? options.jitter_seed
                                  : static_cast<std::uint64_t>(SteadyClock::now().time_since_epoch().count())) {}

    void event(ClientEvent e, std::uint64_t connection, std::string_view text) {
        if (on_event) on_event(e, connection, text);
    }
    // Io thread: the workers waiting for a message look again.
    void wake_waiting() {
        {
            std::lock_guard lock(mutex);
            wake_posted = false;
        }
        for (asio::steady_timer* t : waiting) t->cancel();
        waiting.clear();
    }
    bool is_stopped() {
        std::lock_guard lock(mutex);
        return stopped;
    }
    void stop_from_io();
    awaitable<void> take(asio::steady_timer& wait_timer, std::vector<Delivery>& batch);
    awaitable<void> pace(asio::steady_timer& timer);
    std::chrono::milliseconds backoff_for(int retry);

    SenderOptions options;
    OutcomeHandler on_outcome;
    EventHandler on_event;
    asio::io_context io{1};
    std::optional<ssl::context> tls_context;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<asio::steady_timer*> waiting;
    asio::signal_set signals{io};
    std::mt19937_64 rng;
    SteadyClock::time_point next_slot{};
    std::uint64_t connections_opened = 0;
    std::atomic<bool> connected_once{false};
    std::atomic<std::uint64_t> retries{0};
    std::size_t workers_running = 0;

    // Hand-over from the producer thread.
    std::mutex mutex;
    std::condition_variable space;
    std::deque<Delivery> queue;
    bool finished = false;
    bool stopped = false;
    // Hand-overs cost a wake-up each (futex, eventfd) unless batched: the producer is woken only
    // when the queue has drained to half, the workers only when one is idle.
    std::size_t idle_workers = 0;
    bool producer_waiting = false;
    bool wake_posted = false;
};

// One connection slot: it connects when it has a message and no usable connection, and sends its
// messages one at a time, each waiting for its reply.
struct Worker {
    explicit Worker(MllpSender::Impl& s)
        : sender(s), socket(s.io), resolver(s.io), deadline(s.io), wait_timer(s.io), sleep_timer(s.io),
          decoder(s.options.max_reply_size) {}

    awaitable<void> run();
    // Sends a batch (one message, or up to SenderOptions::window pipelined) until each has its
    // outcome; `outs` gets them in the batch's order.
    awaitable<void> deliver(std::vector<Delivery>& batch, std::vector<DeliveryOutcome>& outs);
    // Reads `reply` as the answer to `delivery`: none (accepted), a NAK, or why it is no answer.
    SendProblem judge(const Delivery& delivery, DeliveryOutcome& out, std::string& detail);

    // --- the connection ----------------------------------------------------------------------
    bool open() const { return socket.is_open(); }
    awaitable<SendProblem> connect(std::string& detail);
    void close(std::string_view why) {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        tls.reset();
        socket = tcp::socket(sender.io);
        decoder = MllpDecoder(sender.options.max_reply_size);
        used = false;
        if (connected) sender.event(ClientEvent::closed, connection, why);
        connected = false;
    }
    // Bytes (or the end) waiting on a connection that has no message out: the peer closed it, or
    // sent something unasked. Either way it is not to be trusted with the next message.
    bool stale() {
        if (decoder.in_frame()) return true;
        pollfd p{socket.native_handle(), POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }
    // The deadline closes the connection when it passes: every operation waiting on it ends.
    // The timer is moved only when the deadline comes earlier than it is set for; a later deadline
    // is taken up when it fires (re-arming a timer per message costs a system call each time).
    void arm(SteadyClock::time_point when) {
        timed_out = false;
        deadline_at = when;
        if (deadline_armed && deadline_timer_at <= when) return;
        start_deadline_timer(when);
    }
    void disarm() { deadline_at = SteadyClock::time_point::max(); }
    void start_deadline_timer(SteadyClock::time_point when) {
        deadline_armed = true;
        deadline_timer_at = when;
        deadline.expires_at(when);
        deadline.async_wait([this, generation = ++deadline_generation](boost::system::error_code ec) {
            if (ec || generation != deadline_generation) return;
            deadline_armed = false;
            if (deadline_at == SteadyClock::time_point::max()) return;
            if (SteadyClock::now() < deadline_at) {
                start_deadline_timer(deadline_at);
                return;
            }
            timed_out = true;
            resolver.cancel();
            boost::system::error_code ignored;
            socket.close(ignored);
        });
    }
    awaitable<void> write_all(std::string_view bytes, boost::system::error_code& ec) {
        if (tls) co_await asio::async_write(*tls, asio::buffer(bytes.data(), bytes.size()), awaitable_with(ec));
        else co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), awaitable_with(ec));
    }
    awaitable<std::size_t> read_some(boost::system::error_code& ec) {
        if (tls) co_return co_await tls->async_read_some(asio::buffer(buffer), awaitable_with(ec));
        co_return co_await socket.async_read_some(asio::buffer(buffer), awaitable_with(ec));
    }
    // Reads until a whole frame (its message in `reply`), or a problem.
    awaitable<SendProblem> read_reply(std::string& detail, std::uint64_t& bytes_received);

    MllpSender::Impl& sender;
    tcp::socket socket;
    std::optional<ssl::stream<tcp::socket&>> tls;
    tcp::resolver resolver;
    asio::steady_timer deadline, wait_timer, sleep_timer;
    std::uint64_t deadline_generation = 0;
    SteadyClock::time_point deadline_at = SteadyClock::time_point::max(), deadline_timer_at{};
    bool deadline_armed = false;
    bool timed_out = false;
    SteadyClock::time_point last_reply{};
    bool connected = false;  // since the last close()
    bool used = false;       // a message went out on this connection
    bool first_on_connection = false;  // the message out is the connection's first
    std::uint64_t connection = 0;
    MllpDecoder decoder;
    MllpEvent event;
    std::string reply, framed;
    std::array<char, 16 * 1024> buffer{};
};

awaitable<SendProblem> Worker::connect(std::string& detail) {
    const SenderOptions& o = sender.options;
    boost::system::error_code ec;
    arm(SteadyClock::now() + o.connect_timeout);
    auto results = co_await resolver.async_resolve(o.peer.host, std::to_string(o.peer.port), awaitable_with(ec));
    if (!ec) co_await asio::async_connect(socket, results, awaitable_with(ec));
    if (ec) {
        disarm();
        detail = timed_out ? fmt::format("no connection within {} ms", o.connect_timeout.count()) : ec.message();
        boost::system::error_code ignored;
        socket.close(ignored);
        co_return SendProblem::connect;
    }
    socket.set_option(tcp::no_delay(true), ec);  // one small frame, then a wait: never hold it back
    socket.set_option(asio::socket_base::keep_alive(true), ec);
    connection = ++sender.connections_opened;
    if (sender.tls_context) {
        tls.emplace(socket, *sender.tls_context);
        const std::string& name = o.tls.server_name.empty() ? o.peer.host : o.tls.server_name;
        if (!is_ip_literal(name)) SSL_set_tlsext_host_name(tls->native_handle(), name.c_str());
        if (!o.tls.insecure) {
            tls->set_verify_mode(ssl::verify_peer);
            tls->set_verify_callback(ssl::host_name_verification(name));
        }
        co_await tls->async_handshake(ssl::stream_base::client, awaitable_with(ec));
        if (ec) {
            disarm();
            detail = timed_out ? fmt::format("no TLS handshake within {} ms", o.connect_timeout.count())
                               : tls_error_text(ec);
            tls.reset();
            boost::system::error_code ignored;
            socket.close(ignored);
            co_return SendProblem::tls;
        }
    }
    disarm();
    connected = true;
    sender.connected_once = true;
    sender.event(ClientEvent::connected, connection, o.peer.to_string());
    co_return SendProblem::none;
}

awaitable<SendProblem> Worker::read_reply(std::string& detail, std::uint64_t& bytes_received) {
    for (;;) {
        while (decoder.next(event)) {
            if (event.kind == MllpEvent::Kind::oversized) {
                detail = fmt::format("reply of {} bytes is larger than the limit", event.size);
                co_return SendProblem::garbage;
            }
            if (event.kind == MllpEvent::Kind::skipped) {
                detail = fmt::format("{} bytes outside an MLLP frame", event.size);
                co_return SendProblem::garbage;
            }
            if (event.end != FrameEnd::complete) {
                detail = "reply frame cut short";
                co_return event.end == FrameEnd::unterminated ? SendProblem::closed : SendProblem::garbage;
            }
            reply.swap(event.message);
            co_return SendProblem::none;
        }
        boost::system::error_code ec;
        std::size_t n = co_await read_some(ec);
        if (ec) {
            if (timed_out) {
                detail = fmt::format("no reply within {} ms", sender.options.ack_timeout.count());
                co_return SendProblem::timeout;
            }
            // A TLS alert (the server refused our certificate, say) is a TLS problem, not a close.
            if (is_tls_error(ec) && ec != ssl::error::stream_truncated) {
                detail = tls_error_text(ec);
                co_return SendProblem::tls;
            }
            if (ec == ssl::error::stream_truncated && tls && first_on_connection) {
                detail = "the server ended TLS before any reply (a client certificate it did not accept?)";
                co_return SendProblem::tls;
            }
            detail = ec == asio::error::eof ? "closed by the peer" : ec.message();
            co_return SendProblem::closed;
        }
        bytes_received += n;
        std::string_view chunk(buffer.data(), n);
        decoder.feed(chunk);
        // Bytes that are not a frame and no start block after them: the codec would say so only
        // when a frame began; a reply that is no frame at all is judged now, not at the timeout.
        if (!decoder.in_frame() && chunk.find_first_not_of(" \t\r\n") != std::string_view::npos &&
            chunk.find(kMllpStartBlock) == std::string_view::npos && chunk.find(kMllpEndBlock) == std::string_view::npos) {
            detail = fmt::format("{} bytes outside an MLLP frame", n);
            co_return SendProblem::garbage;
        }
    }
}

// Whether the ACK's MSA-2 is the delivery's MSH-10 (decoded both).
static bool names(const Ack& ack, const Delivery& delivery) {
    if (!delivery.expected_id.empty()) return ack.acknowledged_id == delivery.expected_id;
    auto original = Message::parse(std::string_view(delivery.message));
    return original && acknowledges(ack, *original);
}

SendProblem Worker::judge(const Delivery& delivery, DeliveryOutcome& out, std::string& detail) {
    const SenderOptions& o = sender.options;
    if (o.mllp2) {
        if (reply == kMllp2Accept) return SendProblem::none;
        detail = reply == kMllp2Reject ? "negative commit acknowledgment"
                                       : "reply is no MLLP release 2 commit acknowledgment";
        return reply == kMllp2Reject ? SendProblem::AR : SendProblem::garbage;
    }
    out.ack_message = reply;
    auto parsed = Message::parse(std::string_view(out.ack_message));
    if (!parsed) {
        detail = "reply is no HL7 message";
        return SendProblem::garbage;
    }
    auto ack = parse_ack(*parsed);
    if (!ack) {
        detail = ack.error().code == "bad-ack-code" ? "reply has no valid MSA-1" : "reply has no MSA segment";
        return SendProblem::garbage;
    }
    out.ack = std::move(*ack);
    if (o.check_control_id && !names(*out.ack, delivery)) {
        detail = "MSA-2 does not name this message's MSH-10";
        return SendProblem::mismatch;
    }
    return problem_for(out.ack->code);
}

awaitable<void> Worker::deliver(std::vector<Delivery>& batch, std::vector<DeliveryOutcome>& outs) {
    const SenderOptions& o = sender.options;
    outs.assign(batch.size(), DeliveryOutcome{});
    std::vector<std::size_t> pending;
    std::vector<int> retries_made(batch.size(), 0);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        outs[i].tag = batch[i].tag;
        std::string probe;
        if (Status s = append_mllp_frame(probe, batch[i].message); !s) {
            outs[i].status = DeliveryStatus::failed;
            outs[i].problem = SendProblem::garbage;
            outs[i].problem_detail = "the message holds an MLLP block byte and cannot be framed";
            continue;
        }
        pending.push_back(i);
    }
    // One slot per message, taken before the connection is looked at: a connection opened and
    // then left idle for the slot could be closed by the peer in between.
    for (std::size_t n = 0; n < pending.size(); ++n) co_await sender.pace(sleep_timer);
    bool free_resend_used = false;
    std::vector<SendProblem> problems;
    std::vector<std::string> details;
    while (!pending.empty()) {
        for (std::size_t i : pending) {
            ++outs[i].attempts;
            outs[i].ack.reset();
            outs[i].ack_message.clear();
        }
        problems.assign(pending.size(), SendProblem::none);
        details.assign(pending.size(), std::string());
        SendProblem shared = SendProblem::none;  // one problem for all: no connection, no write
        std::string shared_detail;
        // Checked after a pause only: between back-to-back messages there is no time for it, and
        // an unasked reply would show as a mismatch anyway.
        if (open() && used && SteadyClock::now() - last_reply > std::chrono::milliseconds(20) && stale())
            close("the peer closed the connection, or sent what was not asked for");
        if (!open()) shared = co_await connect(shared_detail);
        bool reused = used;
        std::uint64_t bytes_received = 0;
        if (shared == SendProblem::none) {
            framed.clear();
            for (std::size_t i : pending) (void)append_mllp_frame(framed, batch[i].message);  // checked above
            auto start = SteadyClock::now();
            boost::system::error_code ec;
            arm(start + o.ack_timeout);
            first_on_connection = !reused;
            used = true;
            co_await write_all(framed, ec);
            if (ec) {
                shared = timed_out ? SendProblem::timeout : is_tls_error(ec) ? SendProblem::tls : SendProblem::closed;
                shared_detail = timed_out ? fmt::format("not written within {} ms", o.ack_timeout.count())
                                          : is_tls_error(ec) ? tls_error_text(ec) : ec.message();
            } else if (!o.wait_for_ack) {
                disarm();
                for (std::size_t i : pending) {
                    outs[i].status = DeliveryStatus::sent;
                    outs[i].connection = connection;
                }
                co_return;
            } else {
                // Replies come in the order the messages went; each gets the ACK timeout from
                // the one before it.
                for (std::size_t k = 0; k < pending.size(); ++k) {
                    std::size_t i = pending[k];
                    SendProblem p = co_await read_reply(details[k], bytes_received);
                    auto now = SteadyClock::now();
                    outs[i].round_trip = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
                    if (p == SendProblem::none) p = judge(batch[i], outs[i], details[k]);
                    problems[k] = p;
                    if (p != SendProblem::none && !is_nak(p)) {
                        // The connection is out of step: the messages behind got no answer.
                        for (std::size_t rest = k + 1; rest < pending.size(); ++rest) {
                            problems[rest] = p;
                            details[rest] = "no reply: the reply to a message before it failed";
                        }
                        break;
                    }
                    arm(now + o.ack_timeout);
                }
            }
            disarm();
            last_reply = SteadyClock::now();
        }
        if (shared != SendProblem::none) {
            problems.assign(pending.size(), shared);
            details.assign(pending.size(), shared_detail);
        }
        // A kept connection the peer dropped while we were away: the messages never reached an
        // application; open a new connection and send them again, once, without counting a retry.
        if (problems.front() == SendProblem::closed && reused && bytes_received == 0 && !free_resend_used) {
            free_resend_used = true;
            for (std::size_t i : pending) --outs[i].attempts;
            close("closed by the peer while idle");
            continue;
        }
        // A negative ACK leaves the connection in step; anything else may not, so it goes.
        for (SendProblem p : problems) {
            if (p != SendProblem::none && !is_nak(p)) {
                if (open() || tls) close(send_problem_name(p));
                break;
            }
        }
        std::vector<std::size_t> again;
        int longest = 0;
        for (std::size_t k = 0; k < pending.size(); ++k) {
            std::size_t i = pending[k];
            DeliveryOutcome& out = outs[i];
            out.problem = problems[k];
            out.problem_detail = details[k];
            out.connection = connection;
            if (problems[k] == SendProblem::none) {
                out.status = DeliveryStatus::accepted;
            } else if (o.retried.has(problems[k]) && retries_made[i] < o.retries && !sender.is_stopped()) {
                longest = std::max(longest, ++retries_made[i]);
                ++sender.retries;
                again.push_back(i);
            } else {
                out.status = is_nak(problems[k]) && !o.retried.has(problems[k]) ? DeliveryStatus::rejected
                                                                                : DeliveryStatus::failed;
            }
        }
        if (again.empty()) break;
        auto wait = sender.backoff_for(longest);
        const DeliveryOutcome& first = outs[again.front()];
        sender.event(ClientEvent::retrying, connection,
                     fmt::format("{} ({}); attempt {} in {} ms", send_problem_name(first.problem),
                                 first.problem_detail, first.attempts + 1, wait.count()));
        sleep_timer.expires_after(wait);
        boost::system::error_code ignored;
        co_await sleep_timer.async_wait(awaitable_with(ignored));
        if (sender.is_stopped()) {
            for (std::size_t i : again) outs[i].status = DeliveryStatus::failed;
            break;
        }
        pending = std::move(again);
    }
}

awaitable<void> Worker::run() {
    std::vector<Delivery> batch;
    std::vector<DeliveryOutcome> outcomes;
    for (;;) {
        co_await sender.take(wait_timer, batch);
        if (batch.empty()) break;
        co_await deliver(batch, outcomes);
        bool failed = false;
        for (DeliveryOutcome& outcome : outcomes) {
            failed = failed || outcome.status == DeliveryStatus::failed;
            sender.on_outcome(std::move(outcome));
        }
        if (failed) sender.stop_from_io();  // order matters more than progress: later messages wait
    }
    close("done");
    ++deadline_generation;
    deadline.cancel();  // a timer still armed would keep the io_context running
    if (--sender.workers_running == 0) {
        // Whatever is left was taken but never attempted.
        std::deque<Delivery> left;
        {
            std::lock_guard lock(sender.mutex);
            left.swap(sender.queue);
        }
        for (Delivery& d : left) {
            DeliveryOutcome out;
            out.tag = d.tag;
            out.status = DeliveryStatus::not_sent;
            sender.on_outcome(std::move(out));
        }
        sender.signals.cancel();
    }
}

// Up to `window` messages, as many as are waiting (at least one); none at the end of the run.
awaitable<void> MllpSender::Impl::take(asio::steady_timer& wait_timer, std::vector<Delivery>& batch) {
    batch.clear();
    bool idle = false;
    for (;;) {
        {
            std::lock_guard lock(mutex);
            if (idle) --idle_workers;
            idle = false;
            if (stopped) co_return;
            if (!queue.empty()) {
                std::size_t n = std::min(queue.size(), std::max<std::size_t>(options.window, 1));
                for (std::size_t k = 0; k < n; ++k) {
                    batch.push_back(std::move(queue.front()));
                    queue.pop_front();
                }
                if (producer_waiting && queue.size() <= options.queue_limit / 2) space.notify_one();
                co_return;
            }
            if (finished) co_return;
            ++idle_workers;
            idle = true;
        }
        wait_timer.expires_at(SteadyClock::time_point::max());
        waiting.push_back(&wait_timer);
        boost::system::error_code ignored;
        co_await wait_timer.async_wait(awaitable_with(ignored));
    }
}

awaitable<void> MllpSender::Impl::pace(asio::steady_timer& timer) {
    if (options.rate <= 0) co_return;
    auto now = SteadyClock::now();
    auto slot = std::max(now, next_slot);
    next_slot = slot + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(1.0 / options.rate));
    if (slot <= now) co_return;
    timer.expires_at(slot);
    boost::system::error_code ignored;
    co_await timer.async_wait(awaitable_with(ignored));
}

// Exponential, capped, with "equal jitter" (half fixed, half random): senders that failed together
// do not all come back at the same instant.
std::chrono::milliseconds MllpSender::Impl::backoff_for(int retry) {
    double base = static_cast<double>(options.backoff.count());
    for (int i = 1; i < retry && base < static_cast<double>(options.max_backoff.count()); ++i) base *= 2;
    base = std::min(base, static_cast<double>(options.max_backoff.count()));
    std::uniform_real_distribution<double> half(0.0, base / 2);
    return std::chrono::milliseconds(static_cast<std::int64_t>(base / 2 + half(rng)));
}

void MllpSender::Impl::stop_from_io() {
    bool first = false;
    {
        std::lock_guard lock(mutex);
        first = !stopped;
        stopped = true;
    }
    space.notify_all();
    if (first) event(ClientEvent::stopping, 0, "");
    wake_waiting();
    for (auto& w : workers) w->sleep_timer.cancel();
}

MllpSender::MllpSender(SenderOptions options, OutcomeHandler on_outcome, EventHandler on_event)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(on_outcome), std::move(on_event))) {}

MllpSender::~MllpSender() = default;

Status MllpSender::prepare() {
    const TlsClientOptions& t = impl_->options.tls;
    if (impl_->options.connections == 0) return make_error("bad-option", "at least one connection is needed");
    if (!t.enabled) return {};
    if (t.cert_file.empty() != t.key_file.empty())
        return make_error("bad-option", "a client certificate needs both --tls-cert and --tls-key");
    try {
        ssl::context context(ssl::context::tls_client);
        context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                            ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        if (!t.ca_file.empty()) context.load_verify_file(t.ca_file);
        else context.set_default_verify_paths();
        if (!t.cert_file.empty()) {
            context.use_certificate_chain_file(t.cert_file);
            context.use_private_key_file(t.key_file, ssl::context::pem);
        }
        impl_->tls_context.emplace(std::move(context));
    } catch (const boost::system::system_error& e) {
        return make_error("tls-setup", fmt::format("TLS set-up failed: {}", tls_error_text(e.code())));
    }
    return {};
}

bool MllpSender::submit(Delivery delivery) {
    Impl& s = *impl_;
    bool wake = false;
    {
        std::unique_lock lock(s.mutex);
        if (s.queue.size() >= s.options.queue_limit) {
            s.producer_waiting = true;
            s.space.wait(lock, [&] { return s.stopped || s.queue.size() < s.options.queue_limit; });
            s.producer_waiting = false;
        }
        if (s.stopped) return false;
        s.queue.push_back(std::move(delivery));
        wake = s.idle_workers > 0 && !s.wake_posted;
        if (wake) s.wake_posted = true;
    }
    if (wake) asio::post(s.io, [impl = impl_.get()] { impl->wake_waiting(); });
    return true;
}

void MllpSender::finish() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->finished = true;
    }
    asio::post(impl_->io, [impl = impl_.get()] { impl->wake_waiting(); });
}

void MllpSender::run() {
    Impl& s = *impl_;
    if (s.options.handle_signals) {
        s.signals.add(SIGTERM);
        s.signals.add(SIGINT);
        s.signals.async_wait([&s](boost::system::error_code ec, int) {
            if (!ec) s.stop_from_io();
        });
    }
    for (std::size_t i = 0; i < s.options.connections; ++i) s.workers.push_back(std::make_unique<Worker>(s));
    s.workers_running = s.workers.size();
    for (auto& w : s.workers) asio::co_spawn(s.io, w->run(), asio::detached);
    s.io.run();
}

void MllpSender::stop() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->stop_from_io(); });
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
    impl_->space.notify_all();
}

bool MllpSender::stopping() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->stopped;
}
bool MllpSender::ever_connected() const { return impl_->connected_once; }
std::uint64_t MllpSender::retries_made() const { return impl_->retries; }

}  // namespace hl7::net
