#pragma once
// A scripted stand-in for a board running the factory firmware, on a real loopback TCP socket that the
// code under test opens as socket://127.0.0.1:PORT. It writes its lines with its own encoder (zlib's
// crc32 directly, not the library's), so a test compares two independent writers of the format. One
// thread serves one client; every wait in it has a deadline and the thread ends by itself after
// `lifetime` even if the test forgets it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_esp_transport_support.hpp"

namespace vesper_test {

inline std::string crc_hex(std::string_view head) {
    const auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(head.data()), static_cast<uInt>(head.size()));
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08lx", static_cast<unsigned long>(crc));
    return buf;
}

// A protocol line as the firmware would print it, CRLF-ended as ESP-IDF's console does.
inline std::string board_line(std::uint32_t id, const std::string& word, const nlohmann::json& body,
                              bool break_crc = false) {
    const std::string head = "~VF1 " + std::to_string(id) + " " + word + " " + body.dump();
    std::string crc = crc_hex(head);
    if (break_crc) crc[0] = crc[0] == '0' ? '1' : '0';
    return head + " " + crc + "\r\n";
}

inline nlohmann::json hello_body(const std::string& fw_version = "1.0.0") {
    return {{"proto", 1},
            {"fw", "vesper-factory"},
            {"fw_version", fw_version},
            {"app_sha256", std::string(64, 'a')},
            {"caps", {"hello", "info", "identity", "outputs", "gpio", "wifi_scan", "mark_tested", "reboot"}}};
}

struct BoardRequest {
    std::uint32_t id = 0;
    std::string command;
    nlohmann::json args;
    std::string raw;
    bool crc_ok = false;
};

class FakeBoard {
public:
    using Script = std::function<void(FakeBoard&)>;

    explicit FakeBoard(Script script, std::chrono::milliseconds lifetime = 8000ms)
        : script_(std::move(script)), deadline_(Clock::now() + lifetime), thread_([this] { serve(); }) {}
    ~FakeBoard() {
        stop_ = true;
        thread_.join();
    }
    FakeBoard(const FakeBoard&) = delete;
    FakeBoard& operator=(const FakeBoard&) = delete;

    std::string url() const { return vesper_test::url("socket", listener_.port()); }

    // ---- for the script ----
    void send(std::string_view text) {
        if (client_.get() >= 0) ::send(client_.get(), text.data(), text.size(), MSG_NOSIGNAL);
    }
    void send_line(std::uint32_t id, const std::string& word, const nlohmann::json& body) {
        send(board_line(id, word, body));
    }
    // The next request line, or nullopt when none comes within `limit` (or the board's lifetime ends).
    std::optional<BoardRequest> next_request(std::chrono::milliseconds limit = 3000ms) {
        const auto end = std::min(Clock::now() + limit, deadline_);
        for (;;) {
            if (auto nl = in_.find('\n'); nl != std::string::npos) {
                std::string line = in_.substr(0, nl);
                in_.erase(0, nl + 1);
                BoardRequest r = parse(line);
                std::lock_guard lock(mutex_);
                requests_.push_back(r);
                return r;
            }
            const auto now = Clock::now();
            if (now >= end || stop_) return std::nullopt;
            pollfd p{client_.get(), POLLIN, 0};
            const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count());
            if (::poll(&p, 1, std::min(left, 50) + 1) <= 0) continue;
            char buf[512];
            const ssize_t n = ::recv(client_.get(), buf, sizeof buf, 0);
            if (n <= 0) return std::nullopt;
            in_.append(buf, static_cast<std::size_t>(n));
        }
    }
    // Answers every request with `reply` until nothing comes for `idle` (or the lifetime ends).
    void serve_requests(const std::function<void(FakeBoard&, const BoardRequest&)>& reply,
                        std::chrono::milliseconds idle = 3000ms) {
        while (auto r = next_request(idle))
            reply(*this, *r);
    }
    bool stopping() const { return stop_; }

    // ---- for the test ----
    std::vector<BoardRequest> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    static BoardRequest parse(const std::string& line) {
        BoardRequest r;
        r.raw = line;
        // "~VF1 ID CMD JSON CRC"
        const auto s1 = line.find(' '), s2 = line.find(' ', s1 + 1), s3 = line.find(' ', s2 + 1);
        const auto last = line.rfind(' ');
        if (s1 == std::string::npos || s2 == std::string::npos || s3 == std::string::npos) return r;
        r.id = static_cast<std::uint32_t>(std::stoul(line.substr(s1 + 1, s2 - s1 - 1)));
        r.command = line.substr(s2 + 1, s3 - s2 - 1);
        r.args = nlohmann::json::parse(line.substr(s3 + 1, last - s3 - 1), nullptr, false);
        r.crc_ok = crc_hex(line.substr(0, last)) == line.substr(last + 1);
        return r;
    }

    void serve() {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        client_ = Fd(listener_.accept(left));
        if (client_.get() < 0) return;
        script_(*this);
        // Stay connected until the test is done with the session, so it never reads a closed link.
        while (!stop_ && Clock::now() < deadline_)
            std::this_thread::sleep_for(5ms);
    }

    Script script_;
    Clock::time_point deadline_;
    LoopbackListener listener_;
    Fd client_;
    std::string in_;
    mutable std::mutex mutex_;
    std::vector<BoardRequest> requests_;
    std::atomic<bool> stop_{false};
    std::thread thread_; // last: starts once everything above exists
};

} // namespace vesper_test
