#include "port_worker.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/esp/port_url.hpp"

namespace vesper::station::detail {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A progress event at most this often per port (phase changes and the last byte always go out).
constexpr std::chrono::milliseconds kProgressEvery{200};
// Connect attempts when looking for a board: a short look, repeated every poll interval.
constexpr int kPollConnectAttempts = 2;

bool is_local_path(const std::string& port) { return esp::parse_port_url(port).kind == esp::PortKind::device; }

} // namespace

bool pipeline_done(const Pipeline& pipeline, const ledger::Device& device) {
    for (const auto& step : pipeline)
        if (!step->done(device)) return false;
    return true;
}

bool batch_complete(const ledger::Ledger& ledger, std::int64_t batch_id, const Pipeline& pipeline) {
    for (const auto& d : ledger.devices_of_batch(batch_id))
        if (!pipeline_done(pipeline, d)) return false;
    return true;
}

PortWorker::PortWorker(const RunOptions& options, const FirmwareSet& firmware, Pipeline pipeline, std::string port,
                       const Emitter& emitter, const std::atomic<bool>& stop)
    : options_(options), firmware_(firmware), pipeline_(std::move(pipeline)), port_(std::move(port)), emit_(emitter),
      stop_(stop), ledger_(ledger::Ledger::open(options.ledger_path, options.actor, ledger::Access::existing)) {}

// --- events ------------------------------------------------------------------------------------------

Event PortWorker::event(EventKind kind) const {
    Event e;
    e.kind = kind;
    e.station = options_.station;
    e.port = port_;
    e.serial = serial_;
    e.mac = mac_;
    e.phase = phase_;
    e.attempt = attempt_;
    return e;
}

void PortWorker::enter(Phase phase, std::uint64_t done, std::uint64_t total) {
    phase_ = phase;
    phase_started_ = Clock::now();
    phase_start_done_ = done;
    Event e = event(EventKind::phase);
    e.done = done;
    e.total = total;
    if (phase == Phase::waiting) e.message = port_trouble_.empty() ? waiting_message_ : "cannot open the port";
    emit_.event(e);
}

void PortWorker::progress(Phase phase, std::uint64_t done, std::uint64_t total) {
    if (phase != phase_) {
        enter(phase, done, total);
        last_progress_ = Clock::now();
        return;
    }
    const auto now = Clock::now();
    if (now - last_progress_ < kProgressEvery && done != total) return;
    last_progress_ = now;
    Event e = event(EventKind::progress);
    e.done = done;
    e.total = total;
    const double secs = std::chrono::duration<double>(now - phase_started_).count();
    if (secs > 0.05 && done > phase_start_done_) e.bytes_per_s = static_cast<double>(done - phase_start_done_) / secs;
    emit_.event(e);
}

void PortWorker::note(const std::string& text) {
    Event e = event(EventKind::note);
    e.message = text;
    emit_.event(e);
}

// --- the board ---------------------------------------------------------------------------------------

esp::ConnectOptions PortWorker::connect_options(int attempts) {
    esp::ConnectOptions opts;
    opts.baud = options_.baud;
    opts.before = options_.reset_before ? esp::BeforeConnect::reset : esp::BeforeConnect::no_reset;
    opts.expect_chip = options_.expect_chip;
    opts.attempts = attempts;
    opts.note = [this](std::string_view w) { note(std::string(w)); };
    return opts;
}

PortWorker::Link PortWorker::connect(int attempts) { return esp::open_and_connect(port_, connect_options(attempts)); }

PortWorker::Failure PortWorker::classify(const Error& e) const {
    Failure f;
    f.error = e.what();
    if (phase_ == Phase::done) {
        f.cause = "too_slow"; // the step finished, but the board failed the time gate
    } else if (e.kind() == ErrorKind::verify) {
        f.cause = "verify";
    } else if (phase_ == Phase::connect && e.kind() == ErrorKind::input) {
        f.cause = "chip_mismatch";
    } else if (phase_ == Phase::waiting) {
        f.cause = "connect";
    } else {
        f.cause = to_string(phase_);
    }
    // The line or the board may do better next time; bad input, a wrong chip or a full batch will not.
    f.retryable = e.kind() == ErrorKind::device || e.kind() == ErrorKind::io || e.kind() == ErrorKind::verify;
    // A full batch stays full; a slow board stays slow, and a retry would skip the regions it already
    // holds and pass the time gate without telling anything about the board.
    if (f.cause == "bind" || f.cause == "too_slow") f.retryable = false;
    return f;
}

void PortWorker::record_unbound(const std::string& cause, const std::string& error, double seconds) {
    ledger::AttemptOutcome bad;
    bad.cause = cause;
    bad.error = error;
    bad.seconds = seconds;
    const std::string step = pipeline_.empty() ? "flash" : pipeline_.front()->name();
    try {
        ledger_.record_unbound_failure(options_.batch_id, step, options_.station, port_, mac_, bad);
    } catch (const Error& e) {
        note(std::string("this failure could not be recorded in the ledger: ") + e.what());
    }
}

BoardOutcome PortWorker::one_attempt(std::optional<Link>& link, int attempt) {
    attempt_ = attempt;
    const auto t0 = Clock::now();
    std::map<std::string, double> timings;

    enter(Phase::connect);
    ledger::BindResult bound;
    try {
        if (!link) link = connect(0);
        const esp::DeviceInfo& info = link->loader->info();
        mac_ = esp::format_mac(info.mac);
        timings["connect"] = since(t0);

        enter(Phase::bind);
        auto tb = Clock::now();
        bound = ledger_.bind_mac(options_.batch_id, mac_);
        serial_ = bound.device.serial;
        timings["bind"] = since(tb);
    } catch (const Error& e) {
        // No serial yet, so no device attempt to finish: without this the failure would exist only in
        // this run's summary, and the batch report would say "failures: none".
        const Failure f = classify(e);
        record_unbound(f.cause, f.error, since(t0));
        throw;
    }
    enter(Phase::bind); // again, now with the serial on the event

    BoardOutcome out;
    out.port = port_;
    out.serial = serial_;
    out.mac = mac_;
    out.attempts = attempt;

    if (!options_.reflash && pipeline_done(pipeline_, bound.device)) {
        // A board seen before that has passed everything: leave it as it is, running its app.
        link->loader->leave(esp::AfterFlash::hard_reset);
        out.result = BoardResult::skipped;
        out.error = "already done (status " + std::string(ledger::to_string(bound.device.status)) + ")";
        out.seconds = since(t0);
        return out;
    }

    ledger::Device device = bound.device;
    for (const auto& step : pipeline_) {
        if (!options_.reflash && step->done(device)) continue;
        const std::int64_t attempt_id = ledger_.begin_attempt(serial_, step->name(), options_.station, port_);
        BoardContext ctx;
        ctx.station = options_.station;
        ctx.port = port_;
        ctx.loader = link->loader.get();
        ctx.device = device;
        ctx.firmware = &firmware_;
        ctx.progress = [this](Phase p, std::uint64_t done, std::uint64_t total) { progress(p, done, total); };
        ctx.note = [this](const std::string& text) { note(text); };
        ctx.phases = timings;
        try {
            step->run(ctx);
            const double seconds = since(t0);
            if (seconds > options_.max_seconds_per_board) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "%s: board took %.1f s, over the %.0f s limit (max_seconds_per_board)",
                              port_.c_str(), seconds, options_.max_seconds_per_board);
                phase_ = Phase::done; // classify() reads this as the time gate
                throw Error(ErrorCode::station_too_slow, buf);
            }
            ledger::AttemptOutcome ok;
            ok.passed = true;
            ok.firmware_version = ctx.firmware_version;
            ok.firmware_sha256 = ctx.firmware_sha256;
            ok.seconds = seconds;
            ok.phases = json_text(ctx.phases);
            ledger_.finish_attempt(attempt_id, ok);
        } catch (const Error& e) {
            Failure f = classify(e);
            ledger::AttemptOutcome bad;
            bad.cause = f.cause;
            bad.error = f.error;
            bad.seconds = since(t0);
            bad.phases = json_text(ctx.phases);
            ledger_.finish_attempt(attempt_id, bad);
            throw;
        }
        device = ledger_.get_device(serial_);
    }
    out.result = BoardResult::passed;
    out.seconds = since(t0);
    return out;
}

BoardOutcome PortWorker::board_with_retries(std::optional<Link> first) {
    serial_.clear();
    mac_.clear();
    BoardOutcome last;
    const auto t0 = Clock::now();
    const int tries = 1 + std::max(0, options_.retries);
    for (int attempt = 1; attempt <= tries; ++attempt) {
        std::optional<Link> link;
        if (attempt == 1) link = std::move(first);
        try {
            BoardOutcome out = one_attempt(link, attempt);
            out.seconds = since(t0);
            return out;
        } catch (const Error& e) {
            Failure f = classify(e);
            last.port = port_;
            last.serial = serial_;
            last.mac = mac_;
            last.result = BoardResult::failed;
            last.cause = f.cause;
            last.error = f.error;
            last.attempts = attempt;
            if (!f.retryable || attempt == tries || stop_) break;
            note("attempt " + std::to_string(attempt) + " failed (" + f.cause + "): " + f.error + "; retrying");
        }
        link.reset(); // close the port before opening it again
    }
    last.seconds = since(t0);
    return last;
}

// --- waiting for boards ------------------------------------------------------------------------------

void PortWorker::sleep_poll(std::chrono::milliseconds interval) {
    const auto until = Clock::now() + interval;
    while (!stop_ && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void PortWorker::set_port_trouble(const std::string& why) {
    if (why == port_trouble_) return;
    const bool recovered = why.empty();
    port_trouble_ = why;
    if (recovered) {
        note("the port opens again; waiting for a board");
    } else {
        // The transport's messages start with the port, which the note carries already.
        std::string reason = why;
        if (reason.rfind(port_ + ": ", 0) == 0) reason.erase(0, port_.size() + 2);
        note("cannot open the port: " + reason + "; still trying every " +
             std::to_string(options_.poll_interval.count()) + " ms");
    }
    if (phase_ == Phase::waiting) enter(Phase::waiting); // the live line says it too
}

std::optional<PortWorker::Link> PortWorker::poll_for_board() {
    // A local port that is not there has no board: do not even try to open it.
    if (is_local_path(port_) && !std::filesystem::exists(port_)) return std::nullopt;
    std::unique_ptr<esp::Transport> transport;
    try {
        transport = esp::open_transport(port_, esp::kRomBaud);
    } catch (const Error& e) {
        // Unplugged between the look and the open: still just no board.
        if (e.kind() == ErrorKind::not_found) return std::nullopt;
        // A port that is there but will not open (a server refusing the connection, a device node the
        // user may not open) is not an empty port, and waiting in silence would hide it.
        set_port_trouble(e.what());
        return std::nullopt;
    }
    set_port_trouble({});
    try {
        return esp::connect_board(std::move(transport), connect_options(kPollConnectAttempts));
    } catch (const Error& e) {
        // A wrong chip is a board, and the operator must hear about it: let the attempt report it.
        if (e.kind() == ErrorKind::input) throw;
        return std::nullopt;
    }
}

void PortWorker::wait_until_gone(const std::string& mac) {
    // A local port disappears when its board is unplugged; wait for that without touching the board.
    if (is_local_path(port_)) {
        while (!stop_ && std::filesystem::exists(port_) && !batch_complete())
            sleep_poll(options_.poll_interval);
        return;
    }
    // A remote port cannot tell: look at the board now and then, and leave the same board running its app.
    while (!stop_ && !batch_complete()) {
        sleep_poll(options_.poll_interval * 3);
        if (stop_) return;
        std::optional<Link> link;
        try {
            link = poll_for_board();
        } catch (const Error&) {
            return;
        }
        if (!link) continue; // the board is running its app (or gone): keep waiting
        if (esp::format_mac(link->loader->info().mac) != mac) return;
        link->loader->leave(esp::AfterFlash::hard_reset);
    }
}

void PortWorker::run() {
    if (!options_.wait_for_boards && !options_.loop) {
        const BoardOutcome out = board_with_retries(std::nullopt);
        emit_.outcome(out);
        return;
    }
    waiting_message_ = "waiting for a board";
    enter(Phase::waiting);
    std::string last_rejected;
    while (!stop_) {
        if (batch_complete()) break;
        serial_.clear();
        mac_.clear();
        attempt_ = 1;
        if (phase_ != Phase::waiting) enter(Phase::waiting);
        std::optional<Link> link;
        try {
            link = poll_for_board();
        } catch (const Error& e) {
            // A board of the wrong chip: report it once (not at every poll) and wait for another.
            if (e.what() != last_rejected) {
                last_rejected = e.what();
                BoardOutcome out;
                out.port = port_;
                out.result = BoardResult::failed;
                out.cause = "chip_mismatch";
                out.error = e.what();
                out.attempts = 1;
                record_unbound(out.cause, out.error, 0);
                emit_.outcome(out);
                if (!options_.loop) return;
                waiting_message_ = "wrong board: replace it";
                enter(Phase::waiting);
            }
            sleep_poll(options_.poll_interval);
            continue;
        }
        if (!link) {
            sleep_poll(options_.poll_interval);
            continue;
        }
        last_rejected.clear();
        const BoardOutcome out = board_with_retries(std::move(link));
        emit_.outcome(out);
        if (!options_.loop) return;
        waiting_message_ = out.result == BoardResult::failed ? "board failed: replace it" : "board done: swap it";
        enter(Phase::waiting);
        wait_until_gone(out.mac);
        waiting_message_ = "waiting for a board";
    }
}

} // namespace vesper::station::detail
