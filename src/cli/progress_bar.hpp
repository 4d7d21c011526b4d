#pragma once
// Live progress of a long piece of work (a flash region, a read) as a person at a bench wants it:
// one bar with percent, speed and ETA, rewritten in place at most 10 times a second plus its final
// state. A dumb terminal gets a plain line at the start and at every quarter instead; a pipe gets nothing
// (see terminal.hpp for the decision).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "terminal.hpp"

namespace vesper::cli {

// "640 kB/s", "1.2 MB/s"
std::string rate_text(double bytes_per_s);
// "1:05" (minutes:seconds)
std::string duration_text(double seconds);

class ProgressBar {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kMinRedraw{100}; // at most 10 redraws a second

    explicit ProgressBar(Terminal term, std::FILE* out = stderr) : term_(term), out_(out) {}
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar() { clear(); }

    // `label` names the piece of work ("[2/3] app.bin write"); a new label starts a new bar, measured
    // afresh (speed, ETA).
    void update(const std::string& label, std::uint64_t done, std::uint64_t total);
    // Removes a live bar so a result line can take its place.
    void clear();

private:
    void draw(std::uint64_t done, std::uint64_t total);

    Terminal term_;
    std::FILE* out_;
    std::string label_;
    Clock::time_point started_{}, last_draw_{};
    std::uint64_t start_done_ = 0;
    int quarter_ = -1; // plain lines: the last quarter printed
    bool shown_ = false;
};

} // namespace vesper::cli
