#include "backend/faults.hpp"

#include <cmath>

namespace vesper::backend {

const char* to_string(Fault f) {
    switch (f) {
    case Fault::none: return "none";
    case Fault::drop: return "drop";
    case Fault::fail: return "fail";
    case Fault::throttle: return "throttle";
    }
    return "none";
}

Faults::Faults(const FaultSettings& settings)
    : settings_(settings), started_(std::chrono::steady_clock::now()), rng_(settings.seed) {}

void Faults::start() { started_ = std::chrono::steady_clock::now(); }

std::optional<int> Faults::outage_left() const {
    if (!settings_.outage) return std::nullopt;
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const auto [start, duration] = *settings_.outage;
    if (t < start || t >= start + duration) return std::nullopt;
    return std::max(1, static_cast<int>(std::ceil(start + duration - t)));
}

bool Faults::hit(double rate) {
    if (rate <= 0) return false;
    // Drawn even at rate 1, so the generator's sequence does not depend on which rates are 1.
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    return u < rate;
}

Fault Faults::draw() {
    std::lock_guard lock(mutex_);
    if (hit(settings_.drop_rate)) return Fault::drop;
    if (hit(settings_.fail_rate)) return Fault::fail;
    if (hit(settings_.throttle_rate)) return Fault::throttle;
    return Fault::none;
}

bool Faults::draw_drop_after_write() {
    std::lock_guard lock(mutex_);
    return hit(settings_.drop_after_write_rate);
}

} // namespace vesper::backend
