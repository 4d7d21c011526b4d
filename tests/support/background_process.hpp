#pragma once
// Test support: a process (usually vesperctl) running in the background while the test watches its
// stdout line by line, and can kill it (SIGKILL included) at a chosen moment. Every wait is bounded;
// the process is killed when the object goes. Header-only.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace vesper::test {

class BackgroundProcess {
public:
    using Clock = std::chrono::steady_clock;

    // stderr goes to `stderr_file` when given (for a test that reads it after the process ended), else
    // to /dev/null.
    BackgroundProcess(std::vector<std::string> argv, const std::map<std::string, std::string>& env = {},
                      const std::string& stderr_file = "") {
        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        const std::string err_path = stderr_file.empty() ? "/dev/null" : stderr_file;
        ProcessOptions opts;
        opts.env = env;
        std::vector<std::string> env_strings = environment_for(opts);
        const std::vector<char*> args = c_strings(argv), envp = c_strings(env_strings);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(err, 2);
            ::execve(args[0], args.data(), envp.data());
            ::_exit(127);
        }
        ::close(out[1]);
        fd_ = out[0];
    }
    ~BackgroundProcess() {
        kill(SIGKILL);
        if (fd_ >= 0) ::close(fd_);
    }
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    // Reads stdout lines until `pred` accepts one (true) or the process ends or `timeout` passes (false).
    bool wait_for_line(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                lines_.push_back(line);
                if (pred(line)) return true;
            }
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) return false;
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
        return false;
    }

    // Sends `sig` (0: none, just wait) and waits for the process (bounded, 10 s; then SIGKILL). Returns
    // the wait status.
    int kill(int sig) {
        if (pid_ <= 0) return status_;
        if (sig != 0) ::kill(pid_, sig);
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline) {
            if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
                pid_ = -1;
                return status_;
            }
            ::usleep(20000);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        pid_ = -1;
        return status_;
    }

    const std::vector<std::string>& lines() const { return lines_; }
    // The lines read so far, each ended by a newline (for INFO).
    std::string text() const {
        std::string out;
        for (const auto& l : lines_)
            out += l + "\n";
        return out;
    }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    int status_ = 0;
    std::string buffer_;
    std::vector<std::string> lines_;
};

} // namespace vesper::test
