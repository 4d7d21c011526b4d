#pragma once
// The clock a station's steps and port workers time their phases with (steady: a wall-clock change never
// makes a phase negative), and seconds since a moment of it, for the ledger's attempt timings.
#include <chrono>

namespace vesper::station::detail {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

} // namespace vesper::station::detail
