#pragma once
// The backend queue during a station run (docs/registration.md): a drainer thread that sends the batch's
// outbox while the boards flow, and a monitor that reports the queue's depth to the live view. Neither
// ever holds up a board: the steps only queue records (the register step), and this runs beside them on
// its own ledger connections. The drain itself is given as a function (the CLI's backend::Drainer), so a
// run without a backend still shows its queue.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vesper::ledger {
class Ledger;
}

namespace vesper::station {

// The backend queue of a batch, as the views show it.
struct OutboxStatus {
    int queued = 0;        // devices with a record not yet confirmed by the backend
    int waiting = 0;       // of those, waiting for a retry after a failure
    int dead = 0;          // devices whose record the backend refused (vesperctl register --failed)
    int registered = 0;    // devices the backend confirmed as registered
    bool draining = false; // a drainer is sending
    std::string stopped;   // why the drainer stopped early (a refused token, a TLS failure); empty otherwise
    bool operator==(const OutboxStatus&) const = default;
};

// {"queued","waiting","dead","registered","draining","stopped"}.
nlohmann::json to_json(const OutboxStatus& status);

class OutboxDrain {
public:
    // Runs until `stop`; returns why it ended early (empty when stopped); an Error it throws counts as
    // such a reason. Empty: monitor only.
    using DrainBody = std::function<std::string(const std::atomic<bool>& stop)>;
    using StatusSink = std::function<void(const OutboxStatus&)>;

    // Starts the drain (when given) and the monitor, which reads the queue of `batch` every `poll` and
    // calls `on_change` (from its thread) when it changed.
    OutboxDrain(std::filesystem::path ledger_path, std::int64_t batch, DrainBody drain, StatusSink on_change,
                std::chrono::milliseconds poll = std::chrono::milliseconds(500));
    ~OutboxDrain(); // stops and joins
    OutboxDrain(const OutboxDrain&) = delete;
    OutboxDrain& operator=(const OutboxDrain&) = delete;

    // Lets the drainer send what is queued for at most `grace` (until nothing is queued but records
    // waiting for a retry, or the drainer stopped), then stops both threads. The queue as it is then.
    OutboxStatus finish(std::chrono::milliseconds grace);
    OutboxStatus status() const;

private:
    OutboxStatus read_status(const ledger::Ledger& ledger) const;
    ledger::Ledger open_ledger() const;
    void monitor();
    void stop_all();

    std::filesystem::path ledger_path_;
    std::int64_t batch_;
    StatusSink on_change_;
    std::chrono::milliseconds poll_;
    std::atomic<bool> stop_drain_{false};
    std::atomic<bool> stop_monitor_{false};
    std::atomic<bool> drain_running_{false};
    mutable std::mutex mutex_;
    OutboxStatus status_;
    std::string stopped_;
    std::thread drain_thread_;
    std::thread monitor_thread_;
};

} // namespace vesper::station
