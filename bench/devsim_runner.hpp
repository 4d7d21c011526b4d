#pragma once
// Benchmark support: vesper-devsim in the background on free loopback ports. The same approach as
// tests/support/devsim_process.hpp (fork/exec, wait for the "listening on" line, SIGTERM to stop), but
// without Catch2: a benchmark reports failures as vesper::Error, not as test assertions.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::bench {

class DevsimRunner {
public:
    // Starts `binary` with `args` (plus --port 0) and waits at most 10 s for the ready lines of its
    // `count` devices (give --count too when more than one).
    DevsimRunner(const std::string& binary, std::vector<std::string> args, std::size_t count = 1) {
        using namespace std::chrono_literals;
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) fail(ErrorKind::io, std::string("pipe: ") + std::strerror(errno));
        args.insert(args.begin(), binary);
        args.push_back("--port");
        args.push_back("0");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) fail(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            const int devnull = ::open("/dev/null", O_WRONLY);
            ::dup2(devnull, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        out_fd_ = out[0];
        const std::regex ready(R"(listening on tcp:127\.0\.0\.1:(\d+))");
        std::string text;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[512];
            const ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n <= 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            urls_.clear();
            for (std::sregex_iterator it(text.begin(), text.end(), ready), end; it != end; ++it)
                urls_.push_back("socket://127.0.0.1:" + (*it)[1].str());
            if (urls_.size() >= count) return;
        }
        stop();
        fail(ErrorKind::device,
             binary + " did not report " + std::to_string(count) + " listening port(s) within 10 s; stdout: " + text);
    }
    ~DevsimRunner() { stop(); }
    DevsimRunner(const DevsimRunner&) = delete;
    DevsimRunner& operator=(const DevsimRunner&) = delete;

    // socket://127.0.0.1:PORT of the first device, and of every device in order.
    const std::string& url() const { return urls_.front(); }
    const std::vector<std::string>& urls() const { return urls_; }

    // SIGTERM and wait (bounded, 5 s), then SIGKILL. After a clean stop the simulator has written and
    // flushed every log line and synced its flash file.
    void stop() {
        using namespace std::chrono_literals;
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            const auto deadline = std::chrono::steady_clock::now() + 5s;
            bool gone = false;
            while (!gone && std::chrono::steady_clock::now() < deadline) {
                gone = ::waitpid(pid_, &status, WNOHANG) == pid_;
                if (!gone) std::this_thread::sleep_for(10ms);
            }
            if (!gone) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
            pid_ = 0;
        }
        if (out_fd_ >= 0) ::close(out_fd_);
        out_fd_ = -1;
    }

private:
    pid_t pid_ = 0;
    int out_fd_ = -1;
    std::vector<std::string> urls_;
};

} // namespace vesper::bench
