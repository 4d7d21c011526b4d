#pragma once
// Test support: the real vesper-backend (VESPER_BACKEND_BIN) in the background on a free loopback
// port. Started as a BackgroundProcess with its token in the environment (never argv), its stdout read
// until the "vesper-backend listening on SCHEME://127.0.0.1:PORT [pin sha256//...]" line; stopped with
// SIGTERM (then SIGKILL) by stop() or when the object goes. Header-only.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "background_process.hpp"

namespace vesper::test {

class BackendProcess {
public:
    // `env` adds to the environment (VESPER_BACKEND_TOKEN, usually); stderr goes to `stderr_file` when
    // given.
    BackendProcess(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                   const std::string& stderr_file = "")
        : process_(command(std::move(args)), env, stderr_file) {
        const bool up = process_.wait_for_line(
            [&](const std::string& line) {
                stdout_ += line + "\n";
                std::smatch m;
                static const std::regex ready(
                    R"(^vesper-backend listening on (https?)://127\.0\.0\.1:(\d+)(?: pin (sha256//\S+))?$)");
                if (!std::regex_search(line, m, ready)) return false;
                url_ = std::string(m[1]) + "://127.0.0.1:" + std::string(m[2]);
                pin_ = m[3];
                return true;
            },
            std::chrono::seconds(10));
        if (!up) {
            stop();
            FAIL("vesper-backend did not report a listening port; stdout: " << stdout_);
        }
    }
    ~BackendProcess() { stop(); }
    BackendProcess(const BackendProcess&) = delete;
    BackendProcess& operator=(const BackendProcess&) = delete;

    // SIGTERM and wait (bounded; then SIGKILL). The exit code, -1 when it had to be killed.
    int stop() {
        const int status = process_.kill(SIGTERM);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    const std::string& url() const { return url_; }            // https://127.0.0.1:PORT
    const std::string& pin() const { return pin_; }            // sha256//BASE64, empty over plain HTTP
    const std::string& stdout_text() const { return stdout_; } // up to and including the ready line

private:
    static std::vector<std::string> command(std::vector<std::string> args) {
        args.insert(args.begin(), VESPER_BACKEND_BIN);
        return args;
    }

    BackgroundProcess process_;
    std::string url_, pin_, stdout_;
};

} // namespace vesper::test
