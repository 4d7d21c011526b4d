#include <catch2/catch.hpp>

#include "test_esp_transport_support.hpp"
#include "vesper/core/error.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/port/transport_rfc2217.hpp"
#include "vesper/port/transport_serial.hpp"

using namespace vesper;
using namespace vesper::esp;
using namespace vesper_test;
namespace r = vesper::esp::rfc2217;

namespace {

Bytes test_pattern() {
    Bytes b;
    for (int i = 0; i < 2048; ++i)
        b.push_back(static_cast<std::uint8_t>(i * 13 + 5));
    b.insert(b.end(), {0xFF, 0xFF, 0xFF, 0x0D, 0x00, 0x0D, 0x0A, 0xFF, 0xC0, 0xDB});
    return b;
}

// SET-CONTROL values a step list should produce over RFC 2217: DTR first, then RTS.
std::vector<std::uint8_t> expected_controls(const std::vector<LineStep>& steps) {
    std::vector<std::uint8_t> out;
    for (const auto& s : steps) {
        if (s.dtr) out.push_back(static_cast<std::uint8_t>(*s.dtr ? r::Control::dtr_on : r::Control::dtr_off));
        if (s.rts) out.push_back(static_cast<std::uint8_t>(*s.rts ? r::Control::rts_on : r::Control::rts_off));
    }
    return out;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        return e.what();
    }
    FAIL("no error");
    return {};
}

} // namespace

TEST_CASE("rfc2217 transport: negotiates, configures 8N1 and leaves the board running", "[esp][transport][rfc2217]") {
    Rfc2217TestServer server;
    const std::string u = url("rfc2217", server.port());
    auto t = open_transport(u, 115200);
    CHECK(t->name() == u);
    CHECK(t->has_control_lines());
    CHECK_FALSE(t->sets_lines_atomically());
    CHECK(t->baud() == 115200);

    // The client asked for BINARY and SGA both ways and WILL COM-PORT-OPTION.
    const auto negs = server.negotiations();
    for (const r::Negotiation want : {r::Negotiation{r::kWill, r::kOptBinary}, r::Negotiation{r::kDo, r::kOptBinary},
                                      r::Negotiation{r::kWill, r::kOptSga}, r::Negotiation{r::kDo, r::kOptSga},
                                      r::Negotiation{r::kWill, r::kOptComPort}})
        CHECK(std::find(negs.begin(), negs.end(), want) != negs.end());

    const auto msgs = server.messages();
    REQUIRE(msgs.size() >= 7);
    CHECK(msgs[0].baud() == 115200u);
    CHECK(msgs[1].command == r::ComCommand::set_datasize);
    CHECK(msgs[1].byte() == 8);
    CHECK(msgs[2].command == r::ComCommand::set_parity);
    CHECK(msgs[2].byte() == static_cast<std::uint8_t>(r::Parity::none));
    CHECK(msgs[3].command == r::ComCommand::set_stopsize);
    CHECK(msgs[3].byte() == static_cast<std::uint8_t>(r::StopSize::one));
    // No flow control, then RTS off before DTR off: never DTR off with RTS on (reset).
    const std::vector<std::uint8_t> want_controls = {1, 12, 9};
    CHECK(server.controls() == want_controls);
    auto* rt = dynamic_cast<Rfc2217Transport*>(t.get());
    REQUIRE(rt != nullptr);
    CHECK(rt->server_acknowledges(r::ComCommand::set_control));
    CHECK(rt->server_acknowledges(r::ComCommand::set_baudrate));
}

TEST_CASE("rfc2217 transport: data both ways byte-exact, 0xFF included", "[esp][transport][rfc2217]") {
    Rfc2217TestServer::Options o;
    o.echo = true;
    Rfc2217TestServer server(o);
    auto t = open_transport(url("rfc2217", server.port()));
    const Bytes sent = test_pattern();
    t->write(sent);
    CHECK(read_n(*t, sent.size()) == sent);
    CHECK(server.data() == sent);

    // Server-initiated data split by commands still arrives intact.
    server.send_raw(Bytes{'h', 0xFF, 0xFF, 0xFF, 0xF1, 'i', 0xFF});
    server.send_raw(Bytes{0xFF, '!'});
    CHECK(read_n(*t, 5) == Bytes{'h', 0xFF, 'i', 0xFF, '!'});
}

TEST_CASE("rfc2217 transport: set_baud waits for the server's acknowledgement", "[esp][transport][rfc2217]") {
    Rfc2217TestServer server;
    auto t = open_transport(url("rfc2217", server.port()));
    t->set_baud(921600);
    CHECK(t->baud() == 921600);
    // The server has it by the time set_baud returned (it records before acknowledging).
    CHECK(server.bauds().back() == 921600u);
    t->set_baud(1500000);
    CHECK(server.bauds().back() == 1500000u);
}

TEST_CASE("rfc2217 transport: each reset strategy produces its SET-CONTROL sequence",
          "[esp][transport][rfc2217][reset]") {
    Rfc2217TestServer server;
    auto t = open_transport(url("rfc2217", server.port()));
    const std::vector<ResetKind> want_rotation = {ResetKind::classic, ResetKind::classic_extra};
    CHECK(connect_reset_strategies(*t) == want_rotation);

    std::vector<std::chrono::milliseconds> slept;
    const SleepFn fake_sleep = [&](std::chrono::milliseconds d) { slept.push_back(d); };
    for (ResetKind kind : {ResetKind::classic, ResetKind::classic_extra, ResetKind::unix_tight,
                           ResetKind::unix_tight_extra, ResetKind::usb_jtag_serial}) {
        INFO(to_string(kind));
        server.clear_messages();
        slept.clear();
        run_reset(*t, kind, fake_sleep);
        CHECK(server.controls() == expected_controls(reset_steps(kind)));
    }
    server.clear_messages();
    CHECK(connect_reset_sequence(*t, 1, fake_sleep) == ResetKind::classic_extra);
    CHECK(server.controls() == std::vector<std::uint8_t>{9, 11, 8, 12, 9});

    server.clear_messages();
    CHECK(hard_reset(*t, fake_sleep));
    CHECK(server.controls() == std::vector<std::uint8_t>{9, 11, 12});
}

TEST_CASE("rfc2217 transport: a server that never acknowledges is tolerated", "[esp][transport][rfc2217]") {
    Rfc2217TestServer::Options o;
    o.ack = false;
    Rfc2217TestServer server(o);
    const auto start = Clock::now();
    auto t = open_transport(url("rfc2217", server.port(), "?timeout=0.2"));
    auto* rt = dynamic_cast<Rfc2217Transport*>(t.get());
    REQUIRE(rt != nullptr);
    CHECK_FALSE(rt->server_acknowledges(r::ComCommand::set_baudrate));
    CHECK_FALSE(rt->server_acknowledges(r::ComCommand::set_control));
    // Each kind waits once: baud, datasize, parity, stopsize, control -> about 5 x 0.2 s.
    CHECK(Clock::now() - start < 2500ms);
    const auto before = Clock::now();
    run_reset(*t, ResetKind::classic, [](std::chrono::milliseconds) {});
    t->set_baud(460800);
    CHECK(Clock::now() - before < 150ms); // no more waiting
    CHECK(t->baud() == 460800);
    CHECK(wait_until([&] { return server.controls().size() == 3 + 5; }));
}

TEST_CASE("rfc2217 transport: ign_set_control does not wait for line acknowledgements", "[esp][transport][rfc2217]") {
    Rfc2217TestServer::Options o;
    o.ack = false;
    Rfc2217TestServer server(o);
    auto t = open_transport(url("rfc2217", server.port(), "?timeout=0.2&ign_set_control"));
    auto* rt = dynamic_cast<Rfc2217Transport*>(t.get());
    REQUIRE(rt != nullptr);
    CHECK(rt->server_acknowledges(r::ComCommand::set_control)); // never waited, never missed
    CHECK(wait_until([&] { return server.controls() == std::vector<std::uint8_t>{1, 12, 9}; }));
}

TEST_CASE("rfc2217 transport: refusals and silence are device errors naming the URL", "[esp][transport][rfc2217]") {
    SECTION("server refuses COM-PORT-OPTION") {
        Rfc2217TestServer::Options o;
        o.refuse_com_port = true;
        Rfc2217TestServer server(o);
        const std::string u = url("rfc2217", server.port(), "?timeout=1");
        const std::string msg = error_of([&] { open_transport(u); });
        CHECK(msg.find(u) != std::string::npos);
        CHECK(msg.find("refuses") != std::string::npos);
        CHECK(msg.find("socket://") != std::string::npos);
    }
    SECTION("raw TCP peer that never negotiates") {
        Rfc2217TestServer::Options o;
        o.telnet = false;
        Rfc2217TestServer server(o);
        const std::string u = url("rfc2217", server.port(), "?timeout=0.3");
        const std::string msg = error_of([&] { open_transport(u); });
        CHECK(msg.find(u) != std::string::npos);
        CHECK(msg.find("no RFC 2217 negotiation") != std::string::npos);
    }
    SECTION("server runs the port at another baud") {
        Rfc2217TestServer::Options o;
        o.baud_ack = 9600;
        Rfc2217TestServer server(o);
        const std::string u = url("rfc2217", server.port());
        const std::string msg = error_of([&] { open_transport(u, 115200); });
        CHECK(msg.find(u) != std::string::npos);
        CHECK(msg.find("9600 baud instead of 115200") != std::string::npos);
    }
    SECTION("server goes away") {
        Rfc2217TestServer server;
        const std::string u = url("rfc2217", server.port());
        auto t = open_transport(u);
        server.close_client();
        REQUIRE(wait_until([&] { return server.client_gone(); }));
        const std::string msg = error_of([&] {
            std::uint8_t buf[8];
            for (int i = 0; i < 40; ++i)
                t->read(buf, sizeof buf, 50ms);
        });
        CHECK(msg.find(u) != std::string::npos);
    }
}

TEST_CASE("rfc2217 transport: flush_input purges the server and drops received data", "[esp][transport][rfc2217]") {
    Rfc2217TestServer server;
    auto t = open_transport(url("rfc2217", server.port()));
    server.send_data(Bytes{1, 2, 3});
    std::this_thread::sleep_for(100ms);
    t->flush_input();
    std::uint8_t buf[8];
    CHECK(t->read(buf, sizeof buf, 50ms) == 0);
    CHECK(wait_until([&] {
        for (const auto& m : server.messages())
            if (m.command == r::ComCommand::purge_data && m.byte() == static_cast<std::uint8_t>(r::Purge::receive))
                return true;
        return false;
    }));
}

// ---- against ser2net, an RFC 2217 server we did not write ----

TEST_CASE("rfc2217 transport against ser2net in front of a pseudo-terminal", "[esp][transport][rfc2217][ser2net]") {
    const auto binary = find_ser2net();
    if (!binary) {
        WARN("SKIPPED: ser2net is not installed (scripts/install-deps installs it); the RFC 2217 client was "
             "not checked against an independent server");
        return;
    }
    PtyPair pty;
    Ser2net ser2net(*binary, pty.slave_path());
    INFO("ser2net log:\n" << ser2net.log());
    // ser2net 4.3 does not acknowledge DTR/RTS changes on a pty (the modem-line ioctls fail there),
    // so the client waits once for that, then carries on: keep that wait short.
    const std::string u = url("rfc2217", ser2net.port(), "?timeout=1");
    auto t = open_transport(u, 115200);
    REQUIRE(t->has_control_lines());

    // ser2net opened the pty slave on connect and set what we asked; the master sees the slave's
    // termios (Linux pty ioctls on the master act on the slave's settings).
    REQUIRE(wait_until([&] { return tty_line_speed(pty.master()) == 115200u; }));
    t->set_baud(921600);
    CHECK(t->baud() == 921600);
    CHECK(wait_until([&] { return tty_line_speed(pty.master()) == 921600u; }));
    termios tio{};
    REQUIRE(::tcgetattr(pty.master(), &tio) == 0);
    CHECK(::cfgetospeed(&tio) == B921600);
    CHECK((tio.c_cflag & CSIZE) == CS8);
    CHECK((tio.c_cflag & PARENB) == 0);
    CHECK((tio.c_cflag & CSTOPB) == 0);

    // Lines: a pty has none, but the requests must not break the session.
    run_reset(*t, ResetKind::classic, [](std::chrono::milliseconds) {});

    // Client -> serial side.
    const Bytes sent = test_pattern();
    t->write(sent);
    CHECK(read_fd(pty.master(), sent.size()) == sent);
    // Serial side -> client.
    Bytes back(sent.rbegin(), sent.rend());
    write_fd(pty.master(), back);
    CHECK(read_n(*t, back.size()) == back);
}
