#include "vesper/port/transport_serial.hpp"

#include <fcntl.h>
#include <libserialport.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "poll_deadline.hpp"
#include "sp_text.hpp"
#include "vesper/core/error.hpp"

namespace vesper::esp {
namespace {

using Clock = std::chrono::steady_clock;
using detail::sp_why;

std::string errno_text(int err) {
    std::string s = std::strerror(err);
    if (err == EACCES) s += " (is your user in the 'dialout' group?)";
    return s;
}

// A port that is there but does not open; a permission problem says how to get the permission.
[[noreturn]] void open_failed(const std::string& message, int err) {
    Error e(ErrorCode::port_open, message);
    if (err == EACCES)
        e.with_hint("add your user to the dialout group (sudo usermod -aG dialout $USER), then log in again");
    throw e;
}

constexpr std::array<std::pair<std::uint32_t, speed_t>, 30> kStandardRates = {{
    {50, B50},           {75, B75},           {110, B110},         {134, B134},         {150, B150},
    {200, B200},         {300, B300},         {600, B600},         {1200, B1200},       {1800, B1800},
    {2400, B2400},       {4800, B4800},       {9600, B9600},       {19200, B19200},     {38400, B38400},
    {57600, B57600},     {115200, B115200},   {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000},   {921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
}};

} // namespace

bool set_tty_speed(int fd, std::uint32_t baud) {
    for (const auto& [rate, code] : kStandardRates) {
        if (rate != baud) continue;
        termios t{};
        if (::tcgetattr(fd, &t) != 0) return false;
        if (::cfsetspeed(&t, code) != 0) return false;
        return ::tcsetattr(fd, TCSANOW, &t) == 0;
    }
    return detail::set_tty_speed_bother(fd, baud);
}

SerialTransport::SerialTransport(const std::string& path, std::uint32_t baud, SerialBackend backend)
    : name_(path), baud_(baud) {
    // by-id/by-path names are symlinks; libserialport wants the real tty to find it in sysfs.
    char real_buf[PATH_MAX];
    if (::realpath(path.c_str(), real_buf) == nullptr) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            fail(ErrorCode::port_not_found,
                 "serial port '" + path + "' does not exist (is the board plugged in? see ls /dev/serial/by-id/)");
        open_failed("cannot open serial port '" + path + "': " + errno_text(err), err);
    }
    const std::string real = real_buf;
    try {
        std::string why;
        bool opened = false;
        if (backend != SerialBackend::termios) {
            opened = open_libserialport(real, why);
            if (!opened && backend == SerialBackend::libserialport)
                fail(ErrorCode::port_open, "cannot open serial port '" + path + "' with libserialport: " + why);
        }
        if (!opened) open_termios(real);
        after_open();
    } catch (...) {
        if (port_ != nullptr) {
            sp_close(port_);
            sp_free_port(port_);
        } else if (fd_ >= 0) {
            ::close(fd_);
        }
        throw;
    }
}

SerialTransport::~SerialTransport() {
    if (port_ != nullptr) {
        sp_close(port_);
        sp_free_port(port_);
    } else if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool SerialTransport::open_libserialport(const std::string& real, std::string& why) {
    sp_port* p = nullptr;
    if (const auto r = sp_get_port_by_name(real.c_str(), &p); r != SP_OK) {
        why = sp_why(r);
        return false;
    }
    if (const auto r = sp_open(p, SP_MODE_READ_WRITE); r != SP_OK) {
        why = sp_why(r);
        sp_free_port(p);
        return false;
    }
    port_ = p; // from here on the destructor path owns it
    int fd = -1;
    if (const auto r = sp_get_port_handle(port_, &fd); r != SP_OK)
        fail(ErrorCode::port_open, "serial port '" + name_ + "': no file descriptor from libserialport: " + sp_why(r));
    fd_ = fd;
    if (sp_set_baudrate(port_, static_cast<int>(baud_)) != SP_OK && !set_tty_speed(fd_, baud_))
        fail(ErrorCode::port_open,
             "cannot set " + std::to_string(baud_) + " baud on serial port '" + name_ + "': " + errno_text(errno));
    const std::pair<const char*, sp_return> steps[] = {
        {"8 data bits", sp_set_bits(port_, 8)},
        {"no parity", sp_set_parity(port_, SP_PARITY_NONE)},
        {"1 stop bit", sp_set_stopbits(port_, 1)},
        {"no flow control", sp_set_flowcontrol(port_, SP_FLOWCONTROL_NONE)},
    };
    for (const auto& [what, r] : steps)
        if (r != SP_OK)
            fail(ErrorCode::port_open,
                 "cannot set " + std::string(what) + " on serial port '" + name_ + "': " + sp_why(r));
    if (sp_get_port_transport(port_) == SP_TRANSPORT_USB) {
        UsbInfo info;
        int vid = 0;
        int pid = 0;
        if (sp_get_port_usb_vid_pid(port_, &vid, &pid) == SP_OK) {
            info.vid = static_cast<std::uint16_t>(vid);
            info.pid = static_cast<std::uint16_t>(pid);
        }
        if (const char* s = sp_get_port_usb_serial(port_)) info.serial = s;
        if (const char* d = sp_get_port_description(port_)) info.description = d;
        usb_ = info;
    }
    return true;
}

void SerialTransport::open_termios(const std::string& real) {
    fd_ = ::open(real.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        const int err = errno;
        if (err == ENOENT) fail(ErrorCode::port_not_found, "serial port '" + name_ + "' does not exist");
        open_failed("cannot open serial port '" + name_ + "': " + errno_text(err), err);
    }
    if (!::isatty(fd_)) fail(ErrorCode::port_open, "'" + name_ + "' is not a serial port (not a terminal device)");
    termios t{};
    if (::tcgetattr(fd_, &t) != 0)
        fail(ErrorCode::port_open, "cannot read the settings of serial port '" + name_ + "': " + errno_text(errno));
    ::cfmakeraw(&t);
    t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | CRTSCTS | PARENB | CSIZE);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (::tcsetattr(fd_, TCSANOW, &t) != 0)
        fail(ErrorCode::port_open, "cannot set raw 8N1 on serial port '" + name_ + "': " + errno_text(errno));
    if (!set_tty_speed(fd_, baud_))
        fail(ErrorCode::port_open,
             "cannot set " + std::to_string(baud_) + " baud on serial port '" + name_ + "': " + errno_text(errno));
}

void SerialTransport::after_open() {
    // Two programs on one board would garble each other's frames.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        throw Error(ErrorCode::port_open, "serial port '" + name_ + "' is in use by another program")
            .with_hint("close the other program using it (a serial monitor, another vesperctl), or use another port");
    // Our reads and writes wait in poll(), never in the kernel.
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0)
        fail(ErrorCode::port_open, "cannot make serial port '" + name_ + "' non-blocking: " + errno_text(errno));
    termios t{};
    if (::tcgetattr(fd_, &t) == 0 && (t.c_cflag & HUPCL) != 0) {
        t.c_cflag &= ~static_cast<tcflag_t>(HUPCL);
        if (::tcsetattr(fd_, TCSANOW, &t) != 0)
            fail(ErrorCode::port_open, "cannot clear HUPCL on serial port '" + name_ + "': " + errno_text(errno));
    }
    // A pty answers TIOCMGET with an error: no modem lines to drive.
    int bits = 0;
    if (::ioctl(fd_, TIOCMGET, &bits) != 0) return;
    lines_ = true;
    bits &= ~(TIOCM_DTR | TIOCM_RTS);
    if (::ioctl(fd_, TIOCMSET, &bits) != 0)
        fail(ErrorCode::port_open, "cannot deassert DTR/RTS on serial port '" + name_ + "': " + errno_text(errno));
}

void SerialTransport::lost(const std::string& why) const {
    fail(ErrorCode::port_io, "serial port '" + name_ + "' lost: " + why);
}

std::size_t SerialTransport::read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) {
    if (cap == 0) return 0;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const ssize_t n = ::read(fd_, buf, cap);
        if (n > 0) return static_cast<std::size_t>(n);
        if (n == 0) {
            // With VMIN 0 an idle tty reads 0 like a hung-up one; only poll() tells them apart.
            pollfd h{fd_, POLLIN, 0};
            if (::poll(&h, 1, 0) > 0 && (h.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) lost("hung up (unplugged?)");
        } else if (errno == EINTR) {
            continue;
        } else if (errno != EAGAIN) {
            lost(errno == EIO ? "I/O error (unplugged?)" : errno_text(errno));
        }
        if (Clock::now() >= deadline) return 0;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, detail::poll_timeout_ms(deadline)) < 0 && errno != EINTR)
            lost(std::string("poll: ") + errno_text(errno));
    }
}

void SerialTransport::write(ByteView data) {
    std::size_t done = 0;
    auto deadline = Clock::now() + kSerialWriteStallTimeout;
    while (done < data.size()) {
        const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            deadline = Clock::now() + kSerialWriteStallTimeout;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) lost(errno == EIO ? "I/O error (unplugged?)" : errno_text(errno));
        if (Clock::now() >= deadline)
            fail(ErrorCode::port_io, "serial port '" + name_ + "': write stalled for " +
                                         std::to_string(kSerialWriteStallTimeout.count() / 1000) + " s with " +
                                         std::to_string(data.size() - done) + " bytes unsent");
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, detail::poll_timeout_ms(deadline)) < 0 && errno != EINTR)
            lost(std::string("poll: ") + errno_text(errno));
    }
}

void SerialTransport::flush_input() {
    const bool ok = port_ != nullptr ? sp_flush(port_, SP_BUF_INPUT) == SP_OK : ::tcflush(fd_, TCIFLUSH) == 0;
    if (!ok) fail(ErrorCode::port_io, "cannot flush the input of serial port '" + name_ + "': " + errno_text(errno));
}

void SerialTransport::set_baud(std::uint32_t baud) {
    const bool ok =
        (port_ != nullptr && sp_set_baudrate(port_, static_cast<int>(baud)) == SP_OK) || set_tty_speed(fd_, baud);
    if (!ok)
        fail(ErrorCode::port_io,
             "cannot set " + std::to_string(baud) + " baud on serial port '" + name_ + "': " + errno_text(errno));
    baud_ = baud;
}

void SerialTransport::set_lines(std::optional<bool> dtr, std::optional<bool> rts) {
    if (!lines_ || (!dtr && !rts)) return;
    const auto line_fail = [&](const char* what) {
        fail(ErrorCode::port_io,
             std::string("cannot set ") + what + " on serial port '" + name_ + "': " + errno_text(errno));
    };
    if (dtr && rts) {
        // Both in one TIOCMSET: the board sees a single transition (esptool's "tight" variant).
        int bits = 0;
        if (::ioctl(fd_, TIOCMGET, &bits) != 0) line_fail("DTR/RTS");
        bits = *dtr ? bits | TIOCM_DTR : bits & ~TIOCM_DTR;
        bits = *rts ? bits | TIOCM_RTS : bits & ~TIOCM_RTS;
        if (::ioctl(fd_, TIOCMSET, &bits) != 0) line_fail("DTR/RTS");
        return;
    }
    if (port_ != nullptr) {
        const sp_return r =
            dtr ? sp_set_dtr(port_, *dtr ? SP_DTR_ON : SP_DTR_OFF) : sp_set_rts(port_, *rts ? SP_RTS_ON : SP_RTS_OFF);
        if (r != SP_OK)
            fail(ErrorCode::port_io,
                 std::string("cannot set ") + (dtr ? "DTR" : "RTS") + " on serial port '" + name_ + "': " + sp_why(r));
        return;
    }
    const int bit = dtr ? TIOCM_DTR : TIOCM_RTS;
    const bool on = dtr ? *dtr : *rts;
    if (::ioctl(fd_, on ? TIOCMBIS : TIOCMBIC, &bit) != 0) line_fail(dtr ? "DTR" : "RTS");
}

} // namespace vesper::esp
