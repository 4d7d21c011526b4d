#include "station_view.hpp"

#include <chrono>
#include <cstdio>
#include <map>

#include "progress_bar.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/ledger/report_text.hpp"

namespace vesper::cli {

namespace {

using Clock = std::chrono::steady_clock;
using station::BoardResult;
using station::Event;
using station::EventKind;

// Quotes a word for a POSIX shell when it needs it: single quotes keep every byte as it is (a quote
// inside is closed, escaped and reopened); an empty word becomes ''.
std::string shell_word(const std::string& w) {
    if (!w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./:=@,+") ==
                          std::string::npos)
        return w;
    std::string out = "'";
    for (char c : w)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

struct Counts {
    std::size_t passed = 0, failed = 0, skipped = 0;
};

Counts count(const station::RunSummary& s) {
    return {s.count(BoardResult::passed), s.count(BoardResult::failed), s.count(BoardResult::skipped)};
}

// --- terminal ----------------------------------------------------------------------------------------

class TtyView final : public StationView {
public:
    TtyView(std::ostream& out, const std::vector<std::string>& ports, StationRunInfo info, Terminal term)
        : out_(out), info_(std::move(info)), term_(term) {
        for (const auto& p : ports) {
            order_.push_back(p);
            lines_[p].port = p;
            width_ = std::max(width_, p.size());
        }
        width_ = std::min<std::size_t>(width_, 40);
        if (info_.backend_queue) outbox_line_ = "backend: -";
        out_ << "Station " << info_.station << ", batch " << info_.batch_id << ", " << ports.size() << " port(s)\n";
        draw(true);
    }

    void on_event(const Event& e) override {
        Line& l = lines_[e.port];
        // Phase events say who is on the port now (no one while waiting for a fresh board; the finished
        // board's serial while waiting for it to be swapped).
        if (e.kind == EventKind::phase || !e.serial.empty()) l.serial = e.serial;
        l.phase = e.phase;
        if (e.total > 0) {
            l.done = e.done;
            l.total = e.total;
        } else if (e.kind == EventKind::phase &&
                   (e.phase == station::phase::connect || e.phase == station::phase::waiting)) {
            l.done = l.total = 0;
            l.rate = 0;
        }
        if (e.total > 0) l.unit = e.unit;
        if (e.per_s > 0) l.rate = e.per_s;
        if (e.kind != EventKind::note) l.activity = e.activity;
        if (e.kind == EventKind::phase) l.rate = 0; // a new phase or region: measure afresh
        if (e.kind == EventKind::phase) l.message = e.message;
        if (e.kind == EventKind::result) {
            l.result = e.result;
            l.finished = true;
            l.message = e.result == BoardResult::failed    ? e.cause + ": " + e.message
                        : e.result == BoardResult::skipped ? e.message
                                                           : "passed in " + seconds_text(e.seconds) + " s";
        } else if (e.kind != EventKind::note) {
            l.finished = false;
        }
        if (e.kind == EventKind::note) {
            print_above(e.port + ": " + e.message);
            return;
        }
        const bool important = e.kind != EventKind::progress;
        if (!term_.cursor) {
            // Plain lines (dumb terminal): each phase change and result once, no progress redraws.
            if (important) out_ << render(l) << std::endl;
            return;
        }
        const auto now = Clock::now();
        if (important || now - last_draw_ >= std::chrono::milliseconds(100)) draw(false);
    }

    void on_outbox(const station::OutboxStatus& status) override {
        const std::string line = outbox_text(status);
        if (line == outbox_line_) return;
        outbox_line_ = line;
        if (!term_.cursor) {
            out_ << line << std::endl;
            return;
        }
        draw(false);
    }

    void finish(const station::RunSummary& s, const std::optional<station::OutboxStatus>& outbox) override {
        if (outbox) outbox_line_ = outbox_text(*outbox, false);
        if (term_.cursor) draw(false);
        out_ << "\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& b : s.boards)
            rows.push_back({b.port, or_dash(b.serial), or_dash(b.mac), station::to_string(b.result),
                            seconds_text(b.seconds), std::to_string(b.attempts),
                            b.result == BoardResult::passed ? "" : (b.cause.empty() ? b.error : b.cause)});
        if (!rows.empty()) print_table(out_, {"PORT", "SERIAL", "MAC", "RESULT", "SECONDS", "TRIES", "DETAIL"}, rows);
        const Counts c = count(s);
        out_ << c.passed << " passed, " << c.failed << " failed, " << c.skipped << " already done";
        if (s.stopped) out_ << " (stopped)";
        if (s.batch_complete) out_ << "; batch " << info_.batch_id << " is complete";
        out_ << "\n";
        if (outbox) {
            out_ << outbox_line_ << "\n";
            if (!outbox->stopped.empty()) out_ << "The backend drain stopped: " << outbox->stopped << "\n";
            if (outbox->queued > 0 || outbox->dead > 0)
                out_ << "Send the rest with: vesperctl register --batch " << info_.batch_id
                     << (outbox->dead > 0 ? " --retry-failed" : " --wait") << "\n";
        }
        const auto failed = s.failed_ports();
        if (!failed.empty()) {
            out_ << "Failed:\n";
            for (const auto& b : s.boards)
                if (b.result == BoardResult::failed) out_ << "  " << b.port << ": " << b.error << "\n";
            out_ << "Retry with:\n  " << retry_command(info_, failed) << "\n";
        }
        out_.flush();
    }

private:
    struct Line {
        std::string port, serial, message;
        std::string phase = station::phase::waiting;
        std::uint64_t done = 0, total = 0;
        std::string unit;     // what done/total count, from the step
        std::string activity; // what the step is busy with (the test running)
        double rate = 0;      // units per second
        bool finished = false;
        BoardResult result = BoardResult::passed;
    };

    std::string render(const Line& l) const {
        std::string port = l.port.size() > width_ ? "…" + l.port.substr(l.port.size() - width_ + 1) : l.port;
        char head[160];
        std::snprintf(head, sizeof head, "%-*s  %-20s  ", static_cast<int>(width_), port.c_str(),
                      l.serial.empty() ? "-" : l.serial.c_str());
        std::string s = head;
        if (l.finished) {
            s += l.result == BoardResult::passed    ? paint(term_, "32", "PASS")
                 : l.result == BoardResult::skipped ? paint(term_, "36", "DONE")
                                                    : paint(term_, "31", "FAIL");
            s += "  ";
            return s + l.message;
        }
        char phase[16];
        std::snprintf(phase, sizeof phase, "%-8s", l.phase.c_str());
        s += phase;
        if (l.total > 0) {
            constexpr int kBar = 24;
            const int filled = static_cast<int>(l.done * kBar / l.total);
            s += " [" + std::string(static_cast<std::size_t>(filled), '#') +
                 std::string(static_cast<std::size_t>(kBar - filled), '.') + "] ";
            char pct[16];
            std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(l.done * 100 / l.total));
            s += pct;
            // Flash bytes: the rate of writing only (checking and verifying are reads, much faster).
            // Counted work (tests) says how far it is and what runs now; its rate says nothing.
            if (l.unit != "bytes") {
                s += "  " + std::to_string(l.done) + "/" + std::to_string(l.total) + " " + l.unit;
            } else if (l.rate > 0 && l.phase == "write") {
                s += "  " + rate_text(l.rate);
                s += "  ETA " + duration_text(static_cast<double>(l.total - l.done) / l.rate);
            }
            if (!l.activity.empty()) s += "  " + l.activity;
        } else if (!l.activity.empty()) {
            s += " " + l.activity;
        } else if (!l.message.empty()) {
            s += " " + l.message;
        }
        return s;
    }

    // The live block: a line per port, then the backend queue's line when the run registers boards.
    std::size_t block_lines() const { return order_.size() + (outbox_line_.empty() ? 0 : 1); }

    void draw_block() {
        for (const auto& p : order_)
            out_ << "\r\033[K" << render(lines_[p]) << "\n";
        if (!outbox_line_.empty()) out_ << "\r\033[K" << outbox_line_ << "\n";
        out_.flush();
        last_draw_ = Clock::now();
    }

    void draw(bool first) {
        if (!term_.cursor) return;
        if (!first) out_ << "\033[" << block_lines() << "A";
        draw_block();
    }

    void print_above(const std::string& text) {
        if (!term_.cursor) {
            out_ << text << std::endl;
            return;
        }
        out_ << "\033[" << block_lines() << "A\r\033[K" << text << "\n";
        // The block moved down one line: draw it fresh below the note.
        draw_block();
    }

    std::ostream& out_;
    StationRunInfo info_;
    std::vector<std::string> order_;
    std::map<std::string, Line> lines_;
    std::size_t width_ = 4;
    Clock::time_point last_draw_{};
    Terminal term_;
    std::string outbox_line_; // empty: the run registers no boards
};

// --- JSON lines --------------------------------------------------------------------------------------

class JsonView final : public StationView {
public:
    JsonView(std::ostream& out, StationRunInfo info) : out_(out), info_(std::move(info)) {}

    void on_event(const Event& e) override {
        auto j = station::to_json(e);
        j["batch"] = info_.batch_id;
        out_ << json_text(j) << std::endl; // flushed: a consumer follows the run live
    }

    void on_outbox(const station::OutboxStatus& status) override {
        nlohmann::json j = station::to_json(status);
        j["event"] = "outbox";
        j["time"] = utc_iso8601_ms(std::chrono::system_clock::now());
        j["station"] = info_.station;
        j["batch"] = info_.batch_id;
        out_ << json_text(j) << std::endl;
    }

    void finish(const station::RunSummary& s, const std::optional<station::OutboxStatus>& outbox) override {
        const auto failed = s.failed_ports();
        nlohmann::json j = station::summary_json(s);
        j["station"] = info_.station;
        j["batch"] = info_.batch_id;
        if (outbox) j["outbox"] = station::to_json(*outbox);
        j["retry"] = failed.empty() ? nlohmann::json(nullptr) : nlohmann::json(retry_command(info_, failed));
        out_ << json_text(j) << std::endl;
    }

private:
    std::ostream& out_;
    StationRunInfo info_;
};

} // namespace

std::unique_ptr<StationView> make_tty_view(std::ostream& out, const std::vector<std::string>& ports,
                                           StationRunInfo info, Terminal term) {
    return std::make_unique<TtyView>(out, ports, std::move(info), term);
}

std::unique_ptr<StationView> make_json_view(std::ostream& out, StationRunInfo info) {
    return std::make_unique<JsonView>(out, std::move(info));
}

std::string outbox_text(const station::OutboxStatus& s, bool live) {
    // The refused count only when there are any: a station's line stays short while all goes well.
    std::string text = ledger::backend_queue_line(s.queued, s.waiting, s.registered,
                                                  s.dead > 0 ? std::optional<int>(s.dead) : std::nullopt);
    if (!s.stopped.empty())
        text += " (stopped)";
    else if (live && !s.draining)
        text += " (not sending)";
    return text;
}

std::string retry_command(const StationRunInfo& info, const std::vector<std::string>& ports) {
    std::string cmd = "vesperctl";
    auto add = [&](const std::string& word) { cmd += " " + shell_word(word); };
    for (const auto& w : info.global_options)
        add(w);
    add(info.command);
    for (const auto& w : info.options)
        add(w);
    for (const auto& p : ports) {
        add("--port");
        add(p);
    }
    return cmd;
}

} // namespace vesper::cli
