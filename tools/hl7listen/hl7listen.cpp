// hl7listen: an MLLP receiver that writes each message to stdout, a queue folder or a spool file, and only
// then acknowledges it.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <unordered_map>
#include <vector>

#include "common/cli.hpp"
#include "common/ack_cmd.hpp"
#include "common/clock.hpp"
#include "common/dedupe.hpp"
#include "common/exit_codes.hpp"
#include "common/net.hpp"
#include "common/output.hpp"
#include "common/queue_dir.hpp"
#include "common/spool.hpp"
#include "hl7/ack.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/writer.hpp"

using namespace hl7;

namespace {

struct Options {
    std::string listen = "127.0.0.1:2575";
    std::string to = "er7";
    std::string segment_end = "cr";
    std::string out_dir, spool, ack_cmd, dedupe;
    std::string tls_cert, tls_key, tls_ca;
    std::vector<std::string> allow;
    std::string ack = "original";
    std::string max_message_size = "16M";
    bool no_fsync = false;
    std::size_t max_connections = 256;
    double idle_timeout = 0, frame_timeout = 60, drain_timeout = 5, timeout = 0, ack_cmd_timeout = 10;
    std::size_t dedupe_window = 0;  // 0: no --dedupe
    std::uint64_t count = 0;
};

SegmentEndStyle segment_end_style(const std::string& s) {
    if (s == "lf") return SegmentEndStyle::lf;
    if (s == "crlf") return SegmentEndStyle::crlf;
    if (s == "keep") return SegmentEndStyle::keep;
    return SegmentEndStyle::cr;
}

// An ERR with no location. Built field by field: GCC 12 at -O3 takes a braced temporary with an
// empty Path for a read of uninitialised memory (-Wmaybe-uninitialized).
AckFinding error_finding(int code, std::string text) {
    AckFinding finding;
    finding.code = code;
    finding.severity = 'E';
    finding.text = std::move(text);
    return finding;
}

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

// The wall clock in microseconds since 1970 (queue file names) and as ISO 8601 UTC (JSON metadata).
std::uint64_t now_micros() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}
std::string iso_time(std::uint64_t micros) {
    std::time_t t = static_cast<std::time_t>(micros / 1000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1000000);
}

// Enhanced mode (MSH-15 or MSH-16 valued): whether MSH-15 asks for the commit ACK (CA or CR) this
// outcome gets. AL always, NE never, ER on failure, SU on success; empty or anything else as AL,
// since an answer too many does less harm than a sender waiting for one. MSH-16 asks the receiving
// application, which hl7listen is not: it sends no application ACK.
bool commit_ack_wanted(std::string_view accept_ack_type, bool stored) {
    if (accept_ack_type == "NE") return false;
    if (accept_ack_type == "ER") return !stored;
    if (accept_ack_type == "SU") return stored;
    return true;
}

// Takes each frame: parse, store or write, acknowledge. Never prints message content.
class Receiver {
public:
    Receiver(const Options& o, cli::Reporter& reporter, MessageWriter writer, net::MllpServer*& server)
        : o_(o), reporter_(reporter), writer_(std::move(writer)), server_(server), dedupe_(o.dedupe_window) {
        output_.set_flush_each_record(true);
    }

    Status open_storage() {
        if (!o_.spool.empty()) return spool_.open(o_.spool, !o_.no_fsync);
        return o_.out_dir.empty() ? Status{} : queue_.open(o_.out_dir, !o_.no_fsync);
    }
    int status() const { return status_; }

    // SIGHUP: the spool file is opened again at its path (after a rotation renamed it), once the
    // records staged for the old one are committed.
    void reopen() {
        if (!spool_.is_open()) return;
        commit();
        if (Status s = spool_.reopen(); !s) reporter_.error(fmt::format("SIGHUP: {} (still writing to the old file)", s.error().text));
        else if (reporter_.verbose()) reporter_.summary(fmt::format("SIGHUP: reopened {}", spool_.path()));
    }

    net::FrameReply on_frame(const net::ConnectionInfo& c, const net::Frame& frame) {
        std::uint64_t n = ++messages_on_[c.id];
        std::uint64_t micros = now_micros();
        Result<Message> parsed = Message::parse(frame.message);
        if (!parsed) {
            reporter_.warning(fmt::format("connection {} ({}): message {} at offset {} not accepted: {}", c.id, c.peer,
                                          n, frame.offset, parsed.error().text));
            return reply_unparseable(parsed.error());
        }
        Header header = read_header(*parsed);
        std::string key;
        if (o_.dedupe_window) {
            key = cli::DedupeWindow::key(header.sending_application.field, header.sending_facility.field,
                                         header.control_id);
            if (auto ack = dedupe_.find(key)) {
                if (reporter_.verbose())
                    reporter_.summary(fmt::format("connection {} ({}): message {} is a duplicate: answered with the "
                                                  "ACK of the first, not stored again", c.id, c.peer, n));
                return net::FrameReply{std::string(*ack), false};
            }
        }
        if (group_commit()) {
            Status staged = stage(c, frame, n, micros);
            if (!staged) return finish(c, frame, *parsed, header, n, staged, key);
            pending_.push_back(Pending{c, std::string(frame.message), frame.offset, frame.ticket, n, std::move(key)});
            if (!commit_posted_) {
                commit_posted_ = true;  // after the frames read in this round, on every connection
                server_->post([this] { commit(); });
            }
            return net::FrameReply{{}, false, true};
        }
        return finish(c, frame, *parsed, header, n, deliver(c, frame, *parsed, n, micros), key);
    }

    // The group commit: every message staged since the last one made durable at once, then
    // acknowledged (AA, or AR when the commit failed), each in its connection's order.
    void commit() {
        commit_posted_ = false;
        if (pending_.empty()) return;
        std::vector<Status> results;
        if (queue_.is_open()) {
            results = queue_.commit();
        } else {
            results.assign(pending_.size(), spool_.commit());
        }
        std::vector<Pending> done;
        done.swap(pending_);
        for (std::size_t i = 0; i < done.size(); ++i) {
            Pending& p = done[i];
            net::Frame frame{p.bytes, p.offset, p.ticket};
            Result<Message> parsed = Message::parse(p.bytes);  // it parsed before: the same bytes
            net::FrameReply reply =
                parsed ? finish(p.connection, frame, *parsed, read_header(*parsed), p.n, results[i], p.key)
                       : reply_unparseable(parsed.error());
            if (server_) server_->complete(p.ticket, std::move(reply));
        }
    }

    void on_event(net::ServerEvent event, const net::ConnectionInfo* c, std::string_view text) {
        using net::ServerEvent;
        if (event == ServerEvent::listening) {
            // Always printed: scripts read the port chosen for --listen ADDR:0 from it.
            reporter_.summary(fmt::format("listening on {}", text));
            return;
        }
        if (event == ServerEvent::closed && c) messages_on_.erase(c->id);
        std::string who = c ? fmt::format("connection {} ({})", c->id, c->peer) : std::string("listener");
        std::string line = text.empty() ? fmt::format("{}: {}", who, net::server_event_name(event))
                                        : fmt::format("{}: {}: {}", who, net::server_event_name(event), text);
        // Broken limits, refusals, dropped frames and errors always; opens and closes with -v.
        if (event == ServerEvent::opened || event == ServerEvent::closed) {
            if (reporter_.verbose()) reporter_.summary(line);
        } else if (event == ServerEvent::error) {
            reporter_.error(line);
        } else {
            reporter_.warning(line);
        }
    }

private:
    // A message staged for the next commit, with what its ACK is built from then.
    struct Pending {
        net::ConnectionInfo connection;
        std::string bytes;
        std::uint64_t offset = 0;
        net::ReplyTicket ticket;
        std::uint64_t n = 0;
        std::string key;  // --dedupe
    };

    // With fsync, --out-dir and --spool store in groups: stage now, commit() once per round of reads.
    bool group_commit() const { return !o_.no_fsync && server_ && (queue_.is_open() || spool_.is_open()); }

    Status stage(const net::ConnectionInfo& c, const net::Frame& frame, std::uint64_t n, std::uint64_t micros) {
        if (queue_.is_open()) return queue_.stage(queue_.next_name(micros, c.id, n), frame.message);
        return spool_.stage(frame.message);
    }

    // The reply for a message stored (or not): failures reported, the ACK built, remembered for
    // --dedupe, counted for --count.
    net::FrameReply finish(const net::ConnectionInfo& c, const net::Frame& frame, const Message& message,
                           const Header& header, std::uint64_t n, const Status& stored, const std::string& key) {
        if (!stored) {
            reporter_.error(fmt::format("connection {} ({}): message {} not stored: {}", c.id, c.peer, n,
                                        stored.error().text));
            status_ = cli::exit_io;
        }
        bool remember = bool(stored);
        net::FrameReply reply{acknowledge(c, frame, message, header, n, bool(stored), remember), false};
        if (remember && o_.dedupe_window) dedupe_.remember(key, reply.message);
        if (stored && o_.count && ++delivered_ >= o_.count && server_) server_->stop();
        return reply;
    }

    // The ACK for a message stored (or not): the --ack-cmd's, or one built here. `remember` is
    // cleared when the ACK is not one to answer a duplicate with (the command failed).
    std::string acknowledge(const net::ConnectionInfo& c, const net::Frame& frame, const Message& message,
                            const Header& header, std::uint64_t n, bool stored, bool& remember) {
        if (o_.ack == "never") return {};
        std::string why_not;
        if (stored && !o_.ack_cmd.empty()) {
            cli::CommandOutcome run = cli::run_command(o_.ack_cmd, frame.message, millis(o_.ack_cmd_timeout), 1 << 20);
            if (run.finished()) {
                Result<std::string> ack = cli::ack_from_output(run.output, header.control_id);
                if (ack) return std::move(*ack);
                why_not = fmt::format("{}: {}", run.describe(millis(o_.ack_cmd_timeout)), ack.error().text);
            } else {
                why_not = run.describe(millis(o_.ack_cmd_timeout));
            }
            remember = false;
        }
        bool ok = stored && why_not.empty();
        bool enhanced = header.enhanced_ack_mode();
        if (!why_not.empty())
            reporter_.warning(fmt::format("connection {} ({}): message {}: --ack-cmd {}; answered {}", c.id, c.peer, n,
                                          why_not, enhanced ? "CE" : "AE"));
        if (enhanced && !commit_ack_wanted(header.accept_ack_type, ok)) return {};
        AckOptions ack;
        if (!why_not.empty()) {
            ack.code = enhanced ? AckCode::CE : AckCode::AE;
            ack.findings.push_back(error_finding(207, "the acknowledging command failed"));
        } else {
            ack.code = enhanced ? (stored ? AckCode::CA : AckCode::CR) : stored ? AckCode::AA : AckCode::AR;
            if (!stored) ack.findings.push_back(error_finding(207, "message not stored"));
        }
        ack.control_id = cli::ack_control_id(cli::current_time(), ++acks_);
        ack.timestamp = cli::hl7_timestamp(cli::current_time());
        return build_ack(message, ack);
    }

    // To the queue folder or the spool file (the bytes as received), or to stdout through the one writer.
    Status deliver(const net::ConnectionInfo& c, const net::Frame& frame, const Message& message, std::uint64_t n,
                   std::uint64_t micros) {
        if (queue_.is_open()) return queue_.store(queue_.next_name(micros, c.id, n), frame.message);
        if (spool_.is_open()) return spool_.append(frame.message);
        std::string& out = output_.buffer();
        out.clear();
        Status written = writer_.write(out, &message, {}, {}, net_source(c, frame, n));
        if (!written) return written;
        if (writer_.options().form == OutputForm::json) add_received(out, c, n, micros);
        if (!output_.flush())
            return make_error("write-failed", fmt::format("write error: {}", std::strerror(output_.error())));
        return {};
    }

    JsonSource net_source(const net::ConnectionInfo& c, const net::Frame& frame, std::uint64_t n) const {
        return JsonSource{c.peer, n, frame.offset, 0};
    }

    // The receive metadata as a sibling of "source": {..., "received":{...}}\n.
    void add_received(std::string& out, const net::ConnectionInfo& c, std::uint64_t n, std::uint64_t micros) const {
        if (out.size() < 2 || out.compare(out.size() - 2, 2, "}\n") != 0) return;
        out.resize(out.size() - 2);
        out += ",\"received\":{\"time\":";
        append_json_string(out, iso_time(micros));
        out += ",\"peer\":";
        append_json_string(out, c.peer);
        out += fmt::format(",\"connection\":{},\"message\":{}}}}}\n", c.id, n);
    }

    // AE for a frame that is not a message: the ACK of a stand-in header, since there is no MSH-10
    // to answer; nothing is stored.
    net::FrameReply reply_unparseable(const Diagnostic& why) {
        net::FrameReply reply;
        if (o_.ack == "never") return reply;
        Result<Message> stand_in = Message::parse("MSH|^~\\&|||||||||P|2.5.1\r");
        if (!stand_in) return reply;
        AckOptions ack;
        ack.code = AckCode::AE;
        ack.control_id = cli::ack_control_id(cli::current_time(), ++acks_);
        ack.timestamp = cli::hl7_timestamp(cli::current_time());
        ack.findings.push_back(error_finding(100, fmt::format("not an HL7 message ({})", why.code)));
        reply.message = build_ack(*stand_in, ack);
        return reply;
    }

    const Options& o_;
    cli::Reporter& reporter_;
    MessageWriter writer_;
    net::MllpServer*& server_;
    cli::Output output_;
    cli::QueueDir queue_;
    cli::SpoolFile spool_;
    cli::DedupeWindow dedupe_;
    std::unordered_map<std::uint64_t, std::uint64_t> messages_on_;  // per connection
    std::vector<Pending> pending_;  // staged, awaiting commit()
    bool commit_posted_ = false;
    std::uint64_t acks_ = 0, delivered_ = 0;
    int status_ = cli::exit_ok;
};

// The options; the ones main() needs again are returned.
struct DefinedOptions {
    CLI::Option* segment_end = nullptr;
    CLI::Option* dedupe = nullptr;
};

DefinedOptions define_options(cli::Cli& cli, Options& o) {
    CLI::App& app = cli.app();
    DefinedOptions d;
    app.add_option("--listen", o.listen, "Where to listen (default 127.0.0.1:2575; port 0: any free port)")
        ->type_name("ADDR:PORT");
    app.add_option("--allow", o.allow, "Accept connections from this address range only (repeatable)")
        ->type_name("CIDR")
        ->check([](const std::string& text) {
            auto range = net::parse_cidr(text);
            return range ? std::string() : range.error().text;
        });
    auto* tls_cert = cli.file(
        app.add_option("--tls-cert", o.tls_cert, "Serve TLS (1.2+) with this certificate chain (PEM)")->type_name("FILE"));
    cli.file(app.add_option("--tls-key", o.tls_key, "The certificate's private key (PEM; default: in --tls-cert)")
                 ->type_name("FILE")
                 ->needs(tls_cert));
    cli.file(app.add_option("--tls-ca", o.tls_ca, "Require client certificates signed by these CAs (mutual TLS)")
                 ->type_name("FILE")
                 ->needs(tls_cert));
    auto* to = cli.choices(app.add_option("--to", o.to, "Output form: er7 (default), json (NDJSON) or mllp"),
                           {"er7", "json", "mllp"});
    d.segment_end = cli.choices(
        app.add_option("--segment-end", o.segment_end, "Segment terminator for er7 and mllp (default cr, lf on a terminal)"),
        {"cr", "lf", "crlf", "keep"});
    auto* out_dir = cli.file(app.add_option("--out-dir", o.out_dir,
                                            "Store each message as a file in DIR/new (maildir style), not on stdout")
                                 ->type_name("DIR"));
    auto* spool = cli.file(app.add_option("--spool", o.spool,
                                          "Append each message to FILE as a length-prefixed record, not on stdout")
                               ->type_name("FILE"));
    app.add_flag("--no-fsync", o.no_fsync, "Do not fsync (faster; an ACK no longer survives a power loss)");
    auto* ack = cli.choices(app.add_option("--ack", o.ack, "original (default: AA, AE, AR) or never"),
                            {"original", "never"});
    auto* ack_cmd = app.add_option("--ack-cmd", o.ack_cmd, "Send the ACK that sh -c CMD prints for each message stored")
                        ->type_name("CMD");
    app.add_option("--ack-cmd-timeout", o.ack_cmd_timeout, "Answer AE when --ack-cmd takes over SECONDS (default 10)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.01, 86400.0))
        ->needs(ack_cmd);
    d.dedupe = app.add_option("--dedupe", o.dedupe,
                              "Answer repeats (MSH-3/4/10) of the last N (10000) with the first ACK")
                   ->type_name("[N]")
                   ->expected(0, 1)
                   ->check(CLI::Range(1, 1000000));
    app.add_option("--max-connections", o.max_connections, "Connections open at once (default 256)")
        ->check(CLI::Range(1, 1000000));
    app.add_option("--max-message-size", o.max_message_size, "Close a connection sending a frame over SIZE (default 16M)")
        ->type_name("SIZE")
        ->check([](const std::string& text) {
            return cli::parse_size(text) ? std::string() : std::string("expected a size from 1K to 4G, such as 16M");
        });
    app.add_option("--idle-timeout", o.idle_timeout, "Close a connection silent for SECONDS (default 0: never)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 1e7));
    app.add_option("--frame-timeout", o.frame_timeout, "Close a connection whose frame takes over SECONDS (default 60)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 1e7));
    app.add_option("--drain-timeout", o.drain_timeout,
                   "After SIGTERM/SIGINT, time left to finish a frame (default 5)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.01, 86400.0));
    app.add_option("--count", o.count, "Exit after N messages stored (or written) and acknowledged")->type_name("N");
    app.add_option("--timeout", o.timeout, "Exit after SECONDS without a message")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 1e7));
    app.footer(
        "On start, one line on stderr says where it listens: 'hl7listen: listening on 127.0.0.1:40123'.\n"
        "SIGHUP reopens the --spool file.\n"
        "\n"
        "Examples:\n"
        "  hl7listen --listen 127.0.0.1:2575 > feed.hl7     write messages as they come\n"
        "  hl7listen --out-dir queue --dedupe               store durably, then ACK; repeats once\n"
        "  hl7listen --to json | hl7parse --to er7          NDJSON with receive metadata\n"
        "  hl7listen --spool feed.spool --ack-cmd 'hl7validate --ack'\n"
        "\n"
        "Exit status: 0 ok (also after SIGTERM, --count, --timeout), 2 usage, 69 cannot listen,\n"
        "74 a message could not be stored or written. See hl7listen(1).");
    out_dir->excludes(to)->excludes(d.segment_end)->excludes(spool);
    spool->excludes(to)->excludes(d.segment_end);
    ack_cmd->excludes(ack);
    app.get_option("--verbose")->description("One stderr line per connection opened or closed, with the peer");
    return d;
}

net::ServerOptions server_options(const Options& o, const net::Endpoint& endpoint) {
    net::ServerOptions s;
    s.listen = endpoint;
    s.max_connections = o.max_connections;
    s.max_frame_size = *cli::parse_size(o.max_message_size);
    s.idle_timeout = millis(o.idle_timeout);
    s.frame_timeout = millis(o.frame_timeout);
    s.drain_timeout = millis(o.drain_timeout);
    s.quiet_exit = millis(o.timeout);
    for (const std::string& cidr : o.allow) s.allow.add(*net::parse_cidr(cidr));
    s.tls.cert_file = o.tls_cert;
    s.tls.key_file = o.tls_key;
    s.tls.ca_file = o.tls_ca;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7listen", "Receive HL7 v2 messages over MLLP, write each to standard output, a queue folder\n"
                              "or a spool file, and acknowledge it only once it is written.");
    Options o;
    DefinedOptions defined = define_options(cli, o);
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();

    auto endpoint = net::parse_endpoint(o.listen);
    if (!endpoint) return cli.usage_error(fmt::format("--listen: {}", endpoint.error().text));
    if (o.no_fsync && o.out_dir.empty() && o.spool.empty()) return cli.usage_error("--no-fsync needs --out-dir or --spool");
    if (defined.dedupe->count() > 0) o.dedupe_window = o.dedupe.empty() ? 10000 : std::stoul(o.dedupe);
    WriterOptions writer_options;
    writer_options.form = o.to == "json" ? OutputForm::json : o.to == "mllp" ? OutputForm::mllp : OutputForm::er7;
    // As hl7parse: CR-only lines overwrite each other on a screen.
    if (defined.segment_end->count() == 0 && o.to == "er7" && ::isatty(1) == 1) o.segment_end = "lf";
    writer_options.segment_end = segment_end_style(o.segment_end);

    net::MllpServer* server_ref = nullptr;
    Receiver receiver(o, reporter, MessageWriter(writer_options), server_ref);
    if (Status s = receiver.open_storage(); !s) {
        reporter.error(s.error().text);
        return cli::exit_io;
    }
    net::ServerOptions options = server_options(o, *endpoint);
    options.on_hangup = [&] { receiver.reopen(); };
    net::MllpServer server(
        std::move(options), [&](const net::ConnectionInfo& c, const net::Frame& f) { return receiver.on_frame(c, f); },
        [&](net::ServerEvent e, const net::ConnectionInfo* c, std::string_view text) { receiver.on_event(e, c, text); });
    server_ref = &server;
    if (Status s = server.open(); !s) {
        reporter.error(s.error().text);
        return s.error().code == "tls-setup" ? cli::exit_no_input : cli::exit_unavailable;
    }
    server.run();
    return receiver.status();
}
