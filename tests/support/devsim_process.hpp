#pragma once
// Test support: the real vesper-devsim (VESPER_DEVSIM_BIN) in the background on a free loopback port.
// Started as a BackgroundProcess, its stdout read until the "listening on KIND:127.0.0.1:PORT" line;
// stopped with SIGTERM (then SIGKILL) by stop() or when the object goes. Header-only; for the
// integration tests.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "background_process.hpp"

namespace vesper::test {

class DevsimProcess {
public:
    enum class Output { Normal, Quiet }; // Quiet: append --quiet to the arguments

    explicit DevsimProcess(std::vector<std::string> args, Output output = Output::Normal)
        : process_(command(std::move(args), output)) {
        // The ready line says where it listens; wait for it at most 10 s.
        const bool up = process_.wait_for_line(
            [&](const std::string& line) {
                stdout_ += line + "\n";
                std::smatch m;
                if (!std::regex_search(line, m, ready_line())) return false;
                scheme_ = m[1] == "tcp" ? "socket" : "rfc2217";
                port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
                pty_ = m[3];
                ports_.push_back(port_);
                return true;
            },
            std::chrono::seconds(10));
        if (!up) {
            stop();
            FAIL("vesper-devsim did not report a listening port; stdout: " << stdout_);
        }
    }
    ~DevsimProcess() { stop(); } // gracefully: the simulator syncs its flash files on the way out
    DevsimProcess(const DevsimProcess&) = delete;
    DevsimProcess& operator=(const DevsimProcess&) = delete;

    // SIGTERM and wait (bounded; then SIGKILL). Returns the exit code: -1 if it had to be killed or died
    // by a signal. Later calls return the same value.
    int stop() {
        const int status = process_.kill(SIGTERM);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::uint16_t port() const { return port_; }
    // "socket" for a tcp listener, "rfc2217" for an RFC 2217 one.
    const std::string& scheme() const { return scheme_; }
    // socket://127.0.0.1:PORT or rfc2217://127.0.0.1:PORT
    std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
    // The URL of device `index` (from 0) of a --count run, reading its ready line when not read yet:
    // with port 0 every device listens on a port of its own choosing.
    std::string device_url(std::size_t index) {
        while (ports_.size() <= index) {
            const bool more = process_.wait_for_line(
                [&](const std::string& line) {
                    stdout_ += line + "\n";
                    std::smatch m;
                    if (!std::regex_search(line, m, ready_line())) return false;
                    ports_.push_back(static_cast<std::uint16_t>(std::stoi(m[2])));
                    return true;
                },
                std::chrono::seconds(10));
            if (!more) FAIL("vesper-devsim printed no ready line for device " << index << "; stdout: " << stdout_);
        }
        return scheme_ + "://127.0.0.1:" + std::to_string(ports_[index]);
    }
    // The first device's pseudo-terminal (/dev/pts/N) when started with --pty, else empty.
    const std::string& pty_path() const { return pty_; }
    // Everything read from its stdout up to and including the ready line.
    const std::string& stdout_text() const { return stdout_; }

private:
    static const std::regex& ready_line() {
        static const std::regex ready(R"(listening on (tcp|rfc2217):127\.0\.0\.1:(\d+)(?: and pty:(\S+))?)");
        return ready;
    }
    static std::vector<std::string> command(std::vector<std::string> args, Output output) {
        args.insert(args.begin(), VESPER_DEVSIM_BIN);
        if (output == Output::Quiet) args.push_back("--quiet");
        return args;
    }

    BackgroundProcess process_;
    std::uint16_t port_ = 0;
    std::vector<std::uint16_t> ports_; // every device's, as far as read
    std::string scheme_;
    std::string pty_;
    std::string stdout_;
};

} // namespace vesper::test
