#pragma once
// One port of a running station (private to src/station): takes boards through connect, MAC binding
// and the pipeline, with retries, and reports through the runner's serialised emitter.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/board_link.hpp"
#include "vesper/station/runner.hpp"

namespace vesper::station::detail {

// Whether every device of the batch has passed every step of the pipeline.
bool batch_complete(const ledger::Ledger& ledger, std::int64_t batch_id, const Pipeline& pipeline);

struct Emitter {
    std::function<void(const Event&)> event;          // serialised by the runner
    std::function<void(const BoardOutcome&)> outcome; // likewise
};

class PortWorker {
public:
    PortWorker(const RunOptions& options, const FirmwareSet& firmware, Pipeline pipeline, std::string port,
               const Emitter& emitter, const std::atomic<bool>& stop);
    void run();

private:
    using Link = std::unique_ptr<BoardLink>;
    struct Failure {
        std::string cause;
        std::string code;
        std::string error;
        bool retryable = false;
    };

    esp::ConnectOptions connect_options(int attempts);
    Link connect(int attempts) { return options_.connect(port_, connect_options(attempts)); }
    Link poll_for_board();
    // Why the port does not open ("" when it does); a change is reported as a note.
    void set_port_trouble(const std::string& why);
    BoardOutcome board_with_retries(Link first);
    BoardOutcome one_attempt(Link& link, int attempt);
    // Runs one step on the bound board as one ledger attempt; throws what the step threw.
    void run_step(Step& step, BoardLink& link, const ledger::Device& device, std::map<std::string, double>& timings,
                  std::chrono::steady_clock::time_point t0);
    bool batch_complete() const { return detail::batch_complete(ledger_, options_.batch_id, pipeline_); }
    void wait_until_gone(const std::string& mac);
    void sleep_poll(std::chrono::milliseconds interval);

    void enter(const std::string& phase, std::uint64_t done = 0, std::uint64_t total = 0);
    void progress(const std::string& phase, std::uint64_t done, std::uint64_t total);
    void note(const std::string& text);
    void activity(const std::string& what);
    Event event(EventKind kind) const;
    Failure classify(const Error& e) const;
    // A failure before the board was bound to a serial, recorded against the batch so reports count it.
    void record_unbound(const Failure& failure, double seconds);

    const RunOptions& options_;
    const FirmwareSet& firmware_;
    Pipeline pipeline_;
    std::string port_;
    const Emitter& emit_;
    const std::atomic<bool>& stop_;
    ledger::Ledger ledger_;

    // The board in hand, for events.
    std::string serial_, mac_;
    int attempt_ = 1;
    std::string step_;                   // the step running, "" outside one
    std::string step_cause_;             // the cause the failed step gave (BoardContext::cause), "" when none
    std::string activity_;               // what the step is busy with in its phase, "" when it did not say
    std::uint64_t done_ = 0, total_ = 0; // the step's progress last reported
    std::string unit_;                   // what its progress counts
    std::string phase_ = phase::waiting;
    std::string waiting_message_;
    std::string port_trouble_;
    std::chrono::steady_clock::time_point phase_started_{}, last_progress_{};
    std::uint64_t phase_start_done_ = 0;
};

} // namespace vesper::station::detail
