// Full jitter (the whole interval random) spreads the retries of many records that failed together.
#include "vesper/backend/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace vesper::backend {

double backoff_delay(int attempts, double base_s, double max_s, double unit) {
    // 2^attempts overflows nothing here: the exponent is capped long before a double would.
    const double ceiling = std::min(max_s, base_s * std::ldexp(1.0, std::clamp(attempts, 0, 60)));
    return std::clamp(unit, 0.0, 1.0) * std::max(ceiling, 0.0);
}

double retry_delay(int attempts, double base_s, double max_s, std::optional<double> retry_after_s, double unit) {
    const double d =
        retry_after_s ? std::clamp(*retry_after_s, 0.0, max_s) : backoff_delay(attempts, base_s, max_s, unit);
    return std::max(d, 0.001);
}

} // namespace vesper::backend
