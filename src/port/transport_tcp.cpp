#include "vesper/port/transport_tcp.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "poll_deadline.hpp"
#include "vesper/core/error.hpp"

namespace vesper::esp {
namespace {

using Clock = std::chrono::steady_clock;

std::string endpoint(const std::string& host, std::uint16_t port) {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Non-blocking connect bounded by the deadline; returns the connected fd or -1 with `why` set.
int connect_one(const addrinfo* ai, Clock::time_point deadline, std::string& why) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        why = std::strerror(errno);
        return -1;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
        why = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    for (;;) {
        pollfd p{fd, POLLOUT, 0};
        const int r = ::poll(&p, 1, detail::poll_timeout_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            why = r == 0 ? "timed out" : std::strerror(errno);
            ::close(fd);
            return -1;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            why = std::strerror(err);
            ::close(fd);
            return -1;
        }
        return fd;
    }
}

} // namespace

TcpStream::TcpStream(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, std::string name)
    : name_(std::move(name)) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0)
        fail(ErrorCode::port_open, name_ + ": cannot resolve host '" + host + "': " + ::gai_strerror(rc));
    const auto deadline = Clock::now() + timeout;
    std::string why = "no address";
    for (const addrinfo* ai = list; ai != nullptr && fd_ < 0; ai = ai->ai_next)
        fd_ = connect_one(ai, deadline, why);
    ::freeaddrinfo(list);
    if (fd_ < 0)
        fail(ErrorCode::port_open, name_ + ": cannot connect to " + endpoint(host, port) + ": " + why +
                                       " (is the server running and listening there?)");
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TcpStream::~TcpStream() {
    if (fd_ >= 0) ::close(fd_);
}

void TcpStream::lost(const std::string& why) const { fail(ErrorCode::port_io, name_ + ": connection lost: " + why); }

std::size_t TcpStream::read_some(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) {
    if (cap == 0) return 0;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const ssize_t n = ::recv(fd_, buf, cap, 0);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) lost("closed by the peer");
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) lost(std::strerror(errno));
        const int wait = detail::poll_timeout_ms(deadline);
        if (wait == 0 && Clock::now() >= deadline) return 0;
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, wait);
        if (r < 0 && errno != EINTR) lost(std::string("poll: ") + std::strerror(errno));
        if (r == 0 && Clock::now() >= deadline) return 0;
    }
}

void TcpStream::write_all(ByteView data) {
    std::size_t done = 0;
    auto deadline = Clock::now() + kTcpWriteStallTimeout;
    while (done < data.size()) {
        const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            deadline = Clock::now() + kTcpWriteStallTimeout;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) lost(std::strerror(errno));
        pollfd p{fd_, POLLOUT, 0};
        const int r = ::poll(&p, 1, detail::poll_timeout_ms(deadline));
        if (r < 0 && errno != EINTR) lost(std::string("poll: ") + std::strerror(errno));
        if (r == 0 && Clock::now() >= deadline)
            fail(ErrorCode::port_io,
                 name_ + ": write stalled for " + std::to_string(kTcpWriteStallTimeout.count() / 1000) + " s with " +
                     std::to_string(data.size() - done) + " bytes unsent (the peer stopped reading)");
    }
}

TcpTransport::TcpTransport(const PortUrl& url, std::uint32_t baud, std::chrono::milliseconds connect_timeout)
    : name_(url.url), stream_(url.host, url.port, connect_timeout, url.url), baud_(baud) {}

void TcpTransport::flush_input() {
    std::uint8_t scratch[4096];
    while (stream_.read_some(scratch, sizeof scratch, std::chrono::milliseconds(0)) > 0) {
    }
}

} // namespace vesper::esp
