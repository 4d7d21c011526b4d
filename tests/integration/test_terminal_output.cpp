// What people see on a terminal: flash's progress bar (percent, speed, ETA, a bounded number of
// redraws), plain lines for TERM=dumb, and no colour with NO_COLOR, for flash and the station view. Run in
// a real pseudo-terminal.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "flash_test_support.hpp"
#include "pty_process.hpp"
#include "station_test_support.hpp"

using namespace vesper;

namespace {

int occurrences(const std::string& text, const std::string& needle) { return flash_test::count_of(text, needle); }

// A '\r' that is not the terminal's own "\r\n" line end: a line rewritten in place.
bool has_bare_carriage_return(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return true;
    return false;
}

} // namespace

TEST_CASE("flash: on a terminal, a bar per region with percent, speed and ETA, redrawn at most 10 times a second",
          "[integration][flash][tty]") {
    test::TempDir dir;
    flash_test::Devsim sim({"--chip", "esp32", "--port", "0"});
    // 1 MB of app: about a thousand progress callbacks, which the old view redrew one by one.
    const auto fw = flash_test::write_firmware(dir.path(), 0x100000);
    auto args = flash_test::flash_args(sim.url(), fw);
    args.insert(args.begin(), VESPERCTL_BIN);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = test::run_in_pty(args, {{"TERM", "xterm"}, {"NO_COLOR", ""}}, std::chrono::seconds(120));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(occurrences(r.output, "verified (MD5)") == 3);
    CHECK_THAT(r.output, Catch::Contains("app.bin write ["));
    CHECK_THAT(r.output, Catch::Contains("%"));
    CHECK_THAT(r.output, Catch::Contains("ETA "));
    CHECK((r.output.find(" kB/s") != std::string::npos || r.output.find(" MB/s") != std::string::npos));
    // Redraws: at most 10 a second, plus the first and final state of each region's phases (3 regions,
    // at most 4 phases each) and the clears before the result lines.
    const int redraws = occurrences(r.output, "\r\033[K");
    const int bound = static_cast<int>(10 * seconds) + 3 * 4 * 2 + 3 + 2;
    INFO("redraws " << redraws << " in " << seconds << " s, bound " << bound);
    CHECK(redraws <= bound);
    CHECK(redraws >= 3);
}

TEST_CASE("flash: TERM=dumb gets plain progress lines without cursor movement or colour", "[integration][flash][tty]") {
    test::TempDir dir;
    flash_test::Devsim sim({"--chip", "esp32", "--port", "0"});
    const auto fw = flash_test::write_firmware(dir.path(), 0x20000);
    auto args = flash_test::flash_args(sim.url(), fw);
    args.insert(args.begin(), VESPERCTL_BIN);
    const auto r = test::run_in_pty(args, {{"TERM", "dumb"}}, std::chrono::seconds(120));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(occurrences(r.output, "verified (MD5)") == 3);
    CHECK(r.output.find('\033') == std::string::npos);
    CHECK_FALSE(has_bare_carriage_return(r.output));
    CHECK_THAT(r.output, Catch::Contains("app.bin write 100%"));
}

TEST_CASE("station: NO_COLOR drops colour and TERM=dumb gets plain lines on a terminal",
          "[integration][station][tty]") {
    using namespace vesper::station_test;
    FactoryLine line({{"bench", {}}, {"bench", {"--fault", "fail-write-at=0x20000"}}}, 2);
    auto args = line.station_args("flash", "bench");
    args.erase(std::find(args.begin(), args.end(), "--json"));
    SECTION("NO_COLOR: the live block still redraws in place, without colours") {
        const auto r = test::run_in_pty(args, {{"VESPER_MQTT_SECRET", kSecret}, {"TERM", "xterm"}, {"NO_COLOR", "1"}},
                                        std::chrono::seconds(60));
        INFO(r.output);
        CHECK(r.exit_code == 6);
        CHECK_THAT(r.output, Catch::Contains("\033[2A"));
        CHECK_THAT(r.output, Catch::Contains("PASS"));
        CHECK_THAT(r.output, Catch::Contains("FAIL"));
        CHECK(r.output.find("\033[3") == std::string::npos); // no SGR foreground colour
        CHECK(r.output.find("\033[0m") == std::string::npos);
    }
    SECTION("colour where allowed (the control)") {
        const auto r = test::run_in_pty(args, {{"VESPER_MQTT_SECRET", kSecret}, {"TERM", "xterm"}, {"NO_COLOR", ""}},
                                        std::chrono::seconds(60));
        INFO(r.output);
        CHECK_THAT(r.output, Catch::Contains("\033[32mPASS\033[0m"));
    }
    SECTION("TERM=dumb: plain lines, no escape sequence at all") {
        const auto r =
            test::run_in_pty(args, {{"VESPER_MQTT_SECRET", kSecret}, {"TERM", "dumb"}}, std::chrono::seconds(60));
        INFO(r.output);
        CHECK(r.exit_code == 6);
        CHECK(r.output.find('\033') == std::string::npos);
        CHECK_FALSE(has_bare_carriage_return(r.output));
        CHECK_THAT(r.output, Catch::Contains("PASS"));
        CHECK_THAT(r.output, Catch::Contains("FAIL"));
        CHECK_THAT(r.output, Catch::Contains("1 passed, 1 failed, 0 already done"));
        CHECK_THAT(r.output, Catch::Contains("Retry with:"));
    }
}
