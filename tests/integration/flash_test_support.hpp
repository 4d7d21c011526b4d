#pragma once
// Support for the flash integration tests: the real vesper-devsim in the background on a free
// loopback port, and firmware-like test files. Header-only; included by tests/integration/test_flash_*.cpp.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "run_process.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/files.hpp"

namespace vesper::flash_test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// vesper-devsim on 127.0.0.1 with an OS-chosen port; SIGTERM (then SIGKILL) when it goes out of scope.
class Devsim {
public:
    explicit Devsim(std::vector<std::string> args) {
        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        args.insert(args.begin(), VESPER_DEVSIM_BIN);
        args.push_back("--quiet");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            const int devnull = ::open("/dev/null", O_WRONLY);
            ::dup2(devnull, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        out_fd_ = out[0];
        const std::regex ready(R"(listening on (tcp|rfc2217):127\.0\.0\.1:(\d+))");
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[512];
            const ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n <= 0) break;
            ready_.append(buf, static_cast<std::size_t>(n));
            std::smatch m;
            if (std::regex_search(ready_, m, ready)) {
                scheme_ = m[1] == "tcp" ? "socket" : "rfc2217";
                port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
                return;
            }
        }
        stop();
        FAIL("vesper-devsim did not report a listening port; stdout: " << ready_);
    }
    ~Devsim() { stop(); }
    Devsim(const Devsim&) = delete;
    Devsim& operator=(const Devsim&) = delete;

    // socket://127.0.0.1:PORT or rfc2217://127.0.0.1:PORT
    std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        const auto deadline = Clock::now() + 5s;
        while (Clock::now() < deadline) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            pid_ = 0;
        }
        ::close(out_fd_);
    }

private:
    pid_t pid_ = 0;
    int out_fd_ = -1;
    std::uint16_t port_ = 0;
    std::string scheme_;
    std::string ready_;
};

// Deterministic bytes that compress about as well as firmware: runs of repeated words between
// stretches of noise.
inline Bytes firmware_like(std::size_t n, std::uint32_t seed) {
    Bytes b(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        b[i] = (i / 64) % 3 == 0 ? static_cast<std::uint8_t>(x >> 24) : static_cast<std::uint8_t>(i / 64);
    }
    return b;
}

inline Bytes slice(const Bytes& b, std::size_t at, std::size_t n) {
    REQUIRE(at + n <= b.size());
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

// The three files of a typical ESP-IDF flash job, written into `dir`.
struct Firmware {
    fs::path boot, part, app;
    Bytes boot_bytes, part_bytes, app_bytes;
};

inline Firmware write_firmware(const fs::path& dir, std::size_t app_size = 0x2A345) {
    Firmware f;
    f.boot = dir / "boot.bin";
    f.part = dir / "part.bin";
    f.app = dir / "app.bin";
    f.boot_bytes = firmware_like(0x4321, 1);
    f.part_bytes = firmware_like(0xC00, 2);
    f.app_bytes = firmware_like(app_size, 3);
    write_file_atomic(f.boot, f.boot_bytes);
    write_file_atomic(f.part, f.part_bytes);
    write_file_atomic(f.app, f.app_bytes);
    return f;
}

inline std::vector<std::string> flash_args(const std::string& url, const Firmware& f,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"flash", "--port", url};
    a.insert(a.end(), extra.begin(), extra.end());
    for (const std::string& s : {std::string("0x1000"), f.boot.string(), std::string("0x8000"), f.part.string(),
                                 std::string("0x10000"), f.app.string()})
        a.push_back(s);
    return a;
}

inline int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

inline test::ProcessResult run(const std::vector<std::string>& args, int timeout_ms = 60000) {
    test::ProcessOptions o;
    o.timeout_ms = timeout_ms;
    return test::vesperctl(args, o);
}

} // namespace vesper::flash_test
