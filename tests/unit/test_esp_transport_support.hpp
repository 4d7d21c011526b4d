#pragma once
// Real test parts for the transport tests: loopback TCP listeners, pseudo-terminal pairs, a small
// RFC 2217 server built on our codec, and a ser2net process. Everything binds to 127.0.0.1 only and
// every server loop stops by itself after a deadline.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/port/rfc2217.hpp"
#include "vesper/port/transport.hpp"

namespace vesper_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using vesper::Bytes;
using vesper::ByteView;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// Polls `cond` until it holds or `limit` passes.
inline bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds limit = 3000ms) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return cond();
}

// Reads exactly `n` bytes from a plain fd (socket or pty master) or fewer if `limit` passes first.
inline Bytes read_fd(int fd, std::size_t n, std::chrono::milliseconds limit = 3000ms) {
    Bytes out;
    const auto end = Clock::now() + limit;
    while (out.size() < n && Clock::now() < end) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        std::uint8_t buf[4096];
        const ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
        if (r <= 0) break;
        out.insert(out.end(), buf, buf + r);
    }
    return out;
}

// Reads `n` bytes through a Transport, or fewer if `limit` passes first.
inline Bytes read_n(vesper::esp::Transport& t, std::size_t n, std::chrono::milliseconds limit = 3000ms) {
    Bytes out;
    const auto end = Clock::now() + limit;
    while (out.size() < n && Clock::now() < end) {
        std::uint8_t buf[512];
        const auto got = t.read(buf, std::min(sizeof buf, n - out.size()), 50ms);
        out.insert(out.end(), buf, buf + got);
    }
    return out;
}

inline void write_fd(int fd, ByteView data) {
    std::size_t done = 0;
    const auto end = Clock::now() + 3000ms;
    while (done < data.size() && Clock::now() < end) {
        const ssize_t r = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == ENOTSOCK) {
            const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
            if (w > 0)
                done += static_cast<std::size_t>(w);
            else
                std::this_thread::sleep_for(1ms);
        } else {
            std::this_thread::sleep_for(1ms);
        }
    }
}

// A TCP listener on 127.0.0.1 with a kernel-chosen port.
class LoopbackListener {
public:
    LoopbackListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        const int one = 1;
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_.get(), 4) != 0)
            throw std::runtime_error("test listener: cannot bind 127.0.0.1");
        socklen_t len = sizeof a;
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    std::uint16_t port() const { return port_; }
    // -1 when nobody connects within `limit`.
    int accept(std::chrono::milliseconds limit) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return -1;
        const int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
            const int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        return c;
    }

private:
    Fd fd_;
    std::uint16_t port_ = 0;
};

// A loopback port nobody listens on right now (bound, then released).
inline std::uint16_t free_loopback_port() {
    LoopbackListener l;
    return l.port();
}

inline std::string url(const char* scheme, std::uint16_t port, const std::string& query = "") {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + query;
}

// A pseudo-terminal pair; the test keeps the master, the code under test opens slave_path().
class PtyPair {
public:
    PtyPair() : master_(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) {
        if (master_.get() < 0 || ::grantpt(master_.get()) != 0 || ::unlockpt(master_.get()) != 0)
            throw std::runtime_error("cannot create a pseudo-terminal");
        char name[128];
        if (::ptsname_r(master_.get(), name, sizeof name) != 0) throw std::runtime_error("ptsname failed");
        slave_ = name;
        ::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
    }
    int master() const { return master_.get(); }
    const std::string& slave_path() const { return slave_; }
    void close_master() { master_.reset(); }

private:
    Fd master_;
    std::string slave_;
};

// A minimal RFC 2217 server on our codec's ServerSession: negotiates, acknowledges COM-PORT requests, records
// what it got, echoes data (optionally) and sends what the test queues. Serves one client; the loop
// ends on stop, client close or after `lifetime`.
class Rfc2217TestServer {
public:
    struct Options {
        bool telnet = true;                    // false: a raw TCP peer that never negotiates
        bool refuse_com_port = false;          // answer WILL COM-PORT-OPTION with DONT
        bool ack = true;                       // acknowledge COM-PORT requests
        std::optional<std::uint32_t> baud_ack; // acknowledge SET-BAUDRATE with this instead
        bool echo = false;                     // send received data back
        std::chrono::milliseconds lifetime{15000};
    };

    Rfc2217TestServer() : Rfc2217TestServer(Options{}) {}
    explicit Rfc2217TestServer(Options o) : opts_(o), thread_([this] { run(); }) {}
    ~Rfc2217TestServer() {
        stop_ = true;
        thread_.join();
    }

    std::uint16_t port() const { return listener_.port(); }
    std::vector<vesper::esp::rfc2217::ComPortMessage> messages() {
        std::lock_guard lock(mu_);
        return messages_;
    }
    // SET-CONTROL values received, in order.
    std::vector<std::uint8_t> controls() {
        std::lock_guard lock(mu_);
        std::vector<std::uint8_t> out;
        for (const auto& m : messages_)
            if (m.command == vesper::esp::rfc2217::ComCommand::set_control && m.value.size() == 1)
                out.push_back(m.value[0]);
        return out;
    }
    std::vector<std::uint32_t> bauds() {
        std::lock_guard lock(mu_);
        std::vector<std::uint32_t> out;
        for (const auto& m : messages_)
            if (auto b = m.baud()) out.push_back(*b);
        return out;
    }
    std::vector<vesper::esp::rfc2217::Negotiation> negotiations() {
        std::lock_guard lock(mu_);
        return negotiations_;
    }
    Bytes data() {
        std::lock_guard lock(mu_);
        return data_;
    }
    void clear_messages() {
        std::lock_guard lock(mu_);
        messages_.clear();
    }
    // Raw bytes to put on the wire as they are (the test escapes data itself if it wants).
    void send_raw(ByteView bytes) {
        std::lock_guard lock(mu_);
        out_.insert(out_.end(), bytes.begin(), bytes.end());
    }
    void send_data(ByteView bytes) { send_raw(vesper::esp::rfc2217::escape(bytes)); }
    void close_client() { close_ = true; }
    bool client_gone() const { return gone_; }

private:
    void run() {
        namespace r = vesper::esp::rfc2217;
        const auto end = Clock::now() + opts_.lifetime;
        Fd client;
        while (!stop_ && Clock::now() < end && client.get() < 0)
            client = Fd(listener_.accept(20ms));
        if (client.get() < 0) return;
        r::ServerSession::Options so;
        so.accept_com_port = !opts_.refuse_com_port;
        so.acknowledge = opts_.ack && !opts_.baud_ack;
        r::ServerSession session(so);
        if (opts_.telnet) write_fd(client.get(), session.hello());
        while (!stop_ && !close_ && Clock::now() < end) {
            Bytes pending;
            {
                std::lock_guard lock(mu_);
                pending.swap(out_);
            }
            if (!pending.empty()) write_fd(client.get(), pending);
            pollfd p{client.get(), POLLIN, 0};
            if (::poll(&p, 1, 10) <= 0) continue;
            std::uint8_t buf[4096];
            const ssize_t n = ::read(client.get(), buf, sizeof buf);
            if (n <= 0) break;
            if (!opts_.telnet) continue;
            std::vector<r::Event> events;
            // Recorded before the answers go out, so a client that waited for an ack sees it here.
            Bytes reply = session.feed(ByteView(buf, static_cast<std::size_t>(n)), events);
            for (auto& e : events) {
                std::lock_guard lock(mu_);
                if (auto* d = std::get_if<r::Data>(&e)) {
                    data_.insert(data_.end(), d->bytes.begin(), d->bytes.end());
                    if (opts_.echo) r::escape_append(d->bytes, reply);
                } else if (auto* ng = std::get_if<r::Negotiation>(&e)) {
                    negotiations_.push_back(*ng);
                } else if (auto* m = std::get_if<r::ComPortMessage>(&e)) {
                    messages_.push_back(*m);
                    if (opts_.ack && opts_.baud_ack && m->from == r::Side::client) {
                        const Bytes ack = m->command == r::ComCommand::set_baudrate
                                              ? r::encode_set_baudrate(r::Side::server, *opts_.baud_ack)
                                              : r::encode_ack(*m);
                        reply.insert(reply.end(), ack.begin(), ack.end());
                    }
                }
            }
            if (!reply.empty()) write_fd(client.get(), reply);
        }
        gone_ = true;
    }

    Options opts_;
    LoopbackListener listener_;
    std::mutex mu_;
    std::vector<vesper::esp::rfc2217::ComPortMessage> messages_;
    std::vector<vesper::esp::rfc2217::Negotiation> negotiations_;
    Bytes data_;
    Bytes out_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> close_{false};
    std::atomic<bool> gone_{false};
    std::thread thread_; // last: starts after everything above exists
};

// ---- ser2net ----

inline std::optional<std::string> find_ser2net() {
    for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin"}) {
        const std::string p = std::string(dir) + "/ser2net";
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return std::nullopt;
}

// Whether something listens on 127.0.0.1:port, read from /proc/net/tcp so that checking does not
// open a connection (which would make ser2net open the serial device).
inline bool loopback_listening(std::uint16_t port) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    char want[32];
    std::snprintf(want, sizeof want, "0100007F:%04X", port);
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string sl, local, remote, state;
        ls >> sl >> local >> remote >> state;
        if (local == want && state == "0A") return true;
    }
    return false;
}

// ser2net serving `device` as RFC 2217 on 127.0.0.1:port(), from a temporary YAML config; killed on
// destruction.
class Ser2net {
public:
    Ser2net(const std::string& binary, const std::string& device) {
        char tmpl[] = "/tmp/vesper-ser2net-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        log_ = dir_ + "/ser2net.log";
        // A free port can be taken between our check and ser2net's bind: try a few.
        for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
            port_ = free_loopback_port();
            const std::string cfg = dir_ + "/ser2net.yaml";
            std::ofstream(cfg) << "%YAML 1.1\n---\n"
                               << "connection: &vesper\n"
                               << "  accepter: telnet(rfc2217),tcp,127.0.0.1," << port_ << "\n"
                               << "  connector: serialdev," << device << ",115200n81,local\n"
                               << "  options:\n"
                               << "    kickolduser: true\n";
            const pid_t pid = ::fork();
            if (pid == 0) {
                const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd >= 0) {
                    ::dup2(fd, 1);
                    ::dup2(fd, 2);
                }
                // -n: stay in the foreground, -d: log to stdout, -u: no UUCP lock files.
                ::execl(binary.c_str(), "ser2net", "-n", "-d", "-u", "-c", cfg.c_str(), static_cast<char*>(nullptr));
                ::_exit(127);
            }
            pid_ = pid;
            if (!wait_until([&] { return loopback_listening(port_) || exited(); }, 5000ms) || exited()) stop();
        }
        if (pid_ < 0) throw std::runtime_error("ser2net did not start listening; log:\n" + log());
    }
    ~Ser2net() {
        stop();
        std::remove(log_.c_str());
        std::remove((dir_ + "/ser2net.yaml").c_str());
        ::rmdir(dir_.c_str());
    }
    std::uint16_t port() const { return port_; }
    std::string log() const {
        std::ifstream in(log_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    bool exited() {
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return true;
        }
        return pid_ < 0;
    }
    void stop() {
        if (pid_ <= 0) {
            pid_ = -1;
            return;
        }
        ::kill(pid_, SIGTERM);
        if (!wait_until([&] { return exited(); }, 2000ms)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        pid_ = -1;
    }

    std::string dir_;
    std::string log_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace vesper_test
