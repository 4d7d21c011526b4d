#pragma once
// Injected faults (docs/backend.md, "Faults"): what a request meets before it is handled. Every
// random fault is drawn from one seeded generator, so a run with --seed N and the same requests in the
// same order meets the same faults. Faults are decided before anything is written; only
// drop-after-write comes after the store.
#include <chrono>
#include <mutex>
#include <optional>
#include <random>

#include "backend/options.hpp"

namespace vesper::backend {

// The random faults (the outage window is not drawn: outage_left says whether it is on).
enum class Fault { none, drop, fail, throttle };

const char* to_string(Fault f);

class Faults {
public:
    explicit Faults(const FaultSettings& settings);

    // Starts the outage clock (the moment the server listens).
    void start();
    // Seconds left of the outage window (rounded up, at least 1) when `now` is inside it.
    std::optional<int> outage_left() const;
    // The random fault a request meets: drop, then fail, then throttle are drawn, in that order.
    Fault draw();
    // Whether a successful write is followed by a dropped connection.
    bool draw_drop_after_write();

    const FaultSettings& settings() const { return settings_; }

private:
    bool hit(double rate);

    FaultSettings settings_;
    std::chrono::steady_clock::time_point started_;
    std::mutex mutex_;
    std::mt19937_64 rng_;
};

} // namespace vesper::backend
