#include "progress_bar.hpp"

namespace vesper::cli {

std::string rate_text(double bytes_per_s) {
    char buf[32];
    if (bytes_per_s >= 1e6)
        std::snprintf(buf, sizeof buf, "%.1f MB/s", bytes_per_s / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.0f kB/s", bytes_per_s / 1e3);
    return buf;
}

std::string duration_text(double s) {
    const long total = static_cast<long>(s + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld", total / 60, total % 60);
    return buf;
}

void ProgressBar::update(const std::string& label, std::uint64_t done, std::uint64_t total) {
    if (!term_.tty) return;
    const auto now = Clock::now();
    const bool fresh = label != label_;
    if (fresh) {
        label_ = label;
        started_ = now;
        start_done_ = done;
        quarter_ = -1;
    }
    if (!term_.cursor) {
        // Plain lines: the start and every quarter, nothing rewritten.
        const int quarter = total ? static_cast<int>(done * 4 / total) : 4;
        if (quarter == quarter_) return;
        quarter_ = quarter;
        std::fprintf(out_, "%s %3d%%\n", label_.c_str(), quarter * 25);
        std::fflush(out_);
        return;
    }
    if (!fresh && done < total && now - last_draw_ < kMinRedraw) return;
    last_draw_ = now;
    draw(done, total);
}

void ProgressBar::draw(std::uint64_t done, std::uint64_t total) {
    constexpr int kWidth = 24;
    const int filled = total ? static_cast<int>(done * kWidth / total) : kWidth;
    const int pct = total ? static_cast<int>(done * 100 / total) : 100;
    const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
    const double rate = elapsed > 0 && done > start_done_ ? static_cast<double>(done - start_done_) / elapsed : 0;
    std::string speed = "   --  ", eta = "--:--";
    if (rate > 0) {
        speed = rate_text(rate);
        eta = duration_text(static_cast<double>(total - done) / rate);
    }
    std::fprintf(out_, "\r\033[K%s [%s%s] %3d%%  %s  ETA %s", label_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), pct, speed.c_str(), eta.c_str());
    std::fflush(out_);
    shown_ = true;
}

void ProgressBar::clear() {
    if (shown_) {
        std::fprintf(out_, "\r\033[K");
        std::fflush(out_);
    }
    shown_ = false;
    label_.clear();
}

} // namespace vesper::cli
