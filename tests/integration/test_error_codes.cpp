// The error codes of board failures, as vesperctl reports them under --json against vesper-devsim: a
// board of another chip, one that never answers SYNC, one that boots its app instead of the ROM loader,
// a ROM that refuses a write (its status byte kept as rom_status), a board that stops answering, a link
// that goes away, and a line that cannot carry the baud rate asked for.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "flash_test_support.hpp"
#include "json_error.hpp"
#include "vesper/core/error.hpp"

using namespace vesper;
using namespace vesper::flash_test;

namespace {

// The one-line error object on stderr, checked against its code's row of the table.
nlohmann::json error_object(const test::ProcessResult& r, const std::string& code) {
    return test::json_error_object(r, code);
}

// flash --json's last event: the error, with the same fields as the error object.
nlohmann::json error_event(const test::ProcessResult& r) {
    INFO(r.out);
    const auto events = json_lines(r.out);
    REQUIRE_FALSE(events.empty());
    const nlohmann::json& last = events.back();
    CHECK(last.at("event") == "error");
    return last;
}

} // namespace

TEST_CASE("error codes: a board of another chip is esp.chip_mismatch", "[integration][error_codes]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    Devsim sim({"--chip", "esp32c3", "--port", "0"});
    const auto chip =
        error_object(run({"--json", "chip", "--port", sim.url(), "--chip", "esp32s3"}), "esp.chip_mismatch");
    CHECK_THAT(chip.at("message").get<std::string>(), Catch::Contains("ESP32-C3") && Catch::Contains(sim.url()));
    CHECK_FALSE(chip.contains("rom_status"));

    auto args = flash_args(sim.url(), fw, {"--chip", "esp32s3"});
    args.insert(args.begin(), "--json");
    const auto r = run(args);
    error_object(r, "esp.chip_mismatch");
    const auto event = error_event(r);
    CHECK(event.at("code") == "esp.chip_mismatch");
    CHECK(event.at("port") == sim.url());
    CHECK(event.at("exit_code") == 2);
}

TEST_CASE("error codes: a board that never answers SYNC is esp.no_sync", "[integration][error_codes]") {
    // socket:// cannot reset it, and a board running its app stays silent to the loader.
    Devsim sim({"--chip", "esp32", "--port", "0", "--boot", "app"});
    const auto e = error_object(run({"--json", "chip", "--port", sim.url()}), "esp.no_sync");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("no answer at all"));
    CHECK(e.at("hint") == std::string(info(ErrorCode::esp_no_sync).help));
}

TEST_CASE("error codes: a board that boots its app is esp.not_in_download_mode, with what to check",
          "[integration][error_codes]") {
    // RTS reaches EN, nothing reaches IO0: every reset the loader tries boots the app, whose boot log
    // says so.
    Devsim sim({"--chip", "esp32", "--listen", "rfc2217:0", "--reset-circuit", "en-only", "--boot", "app"});
    const auto e = error_object(run({"--json", "chip", "--port", sim.url()}, 30000), "esp.not_in_download_mode");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("not in download mode"));
    CHECK_THAT(e.at("hint").get<std::string>(), Catch::Contains("auto-reset") && Catch::Contains("BOOT"));
}

TEST_CASE("error codes: a write the ROM refuses is esp.rom_error with its status byte", "[integration][error_codes]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x8000);
    Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "fail-write-at=0x10000"});
    auto args = flash_args(sim.url(), fw, {"--after", "no-reset"});
    args.insert(args.begin(), "--json");
    const auto r = run(args);
    const auto e = error_object(r, "esp.rom_error");
    CHECK(e.at("rom_status") == 0x08);
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("ROM error 0x08"));
    const auto event = error_event(r);
    CHECK(event.at("code") == "esp.rom_error");
    CHECK(event.at("rom_status") == 0x08);
}

TEST_CASE("error codes: a board that stops answering is esp.timeout, a lost link port.io",
          "[integration][error_codes]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x20000);
    SECTION("stalled") {
        Devsim sim({"--chip", "esp32s3", "--port", "0", "--fault", "stall-after-bytes=1200:60000"});
        auto args = flash_args(sim.url(), fw, {"--after", "no-reset", "--no-compress"});
        args.insert(args.begin(), "--json");
        const auto e = error_object(run(args), "esp.timeout");
        CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("no reply within"));
    }
    SECTION("disconnected") {
        Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "disconnect-after-bytes=2500"});
        auto args = flash_args(sim.url(), fw, {"--after", "no-reset", "--no-compress"});
        args.insert(args.begin(), "--json");
        const auto e = error_object(run(args), "port.io");
        CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("connection lost"));
    }
}

TEST_CASE("error codes: a line too slow for --baud, with no reset to fall back, is esp.baud_failed",
          "[integration][error_codes]") {
    Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "max-baud=115200"});
    const auto e = error_object(run({"--json", "chip", "--port", sim.url(), "--baud", "921600"}), "esp.baud_failed");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("no clean reply at 921600 baud"));
}
