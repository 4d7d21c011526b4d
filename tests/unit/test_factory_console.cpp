// The factory console session against a scripted board on a real loopback socket: boot noise,
// garbage, damaged lines, late answers, crashes and silence.
#include <catch2/catch.hpp>

#include "factory_fake_board.hpp"
#include "vesper/core/error.hpp"
#include "vesper/factory/console_session.hpp"

using namespace vesper;
using namespace vesper::factory;
using namespace vesper_test;
using nlohmann::json;

namespace {

const char* const kBootNoise = "ets Jun  8 2016 00:22:57\r\n"
                               "\r\n"
                               "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
                               "configsip: 0, SPIWP:0xee\r\n"
                               "I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\r\n"
                               "I (290) cpu_start: Starting scheduler.\n";

template <class F> ErrorCode console_code_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::internal;
}

template <class F> std::string message_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("factory console: the hello through boot noise, garbage and a damaged copy", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        b.send(kBootNoise);
        b.send(std::string("\x00\xff\xfe garbage \x1b[0m", 16) + "\r\n");
        std::string damaged = board_line(0, "hello", hello_body("0.9.9"), true);
        b.send(damaged);
        b.send("~VF1 0 hello {\"proto\":1} zzzzzzzz\r\n"); // malformed CRC field
        // The good hello arrives in two pieces, as a UART gives it.
        const std::string good = board_line(0, "hello", hello_body("1.2.3"));
        b.send(good.substr(0, 20));
        std::this_thread::sleep_for(30ms);
        b.send(good.substr(20));
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    const json& hello = console.wait_hello(3000ms);
    CHECK(hello.at("fw_version") == "1.2.3");
    CHECK(console.hello()->at("fw") == "vesper-factory");
    CHECK(console.counters().bad_crc == 1);
    CHECK(console.counters().malformed == 1);
    CHECK(console.counters().ignored == 2);
    CHECK(console.counters().frames == 1);
    CHECK(console.counters().log_lines == 6);
    CHECK(console.log().find("I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\n") != std::string::npos);
    CHECK(console.log().find("rst:0x1 (POWERON_RESET)") != std::string::npos);
    CHECK(console.log().find("~VF1") == std::string::npos);
    // Asked again, the hello seen is returned without waiting.
    CHECK(console.wait_hello(1ms).at("fw_version") == "1.2.3");
}

TEST_CASE("factory console: the answer with the request's id, after a late one and damaged ones", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        b.send_line(0, "hello", hello_body());
        auto first = b.next_request();
        if (!first) return;
        // Too late for the first request: the host gives up on it at 150 ms.
        std::this_thread::sleep_for(400ms);
        auto second = b.next_request();
        if (!second) return;
        b.send_line(first->id, "ok", {{"free_heap", 1}}); // the late answer to the first request
        b.send(board_line(second->id, "ok", {{"free_heap", 2}}, true));
        b.send("I (5000) app: doing things\r\n");
        b.send("~VF1 " + std::to_string(second->id) + " ok {\"free_heap\":3}\r\n"); // no CRC at all
        b.send_line(second->id, "ok", {{"free_heap", 200000}});
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    console.wait_hello(3000ms);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(console_code_of([&] { console.request("info", {}, 150ms); }) == ErrorCode::factory_timeout);
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited >= 150ms);
    CHECK(waited < 1000ms);

    const Answer a = console.request("info", {}, 3000ms);
    CHECK(a.ok);
    CHECK(a.id == 2);
    CHECK(a.body == json{{"free_heap", 200000}});
    CHECK(a.elapsed.count() >= 0);
    CHECK(console.counters().stale == 1);
    CHECK(console.counters().bad_crc == 1);
    CHECK(console.counters().malformed == 1);
    CHECK(console.counters().requests == 2);

    const auto reqs = board.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].id == 1);
    CHECK(reqs[1].id == 2);
    CHECK(reqs[0].crc_ok);
    CHECK(reqs[1].raw == "~VF1 2 info {} " + crc_hex("~VF1 2 info {}"));
}

TEST_CASE("factory console: an err answer, and ids wrapping from 65535 to 1", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        b.send_line(0, "hello", hello_body());
        b.serve_requests(
            [](FakeBoard& fb, const BoardRequest& r) {
                if (r.command == "gpio")
                    fb.send_line(r.id, "err", {{"code", "bad_args"}, {"message", "pin 99 does not exist"}});
                else
                    fb.send_line(r.id, "ok", {{"echo", r.id}});
            },
            1500ms);
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    console.wait_hello(3000ms);
    console.set_next_id(65535);
    const Answer a = console.request("gpio", json{{"pairs", {{4, 99}}}}, 2000ms);
    CHECK_FALSE(a.ok);
    CHECK(a.id == 65535);
    CHECK(a.error_text() == "bad_args: pin 99 does not exist");
    CHECK(console.next_id() == 1);
    const Answer b = console.request("info", {}, 2000ms);
    CHECK(b.ok);
    CHECK(b.id == 1);
    CHECK(b.body.at("echo") == 1);
    const auto reqs = board.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].args == json{{"pairs", {{4, 99}}}});
}

TEST_CASE("factory console: a panic while a request is in flight is a crash", "[factory]") {
    const char* panic = GENERATE("Guru Meditation Error: Core  1 panic'ed (LoadProhibited). Exception was unhandled.",
                                 "abort() was called at PC 0x400d1234 on core 0",
                                 "Backtrace: 0x400d1234:0x3ffb1f00 0x400d5678:0x3ffb1f20",
                                 "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)");
    FakeBoard board([panic](FakeBoard& b) {
        b.send(kBootNoise);
        b.send_line(0, "hello", hello_body());
        if (!b.next_request()) return;
        b.send("I (900) wifi: scanning\r\n");
        b.send(std::string(panic) + "\r\n");
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    console.wait_hello(3000ms); // the boot's own rst:0x line comes before the hello: not a crash
    std::string msg;
    try {
        console.request("wifi_scan", {}, 3000ms);
        FAIL("no crash reported");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::factory_crash);
        msg = e.what();
    }
    CHECK(msg.find(std::string(panic).substr(0, 20)) != std::string::npos);
    CHECK(msg.find(board.url()) == 0);
}

TEST_CASE("factory console: a boot loop before the hello is a crash", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        b.send(kBootNoise);
        b.send("E (300) app: cannot start\r\n");
        b.send(kBootNoise);
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    CHECK(console_code_of([&] { console.wait_hello(2000ms); }) == ErrorCode::factory_crash);
}

TEST_CASE("factory console: no hello, then a hello asked for", "[factory]") {
    SECTION("a board that only logs") {
        FakeBoard board([](FakeBoard& b) {
            for (int i = 0; i < 5 && !b.stopping(); ++i) {
                b.send("I (" + std::to_string(i) + ") app: tick\r\n");
                std::this_thread::sleep_for(20ms);
            }
            while (b.next_request(1000ms)) {
            } // read (and record) the hello requests, never answering
        });
        auto port = esp::open_transport(board.url());
        ConsoleOptions options;
        options.hello_ask_after = 100ms;
        ConsoleSession console(*port, options);
        const auto t0 = std::chrono::steady_clock::now();
        const std::string msg = message_of([&] { console.wait_hello(400ms); });
        CHECK(std::chrono::steady_clock::now() - t0 < 2000ms);
        CHECK(msg == board.url() + ": no hello from the board within 400 ms (5 log lines, 0 damaged protocol "
                                   "lines: is the factory firmware on it?)");
        CHECK(console_code_of([&] { console.wait_hello(100ms); }) == ErrorCode::factory_no_hello);
        // It was asked with hello requests meanwhile.
        CHECK(board.requests().size() >= 2);
        CHECK(board.requests().at(0).command == "hello");
    }
    SECTION("a board whose hello event was missed answers the hello request") {
        FakeBoard board([](FakeBoard& b) {
            if (auto r = b.next_request()) b.send_line(r->id, "ok", hello_body("2.0.0"));
        });
        auto port = esp::open_transport(board.url());
        ConsoleOptions options;
        options.hello_ask_after = 50ms;
        ConsoleSession console(*port, options);
        CHECK(console.wait_hello(3000ms).at("fw_version") == "2.0.0");
    }
    SECTION("silence") {
        FakeBoard board([](FakeBoard&) {});
        auto port = esp::open_transport(board.url());
        ConsoleSession console(*port);
        CHECK(message_of([&] { console.wait_hello(200ms); }) ==
              board.url() + ": no hello from the board within 200 ms (it printed nothing: check that the app "
                            "runs and the baud rate)");
    }
}

TEST_CASE("factory console: a restart asked for is not a crash, one not asked for is", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        b.send_line(0, "hello", hello_body("1.0.0"));
        if (auto r = b.next_request()) b.send_line(r->id, "ok", {{"rebooting", true}});
        std::this_thread::sleep_for(50ms);
        b.send(kBootNoise);
        b.send_line(0, "hello", hello_body("1.0.1"));
        std::this_thread::sleep_for(50ms);
        b.send_line(0, "hello", hello_body("1.0.2")); // a restart without its ROM line
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    console.wait_hello(3000ms);
    CHECK(console.request("reboot", {}, 2000ms).body.at("rebooting") == true);
    console.expect_restart();
    CHECK(console.wait_hello(3000ms).at("fw_version") == "1.0.1");
    CHECK(console_code_of([&] { console.request("info", {}, 2000ms); }) == ErrorCode::factory_crash);
}

TEST_CASE("factory console: expect_line for consoles without the protocol", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        std::string in;
        // Raw lines: the fake reads them as requests too (their fields are then empty).
        while (auto r = b.next_request(1500ms)) {
            if (r->raw == "version") b.send("version\r\nfirmware v1.4.2 (factory)\r\n");
            if (r->raw == "selftest") b.send("selftest: start\r\nselftest: FAILED sensor\r\nselftest: ok\r\n");
        }
    });
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    const std::vector<std::regex> bad{std::regex("FAILED"), std::regex("Guru Meditation")};
    LineMatch m = console.expect_line("version", std::regex("v[0-9]+\\.[0-9]+"), bad, 2000ms);
    CHECK(m.matched);
    CHECK(m.line == "firmware v1.4.2 (factory)");
    m = console.expect_line("selftest", std::regex("selftest: ok"), bad, 2000ms);
    CHECK_FALSE(m.matched);
    CHECK(m.rejected_by == 0);
    CHECK(m.line == "selftest: FAILED sensor");
    CHECK(console_code_of([&] { console.expect_line("", std::regex("never"), bad, 150ms); }) ==
          ErrorCode::factory_timeout);
}

TEST_CASE("factory console: the captured log stays bounded and lines end at CR, LF or a cap", "[factory]") {
    FakeBoard board([](FakeBoard& b) {
        std::string burst;
        for (int i = 0; i < 200; ++i)
            burst += "I (" + std::to_string(i) + ") app: line number " + std::to_string(i) + "\r";
        b.send(std::string(10000, 'z')); // no line end at all
        b.send("\n");
        b.send(burst);
        b.send_line(0, "hello", hello_body());
    });
    auto port = esp::open_transport(board.url());
    ConsoleOptions options;
    options.log_capacity = 1024;
    ConsoleSession console(*port, options);
    console.wait_hello(3000ms);
    CHECK(console.log().size() <= 1024);
    CHECK(console.log_dropped() > 0);
    CHECK(console.log().find("line number 199\n") != std::string::npos);
    CHECK(console.log().find("line number 0\n") == std::string::npos);
    // The 10000 bytes cut at 4096 (3 pieces), then 200 lines.
    CHECK(console.counters().log_lines == 203);
}
