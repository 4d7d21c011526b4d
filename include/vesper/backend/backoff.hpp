#pragma once
// How long a record waits before it is sent again: full-jitter exponential backoff, or the server's
// Retry-After when it gave one.
#include <optional>

namespace vesper::backend {

// uniform(0, min(max_s, base_s * 2^attempts)) as `unit` (a draw from [0, 1)) picks it; attempts is how
// many times the record was tried before.
double backoff_delay(int attempts, double base_s, double max_s, double unit);

// The wait after a failed try: the Retry-After (already clamped to [0, max_s]) when there is one, else
// backoff_delay. Never below one millisecond, so a retry is never due in the same instant it failed.
double retry_delay(int attempts, double base_s, double max_s, std::optional<double> retry_after_s, double unit);

} // namespace vesper::backend
