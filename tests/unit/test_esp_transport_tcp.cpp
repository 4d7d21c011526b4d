#include <catch2/catch.hpp>

#include "test_esp_transport_support.hpp"
#include "vesper/core/error.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/port/transport_tcp.hpp"

using namespace vesper;
using namespace vesper::esp;
using namespace vesper_test;

namespace {

// Serves one client on 127.0.0.1 with `body(client_fd)`; bounded by the accept wait and by body.
class OneShotServer {
public:
    explicit OneShotServer(std::function<void(int)> body)
        : thread_([this, body = std::move(body)] {
              Fd c(listener_.accept(3000ms));
              if (c.get() >= 0) body(c.get());
          }) {}
    ~OneShotServer() { thread_.join(); }
    std::uint16_t port() const { return listener_.port(); }

private:
    LoopbackListener listener_;
    std::thread thread_;
};

} // namespace

TEST_CASE("tcp transport: bytes go both ways unchanged, 0xFF included", "[esp][transport][tcp]") {
    std::atomic<bool> done{false};
    OneShotServer server([&](int fd) {
        // Echo until the client closes or the test says done.
        const auto end = Clock::now() + 5000ms;
        while (!done && Clock::now() < end) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 10) <= 0) continue;
            std::uint8_t buf[1024];
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return;
            write_fd(fd, ByteView(buf, static_cast<std::size_t>(n)));
        }
    });
    auto t = open_transport(url("socket", server.port()), 115200);
    CHECK(t->name() == url("socket", server.port()));
    CHECK_FALSE(t->has_control_lines());
    CHECK_FALSE(t->sets_lines_atomically());
    CHECK_FALSE(t->usb_info());
    t->set_lines(true, true); // ignored, no throw

    Bytes sent;
    for (int i = 0; i < 3000; ++i)
        sent.push_back(static_cast<std::uint8_t>(i * 7));
    sent.insert(sent.end(), {0xFF, 0xFF, 0xC0, 0xDB, 0x0D, 0x0A, 0x00, 0xFF});
    t->write(sent);
    CHECK(read_n(*t, sent.size()) == sent);

    t->set_baud(921600);
    CHECK(t->baud() == 921600);
    done = true;
}

TEST_CASE("tcp transport: read times out with 0 and flush_input drops what arrived", "[esp][transport][tcp]") {
    std::atomic<bool> go{false};
    std::atomic<bool> done{false};
    OneShotServer server([&](int fd) {
        wait_until([&] { return go.load(); }, 5000ms);
        const Bytes junk{1, 2, 3, 4, 5};
        write_fd(fd, junk);
        wait_until([&] { return done.load(); }, 5000ms);
    });
    TcpTransport t(parse_port_url(url("socket", server.port())), 115200);
    std::uint8_t buf[16];
    const auto start = Clock::now();
    CHECK(t.read(buf, sizeof buf, 150ms) == 0);
    const auto took = Clock::now() - start;
    CHECK(took >= 140ms);
    CHECK(took < 1500ms);
    CHECK(t.read(buf, sizeof buf, 0ms) == 0);

    go = true;
    // Let the junk arrive, then drop it.
    std::this_thread::sleep_for(100ms);
    t.flush_input();
    CHECK(t.read(buf, sizeof buf, 50ms) == 0);
    done = true;
}

TEST_CASE("tcp transport: peer close is a device error naming the URL", "[esp][transport][tcp]") {
    OneShotServer server([](int fd) { write_fd(fd, Bytes{0x42}); });
    const std::string u = url("socket", server.port());
    auto t = open_transport(u);
    std::uint8_t buf[4];
    REQUIRE(t->read(buf, sizeof buf, 2000ms) == 1);
    CHECK(buf[0] == 0x42);
    try {
        // The server thread has closed its end after the byte.
        for (int i = 0; i < 50; ++i)
            t->read(buf, sizeof buf, 100ms);
        FAIL("no error after the peer closed");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK(std::string(e.what()).find(u) != std::string::npos);
        CHECK(std::string(e.what()).find("closed") != std::string::npos);
    }
}

TEST_CASE("tcp transport: nobody listening is a device error naming the URL", "[esp][transport][tcp]") {
    const std::string u = url("socket", free_loopback_port());
    try {
        open_transport(u);
        FAIL("connected");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK(std::string(e.what()).find(u) != std::string::npos);
        CHECK(std::string(e.what()).find("cannot connect") != std::string::npos);
    }
}
