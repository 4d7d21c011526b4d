// The app faults of the simulated board, each seen the way the host sees it: frames decoded with the
// host library (src/factory/frame), log lines as text.
#include <catch2/catch.hpp>

#include "devsim_app_support.hpp"

using namespace vesper;
using namespace vesper::devsim_test;
using nlohmann::json;

TEST_CASE("devsim app fault stuck-output: that output always reads back on", "[devsim][app][faults]") {
    Board b(app_config("esp32s3", {"stuck-output=2"}));
    b.read();
    const factory::Frame a = answer_of(b.ask(1, "outputs"), 1);
    REQUIRE(a.word == "ok");
    CHECK(a.body.at("passed") == false);
    CHECK(a.body.at("failed") == json::array({2}));
    CHECK(a.body.at("results").at(2).at("on") == true);
    CHECK(a.body.at("results").at(2).at("off") == false);
    CHECK(a.body.at("results").at(1).at("off") == true);
}

TEST_CASE("devsim app fault weak-wifi: every network at -88 dBm or weaker", "[devsim][app][faults]") {
    Board b(app_config("esp32", {"weak-wifi"}));
    b.read();
    const factory::Frame a = answer_of(b.ask(1, "wifi_scan"), 1);
    REQUIRE(a.word == "ok");
    CHECK(a.body.at("count") == 3);
    CHECK(a.body.at("best_rssi").get<int>() <= -88);
    for (const auto& n : a.body.at("networks"))
        CHECK(n.at("rssi").get<int>() <= -88);
}

TEST_CASE("devsim app fault no-hello: boot log, then nothing", "[devsim][app][faults]") {
    Board b(app_config("esp32", {"no-hello"}));
    const std::string out = b.read();
    CHECK(out.find("app ready") != std::string::npos);
    CHECK(out.find("~VF1") == std::string::npos);
    CHECK(b.ask(1, "hello", nullptr, 5s).empty());
    CHECK_FALSE(b.device->app().console_running());
}

TEST_CASE("devsim app fault panic-at: a Guru Meditation at the first request for the command, then a reboot",
          "[devsim][app][faults]") {
    SECTION("xtensa") {
        Board b(app_config("esp32", {"panic-at=outputs"}));
        b.read();
        CHECK(answer_of(b.ask(1, "info"), 1).word == "ok");
        const std::string out = b.ask(2, "outputs");
        const std::size_t guru =
            out.find("Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.");
        REQUIRE(guru != std::string::npos);
        CHECK(out.find("Core  0 register dump:") > guru);
        CHECK(out.find("Backtrace: 0x") > guru);
        // No answer to the request that crashed it; the ROM's software reset line, the boot log, a new hello.
        CHECK(frames_of(out.substr(0, guru)).empty());
        const std::size_t rst = out.find("rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)");
        REQUIRE(rst != std::string::npos);
        CHECK(rst > guru);
        const auto after = frames_of(out.substr(rst));
        REQUIRE(after.size() == 1);
        CHECK(after[0].word == "hello");
        // Once only: the next outputs request is answered; the reset reason says why it restarted.
        CHECK(answer_of(b.ask(3, "outputs"), 3).word == "ok");
        CHECK(answer_of(b.ask(4, "info"), 4).body.at("reset_reason") == "panic");
    }
    SECTION("risc-v") {
        Board b(app_config("esp32c3", {"panic-at=wifi_scan"}));
        b.read();
        const std::string out = b.ask(1, "wifi_scan");
        CHECK(out.find("Guru Meditation Error: Core  0 panic'ed (Load access fault). Exception was unhandled.") !=
              std::string::npos);
        CHECK(out.find("rst:0xc (RTC_SW_CPU_RST)") != std::string::npos);
        CHECK(frames_of(out).size() == 1); // the new hello only
    }
}

TEST_CASE("devsim app fault line-noise: junk and a bad-CRC copy before every Nth protocol line",
          "[devsim][app][faults]") {
    Board b(app_config("esp32", {"line-noise=2"}));
    std::string out = b.read(); // line 1: the hello, clean
    for (std::uint32_t id = 1; id <= 4; ++id)
        out += b.ask(id, "info"); // lines 2..5: 2 and 4 get noise
    std::size_t bad_crc = 0, junk = 0, good = 0;
    for (const std::string& line : lines_of(out)) {
        const auto d = factory::decode_line(line);
        if (d.frame) ++good;
        if (d.reason == factory::Ignored::bad_crc) ++bad_crc;
        if (!line.empty() && static_cast<unsigned char>(line[0]) >= 0x80) ++junk;
    }
    CHECK(good == 5);
    CHECK(bad_crc == 2);
    CHECK(junk == 2);
    // Every answer is there once, under its id.
    for (std::uint32_t id = 1; id <= 4; ++id)
        CHECK(answer_of(out, id).word == "ok");
}

TEST_CASE("devsim app fault late-answer: the first answer to the command comes late, after it the retry's",
          "[devsim][app][faults]") {
    Board b(app_config("esp32", {"late-answer=info:1500"}));
    b.read();
    b.send(factory::encode_request(1, "info", nullptr));
    CHECK(b.read_until(b.now + 1499ms).empty());
    // The host gave up and asked again under a new id: the stale answer comes first, then the retry's.
    b.now += 1000ms;
    b.send(factory::encode_request(2, "info", nullptr));
    const std::string out = b.read_until(b.now + 600ms);
    const auto frames = frames_of(out);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].id == 1);
    CHECK(frames[1].id == 2);
    // Once only.
    b.now += 1s;
    CHECK(answer_of(b.ask(3, "info"), 3).word == "ok");
}
