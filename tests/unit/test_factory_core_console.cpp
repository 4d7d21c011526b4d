// The factory console's lifetime rule (docs/firmware.md) and what it does with lines that are not
// requests.
#include <catch2/catch.hpp>

#include <string>

#include "factory_core_fake_hal.hpp"
#include "vesper_factory.hpp"

using vesper::test::ActiveConsole;
using vesper::test::FakeHal;
using vesper::test::framed;
using vesper::test::kFakeHello;
using State = vesper_factory::Console::State;

namespace {

std::string hello() { return framed("~VF1 0 hello " + kFakeHello); }
void feed(vesper_factory::Console& console, const std::string& bytes) { console.feed(bytes.data(), bytes.size()); }

} // namespace

TEST_CASE("factory console without the factory flag is active from boot and says hello once", "[factory]") {
    for (const auto flag :
         {std::optional<std::uint8_t>{}, std::optional<std::uint8_t>{0}, std::optional<std::uint8_t>{2}}) {
        FakeHal hal;
        hal.flag = flag;
        vesper_factory::Console console;
        CHECK(console.state() == State::off);
        feed(console, "~VF1 1 hello {} -\n"); // before begin(): nothing
        CHECK(hal.written.empty());
        console.begin(hal, "vesper-factory", "1.0.0");
        CHECK(console.state() == State::active);
        CHECK(hal.written == hello());
        hal.now = 60000; // no window when the flag is unset
        console.poll();
        CHECK(console.state() == State::active);
        hal.written.clear();
        feed(console, "~VF1 1 mark_tested {} -\n");
        CHECK(hal.written == framed(R"(~VF1 1 ok {"factory_ok":true})"));
    }
}

TEST_CASE("factory console ignores and counts noise, bad CRCs and overlong lines", "[factory]") {
    ActiveConsole c;
    const std::string good = framed("~VF1 2 mark_tested {}");
    std::string bad_crc = good;
    bad_crc[bad_crc.size() - 2] = bad_crc[bad_crc.size() - 2] == '0' ? '1' : '0';
    feed(c.console, "I (123) wifi: connected\nrst:0x1 (POWERON_RESET)\n\n\xff\xfe\n~VF1 1 info {} \n");
    feed(c.console, bad_crc);
    feed(c.console, "~VF1 3 info {} -" + std::string(300, ' ') + "\n");
    CHECK(c.hal.written.empty());
    CHECK(c.console.counters().ignored == 5);
    CHECK(c.console.counters().bad_crc == 1);
    CHECK(c.console.counters().overflow == 1);
    CHECK(c.console.answered() == 0);
    CHECK_FALSE(c.hal.flag.has_value());
    // Requests split across feeds and several in one feed are all answered, in order.
    feed(c.console, good.substr(0, 9));
    feed(c.console, good.substr(9) + "noise\n~VF1 4 mark_tested {\"passed\":false} -\n");
    CHECK(c.hal.written == framed(R"(~VF1 2 ok {"factory_ok":true})") + framed(R"(~VF1 4 ok {"factory_ok":false})"));
    CHECK(c.console.counters().ignored == 6);
}

TEST_CASE("factory console on a tested board stays silent, and a request in the first 3 s wakes it", "[factory]") {
    FakeHal hal;
    hal.flag = 1;
    vesper_factory::Console console;
    console.begin(hal, "vesper-factory", "1.0.0");
    CHECK(console.state() == State::listening);
    CHECK(hal.written.empty());

    hal.now = 1000;
    console.poll();
    feed(console, "garbage\n" + framed("~VF1 9 info {}").substr(0, 20) + "x\n~VF1 9 info {} 00000000\n");
    CHECK(hal.written.empty()); // nothing is written while listening, not even for bad lines
    CHECK(console.counters().ignored == 2);
    CHECK(console.counters().bad_crc == 1);
    CHECK(console.state() == State::listening);

    hal.now = 2999;
    feed(console, "~VF1 5 mark_tested {\"passed\":false} -\n");
    CHECK(console.state() == State::active);
    CHECK(hal.written == hello() + framed(R"(~VF1 5 ok {"factory_ok":false})"));
    CHECK(hal.flag == 0);
    // Active for the rest of this boot.
    hal.now = 100000;
    console.poll();
    hal.written.clear();
    feed(console, "~VF1 6 reboot {} -\n");
    CHECK(hal.written == framed(R"(~VF1 6 ok {"rebooting":true})"));
    CHECK(hal.reboots == 1);
}

TEST_CASE("factory console on a tested board turns off for good after 3 s without a request", "[factory]") {
    SECTION("found off by poll()") {
        FakeHal hal;
        hal.flag = 1;
        vesper_factory::Console console;
        console.begin(hal, "vesper-factory", "1.0.0");
        hal.now = 2999;
        console.poll();
        CHECK(console.state() == State::listening);
        hal.now = 3000;
        console.poll();
        CHECK(console.state() == State::off);
        hal.now = 10; // even should the clock go back: off until the next boot
        feed(console, "~VF1 1 hello {} -\n" + framed("~VF1 2 hello {}") + "noise\n");
        CHECK(hal.written.empty());
        CHECK(console.counters().ignored == 0); // bytes are not even looked at
        CHECK(hal.reboots == 0);
    }
    SECTION("a request completed at 3000 ms is too late, even when it started earlier") {
        FakeHal hal;
        hal.flag = 1;
        vesper_factory::Console console;
        console.begin(hal, "vesper-factory", "1.0.0");
        hal.now = 2990;
        feed(console, "~VF1 1 info {}");
        hal.now = 3000;
        feed(console, " -\n~VF1 2 info {} -\n");
        CHECK(console.state() == State::off);
        CHECK(hal.written.empty());
        CHECK(console.answered() == 0);
    }
    SECTION("a flag that cannot be read counts as unset") {
        FakeHal hal;
        vesper_factory::Console console;
        console.begin(hal, "vesper-factory", "1.0.0");
        CHECK(console.state() == State::active);
        CHECK(hal.written == hello());
    }
}
