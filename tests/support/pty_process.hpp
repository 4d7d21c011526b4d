#pragma once
// Test support: run a program with a pseudo-terminal as its stdin/stdout/stderr (so isatty() is true,
// as for an operator at a bench), collecting everything it writes. Bounded by a timeout; header-only.
#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace vesper::test {

struct PtyResult {
    int exit_code = -1;
    std::string output;
};

inline PtyResult run_in_pty(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
                            std::chrono::milliseconds timeout) {
    ProcessOptions opts;
    opts.env = env;
    std::vector<std::string> env_strings = environment_for(opts);
    const std::vector<char*> args = c_strings(argv), envp = c_strings(env_strings);
    int master = -1;
    winsize ws{};
    ws.ws_row = 40;
    ws.ws_col = 160;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    PtyResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break; // EIO once the child has exited and the pty is closed
        r.output.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ::close(master);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

} // namespace vesper::test
