#pragma once
// socket://HOST:PORT: the board's UART as a raw TCP byte stream (ser2net "raw", the device simulator).
// There are no modem lines on such a link, so no reset by DTR/RTS: the board must already be in
// download mode, or be reset by other means.
#include <chrono>
#include <cstdint>
#include <string>

#include "vesper/core/bytes.hpp"
#include "vesper/port/port_url.hpp"
#include "vesper/port/transport.hpp"

namespace vesper::esp {

inline constexpr std::chrono::milliseconds kTcpConnectTimeout{5000};
// A write that makes no progress for this long means the peer stopped reading.
inline constexpr std::chrono::milliseconds kTcpWriteStallTimeout{10000};

// A connected TCP stream with deadlines; the link under both socket:// and rfc2217://. Every error
// is Error(device) starting with `name` (the URL the user gave).
class TcpStream {
public:
    // Resolves `host` and tries each address in turn, each bounded by `timeout`. Sets TCP_NODELAY:
    // the loader exchanges small request/response packets and must not wait for Nagle.
    TcpStream(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, std::string name);
    ~TcpStream();
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    // Waits up to `timeout` for data, then returns what is there (up to `cap`); 0 on timeout. Throws
    // when the peer closed the connection or it broke.
    std::size_t read_some(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout);
    void write_all(ByteView data);
    const std::string& name() const noexcept { return name_; }
    int fd() const noexcept { return fd_; }

private:
    [[noreturn]] void lost(const std::string& why) const;

    int fd_ = -1;
    std::string name_;
};

class TcpTransport final : public Transport {
public:
    TcpTransport(const PortUrl& url, std::uint32_t baud,
                 std::chrono::milliseconds connect_timeout = kTcpConnectTimeout);

    const std::string& name() const override { return name_; }
    void write(ByteView data) override { stream_.write_all(data); }
    std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) override {
        return stream_.read_some(buf, cap, timeout);
    }
    // Drops what has already arrived; bytes still in flight arrive later.
    void flush_input() override;
    // There is no line to reconfigure: the rate is only recorded (the far end decides the real one).
    void set_baud(std::uint32_t baud) override { baud_ = baud; }
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool>, std::optional<bool>) override {}
    bool has_control_lines() const override { return false; }

private:
    std::string name_;
    TcpStream stream_;
    std::uint32_t baud_;
};

} // namespace vesper::esp
