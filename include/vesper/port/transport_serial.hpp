#pragma once
// Local serial ports: USB-UART bridges (/dev/ttyUSB0, /dev/ttyACM0, /dev/serial/by-path/...) and
// pseudo-terminals.
//
// Two ways in, one way through:
//  - libserialport opens and configures real devices and tells their USB identity (VID/PID picks
//    the USB-Serial/JTAG reset). Debian's 0.1.1 looks every port up in sysfs, so it cannot open a
//    pseudo-terminal; plain termios does that (and anything else libserialport refuses).
//  - Reads and writes go straight to the file descriptor with poll() in both cases, so a vanished
//    port (read() == 0 or EIO after an unplug) is reported as lost instead of looking like silence.
//  - Line settings: raw 8N1, no flow control, CLOCAL, HUPCL off so closing the port does not drop
//    DTR/RTS (a line change the board could take as a reset).
//  - Linux asserts DTR and RTS while opening a tty; nothing can stop that. Both asserted together
//    leave the board running (the two-transistor circuit only resets on RTS without DTR), and we
//    deassert both in one TIOCMSET right after open so it never passes through the reset state.
//  - DTR/RTS together go in one TIOCMSET ("tight", sets_lines_atomically() is true); one line alone
//    in one call. A pseudo-terminal has no modem lines: has_control_lines() is false there.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "vesper/port/transport.hpp"

struct sp_port; // libserialport

namespace vesper::esp {

enum class SerialBackend {
    automatic,     // libserialport, then termios when libserialport cannot open the port
    libserialport, // libserialport only (fails where it cannot open the port)
    termios,       // plain termios only
};

inline constexpr std::chrono::milliseconds kSerialWriteStallTimeout{10000};

class SerialTransport final : public Transport {
public:
    // Throws Error(not_found) when `path` does not exist, Error(device) when it cannot be opened or
    // configured (the message names the path and, for EACCES, the dialout group).
    SerialTransport(const std::string& path, std::uint32_t baud, SerialBackend backend = SerialBackend::automatic);
    ~SerialTransport() override;
    SerialTransport(const SerialTransport&) = delete;
    SerialTransport& operator=(const SerialTransport&) = delete;

    const std::string& name() const override { return name_; }
    void write(ByteView data) override;
    std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) override;
    void flush_input() override;
    void set_baud(std::uint32_t baud) override;
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool> dtr, std::optional<bool> rts) override;
    bool has_control_lines() const override { return lines_; }
    bool sets_lines_atomically() const override { return lines_; }
    std::optional<UsbInfo> usb_info() const override { return usb_; }

    // Which backend opened the port (never `automatic`).
    SerialBackend backend() const noexcept {
        return port_ != nullptr ? SerialBackend::libserialport : SerialBackend::termios;
    }
    int fd() const noexcept { return fd_; }

private:
    bool open_libserialport(const std::string& real, std::string& why);
    void open_termios(const std::string& real);
    void after_open();
    [[noreturn]] void lost(const std::string& why) const;

    std::string name_;
    int fd_ = -1;
    sp_port* port_ = nullptr;
    bool lines_ = false;
    std::uint32_t baud_ = 0;
    std::optional<UsbInfo> usb_;
};

// Sets a tty's line speed: the standard B-constants through cfsetspeed, any other rate through
// termios2/BOTHER. Returns false with errno set when the driver refuses.
bool set_tty_speed(int fd, std::uint32_t baud);
// The output speed the kernel reports for a tty (termios2 c_ospeed), nullopt if `fd` is no tty.
std::optional<std::uint32_t> tty_line_speed(int fd);

namespace detail {
// The termios2 half of set_tty_speed(), in its own file: <asm/termbits.h> and <termios.h> cannot
// meet in one translation unit.
bool set_tty_speed_bother(int fd, std::uint32_t baud);
} // namespace detail

} // namespace vesper::esp
