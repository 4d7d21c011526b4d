#pragma once
// Test support: the real vesper-devsim (VESPER_DEVSIM_BIN) in the background on a free loopback port.
// Started with fork/exec, its stdout read until the "listening on KIND:127.0.0.1:PORT" line; stopped
// with SIGTERM (then SIGKILL) by stop() or when the object goes. Header-only; for the integration tests.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vesper::test {

class DevsimProcess {
public:
    enum class Output { Normal, Quiet }; // Quiet: append --quiet to the arguments

    explicit DevsimProcess(std::vector<std::string> args, Output output = Output::Normal) {
        using namespace std::chrono_literals;
        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        args.insert(args.begin(), VESPER_DEVSIM_BIN);
        if (output == Output::Quiet) args.push_back("--quiet");
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
        // The ready line says where it listens; wait for it at most 10 s.
        const std::regex ready(R"(listening on (tcp|rfc2217):127\.0\.0\.1:(\d+))");
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[512];
            const ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n <= 0) break;
            stdout_.append(buf, static_cast<std::size_t>(n));
            std::smatch m;
            if (std::regex_search(stdout_, m, ready)) {
                scheme_ = m[1] == "tcp" ? "socket" : "rfc2217";
                port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
                return;
            }
        }
        stop();
        FAIL("vesper-devsim did not report a listening port; stdout: " << stdout_);
    }
    ~DevsimProcess() { stop(); }
    DevsimProcess(const DevsimProcess&) = delete;
    DevsimProcess& operator=(const DevsimProcess&) = delete;

    // SIGTERM and wait (bounded, 5 s), then SIGKILL. Returns the exit code: -1 if it had to be killed
    // or died by a signal. Later calls return the same value.
    int stop() {
        using namespace std::chrono_literals;
        if (pid_ <= 0) return exit_code_;
        ::kill(pid_, SIGTERM);
        int status = 0;
        const auto deadline = Clock::now() + 5s;
        while (Clock::now() < deadline) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pid_ = 0;
                close_output();
                return exit_code_;
            }
            std::this_thread::sleep_for(10ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
        close_output();
        return exit_code_ = -1;
    }

    pid_t pid() const { return pid_; } // 0 once stopped
    std::uint16_t port() const { return port_; }
    // "socket" for a tcp listener, "rfc2217" for an RFC 2217 one.
    const std::string& scheme() const { return scheme_; }
    // socket://127.0.0.1:PORT or rfc2217://127.0.0.1:PORT
    std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
    // Everything read from its stdout up to and including the ready line.
    const std::string& stdout_text() const { return stdout_; }

private:
    using Clock = std::chrono::steady_clock;

    void close_output() {
        if (out_fd_ >= 0) ::close(out_fd_);
        out_fd_ = -1;
    }

    pid_t pid_ = 0;
    int out_fd_ = -1;
    std::uint16_t port_ = 0;
    std::string scheme_;
    std::string stdout_;
    int exit_code_ = -1;
};

} // namespace vesper::test
