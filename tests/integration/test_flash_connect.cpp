// vesperctl connect paths against vesper-devsim that only a simulated board can produce on demand: a
// board whose reset circuit cannot select download mode (its app boot log is the clue), and a line
// that cannot carry the baud rate asked for (fall back to 115200 after a reset, or fail where no reset
// is possible), and replies lost while connecting.
#include <nlohmann/json.hpp>

#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

TEST_CASE("connect: an EN-only reset circuit boots the app, and the error quotes its boot log",
          "[integration][flash][connect]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    const auto flash_file = dir / "flash.bin";
    // RTS reaches EN, DTR reaches nothing, IO0 is strapped high: every reset the loader tries reboots
    // the app, which prints its boot log to the connected client.
    Devsim sim({"--chip", "esp32", "--listen", "rfc2217:0", "--reset-circuit", "en-only", "--boot", "app", "--flash",
                flash_file.string()});
    const std::string reason = "cannot connect to " + sim.url() + ": not in download mode";
    for (const char* command : {"flash", "chip"}) {
        DYNAMIC_SECTION(command) {
            const auto t0 = Clock::now();
            auto r = std::string(command) == "flash" ? run(flash_args(sim.url(), fw, {"--after", "hard-reset"}), 30000)
                                                     : run({"chip", "--port", sim.url()}, 30000);
            INFO(r.out << r.err);
            CHECK(r.exit_code == 6);
            CHECK_THAT(r.err, Catch::Contains(reason));
            // The boot mode the ROM printed, quoted.
            CHECK_THAT(r.err, Catch::Contains("booted normally (boot:0x13 (SPI_FAST_FLASH_BOOT))"));
            CHECK_THAT(r.err, Catch::Contains("GPIO0 stays high"));
            CHECK_THAT(r.err, Catch::Contains("after a DTR/RTS reset each time"));
            // 7 resets of 150..650 ms plus 5 SYNC timeouts each: about 6 s.
            CHECK(Clock::now() - t0 < 15s);
        }
    }
    // Nothing was written (compared as a bool: Catch would print 4 MB on failure).
    sim.stop();
    const bool untouched = read_file(flash_file) == Bytes(4 * 1024 * 1024, 0xFF);
    CHECK(untouched);
}

TEST_CASE("connect: a line too slow for --baud falls back to 115200 after a reset and still flashes",
          "[integration][flash][connect]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x9000);
    const auto flash_file = dir / "flash.bin";
    const std::string warning = "the link failed at 921600 baud (no clean reply); the board was reset and the work "
                                "continues at 115200 baud";
    SECTION("text output") {
        Devsim sim(
            {"--chip", "esp32", "--listen", "rfc2217:0", "--flash", flash_file.string(), "--fault", "max-baud=115200"});
        const auto t0 = Clock::now();
        auto r = run(flash_args(sim.url(), fw, {"--baud", "921600"}));
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("vesperctl: warning: " + warning));
        CHECK_THAT(r.out, Catch::Contains("Connected to ESP32 on " + sim.url()));
        CHECK_THAT(r.out, Catch::Contains("115200 baud)"));
        CHECK(count_of(r.out, "verified (MD5)") == 3);
        check_regions_in_flash(flash_file, fw);
        CHECK(Clock::now() - t0 < 20s);
    }
    SECTION("--json: the warning is an event and the connected baud is 115200") {
        Devsim sim(
            {"--chip", "esp32", "--listen", "rfc2217:0", "--flash", flash_file.string(), "--fault", "max-baud=115200"});
        auto args = flash_args(sim.url(), fw, {"--baud", "921600"});
        args.insert(args.begin(), "--json");
        auto r = run(args);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const auto events = json_lines(r.out);
        bool warned = false;
        for (const auto& e : events)
            if (e.value("event", "") == "warning" && e.value("message", "") == warning) warned = true;
        CHECK(warned);
        REQUIRE_FALSE(events.empty());
        CHECK(events.back()["event"] == "done");
        CHECK(slice(read_file(flash_file), 0x10000, fw.app_bytes.size()) == fw.app_bytes);
    }
    SECTION("control: without the fault the same command stays at 921600") {
        Devsim sim({"--chip", "esp32", "--listen", "rfc2217:0", "--flash", flash_file.string()});
        auto r = run(flash_args(sim.url(), fw, {"--baud", "921600"}));
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("921600 baud)"));
        CHECK_FALSE(r.err.find("link failed") != std::string::npos);
    }
}

TEST_CASE("connect: a line too slow for --baud fails clearly where the board cannot be reset",
          "[integration][flash][connect]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    SECTION("socket:// has no reset lines") {
        Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "max-baud=115200"});
        const auto t0 = Clock::now();
        auto r = run(flash_args(sim.url(), fw, {"--baud", "921600"}));
        INFO(r.out << r.err);
        CHECK(r.exit_code == 6);
        CHECK_THAT(r.err, Catch::Contains(sim.url() + ": no clean reply at 921600 baud"));
        CHECK_THAT(r.err, Catch::Contains("cannot be reset to fall back to 115200 (the port has no reset lines)"));
        CHECK(Clock::now() - t0 < 10s);
    }
    SECTION("RFC 2217 with --before no-reset") {
        Devsim sim({"--chip", "esp32s3", "--listen", "rfc2217:0", "--fault", "max-baud=230400"});
        auto r = run(flash_args(sim.url(), fw, {"--baud", "460800", "--before", "no-reset"}));
        INFO(r.out << r.err);
        CHECK(r.exit_code == 6);
        CHECK_THAT(r.err, Catch::Contains("no clean reply at 460800 baud"));
        CHECK_THAT(r.err, Catch::Contains("cannot be reset to fall back to 115200 (--before no-reset was given)"));
    }
}

TEST_CASE("connect: a SYNC reply lost on the line does not leave the ESP32's repeated error behind",
          "[integration][flash][connect]") {
    // The ESP32 ROM lacks GET_SECURITY_INFO and answers it with an error repeated as often as it sent
    // its SYNC reply (8 times). With one of the 8 SYNC replies lost, counting what arrived would leave
    // one error behind, and the next command (reading the chip's magic word) would look unsupported.
    for (const char* frame : {"2", "8"}) {
        DYNAMIC_SECTION("reply frame " << frame << " dropped") {
            Devsim sim({"--chip", "esp32", "--port", "0", "--fault", std::string("drop-frame=") + frame});
            auto r = run({"--json", "chip", "--port", sim.url(), "--after", "no-reset"});
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["chip"] == "esp32");
            CHECK_THAT(doc["detected_by"].get<std::string>(), Catch::StartsWith("magic"));
        }
    }
}
