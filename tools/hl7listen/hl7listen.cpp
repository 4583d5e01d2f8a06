// hl7listen: an MLLP receiver that writes each message to stdout or a queue folder, and only then
// acknowledges it.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <unordered_map>

#include "common/cli.hpp"
#include "common/clock.hpp"
#include "common/exit_codes.hpp"
#include "common/net.hpp"
#include "common/output.hpp"
#include "common/queue_dir.hpp"
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
    std::string out_dir;
    std::string ack = "original";
    std::string max_message_size = "16M";
    bool no_fsync = false;
    std::size_t max_connections = 256;
    double idle_timeout = 0, frame_timeout = 60, drain_timeout = 5, timeout = 0;
    std::uint64_t count = 0;
};

SegmentEndStyle segment_end_style(const std::string& s) {
    if (s == "lf") return SegmentEndStyle::lf;
    if (s == "crlf") return SegmentEndStyle::crlf;
    if (s == "keep") return SegmentEndStyle::keep;
    return SegmentEndStyle::cr;
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
        : o_(o), reporter_(reporter), writer_(std::move(writer)), server_(server) {
        output_.set_flush_each_record(true);
    }

    Status open_queue() { return o_.out_dir.empty() ? Status{} : queue_.open(o_.out_dir, !o_.no_fsync); }
    int status() const { return status_; }

    net::FrameReply on_frame(const net::ConnectionInfo& c, const net::Frame& frame) {
        std::uint64_t n = ++messages_on_[c.id];
        std::uint64_t micros = now_micros();
        Result<Message> parsed = Message::parse(frame.message);
        if (!parsed) {
            reporter_.warning(fmt::format("connection {} ({}): message {} at offset {} not accepted: {}", c.id, c.peer,
                                          n, frame.offset, parsed.error().text));
            return reply_unparseable(parsed.error());
        }
        Status stored = deliver(c, frame, *parsed, n, micros);
        if (!stored) {
            reporter_.error(fmt::format("connection {} ({}): message {} not stored: {}", c.id, c.peer, n,
                                        stored.error().text));
            status_ = cli::exit_io;
        }
        net::FrameReply reply;
        Header header = read_header(*parsed);
        bool enhanced = header.enhanced_ack_mode();
        if (o_.ack != "never" && (!enhanced || commit_ack_wanted(header.accept_ack_type, bool(stored)))) {
            AckOptions ack;
            ack.code = enhanced ? (stored ? AckCode::CA : AckCode::CR) : stored ? AckCode::AA : AckCode::AR;
            if (!stored) ack.findings.push_back(AckFinding{{}, 207, 'E', "message not stored"});
            ack.control_id = cli::ack_control_id(cli::current_time(), ++acks_);
            ack.timestamp = cli::hl7_timestamp(cli::current_time());
            reply.message = build_ack(*parsed, ack);
        }
        if (stored && o_.count && ++delivered_ >= o_.count && server_) server_->stop();
        return reply;
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
    // To the queue folder (the bytes as received), or to stdout through the one writer.
    Status deliver(const net::ConnectionInfo& c, const net::Frame& frame, const Message& message, std::uint64_t n,
                   std::uint64_t micros) {
        if (queue_.is_open()) return queue_.store(queue_.next_name(micros, c.id, n), frame.message);
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
        ack.findings.push_back(AckFinding{{}, 100, 'E', fmt::format("not an HL7 message ({})", why.code)});
        reply.message = build_ack(*stand_in, ack);
        return reply;
    }

    const Options& o_;
    cli::Reporter& reporter_;
    MessageWriter writer_;
    net::MllpServer*& server_;
    cli::Output output_;
    cli::QueueDir queue_;
    std::unordered_map<std::uint64_t, std::uint64_t> messages_on_;  // per connection
    std::uint64_t acks_ = 0, delivered_ = 0;
    int status_ = cli::exit_ok;
};

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7listen", "Receive HL7 v2 messages over MLLP, write each to standard output or a queue folder,\n"
                              "and acknowledge it only once it is written.");
    Options o;
    CLI::App& app = cli.app();
    app.add_option("--listen", o.listen, "Where to listen (default 127.0.0.1:2575; port 0: any free port)")
        ->type_name("ADDR:PORT");
    auto* to = cli.choices(app.add_option("--to", o.to, "Output form: er7 (default), json (NDJSON) or mllp"),
                           {"er7", "json", "mllp"});
    auto* segment_end = cli.choices(
        app.add_option("--segment-end", o.segment_end, "Segment terminator for er7 and mllp (default cr, lf on a terminal)"),
        {"cr", "lf", "crlf", "keep"});
    auto* out_dir = cli.file(app.add_option("--out-dir", o.out_dir,
                                            "Store each message as a file in DIR/new (maildir style), not on stdout")
                                 ->type_name("DIR"));
    app.add_flag("--no-fsync", o.no_fsync, "Do not fsync (faster; an ACK no longer survives a power loss)")
        ->needs(out_dir);
    cli.choices(app.add_option("--ack", o.ack, "original (default: AA, AE, AR) or never"), {"original", "never"});
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
                   "On SIGTERM/SIGINT, how long a frame in progress may take to finish (default 5)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.01, 86400.0));
    app.add_option("--count", o.count, "Exit after N messages stored (or written) and acknowledged")->type_name("N");
    app.add_option("--timeout", o.timeout, "Exit after SECONDS without a message")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 1e7));
    app.footer(
        "On start, one line on stderr says where it listens: 'hl7listen: listening on 127.0.0.1:40123'.\n"
        "\n"
        "Examples:\n"
        "  hl7listen --listen 127.0.0.1:2575 > feed.hl7     write messages as they come\n"
        "  hl7listen --out-dir queue                        store durably, then ACK\n"
        "  hl7listen --to json | hl7parse --to er7          NDJSON with receive metadata\n"
        "\n"
        "Exit status: 0 ok (also after SIGTERM, --count, --timeout), 2 usage, 69 cannot listen,\n"
        "74 a message could not be stored or written. See hl7listen(1).");
    out_dir->excludes(to)->excludes(segment_end);
    app.get_option("--verbose")->description("One stderr line per connection opened or closed, with the peer");
    if (auto status = cli.parse(argc, argv)) return *status;
    cli::Reporter& reporter = cli.reporter();

    auto endpoint = net::parse_endpoint(o.listen);
    if (!endpoint) return cli.usage_error(fmt::format("--listen: {}", endpoint.error().text));
    WriterOptions writer_options;
    writer_options.form = o.to == "json" ? OutputForm::json : o.to == "mllp" ? OutputForm::mllp : OutputForm::er7;
    // As hl7parse: CR-only lines overwrite each other on a screen.
    if (segment_end->count() == 0 && o.to == "er7" && ::isatty(1) == 1) o.segment_end = "lf";
    writer_options.segment_end = segment_end_style(o.segment_end);

    net::ServerOptions server_options;
    server_options.listen = *endpoint;
    server_options.max_connections = o.max_connections;
    server_options.max_frame_size = *cli::parse_size(o.max_message_size);
    server_options.idle_timeout = millis(o.idle_timeout);
    server_options.frame_timeout = millis(o.frame_timeout);
    server_options.drain_timeout = millis(o.drain_timeout);
    server_options.quiet_exit = millis(o.timeout);

    net::MllpServer* server_ref = nullptr;
    Receiver receiver(o, reporter, MessageWriter(writer_options), server_ref);
    if (Status s = receiver.open_queue(); !s) {
        reporter.error(s.error().text);
        return cli::exit_io;
    }
    net::MllpServer server(
        server_options, [&](const net::ConnectionInfo& c, const net::Frame& f) { return receiver.on_frame(c, f); },
        [&](net::ServerEvent e, const net::ConnectionInfo* c, std::string_view text) { receiver.on_event(e, c, text); });
    server_ref = &server;
    if (Status s = server.open(); !s) {
        reporter.error(s.error().text);
        return cli::exit_unavailable;
    }
    server.run();
    return receiver.status();
}
