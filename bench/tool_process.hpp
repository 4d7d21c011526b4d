#pragma once
// Benchmark support: one of the project's tools (vesper-devsim, vesper-backend) in the background,
// started with fork/exec and waited for until its stdout has shown its ready lines; stopped with SIGTERM
// (then SIGKILL). Like tests/support/background_process.hpp, but without Catch2: a benchmark reports
// failures as vesper::Error, not as test assertions.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::bench {

class ToolProcess {
public:
    // Starts `binary` with `args` (and `env` added to the environment) and waits at most 10 s for
    // `count` lines of stdout that match `ready`; the first group of each match is kept (ready_values).
    ToolProcess(const std::string& binary, std::vector<std::string> args, const std::regex& ready,
                std::size_t count = 1, const std::map<std::string, std::string>& env = {}) {
        using namespace std::chrono_literals;
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) fail(ErrorKind::io, std::string("pipe: ") + std::strerror(errno));
        args.insert(args.begin(), binary);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) fail(ErrorKind::io, std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            for (const auto& [name, value] : env)
                ::setenv(name.c_str(), value.c_str(), 1);
            ::dup2(out[1], 1);
            const int devnull = ::open("/dev/null", O_WRONLY);
            ::dup2(devnull, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        out_fd_ = out[0];
        std::string text;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[512];
            const ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n <= 0) break;
            text.append(buf, static_cast<std::size_t>(n));
            values_.clear();
            for (std::sregex_iterator it(text.begin(), text.end(), ready), end; it != end; ++it)
                values_.push_back((*it)[1].str());
            if (values_.size() >= count) return;
        }
        stop();
        fail(ErrorKind::device,
             binary + " did not report " + std::to_string(count) + " ready line(s) within 10 s; stdout: " + text);
    }
    ~ToolProcess() { stop(); }
    ToolProcess(const ToolProcess&) = delete;
    ToolProcess& operator=(const ToolProcess&) = delete;

    // The first group of each ready line, in order.
    const std::vector<std::string>& ready_values() const { return values_; }

    // SIGTERM and wait (bounded, 5 s), then SIGKILL. After a clean stop the tool has written and
    // flushed everything it writes.
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

    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = 0;
    int out_fd_ = -1;
    std::vector<std::string> values_;
};

} // namespace vesper::bench
