#include "port_worker.hpp"

#include "step_clock.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/port/port_url.hpp"

namespace vesper::station::detail {

namespace {

using detail::Clock;
using detail::since;

// A progress event at most this often per port (phase changes and the last byte always go out).
constexpr std::chrono::milliseconds kProgressEvery{200};
// Connect attempts when looking for a board: a short look, repeated every poll interval.
constexpr int kPollConnectAttempts = 2;

bool is_local_path(const std::string& port) { return esp::parse_port_url(port).kind == esp::PortKind::device; }

// The failure causes reports count, by error code; a code not named here fails where it happened, so
// its cause is the phase it stopped (connect, bind, nvs, write, ...).
std::string cause_of(ErrorCode code) {
    switch (code) {
    case ErrorCode::station_too_slow: return "too_slow";
    case ErrorCode::esp_chip_mismatch:
    case ErrorCode::image_chip_mismatch: return "chip_mismatch";
    case ErrorCode::flash_verify:
    case ErrorCode::verify_failed: return "verify";
    case ErrorCode::interrupted: return "interrupted";
    default: return {};
    }
}

// The line or the board may do better next time; bad input, a wrong chip, a full batch or a slow
// board will not (a retry of a slow board would skip the regions it already holds and pass the time
// gate without telling anything about the board).
bool retryable(const Error& e) {
    if (e.code() == ErrorCode::station_too_slow || e.code() == ErrorCode::ledger_batch_full) return false;
    // A board that failed a test or crashed in one is a bad board: the plan's own retries were its chance.
    if (e.code() == ErrorCode::factory_test_failed || e.code() == ErrorCode::factory_crash) return false;
    return e.kind() == ErrorKind::device || e.kind() == ErrorKind::io || e.kind() == ErrorKind::verify;
}

} // namespace

bool batch_complete(const ledger::Ledger& ledger, std::int64_t batch_id, const Pipeline& pipeline) {
    for (const auto& [serial, passed] : ledger.passed_steps_of_batch(batch_id))
        if (!pipeline_done(pipeline, passed)) return false;
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
    e.step = step_;
    e.phase = phase_;
    e.activity = activity_;
    e.attempt = attempt_;
    return e;
}

void PortWorker::enter(const std::string& phase, std::uint64_t done, std::uint64_t total) {
    phase_ = phase;
    activity_.clear();
    done_ = done;
    total_ = total;
    phase_started_ = Clock::now();
    phase_start_done_ = done;
    Event e = event(EventKind::phase);
    e.done = done;
    e.total = total;
    if (total > 0) e.unit = unit_;
    if (phase == phase::waiting) e.message = port_trouble_.empty() ? waiting_message_ : "cannot open the port";
    emit_.event(e);
}

void PortWorker::progress(const std::string& phase, std::uint64_t done, std::uint64_t total) {
    if (phase != phase_) {
        enter(phase, done, total);
        last_progress_ = Clock::now();
        return;
    }
    done_ = done;
    total_ = total;
    const auto now = Clock::now();
    if (now - last_progress_ < kProgressEvery && done != total) return;
    last_progress_ = now;
    Event e = event(EventKind::progress);
    e.done = done;
    e.total = total;
    e.unit = unit_;
    const double secs = std::chrono::duration<double>(now - phase_started_).count();
    if (secs > 0.05 && done > phase_start_done_) e.per_s = static_cast<double>(done - phase_start_done_) / secs;
    emit_.event(e);
}

void PortWorker::activity(const std::string& what) {
    activity_ = what;
    Event e = event(EventKind::progress);
    e.done = done_;
    e.total = total_;
    e.unit = unit_;
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

PortWorker::Failure PortWorker::classify(const Error& e) const {
    Failure f;
    f.error = e.what();
    f.code = std::string(e.code_name());
    f.cause = step_cause_.empty() ? cause_of(e.code()) : step_cause_;
    if (f.cause.empty()) f.cause = phase_ == phase::waiting ? phase::connect : phase_;
    f.retryable = retryable(e) && f.cause != phase::bind; // the ledger refusing a binding will again
    return f;
}

void PortWorker::record_unbound(const Failure& failure, double seconds) {
    ledger::AttemptOutcome bad;
    bad.cause = failure.cause;
    bad.code = failure.code;
    bad.error = failure.error;
    bad.seconds = seconds;
    const std::string step = pipeline_.empty() ? "flash" : pipeline_.front()->name();
    try {
        ledger_.record_unbound_failure(options_.batch_id, step, options_.station, port_, mac_, bad);
    } catch (const Error& e) {
        note(std::string("this failure could not be recorded in the ledger: ") + e.what());
    }
}

BoardOutcome PortWorker::one_attempt(Link& link, int attempt) {
    attempt_ = attempt;
    step_.clear();
    step_cause_.clear();
    unit_.clear();
    const auto t0 = Clock::now();
    std::map<std::string, double> timings;

    enter(phase::connect);
    ledger::BindResult bound;
    try {
        if (!link) link = connect(0);
        mac_ = esp::format_mac(link->info().mac);
        timings[phase::connect] = since(t0);

        enter(phase::bind);
        auto tb = Clock::now();
        bound = ledger_.bind_mac(options_.batch_id, mac_);
        serial_ = bound.device.serial;
        timings[phase::bind] = since(tb);
    } catch (const Error& e) {
        // No serial yet, so no device attempt to finish: without this the failure would exist only in
        // this run's summary, and the batch report would say "failures: none".
        record_unbound(classify(e), since(t0));
        throw;
    }
    enter(phase::bind); // again, now with the serial on the event

    BoardOutcome out;
    out.port = port_;
    out.serial = serial_;
    out.mac = mac_;
    out.attempts = attempt;

    const std::set<std::string> passed = options_.reflash ? std::set<std::string>{} : ledger_.passed_steps(serial_);
    if (pipeline_done(pipeline_, passed)) {
        // A board seen before that has passed everything: leave it as it is, running its app.
        if (link->in_loader()) link->leave_loader(esp::AfterFlash::hard_reset);
        out.result = BoardResult::skipped;
        out.error = "already done (status " + std::string(ledger::to_string(bound.device.status)) + ")";
        out.seconds = since(t0);
        return out;
    }

    for (const auto& step : pipeline_) {
        if (passed.count(step->name())) continue;
        run_step(*step, *link, ledger_.get_device(serial_), timings, t0);
    }
    step_.clear();
    out.result = BoardResult::passed;
    out.seconds = since(t0);
    return out;
}

void PortWorker::run_step(Step& step, BoardLink& link, const ledger::Device& device,
                          std::map<std::string, double>& timings, Clock::time_point t0) {
    step_ = step.name();
    unit_ = step.progress_unit();
    const std::int64_t attempt_id = ledger_.begin_attempt(serial_, step_, options_.station, port_);
    BoardContext ctx;
    ctx.station = options_.station;
    ctx.port = port_;
    ctx.link = &link;
    ctx.device = device;
    ctx.firmware = &firmware_;
    ctx.progress = [this](const std::string& p, std::uint64_t done, std::uint64_t total) { progress(p, done, total); };
    ctx.note = [this](const std::string& text) { note(text); };
    ctx.activity = [this](const std::string& what) { activity(what); };
    ctx.labelled_before = [this] { return !ledger_.labels_of(serial_).empty(); };
    ctx.phases = timings; // the first step's attempt carries connect and bind too
    // So its time counts from the board's start; a later step's time is its own.
    const Clock::time_point step_t0 = timings.empty() ? Clock::now() : t0;
    timings.clear();
    ledger::AttemptOutcome outcome;
    outcome.sets_status = step.sets_status();
    try {
        // A console step finds the board in its app, whatever the steps before it left (a rerun skips
        // the flash step and its reset).
        if (step.needs() == BoardNeed::app_console && link.in_loader()) link.leave_loader(esp::AfterFlash::hard_reset);
        step.run(ctx);
        const double seconds = since(t0);
        if (seconds > options_.max_seconds_per_board) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s: board took %.1f s, over the %.0f s limit (max_seconds_per_board)",
                          port_.c_str(), seconds, options_.max_seconds_per_board);
            throw Error(ErrorCode::station_too_slow, buf);
        }
        outcome.passed = true;
        outcome.firmware_version = ctx.firmware_version;
        outcome.firmware_sha256 = ctx.firmware_sha256;
        outcome.seconds = since(step_t0);
        outcome.phases = json_text(ctx.phases);
        outcome.tests = std::move(ctx.tests);
        outcome.labels = std::move(ctx.labels);
        outcome.claim_code_hash = ctx.claim_code_hash;
        outcome.queue_record = ctx.queue_record;
        ledger_.finish_attempt(attempt_id, outcome);
    } catch (const Error& e) {
        step_cause_ = ctx.cause;
        const Failure f = classify(e);
        outcome.passed = false;
        outcome.cause = f.cause;
        outcome.code = f.code;
        outcome.error = f.error;
        outcome.seconds = since(step_t0);
        outcome.phases = json_text(ctx.phases);
        outcome.tests = std::move(ctx.tests);
        ledger_.finish_attempt(attempt_id, outcome);
        throw;
    }
}

BoardOutcome PortWorker::board_with_retries(Link first) {
    serial_.clear();
    mac_.clear();
    BoardOutcome last;
    const auto t0 = Clock::now();
    const int tries = 1 + std::max(0, options_.retries);
    for (int attempt = 1; attempt <= tries; ++attempt) {
        Link link;
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
            last.step = step_;
            last.cause = f.cause;
            last.code = f.code;
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
    if (phase_ == phase::waiting) enter(phase::waiting); // the live line says it too
}

PortWorker::Link PortWorker::poll_for_board() {
    // A local port that is not there has no board: do not even try to open it.
    if (is_local_path(port_) && !std::filesystem::exists(port_)) return nullptr;
    try {
        Link link = connect(kPollConnectAttempts);
        set_port_trouble({});
        return link;
    } catch (const PortOpenError& e) {
        // A port that is there but will not open (a server refusing the connection, a device node the
        // user may not open) is not an empty port, and waiting in silence would hide it.
        set_port_trouble(e.what());
        return nullptr;
    } catch (const Error& e) {
        // Unplugged between the look and the open: still just no board.
        if (e.kind() == ErrorKind::not_found) return nullptr;
        set_port_trouble({});
        // A wrong chip is a board, and the operator must hear about it: let the attempt report it.
        if (e.kind() == ErrorKind::input) throw;
        return nullptr;
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
        Link link;
        try {
            link = poll_for_board();
        } catch (const Error&) {
            return;
        }
        if (!link) continue; // the board is running its app (or gone): keep waiting
        if (esp::format_mac(link->info().mac) != mac) return;
        link->leave_loader(esp::AfterFlash::hard_reset);
    }
}

void PortWorker::run() {
    if (!options_.wait_for_boards && !options_.loop) {
        const BoardOutcome out = board_with_retries(nullptr);
        emit_.outcome(out);
        return;
    }
    waiting_message_ = "waiting for a board";
    enter(phase::waiting);
    std::string last_rejected;
    while (!stop_) {
        if (batch_complete()) break;
        serial_.clear();
        mac_.clear();
        attempt_ = 1;
        step_.clear();
        if (phase_ != phase::waiting) enter(phase::waiting);
        Link link;
        try {
            link = poll_for_board();
        } catch (const Error& e) {
            // A board of the wrong chip: report it once (not at every poll) and wait for another.
            if (e.what() != last_rejected) {
                last_rejected = e.what();
                const Failure f = classify(e);
                BoardOutcome out;
                out.port = port_;
                out.result = BoardResult::failed;
                out.cause = f.cause;
                out.code = f.code;
                out.error = f.error;
                out.attempts = 1;
                record_unbound(f, 0);
                emit_.outcome(out);
                if (!options_.loop) return;
                waiting_message_ = "wrong board: replace it";
                enter(phase::waiting);
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
        enter(phase::waiting);
        wait_until_gone(out.mac);
        waiting_message_ = "waiting for a board";
    }
}

} // namespace vesper::station::detail
