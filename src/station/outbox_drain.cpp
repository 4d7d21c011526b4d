#include "vesper/station/outbox_drain.hpp"

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

#include <optional>

namespace vesper::station {

nlohmann::json to_json(const OutboxStatus& s) {
    return {
        {"queued", s.queued},     {"waiting", s.waiting},
        {"dead", s.dead},         {"registered", s.registered},
        {"draining", s.draining}, {"stopped", s.stopped.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.stopped)}};
}

OutboxDrain::OutboxDrain(std::filesystem::path ledger_path, std::int64_t batch, DrainBody drain, StatusSink on_change,
                         std::chrono::milliseconds poll)
    : ledger_path_(std::move(ledger_path)), batch_(batch), on_change_(std::move(on_change)), poll_(poll) {
    drain_running_ = static_cast<bool>(drain);
    status_ = read_status(open_ledger()); // before any thread: a ledger that cannot be read throws here
    if (drain) {
        drain_thread_ = std::thread([this, drain = std::move(drain)] {
            std::string why;
            try {
                why = drain(stop_drain_);
            } catch (const Error& e) {
                why = e.what();
            } catch (const std::exception& e) {
                why = std::string("internal error: ") + e.what();
            }
            {
                std::lock_guard lock(mutex_);
                stopped_ = why;
            }
            drain_running_ = false;
        });
    }
    monitor_thread_ = std::thread([this] { monitor(); });
}

OutboxDrain::~OutboxDrain() { stop_all(); }

OutboxStatus OutboxDrain::read_status(const ledger::Ledger& ledger) const {
    OutboxStatus s;
    const auto depth = ledger.outbox_depth(batch_, utc_iso8601_ms(std::chrono::system_clock::now()));
    s.queued = depth.pending;
    s.waiting = depth.waiting;
    s.dead = depth.dead;
    const auto counts = ledger.status_counts(batch_);
    const auto it = counts.find(ledger::DeviceStatus::registered);
    s.registered = it == counts.end() ? 0 : it->second;
    s.draining = drain_running_;
    std::lock_guard lock(mutex_);
    s.stopped = stopped_;
    return s;
}

ledger::Ledger OutboxDrain::open_ledger() const {
    // Its own connection: the workers and the drainer write the same file meanwhile.
    return ledger::Ledger::open(ledger_path_, "monitor", ledger::Access::read_only);
}

void OutboxDrain::monitor() {
    std::optional<ledger::Ledger> ledger;
    while (!stop_monitor_) {
        std::optional<OutboxStatus> now;
        try {
            if (!ledger) ledger = open_ledger();
            now = read_status(*ledger);
        } catch (const Error&) {
            ledger.reset(); // a busy or briefly locked ledger: the next look will do
        }
        bool changed = false;
        if (now) {
            std::lock_guard lock(mutex_);
            changed = !(*now == status_);
            status_ = *now;
        }
        if (changed && on_change_) on_change_(*now);
        for (auto waited = std::chrono::milliseconds(0); waited < poll_ && !stop_monitor_;
             waited += std::chrono::milliseconds(50))
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

OutboxStatus OutboxDrain::finish(std::chrono::milliseconds grace) {
    const auto ledger = open_ledger();
    const auto until = std::chrono::steady_clock::now() + grace;
    const std::string until_at = utc_iso8601_ms(std::chrono::system_clock::now() + grace);
    while (drain_running_ && std::chrono::steady_clock::now() < until) {
        const auto depth = ledger.outbox_depth(batch_, utc_iso8601_ms(std::chrono::system_clock::now()));
        // Nothing due now and no retry due within the grace: the rest waits for the next drain. A retry
        // due sooner (a connection that failed once) is waited for.
        if (depth.pending == depth.waiting && (depth.waiting == 0 || depth.next_retry_at > until_at)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop_all();
    const OutboxStatus last = read_status(ledger);
    std::lock_guard lock(mutex_);
    status_ = last;
    return last;
}

OutboxStatus OutboxDrain::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

void OutboxDrain::stop_all() {
    stop_drain_ = true;
    if (drain_thread_.joinable()) drain_thread_.join();
    stop_monitor_ = true;
    if (monitor_thread_.joinable()) monitor_thread_.join();
}

} // namespace vesper::station
