// The factory console session (see console_session.hpp).
#include "vesper/factory/console_session.hpp"

#include <algorithm>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::factory {

namespace {

// What ESP-IDF and Arduino print when the app dies: the panic handler's first line, abort()'s line and
// the backtrace that follows both.
constexpr std::string_view kPanicMarks[] = {"Guru Meditation Error", "abort() was called", "Backtrace:"};
// The ROM's first line after any reset: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)".
constexpr std::string_view kResetMark = "rst:0x";

std::string ms_text(Millis ms) { return std::to_string(ms.count()) + " ms"; }

Millis since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
}

} // namespace

std::string Answer::error_text() const {
    auto text_of = [&](const char* key) {
        auto it = body.find(key);
        return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string code = text_of("code"), message = text_of("message");
    if (code.empty()) code = "error";
    return message.empty() ? code : code + ": " + message;
}

ConsoleSession::ConsoleSession(esp::Transport& port, ConsoleOptions options) : port_(port), options_(options) {
    if (options_.max_line < kMaxAnswerLine + 1) options_.max_line = kMaxAnswerLine + 1;
}

void ConsoleSession::set_next_id(std::uint32_t id) { next_id_ = id == 0 || id > kMaxId ? 1 : id; }

std::uint32_t ConsoleSession::take_id() {
    const std::uint32_t id = next_id_;
    next_id_ = id >= kMaxId ? 1 : id + 1;
    return id;
}

void ConsoleSession::send(const std::string& line) {
    port_.write(ByteView(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()));
}

void ConsoleSession::expect_restart() {
    hello_.reset();
    resets_seen_ = 0;
    restart_expected_ = true;
}

std::optional<std::string> ConsoleSession::next_line(Clock::time_point deadline) {
    std::uint8_t buf[512];
    for (;;) {
        if (ready_pos_ < ready_.size()) {
            std::string line = std::move(ready_[ready_pos_++]);
            if (ready_pos_ == ready_.size()) {
                ready_.clear();
                ready_pos_ = 0;
            }
            return line;
        }
        const auto now = Clock::now();
        if (now >= deadline) return std::nullopt;
        // At least 1 ms, so a deadline a few microseconds away still polls once rather than spinning.
        const auto left = std::max(Millis(1), std::chrono::ceil<Millis>(deadline - now));
        const std::size_t n = port_.read(buf, sizeof buf, left);
        for (std::size_t i = 0; i < n; ++i) {
            const char c = static_cast<char>(buf[i]);
            // CR, LF and CRLF all end a line; the empty lines this makes between CR and LF are dropped.
            if (c == '\n' || c == '\r') {
                if (!pending_.empty()) ready_.push_back(std::exchange(pending_, {}));
                continue;
            }
            pending_.push_back(c);
            if (pending_.size() >= options_.max_line) ready_.push_back(std::exchange(pending_, {}));
        }
    }
}

void ConsoleSession::keep_log(const std::string& line) {
    log_ += line;
    log_ += '\n';
    if (log_.size() > options_.log_capacity) {
        // Cut at a line start when one is near, so the log does not begin mid-line.
        std::size_t cut = log_.size() - options_.log_capacity;
        const std::size_t nl = log_.find('\n', cut);
        if (nl != std::string::npos && nl + 1 < log_.size() && nl - cut < 256) cut = nl + 1;
        log_.erase(0, cut);
        log_dropped_ += cut;
    }
}

void ConsoleSession::watch(const std::string& line, Waiting waiting) {
    for (auto mark : kPanicMarks)
        if (line.find(mark) != std::string::npos)
            fail(ErrorCode::factory_crash, port_.name() + ": the board crashed: " + quote_value(line, 160));
    if (line.find(kResetMark) == std::string::npos) return;
    if (hello_)
        fail(ErrorCode::factory_crash,
             port_.name() + ": the board restarted after its hello: " + quote_value(line, 160));
    // Before the hello one reset is the one that started the app (or the expected restart); a second is
    // a boot loop.
    if (++resets_seen_ >= 2)
        fail(ErrorCode::factory_crash,
             port_.name() + ": the board restarted again before its hello (a boot loop): " + quote_value(line, 160));
    (void)waiting;
}

std::optional<Frame> ConsoleSession::take(const std::string& line, Waiting waiting) {
    ++counters_.lines;
    Decoded d = decode_line(line);
    switch (d.reason) {
    case Ignored::none: break;
    case Ignored::no_sentinel:
        ++counters_.log_lines;
        keep_log(line);
        watch(line, waiting);
        return std::nullopt;
    case Ignored::too_long: ++counters_.too_long, ++counters_.ignored; return std::nullopt;
    case Ignored::malformed: ++counters_.malformed, ++counters_.ignored; return std::nullopt;
    case Ignored::bad_crc: ++counters_.bad_crc, ++counters_.ignored; return std::nullopt;
    }
    ++counters_.frames;
    Frame& f = *d.frame;
    if (f.id == 0) {
        if (f.word != "hello") {
            ++counters_.unsolicited;
            return std::nullopt;
        }
        // A second hello without a reset line (the line was lost, or a watchdog reset printed none) is
        // still a restart nobody asked for.
        if (hello_)
            fail(ErrorCode::factory_crash, port_.name() + ": the board restarted (a second hello) while " +
                                               (waiting == Waiting::answer ? "a request was in flight" : "waiting"));
        hello_ = f.body;
        restart_expected_ = false;
        return std::nullopt;
    }
    if (f.word != "ok" && f.word != "err") {
        // An id with a word that is not a status: not an answer this protocol has.
        ++counters_.malformed, ++counters_.ignored, --counters_.frames;
        return std::nullopt;
    }
    return std::move(f);
}

const nlohmann::json& ConsoleSession::wait_hello(Millis timeout) {
    if (hello_) return *hello_;
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    auto ask_at = start + options_.hello_ask_after;
    std::vector<std::uint32_t> asked; // ids of our hello requests: any answer to one of them will do
    for (;;) {
        const auto until = std::min(deadline, ask_at);
        std::optional<std::string> line = next_line(until);
        if (!line) {
            if (Clock::now() >= deadline) break;
            const std::uint32_t id = take_id();
            send(encode_request(id, "hello", nlohmann::json::object()));
            ++counters_.requests;
            asked.push_back(id);
            ask_at = Clock::now() + options_.hello_ask_after;
            continue;
        }
        std::optional<Frame> f = take(*line, Waiting::hello);
        if (hello_) return *hello_;
        if (!f) continue;
        if (std::find(asked.begin(), asked.end(), f->id) != asked.end() && f->word == "ok") {
            hello_ = std::move(f->body);
            restart_expected_ = false;
            return *hello_;
        }
        ++counters_.stale;
    }
    std::string msg = port_.name() + ": no hello from the board within " + ms_text(timeout);
    if (counters_.lines == 0)
        msg += " (it printed nothing: check that the app runs and the baud rate)";
    else
        msg += " (" + std::to_string(counters_.log_lines) + " log lines, " + std::to_string(counters_.ignored) +
               " damaged protocol lines: is the factory firmware on it?)";
    fail(ErrorCode::factory_no_hello, msg);
}

Answer ConsoleSession::request(std::string_view command, const nlohmann::json& args, Millis timeout) {
    const std::uint32_t id = next_id_;
    const std::string line = encode_request(id, command, args); // throws before the id is used up
    take_id();
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    send(line);
    ++counters_.requests;
    const Waiting waiting = Waiting::answer;
    while (auto got = next_line(deadline)) {
        std::optional<Frame> f = take(*got, waiting);
        if (!f) continue;
        if (f->id != id) {
            ++counters_.stale;
            continue;
        }
        Answer a;
        a.ok = f->word == "ok";
        a.body = std::move(f->body);
        a.id = id;
        a.elapsed = since(start);
        return a;
    }
    fail(ErrorCode::factory_timeout, port_.name() + ": no answer to " + std::string(command) + " (id " +
                                         std::to_string(id) + ") within " + ms_text(timeout));
}

LineMatch ConsoleSession::expect_line(std::string_view send_text, const std::regex& match,
                                      const std::vector<std::regex>& not_matching, Millis timeout) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    if (!send_text.empty()) send(std::string(send_text) + "\n");
    while (auto got = next_line(deadline)) {
        // Protocol bookkeeping (and the crash watch) as for any line; the raw text is what is matched,
        // since a console that does not speak the protocol may print anything.
        take(*got, Waiting::line);
        LineMatch m;
        m.line = *got;
        for (std::size_t i = 0; i < not_matching.size(); ++i) {
            if (std::regex_search(*got, not_matching[i])) {
                m.rejected_by = static_cast<int>(i);
                m.elapsed = since(start);
                return m;
            }
        }
        if (std::regex_search(*got, match)) {
            m.matched = true;
            m.elapsed = since(start);
            return m;
        }
    }
    fail(ErrorCode::factory_timeout, port_.name() + ": no line matched within " + ms_text(timeout));
}

} // namespace vesper::factory
