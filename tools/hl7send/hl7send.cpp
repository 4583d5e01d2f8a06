// hl7send: an MLLP client that delivers every message and reports, message by message, what the
// receiver said.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <poll.h>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/cli.hpp"
#include "common/exit_codes.hpp"
#include "common/inputs.hpp"
#include "common/net_client.hpp"
#include "common/output.hpp"
#include "hl7/header.hpp"
#include "hl7/json.hpp"
#include "hl7/mllp.hpp"
#include "hl7/writer.hpp"

using namespace hl7;
namespace fs = std::filesystem;

namespace {

struct Options {
    std::string peer;
    std::vector<std::string> files;
    std::size_t connections = 1, window = 1;
    bool keep_segment_ends = false;
    double ack_timeout = 30, connect_timeout = 10, backoff = 0.5, rate = 0;
    bool no_check_id = false, no_ack = false, mllp2 = false, dry_run = false;
    int retries = 3;
    std::string retry_on, fail_on;
    net::TlsClientOptions tls;
    std::string from_dir;
    bool delete_sent = false, follow = false;
    std::string journal, ack_out;
};

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

// A file of a queue folder (--from-dir): it leaves DIR/new once every message in it has an outcome.
struct QueuedFile {
    std::string name;
    std::size_t read = 0, done = 0;
    bool read_all = false;
    bool rejected = false, undelivered = false, unparseable = false;
    std::string acks;  // the final NAKs, for DIR/failed/NAME.ack
};

// What the report needs to know of a message while it is away.
struct Origin {
    std::string file;
    std::uint64_t index = 0;
    std::string control_id;
    std::shared_ptr<QueuedFile> queued;
};

// --journal: the messages delivered, one line each (file, index, control id), made durable before
// the report says so. A re-run skips what it lists.
class Journal {
public:
    ~Journal() {
        if (fd_ >= 0) ::close(fd_);
    }
    Status open(const std::string& path) {
        auto existing = cli::read_whole_file(path);
        if (existing) {
            std::string_view text = *existing;
            while (!text.empty()) {
                std::size_t end = text.find('\n');
                if (end == std::string_view::npos) break;  // a line cut short by a crash was not delivered
                keys_.insert(std::string(text.substr(0, end)));
                text.remove_prefix(end + 1);
            }
        }
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd_ < 0) return make_error("journal", fmt::format("cannot open the journal {}: {}", path, std::strerror(errno)));
        return {};
    }
    bool is_open() const { return fd_ >= 0; }
    static std::string key(const Origin& o) { return fmt::format("{}\t{}\t{}", o.file, o.index, o.control_id); }
    bool contains(const std::string& key) const { return keys_.count(key) != 0; }
    Status record(const std::string& key) {
        std::string line = key + "\n";
        if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0)
            return make_error("journal", fmt::format("journal not written: {}", std::strerror(errno)));
        return {};
    }

private:
    int fd_ = -1;
    std::unordered_set<std::string> keys_;
};

// Counts, the NDJSON report (or the raw ACKs) on stdout, and the queue folder's moves. Called from
// the reading thread and the network thread.
class Report {
public:
    Report(const Options& o, cli::Reporter& reporter, int ack_fd) : o_(o), reporter_(reporter), ack_fd_(ack_fd) {
        // A pipe or a terminal gets each line at once; a file gets lines in blocks, and at least
        // every 100 ms (a write per message would cost as much as sending it).
        struct stat st {};
        flush_each_ = ::fstat(1, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || ::isatty(1) == 1;
        out_.set_flush_each_record(flush_each_);
    }

    void add(Origin origin, std::uint64_t tag) {
        std::lock_guard lock(mutex_);
        if (origin.queued) ++origin.queued->read;
        origins_.emplace(tag, std::move(origin));
    }

    void outcome(net::DeliveryOutcome&& d, Journal& journal) {
        std::lock_guard lock(mutex_);
        auto it = origins_.find(d.tag);
        if (it == origins_.end()) return;
        Origin origin = std::move(it->second);
        origins_.erase(it);
        using net::DeliveryStatus;
        if (d.status == DeliveryStatus::accepted && journal.is_open()) {
            if (Status s = journal.record(Journal::key(origin)); !s) {
                reporter_.error(s.error().text);
                journal_failed_ = true;
            }
        }
        ++counts_[static_cast<std::size_t>(d.status)];
        if (d.status == DeliveryStatus::failed)
            unreachable_ = d.problem == net::SendProblem::connect || d.problem == net::SendProblem::tls;
        std::string_view status = net::delivery_status_name(d.status);
        std::string line = begin_line(origin, status);
        if (d.ack) {
            line += ",\"ack\":";
            append_json_string(line, ack_code_name(d.ack->code));
            if (!d.ack->text.empty()) {
                line += ",\"text\":";
                append_json_string(line, d.ack->text);
            }
            append_errors(line, *d.ack);
        } else if (d.status != DeliveryStatus::not_sent && d.status != DeliveryStatus::sent) {
            line += ",\"ack\":null";
        }
        if (d.status == DeliveryStatus::rejected || d.status == DeliveryStatus::failed) {
            line += ",\"reason\":";
            append_json_string(line, net::send_problem_name(d.problem));
            if (!d.problem_detail.empty()) {
                line += ",\"detail\":";
                append_json_string(line, d.problem_detail);
            }
        }
        if (d.attempts > 0) line += fmt::format(",\"attempts\":{}", d.attempts);
        if (d.connection > 0 && d.round_trip.count() > 0)
            line += fmt::format(",\"rtt_ms\":{:.3f},\"connection\":{}",
                                static_cast<double>(d.round_trip.count()) / 1000.0, d.connection);
        line += "}\n";
        write_line(line, d.ack_message);
        say(origin, d);
        show_progress();
        if (origin.queued) {
            QueuedFile& q = *origin.queued;
            ++q.done;
            if (d.status == DeliveryStatus::rejected) {
                q.rejected = true;
                q.acks += d.ack_message;
                q.acks += '\n';
            } else if (d.status != DeliveryStatus::accepted) {
                q.undelivered = true;
            }
            settle(origin.queued);
        }
    }

    // A message the input had that is not sent: unparseable, already in the journal, or a dry run.
    void local(const Origin& origin, std::string_view status, std::size_t bytes = 0) {
        std::lock_guard lock(mutex_);
        if (status == "unparseable") ++unparseable_;
        else if (status == "skipped") ++skipped_;
        else ++dry_run_;
        std::string line = begin_line(origin, status);
        if (bytes) line += fmt::format(",\"bytes\":{}", bytes);
        line += "}\n";
        write_line(line, {});
        if (origin.queued) {
            if (status == "unparseable") origin.queued->unparseable = true;
            ++origin.queued->read;
            ++origin.queued->done;
            settle(origin.queued);
        }
    }

    // Clears the progress line before the summary.
    void end_progress() {
        std::lock_guard lock(mutex_);
        if (progress_shown_) reporter_.raw("\r\033[K");
        progress_shown_ = false;
    }

    // The reading thread has read the whole file.
    void file_read(const std::shared_ptr<QueuedFile>& queued) {
        std::lock_guard lock(mutex_);
        queued->read_all = true;
        settle(queued);
    }
    // The queue folder's files whose fate is decided (moved or deleted): the reader may forget them.
    std::vector<std::string> take_settled() {
        std::lock_guard lock(mutex_);
        return std::exchange(settled_, {});
    }

    std::uint64_t count(net::DeliveryStatus s) const { return counts_[static_cast<std::size_t>(s)]; }
    std::uint64_t unparseable() const { return unparseable_; }
    std::uint64_t skipped() const { return skipped_; }
    std::uint64_t dry_runs() const { return dry_run_; }
    // The failure that stopped the run was a connection (or TLS handshake) refused.
    bool unreachable() const { return unreachable_; }
    bool write_failed() { return !out_.finish() || journal_failed_ || move_failed_; }

private:
    std::string begin_line(const Origin& o, std::string_view status) const {
        std::string line = "{\"file\":";
        append_json_string(line, o.file);
        line += fmt::format(",\"index\":{},\"control_id\":", o.index);
        if (status == "unparseable") line += "null";  // no message, no MSH-10
        else append_json_string(line, o.control_id);
        line += ",\"status\":";
        append_json_string(line, status);
        return line;
    }
    // On a terminal, a line that counts up once the run has taken a second: a long send shows it is
    // alive. Never on a pipe or a file.
    void show_progress() {
        if (!progress_) return;
        auto now = std::chrono::steady_clock::now();
        if (now - started_ < std::chrono::seconds(1) || now - last_progress_ < std::chrono::milliseconds(250)) return;
        last_progress_ = now;
        std::uint64_t done = 0;
        for (auto c : counts_) done += c;
        double seconds = std::chrono::duration<double>(now - started_).count();
        reporter_.raw(fmt::format("\r\033[K{}: {} done: {} accepted, {} rejected, {} failed ({:.0f} msg/s)",
                                  reporter_.tool(), done, counts_[0], counts_[1], counts_[2],
                                  static_cast<double>(done) / seconds));
        progress_shown_ = true;
    }
    static void append_errors(std::string& line, const Ack& ack) {
        if (ack.errors.empty()) return;
        line += ",\"errors\":[";
        bool first = true;
        for (const AckError& e : ack.errors) {
            if (!first) line += ',';
            first = false;
            line += "{\"location\":";
            append_json_string(line, e.locations.empty() ? std::string() : e.locations.front().to_string());
            line += ",\"code\":";
            append_json_string(line, e.code.identifier);
            line += ",\"severity\":";
            append_json_string(line, e.severity);
            line += '}';
        }
        line += ']';
    }
    void end_record() {
        out_.end_record();
        if (flush_each_) return;
        auto now = std::chrono::steady_clock::now();
        if (now - last_flush_ < std::chrono::milliseconds(100)) return;
        out_.flush();
        last_flush_ = now;
    }
    void write_line(const std::string& line, std::string_view ack) {
        if (o_.ack_out == "-") {
            if (ack.empty()) return;
            out_.buffer().append(ack);
            out_.buffer() += '\n';
            end_record();
            return;
        }
        out_.buffer() += line;
        end_record();
        if (ack_fd_ >= 0 && !ack.empty()) {
            std::string record(ack);
            record += '\n';
            if (::write(ack_fd_, record.data(), record.size()) != static_cast<ssize_t>(record.size())) move_failed_ = true;
        }
    }
    // stderr: why a message was not delivered. Never its content; the receiver's text only with
    // --show-values (it may quote the message).
    void say(const Origin& o, const net::DeliveryOutcome& d) {
        using net::DeliveryStatus;
        if (d.status != DeliveryStatus::rejected && d.status != DeliveryStatus::failed) return;
        Diagnostic diagnostic;
        diagnostic.code = "not-delivered";
        if (d.status == DeliveryStatus::rejected) {
            diagnostic.text = fmt::format("rejected with {}", net::send_problem_name(d.problem));
            if (d.ack) diagnostic.value = d.ack->text;
        } else {
            diagnostic.text = fmt::format("not delivered after {} attempt{}: {}{}", d.attempts, d.attempts == 1 ? "" : "s",
                                          net::send_problem_name(d.problem),
                                          d.problem_detail.empty() ? "" : fmt::format(" ({})", d.problem_detail));
        }
        reporter_.report(diagnostic, o.file, o.index);
    }
    // Moves a queue folder's file out of new/ once all its messages are done: to sent/ (or away
    // with --delete) when all were accepted, to failed/ with the NAKs beside it when one was
    // rejected; a file with a message undelivered stays for the next run.
    void settle(const std::shared_ptr<QueuedFile>& q) {
        if (!q->read_all || q->done < q->read) return;
        fs::path dir(o_.from_dir);
        std::error_code ec;
        if (!q->undelivered) {
            bool failed = q->rejected || q->unparseable || q->read == 0;
            fs::path from = dir / "new" / q->name;
            if (!failed && o_.delete_sent) {
                fs::remove(from, ec);
            } else {
                fs::path to = dir / (failed ? "failed" : "sent") / q->name;
                if (failed && !q->acks.empty()) {
                    fs::path ack_path = to;
                    ack_path += ".ack";
                    if (auto s = write_file(ack_path, q->acks); !s) reporter_.error(s.error().text);
                }
                fs::rename(from, to, ec);
            }
            if (ec) {
                reporter_.error(fmt::format("{}: not moved out of {}/new: {}", q->name, o_.from_dir, ec.message()));
                move_failed_ = true;
            }
        }
        settled_.push_back(q->name);
    }
    static Status write_file(const fs::path& path, std::string_view bytes) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return make_error("write", fmt::format("{}: {}", path.string(), std::strerror(errno)));
        bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        ::close(fd);
        if (!ok) return make_error("write", fmt::format("{}: write error", path.string()));
        return {};
    }

    const Options& o_;
    cli::Reporter& reporter_;
    int ack_fd_;
    cli::Output out_;
    std::mutex mutex_;
    std::unordered_map<std::uint64_t, Origin> origins_;
    std::array<std::uint64_t, 5> counts_{};
    std::uint64_t unparseable_ = 0, skipped_ = 0, dry_run_ = 0;
    bool journal_failed_ = false, move_failed_ = false, unreachable_ = false;
    bool flush_each_ = true;
    bool progress_ = ::isatty(2) == 1 && !reporter_.quiet();
    bool progress_shown_ = false;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now(), last_progress_{};
    std::chrono::steady_clock::time_point last_flush_{};
    std::vector<std::string> settled_;
};

// Reads the input (files, stdin or a queue folder) in its own thread and hands each message over.
class Reader {
public:
    Reader(const Options& o, cli::Cli& cli, Report& report, Journal& journal, net::MllpSender* sender)
        : o_(o), cli_(cli), report_(report), journal_(journal), sender_(sender),
          writer_(WriterOptions{OutputForm::er7,
                                o.keep_segment_ends ? SegmentEndStyle::keep : SegmentEndStyle::cr, {}}) {}

    // Everything read and handed over (or the sender stopped taking).
    void run() {
        if (o_.from_dir.empty()) read_files(o_.files, nullptr);
        else read_queue();
        done_ = true;
    }
    bool done() const { return done_; }
    int input_status() const { return input_status_; }

private:
    void read_files(const std::vector<std::string>& files, const std::shared_ptr<QueuedFile>& queued) {
        cli::Output unused;
        cli::InputLoop loop(cli_.reporter(), unused);
        ReaderOptions reader_options;
        reader_options.max_message_size = cli_.max_message_size();
        loop.set_reader_options(reader_options);
        loop.set_idle_flush(cli_.idle_flush_ms());
        loop.on_unparseable([&](const cli::MessageContext& c, const Diagnostic&) {
            report_.local(Origin{std::string(c.file), c.item.index, {}, queued}, "unparseable");
        });
        std::vector<std::string> names = files;
        if (queued) names = {(fs::path(o_.from_dir) / "new" / queued->name).string()};
        loop.run(names, [&](cli::MessageContext& c) {
            if (stopped_ || !c.message) return;
            const Message& message = *c.message;
            Origin origin{queued ? queued->name : std::string(c.file), c.item.index,
                          std::string(header_component(message.segment(0), message.delimiters(), 10, 1)), queued};
            if (journal_.is_open() && journal_.contains(Journal::key(origin))) {
                report_.local(origin, "skipped");
                return;
            }
            net::Delivery delivery;
            delivery.tag = ++tags_;
            delivery.expected_id = acknowledgment_id(message);
            if (Status s = writer_.write(delivery.message, c.message, {}, {}); !s) {
                report_.local(origin, "unparseable");
                return;
            }
            if (o_.dry_run) {
                std::string framed;
                if (Status s = append_mllp_frame(framed, delivery.message); !s) report_.local(origin, "unparseable");
                else report_.local(origin, "dry-run", framed.size());
                return;
            }
            std::uint64_t tag = delivery.tag;
            report_.add(origin, tag);
            if (!sender_->submit(std::move(delivery))) {
                stopped_ = true;
                // Taken into the report but not by the sender: say so.
                net::DeliveryOutcome not_sent;
                not_sent.tag = tag;
                report_.outcome(std::move(not_sent), journal_);
            }
        });
        input_status_ = cli::worst_status(input_status_, loop.status());
        if (queued) report_.file_read(queued);
    }

    // The files of DIR/new in name order; with --follow, then the ones that arrive, until stopped.
    void read_queue() {
        fs::path dir(o_.from_dir);
        int watch = -1;
        if (o_.follow) {
            watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
            if (watch >= 0 && ::inotify_add_watch(watch, (dir / "new").c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
                ::close(watch);
                watch = -1;
            }
        }
        std::set<std::string> in_hand;  // queued and not yet settled
        for (;;) {
            for (const std::string& name : report_.take_settled()) in_hand.erase(name);
            std::vector<std::string> names;
            std::error_code ec;
            for (const auto& entry : fs::directory_iterator(dir / "new", ec))
                if (entry.is_regular_file(ec) && entry.path().filename().string().front() != '.')
                    names.push_back(entry.path().filename().string());
            std::sort(names.begin(), names.end());
            for (const std::string& name : names) {
                if (stopped_ || sender_stopped()) break;
                if (!in_hand.insert(name).second) continue;
                auto queued = std::make_shared<QueuedFile>();
                queued->name = name;
                read_files({}, queued);
            }
            if (!o_.follow || stopped_ || sender_stopped()) break;
            // New files are announced by inotify; a rescan every second covers a watch that failed.
            pollfd p{watch, POLLIN, 0};
            if (::poll(&p, watch >= 0 ? 1 : 0, 200) > 0) {
                char drain[4096];
                while (::read(watch, drain, sizeof drain) > 0) {
                }
            }
        }
        if (watch >= 0) ::close(watch);
    }
    bool sender_stopped() const { return sender_ && sender_->stopping(); }

    const Options& o_;
    cli::Cli& cli_;
    Report& report_;
    Journal& journal_;
    net::MllpSender* sender_;
    MessageWriter writer_;
    std::uint64_t tags_ = 0;
    bool stopped_ = false;
    std::atomic<bool> done_{false};
    int input_status_ = cli::exit_ok;
};

// Options to the sender's, and the problem names of --retry-on and --fail-on.
Result<net::SenderOptions> sender_options(const Options& o) {
    net::SenderOptions s;
    auto peer = net::parse_endpoint(o.peer);
    if (!peer) return peer.error();
    if (peer->port == 0) return make_error("bad-endpoint", "port 0 is for listening; give the receiver's port");
    s.peer = *peer;
    s.connections = o.connections;
    s.window = o.window;
    s.connect_timeout = millis(o.connect_timeout);
    s.ack_timeout = millis(o.ack_timeout);
    s.wait_for_ack = !o.no_ack;
    s.mllp2 = o.mllp2;
    s.check_control_id = !o.no_check_id;
    s.retries = o.retries;
    s.backoff = millis(o.backoff);
    s.rate = o.rate;
    s.tls = o.tls;
    for (auto [list, add] : {std::pair{&o.retry_on, true}, std::pair{&o.fail_on, false}}) {
        std::string_view rest = *list;
        while (!rest.empty()) {
            std::size_t comma = rest.find(',');
            std::string_view name = rest.substr(0, comma);
            auto problem = net::send_problem_from_name(name);
            if (!problem)
                return make_error("bad-option",
                                  fmt::format("{}: '{}' is not one of AE, AR, CE, CR, timeout, connect, tls, closed, "
                                              "mismatch, garbage",
                                              add ? "--retry-on" : "--fail-on", name));
            if (add) s.retried.add(*problem);
            else s.retried.remove(*problem);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return s;
}

// The summary line, and the exit status from what happened: delivery failures first (69 when the
// receiver was never reached, else 75), then unparseable input (65), then rejections (1).
int finish(const Options& o, cli::Reporter& reporter, Report& report, const Reader& reader, const net::MllpSender* sender,
           std::chrono::steady_clock::time_point start) {
    using net::DeliveryStatus;
    report.end_progress();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uint64_t accepted = report.count(DeliveryStatus::accepted), rejected = report.count(DeliveryStatus::rejected),
                  failed = report.count(DeliveryStatus::failed), sent = report.count(DeliveryStatus::sent),
                  not_sent = report.count(DeliveryStatus::not_sent);
    std::uint64_t total = accepted + rejected + failed + sent + not_sent + report.unparseable() + report.skipped() +
                          report.dry_runs();
    std::string parts;
    auto part = [&](std::uint64_t n, std::string_view what) {
        if (n) parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", n, what);
    };
    part(accepted, "accepted");
    part(rejected, "rejected");
    part(failed, "failed");
    part(sent, "sent without waiting for an ACK");
    part(not_sent, "not sent");
    part(report.unparseable(), "unparseable");
    part(report.skipped(), "skipped (in the journal)");
    part(report.dry_runs(), "checked (dry run)");
    std::string tail = sender ? fmt::format(" ({} retr{}, {:.2f} s, {:.0f} msg/s)", sender->retries_made(),
                                            sender->retries_made() == 1 ? "y" : "ies", seconds,
                                            seconds > 0 ? static_cast<double>(accepted + rejected + sent) / seconds : 0.0)
                              : std::string();
    reporter.summary(fmt::format("{} message{}{}{}{}", total, total == 1 ? "" : "s", parts.empty() ? "" : ": ", parts,
                                 tail));
    int status = cli::exit_ok;
    // 69 when the receiver could not be reached at all: refused connections or TLS handshakes and
    // not one reply; after replies came, a lost receiver is a temporary failure (75).
    if (failed || (not_sent && o.from_dir.empty()))
        status = report.unreachable() && accepted + rejected == 0 ? cli::exit_unavailable : cli::exit_temporary;
    else if (report.unparseable() || reader.input_status() != cli::exit_ok)
        status = reader.input_status() != cli::exit_ok ? reader.input_status() : cli::exit_data;
    else if (rejected) status = cli::exit_findings;
    if (report.write_failed() && status == cli::exit_ok) status = cli::exit_io;
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    cli::Cli cli("hl7send", "Send HL7 v2 messages over MLLP, wait for each ACK, and report what the receiver said.");
    Options o;
    CLI::App& app = cli.app();
    // Not ->required(): CLI11 would refuse --completion without it; checked after parsing.
    app.add_option("peer", o.peer, "The receiver, HOST:PORT")->type_name("HOST:PORT");
    cli.file(app.add_option("files", o.files, "Messages to send: ER7, MLLP, batches or hl7json (default: stdin)"));
    app.add_option("-c,--connections", o.connections, "Connections in parallel, order kept within each (default 1)")
        ->check(CLI::Range(1, 1024));
    app.add_option("-w,--window", o.window, "Messages sent ahead of their ACKs on a connection (default 1)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));
    app.add_flag("--keep-segment-ends", o.keep_segment_ends, "Send segment ends as read (default: CR, as MLLP expects)");
    app.add_option("--ack-timeout", o.ack_timeout, "Wait at most SECONDS for each ACK (default 30)")
        ->type_name("SECONDS")->check(CLI::Range(0.001, 86400.0));
    app.add_option("--connect-timeout", o.connect_timeout, "Wait at most SECONDS to connect (default 10)")
        ->type_name("SECONDS")->check(CLI::Range(0.001, 86400.0));
    app.add_flag("--no-check-id", o.no_check_id, "Accept an ACK whose MSA-2 is not the message's MSH-10");
    app.add_option("--retries", o.retries, "Attempts after the first for retried problems (default 3)")
        ->check(CLI::Range(0, 1000000));
    app.add_option("--backoff", o.backoff, "First retry after SECONDS, doubled each time up to 30 (default 0.5)")
        ->type_name("SECONDS")->check(CLI::Range(0.0, 3600.0));
    app.add_option("--retry-on", o.retry_on, "Also retry these (AE,CE,tls,...)")->type_name("LIST");
    app.add_option("--fail-on", o.fail_on, "Never retry these (AR,CR,timeout,...)")->type_name("LIST");
    auto* no_ack = app.add_flag("--no-ack", o.no_ack, "Do not wait for ACKs (fire and forget)");
    app.add_flag("--mllp2", o.mllp2, "Wait for an MLLP release 2 commit block, not an HL7 ACK")
        ->excludes(no_ack);
    app.add_option("--rate", o.rate, "At most N messages per second, over all connections")
        ->type_name("N")->check(CLI::Range(0.001, 1e9));
    app.add_flag("--dry-run", o.dry_run, "Read and frame the messages, connect to nothing");
    app.add_flag("--tls", o.tls.enabled, "Connect with TLS (1.2 or later), verifying the server");
    auto tls_option = [&](CLI::Option* option) { return option->needs(app.get_option("--tls")); };
    cli.file(tls_option(app.add_option("--tls-ca", o.tls.ca_file, "Trust these CA certificates (PEM), not the system's")
                            ->type_name("FILE")));
    cli.file(tls_option(app.add_option("--tls-cert", o.tls.cert_file, "Client certificate chain (PEM), for mutual TLS")
                            ->type_name("FILE")));
    cli.file(tls_option(app.add_option("--tls-key", o.tls.key_file, "Client private key (PEM)")->type_name("FILE")));
    tls_option(app.add_option("--tls-servername", o.tls.server_name, "Expect this name in the server's certificate")
                   ->type_name("NAME"));
    tls_option(app.add_flag("--tls-insecure", o.tls.insecure, "Do not verify the server's certificate (tests only)"));
    auto* from_dir = cli.file(app.add_option("--from-dir", o.from_dir, "Send the files of DIR/new (hl7listen --out-dir)")
                                  ->type_name("DIR"));
    app.add_flag("--delete", o.delete_sent, "With --from-dir: delete files once sent, not move them to DIR/sent")
        ->needs(from_dir);
    app.add_flag("--follow", o.follow, "With --from-dir: keep sending files as they arrive, until SIGTERM")
        ->needs(from_dir);
    cli.file(app.add_option("--journal", o.journal, "Record delivered messages in FILE; skip those already there")
                 ->type_name("FILE"));
    cli.file(app.add_option("--ack-out", o.ack_out, "Write each ACK as received to FILE ('-': stdout, for the report)")
                 ->type_name("FILE"));
    bool quiet = false;
    app.add_flag("-q,--quiet", quiet, "Nothing on stderr: no summary, no diagnostics");
    cli.add_max_message_size();
    app.get_option("--verbose")->description("One stderr line per connection opened or closed and per retry");
    app.footer("Each message gets one NDJSON line on stdout: file, index, control_id, status (accepted,\n"
               "rejected, failed, sent, not-sent, unparseable, skipped, dry-run), ack, text, errors,\n"
               "attempts, rtt_ms, connection; reason and detail when not delivered.\n"
               "\n"
               "Examples:\n"
               "  hl7send 127.0.0.1:2575 adt.hl7                     send, one line per message\n"
               "  hl7listen --out-dir q & hl7send --from-dir q --follow host:2575   store and forward\n"
               "  hl7send --tls --tls-ca ca.pem host:6661 *.hl7      over TLS\n"
               "\n"
               "Exit status: 0 all accepted, 1 some rejected (final NAK), 2 usage, 65 unparseable input,\n"
               "69 no connection could be made, 75 retries exhausted or timed out. See hl7send(1).");
    if (auto status = cli.parse(argc, argv)) return *status;
    cli.reporter().set_quiet(quiet);
    if (o.peer.empty()) return cli.usage_error("the receiver, HOST:PORT, is required");
    if (!o.from_dir.empty() && !o.files.empty()) return cli.usage_error("--from-dir and FILE arguments exclude each other");
    auto options = sender_options(o);
    if (!options) return cli.usage_error(options.error().text);

    int ack_fd = -1;
    if (!o.ack_out.empty() && o.ack_out != "-") {
        ack_fd = ::open(o.ack_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (ack_fd < 0) {
            cli.reporter().error(fmt::format("cannot write {}: {}", o.ack_out, std::strerror(errno)));
            return cli::exit_io;
        }
    }
    Journal journal;
    if (!o.journal.empty()) {
        if (Status s = journal.open(o.journal); !s) {
            cli.reporter().error(s.error().text);
            return cli::exit_io;
        }
    }
    if (!o.from_dir.empty()) {
        std::error_code ec;
        for (const char* sub : {"new", "sent", "failed"}) fs::create_directories(fs::path(o.from_dir) / sub, ec);
        if (ec) {
            cli.reporter().error(fmt::format("{}: {}", o.from_dir, ec.message()));
            return cli::exit_io;
        }
    }
    Report report(o, cli.reporter(), ack_fd);
    auto start = std::chrono::steady_clock::now();
    if (o.dry_run) {
        Reader reader(o, cli, report, journal, nullptr);
        reader.run();
        return finish(o, cli.reporter(), report, reader, nullptr, start);
    }
    net::MllpSender sender(
        *options, [&](net::DeliveryOutcome&& d) { report.outcome(std::move(d), journal); },
        [&](net::ClientEvent e, std::uint64_t connection, std::string_view text) {
            if (!cli.reporter().verbose()) return;
            std::string_view what = e == net::ClientEvent::connected ? "connected to"
                                    : e == net::ClientEvent::closed  ? "closed:"
                                    : e == net::ClientEvent::retrying ? "retrying after"
                                                                     : "stopping";
            cli.reporter().summary(connection ? fmt::format("connection {}: {} {}", connection, what, text)
                                              : std::string(what));
        });
    if (Status s = sender.prepare(); !s) {
        cli.reporter().error(s.error().text);
        return s.error().code == "tls-setup" ? cli::exit_no_input : cli::exit_usage;
    }
    Reader reader(o, cli, report, journal, &sender);
    std::thread reading([&] {
        reader.run();
        sender.finish();
    });
    sender.run();
    int status = finish(o, cli.reporter(), report, reader, &sender, start);
    if (!reader.done()) {
        // Stopped while the input blocks (a pipe with nothing coming): nothing more will be sent.
        reading.detach();
        std::_Exit(status);
    }
    reading.join();
    return status;
}
