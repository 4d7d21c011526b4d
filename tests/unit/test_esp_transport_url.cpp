#include <catch2/catch.hpp>

#include "vesper/core/error.hpp"
#include "vesper/port/port_url.hpp"
#include "vesper/port/transport.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

// The URL must be rejected as input error and the message must quote it.
void check_bad(const std::string& url, const std::string& why_part) {
    INFO("url: '" << url << "'");
    try {
        parse_port_url(url);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK(e.code() == ErrorCode::port_url_invalid);
        const std::string msg = e.what();
        INFO("message: " << msg);
        if (url.find_first_not_of(' ') != std::string::npos) CHECK(msg.find("'" + url + "'") != std::string::npos);
        CHECK(msg.find(why_part) != std::string::npos);
    }
}

} // namespace

TEST_CASE("port URL: device paths are taken as they are", "[esp][transport][url]") {
    for (const std::string p :
         {"/dev/ttyUSB0", "/dev/ttyACM1", "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0",
          "/dev/serial/by-id/usb-Silicon_Labs_CP2102N-if00-port0", "ttyUSB0"}) {
        const auto u = parse_port_url(p);
        CHECK(u.kind == PortKind::device);
        CHECK(u.path == p);
        CHECK(u.url == p);
    }
}

TEST_CASE("port URL: socket:// and rfc2217:// with host and port", "[esp][transport][url]") {
    auto u = parse_port_url("socket://127.0.0.1:4000");
    CHECK(u.kind == PortKind::socket);
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 4000);

    u = parse_port_url("SOCKET://bench-3.local:1");
    CHECK(u.kind == PortKind::socket);
    CHECK(u.host == "bench-3.local");
    CHECK(u.port == 1);

    u = parse_port_url("socket://[::1]:65535");
    CHECK(u.host == "::1");
    CHECK(u.port == 65535);

    u = parse_port_url("rfc2217://10.0.0.7:2217");
    CHECK(u.kind == PortKind::rfc2217);
    CHECK(u.host == "10.0.0.7");
    CHECK(u.port == 2217);
    CHECK(u.rfc2217.timeout == std::chrono::milliseconds(3000));
    CHECK_FALSE(u.rfc2217.ignore_set_control_ack);
}

TEST_CASE("port URL: rfc2217 options", "[esp][transport][url]") {
    auto u = parse_port_url("rfc2217://h:2217?timeout=0.5&ign_set_control");
    CHECK(u.rfc2217.timeout == std::chrono::milliseconds(500));
    CHECK(u.rfc2217.ignore_set_control_ack);
    u = parse_port_url("rfc2217://h:2217?");
    CHECK(u.rfc2217.timeout == std::chrono::milliseconds(3000));
    u = parse_port_url("rfc2217://h:2217?timeout=10");
    CHECK(u.rfc2217.timeout == std::chrono::milliseconds(10000));
}

TEST_CASE("port URL: malformed URLs are input errors naming the URL", "[esp][transport][url]") {
    check_bad("", "empty");
    check_bad("   ", "empty");
    check_bad("socket://", "missing ':PORT'");
    check_bad("socket://host", "missing ':PORT'");
    check_bad("socket://:4000", "missing HOST");
    check_bad("socket://host:", "not a number from 1 to 65535");
    check_bad("socket://host:0", "not a number from 1 to 65535");
    check_bad("socket://host:65536", "not a number from 1 to 65535");
    check_bad("socket://host:40a0", "not a number from 1 to 65535");
    check_bad("socket://host:-1", "not a number from 1 to 65535");
    check_bad("socket://host:4000/x", "no path or options");
    check_bad("socket://host:4000?timeout=1", "no path or options");
    check_bad("socket://::1:4000", "IPv6");
    check_bad("socket://[::1:4000", "']'");
    check_bad("socket://[::1]4000", "missing ':PORT'");
    check_bad("socket://ho st:4000", "contains");
    check_bad("rfc2217://h:2217?bogus", "unknown option 'bogus'");
    check_bad("rfc2217://h:2217?logging=debug", "unknown option 'logging'");
    check_bad("rfc2217://h:2217?timeout=x", "option 'timeout'");
    check_bad("rfc2217://h:2217?timeout=0", "option 'timeout'");
    check_bad("rfc2217://h:2217?timeout=", "option 'timeout'");
    check_bad("rfc2217://h:2217?ign_set_control=1", "takes no value");
    check_bad("rfc2217://h:2217/ign_set_control", "options go after '?'");
    check_bad("http://h:80", "unsupported scheme 'http://'");
    check_bad("ssh://h:22", "unsupported scheme");
}

TEST_CASE("open_transport: bad URL is an input error, a missing device is not_found", "[esp][transport][url]") {
    try {
        open_transport("socket://nohost");
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK(e.code() == ErrorCode::port_url_invalid);
        CHECK(std::string(e.what()).find("socket://nohost") != std::string::npos);
    }
    try {
        open_transport("/dev/ttyUSB-vesper-does-not-exist");
        FAIL("opened");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK(e.code() == ErrorCode::port_not_found);
        CHECK(std::string(e.what()).find("/dev/ttyUSB-vesper-does-not-exist") != std::string::npos);
    }
}
