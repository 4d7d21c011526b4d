#include <catch2/catch.hpp>

#include "test_esp_transport_support.hpp"
#include "vesper/core/error.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/port/transport_serial.hpp"

using namespace vesper;
using namespace vesper::esp;
using namespace vesper_test;

namespace {

speed_t master_speed(int master) {
    termios t{};
    REQUIRE(::tcgetattr(master, &t) == 0);
    return ::cfgetospeed(&t);
}

} // namespace

TEST_CASE("serial transport: a pty opens through termios, raw, both ways", "[esp][transport][serial]") {
    PtyPair pty;
    auto t = open_transport(pty.slave_path(), 115200);
    auto* st = dynamic_cast<SerialTransport*>(t.get());
    REQUIRE(st != nullptr);
    // Debian's libserialport 0.1.1 cannot open a pty: the automatic choice fell back to termios.
    CHECK(st->backend() == SerialBackend::termios);
    CHECK(t->name() == pty.slave_path());
    CHECK(t->baud() == 115200);
    CHECK(tty_line_speed(pty.master()) == 115200u);
    // A pty has no modem lines: reset strategies degrade to "none".
    CHECK_FALSE(t->has_control_lines());
    CHECK(connect_reset_strategies(*t) == std::vector<ResetKind>{ResetKind::none});
    t->set_lines(true, false); // ignored
    CHECK_FALSE(hard_reset(*t, [](std::chrono::milliseconds) {}));
    CHECK_FALSE(t->usb_info());

    // Raw: CR, LF, ^C, ^S/^Q, 0xFF and NUL pass untouched in both directions.
    Bytes sent;
    for (int i = 0; i < 4096; ++i)
        sent.push_back(static_cast<std::uint8_t>(i * 31 + 1));
    sent.insert(sent.end(), {0x0D, 0x0A, 0x03, 0x13, 0x11, 0x04, 0x00, 0xFF, 0x7F});
    t->write(sent);
    CHECK(read_fd(pty.master(), sent.size()) == sent);
    Bytes back(sent.rbegin(), sent.rend());
    write_fd(pty.master(), back);
    CHECK(read_n(*t, back.size()) == back);

    termios tio{};
    REQUIRE(::tcgetattr(pty.master(), &tio) == 0);
    CHECK((tio.c_cflag & HUPCL) == 0);
    CHECK((tio.c_cflag & CRTSCTS) == 0);
    CHECK((tio.c_cflag & CSIZE) == CS8);
    CHECK((tio.c_lflag & (ICANON | ECHO)) == 0);
}

TEST_CASE("serial transport: set_baud on a pty, standard and termios2 rates", "[esp][transport][serial]") {
    PtyPair pty;
    SerialTransport t(pty.slave_path(), 115200, SerialBackend::termios);
    t.set_baud(921600);
    CHECK(t.baud() == 921600);
    CHECK(master_speed(pty.master()) == B921600);
    CHECK(tty_line_speed(pty.master()) == 921600u);

    t.set_baud(1500000);
    CHECK(master_speed(pty.master()) == B1500000);
    CHECK(tty_line_speed(pty.master()) == 1500000u);

    // Not a B-constant: goes through BOTHER.
    t.set_baud(250000);
    CHECK(tty_line_speed(pty.master()) == 250000u);
    t.set_baud(115200);
    CHECK(master_speed(pty.master()) == B115200);
    CHECK(tty_line_speed(pty.master()) == 115200u);

    // Opening straight at a high rate works too.
    PtyPair pty2;
    SerialTransport t2(pty2.slave_path(), 1500000);
    CHECK(tty_line_speed(pty2.master()) == 1500000u);
}

TEST_CASE("serial transport: read timeout, flush and a vanished peer", "[esp][transport][serial]") {
    PtyPair pty;
    SerialTransport t(pty.slave_path(), 115200);
    std::uint8_t buf[16];
    const auto start = Clock::now();
    CHECK(t.read(buf, sizeof buf, 120ms) == 0);
    CHECK(Clock::now() - start >= 110ms);
    CHECK(t.read(buf, sizeof buf, 0ms) == 0);

    write_fd(pty.master(), Bytes{1, 2, 3});
    std::this_thread::sleep_for(50ms);
    t.flush_input();
    CHECK(t.read(buf, sizeof buf, 50ms) == 0);

    pty.close_master();
    try {
        t.read(buf, sizeof buf, 500ms);
        FAIL("no error after the other side went away");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK(e.code() == ErrorCode::port_io);
        CHECK(std::string(e.what()).find(pty.slave_path()) != std::string::npos);
    }
}

TEST_CASE("serial transport: errors name the port", "[esp][transport][serial]") {
    try {
        SerialTransport t("/dev/serial/by-path/vesper-no-such-port", 115200);
        FAIL("opened");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK(e.code() == ErrorCode::port_not_found);
        CHECK(std::string(e.what()).find("/dev/serial/by-path/vesper-no-such-port") != std::string::npos);
    }
    try {
        SerialTransport t("/dev/null", 115200);
        FAIL("opened");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK(e.code() == ErrorCode::port_open);
        CHECK(std::string(e.what()).find("/dev/null") != std::string::npos);
        CHECK(std::string(e.what()).find("not a serial port") != std::string::npos);
    }
}

TEST_CASE("serial transport: a second opener of the same port is refused", "[esp][transport][serial]") {
    PtyPair pty;
    SerialTransport first(pty.slave_path(), 115200);
    try {
        SerialTransport second(pty.slave_path(), 115200);
        FAIL("opened twice");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK(e.code() == ErrorCode::port_open);
        CHECK_THAT(e.hint(), Catch::Contains("close the other program"));
        CHECK(std::string(e.what()).find("in use") != std::string::npos);
    }
}
