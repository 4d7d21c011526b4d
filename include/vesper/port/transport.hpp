#pragma once
// A byte pipe to one board: a local serial port, a raw TCP socket (socket://host:port, as ser2net and
// simulators expose) or an RFC 2217 server (rfc2217://host:port). The loader only sees this interface,
// so protocol code never knows which one it talks to.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

// USB identity of a local port, where the OS tells it (not through socket:// or rfc2217://).
struct UsbInfo {
    std::uint16_t vid = 0;
    std::uint16_t pid = 0;
    std::string serial;
    std::string description;
};

class Transport {
public:
    virtual ~Transport() = default;

    // The port as the user named it, for messages: "/dev/ttyUSB0", "socket://127.0.0.1:4000".
    virtual const std::string& name() const = 0;

    // Writes all of `data` or throws Error(device) naming the port.
    virtual void write(ByteView data) = 0;
    // Waits up to `timeout` for at least one byte, then returns what is available (up to `cap`).
    // Returns 0 on timeout. Throws Error(device) naming the port when the link is gone.
    virtual std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) = 0;
    // Drops whatever was received and not yet read.
    virtual void flush_input() = 0;

    virtual void set_baud(std::uint32_t baud) = 0;
    virtual std::uint32_t baud() const = 0;

    // Modem control lines; true = asserted. Setting both in one call lets local ports change them in a
    // single ioctl (the "tight" reset variant). A transport without lines (socket://) ignores this and
    // says so through has_control_lines().
    virtual void set_lines(std::optional<bool> dtr, std::optional<bool> rts) = 0;
    virtual bool has_control_lines() const = 0;
    // True when set_lines() with both lines changes them at the same instant (one TIOCMSET on a local
    // port). RFC 2217 sends one SET-CONTROL per line (DTR first, then RTS), so it says false and the
    // "tight" reset strategies are not tried there.
    virtual bool sets_lines_atomically() const { return false; }

    virtual std::optional<UsbInfo> usb_info() const { return std::nullopt; }
};

// Opens a port by URL: a device path, socket://HOST:PORT or rfc2217://HOST:PORT. Throws Error(input)
// for a malformed URL, Error(not_found) for a missing device, Error(device) when it cannot connect.
std::unique_ptr<Transport> open_transport(const std::string& url, std::uint32_t baud = 115200);

} // namespace vesper::esp
