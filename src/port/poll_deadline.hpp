#pragma once
// Private to the transports: a poll() timeout for the time left until a deadline.
#include <chrono>

namespace vesper::esp::detail {

// Milliseconds until `deadline`: 0 once it has passed, at most a minute (poll() takes an int, and a
// transport re-checks its deadline after every wake-up anyway).
inline int poll_timeout_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return 0;
    return left > 60000 ? 60000 : static_cast<int>(left);
}

} // namespace vesper::esp::detail
