// vesperctl flash / read-flash / erase / chip against the real vesper-devsim over socket:// and
// rfc2217://, comparing the simulator's flash file byte for byte.
#include <nlohmann/json.hpp>

#include "flash_test_support.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;
using namespace vesper::flash_test;

TEST_CASE("flash writes three regions byte for byte on every chip family", "[integration][flash]") {
    for (const char* chip : {"esp32", "esp32s3", "esp32c3", "esp8266"}) {
        DYNAMIC_SECTION(chip) {
            test::TempDir dir;
            const auto fw = write_firmware(dir.path());
            const auto flash_file = dir / "flash.bin";
            // Flash full of old data: what is not ours must survive (ESP8266: the ROM's erase-size bug
            // is worked around).
            write_file_atomic(flash_file, Bytes(4 * 1024 * 1024, 0xA5));
            Devsim sim({"--chip", chip, "--port", "0", "--flash", flash_file.string(), "--flash-size", "4MB"});
            auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            CHECK(count_of(r.out, ": written ") == 3);
            check_regions_in_flash(flash_file, fw, 0xA5);
            if (std::string(chip) == "esp8266") {
                // No MD5 in that ROM: said plainly, and counted.
                CHECK(count_of(r.out, "NOT verified") == 3);
                CHECK_THAT(r.out, Catch::Contains("could not be verified"));
                CHECK_THAT(r.out, Catch::Contains("no compressed writes"));
            } else {
                CHECK(count_of(r.out, "verified (MD5)") == 3);
            }
        }
    }
}

TEST_CASE("flash: compressed and uncompressed, then skip unchanged, then --force", "[integration][flash]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path());
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string()});

    auto plain = run(flash_args(sim.url(), fw, {"--after", "no-reset", "--no-compress"}));
    INFO(plain.out << plain.err);
    REQUIRE(plain.exit_code == 0);
    CHECK_THAT(plain.out, Catch::Contains("written 172872 bytes (172872 compressed)"));
    check_regions_in_flash(flash_file, fw);

    // Same bytes again: every region is already there.
    auto again = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(count_of(again.out, "skipped, ") == 3);
    CHECK_THAT(again.out, Catch::Contains("3 region(s), 0 written, 3 skipped"));

    // --force writes anyway, compressed this time.
    auto forced = run(flash_args(sim.url(), fw, {"--after", "no-reset", "--force"}));
    INFO(forced.out << forced.err);
    REQUIRE(forced.exit_code == 0);
    CHECK(count_of(forced.out, ": written ") == 3);
    CHECK_FALSE(forced.out.find("written 172872 bytes (172872 compressed)") != std::string::npos);
    check_regions_in_flash(flash_file, fw);

    // A changed app: only that region is written.
    Bytes app2 = fw.app_bytes;
    app2[1234] ^= 0xFF;
    write_file_atomic(fw.app, app2);
    auto changed = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(changed.out << changed.err);
    REQUIRE(changed.exit_code == 0);
    CHECK(count_of(changed.out, "skipped, ") == 2);
    CHECK_THAT(changed.out, Catch::Contains("region 3/3 " + fw.app.string() + " at 0x10000: written"));
    CHECK(slice(read_file(flash_file), 0x10000, app2.size()) == app2);
}

TEST_CASE("flash --json prints JSON lines events", "[integration][flash][json]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x8000);
    Devsim sim({"--chip", "esp32c3", "--port", "0", "--mac", "58:cf:79:00:00:07"});
    auto args = flash_args(sim.url(), fw, {"--after", "no-reset"});
    args.insert(args.begin(), "--json");
    auto r = run(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto events = json_lines(r.out);
    REQUIRE(events.size() >= 5);
    CHECK(events.front()["event"] == "connected");
    CHECK(events.front()["chip"] == "esp32c3");
    CHECK(events.front()["mac"] == "58:cf:79:00:00:07");
    CHECK(events.front()["flash"]["size"] == 4 * 1024 * 1024);
    CHECK(events.back()["event"] == "done");
    CHECK(events.back()["written"] == 3);
    int regions = 0, progress = 0;
    for (const auto& e : events) {
        if (e["event"] == "region") {
            ++regions;
            CHECK(e["status"] == "written");
            CHECK(e["verified"] == true);
            CHECK(e["verify_method"] == "md5");
            CHECK(e["compressed"] == true);
            CHECK(e["compressed_bytes"].get<std::uint64_t>() < e["bytes"].get<std::uint64_t>());
            CHECK(e.contains("kbit_s"));
            CHECK(e.contains("seconds"));
        }
        if (e["event"] == "progress") {
            ++progress;
            CHECK(e["done"].get<std::uint64_t>() <= e["total"].get<std::uint64_t>());
        }
    }
    CHECK(regions == 3);
    CHECK(progress >= 6);
}

TEST_CASE("read-flash returns the bytes, and erase erases", "[integration][flash]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x3000);
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32s3", "--port", "0", "--flash", flash_file.string()});
    REQUIRE(run(flash_args(sim.url(), fw, {"--after", "no-reset"})).exit_code == 0);

    const auto out = dir / "read.bin";
    auto r = run({"read-flash", "--port", sim.url(), "--after", "no-reset", "0x10000", "0x3000", "-o", out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(out) == fw.app_bytes);
    CHECK_THAT(r.out, Catch::Contains("Read 12288 bytes at 0x10000"));

    // An odd length and address are fine for reading.
    auto odd = run({"read-flash", "--port", sim.url(), "--after", "no-reset", "0x8010", "100", "-o", out.string()});
    REQUIRE(odd.exit_code == 0);
    CHECK(read_file(out) == slice(fw.part_bytes, 0x10, 100));

    auto e = run({"erase", "--port", sim.url(), "--after", "no-reset", "0x10000", "0x2000"});
    INFO(e.out << e.err);
    REQUIRE(e.exit_code == 0);
    const Bytes flash = read_file(flash_file);
    CHECK(slice(flash, 0x10000, 0x2000) == Bytes(0x2000, 0xFF));
    CHECK(slice(flash, 0x12000, 0x1000) == slice(fw.app_bytes, 0x2000, 0x1000));

    auto bad = run({"erase", "--port", sim.url(), "0x10000", "0x100"});
    CHECK(bad.exit_code == 2);
}

TEST_CASE("chip reports the simulated board", "[integration][flash][chip]") {
    Devsim sim({"--chip", "esp32", "--port", "0", "--mac", "24:0a:c4:12:34:56", "--flash-size", "8MB"});
    auto r = run({"chip", "--port", sim.url(), "--after", "no-reset"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ESP32 (esp32)"));
    CHECK_THAT(r.out, Catch::Contains("24:0a:c4:12:34:56"));
    CHECK_THAT(r.out, Catch::Contains("Flash:     8MB"));
    CHECK_THAT(r.out, Catch::Contains("MD5 verify"));

    auto j = run({"--json", "chip", "--port", sim.url(), "--after", "no-reset"});
    INFO(j.out << j.err);
    REQUIRE(j.exit_code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["chip"] == "esp32");
    CHECK(doc["mac"] == "24:0a:c4:12:34:56");
    CHECK(doc["flash"]["size"] == 8 * 1024 * 1024);
    CHECK(doc["security"].is_null()); // the ESP32 ROM has no GET_SECURITY_INFO
}

TEST_CASE("chip on an ESP8266 reads the OTP MAC and stays at 115200", "[integration][flash][chip]") {
    Devsim sim({"--chip", "esp8266", "--port", "0", "--mac", "18:fe:34:aa:bb:cc"});
    auto r = run({"chip", "--port", sim.url(), "--after", "no-reset"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("18:fe:34:aa:bb:cc"));
    CHECK_THAT(r.out, Catch::Contains("Baud:      115200"));
    CHECK_THAT(r.err, Catch::Contains("cannot change the baud rate"));
}

TEST_CASE("flash --flash-mode patches the bootloader header and verifies the patched bytes",
          "[integration][flash][patch]") {
    test::TempDir dir;
    const auto& chip = esp::chip_by_name("esp32");
    esp::SynthOptions so;
    so.size = 0x6000;
    const Bytes boot = esp::synthesize_app_image(chip, so);
    const auto boot_file = dir / "boot.bin";
    write_file_atomic(boot_file, boot);
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string()});
    auto r = run({"flash", "--port", sim.url(), "--after", "no-reset", "--flash-mode", "dout", "--flash-size", "detect",
                  "0x1000", boot_file.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("bootloader header flash parameters updated"));
    const Bytes written = slice(read_file(flash_file), 0x1000, boot.size());
    CHECK(written[2] == 3);                              // dout
    CHECK((written[3] >> 4) == 2);                       // 4MB on ESP32
    CHECK(esp::parse_image(written, "written").valid()); // SHA-256 recomputed
}

TEST_CASE("flash over rfc2217:// resets the board into download mode and back into the app",
          "[integration][flash][rfc2217]") {
    for (const char* chip : {"esp32", "esp32s3", "esp32c3", "esp8266"}) {
        DYNAMIC_SECTION(chip) {
            const bool esp8266 = std::string(chip) == "esp8266";
            test::TempDir dir;
            const auto fw = write_firmware(dir.path(), 0x5000);
            const auto flash_file = dir / "flash.bin";
            // Powered on running the app: only the DTR/RTS reset gets it into download mode.
            Devsim sim({"--chip", chip, "--listen", "rfc2217:0", "--boot", "app", "--flash", flash_file.string()});
            auto r = run(flash_args(sim.url(), fw, {"--baud", "921600"}));
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            // The ESP8266 ROM cannot change the baud rate: it stays at 115200 and says so.
            CHECK_THAT(r.out, Catch::Contains(esp8266 ? "115200 baud" : "921600 baud"));
            CHECK_THAT(r.out, Catch::Contains("reset into the application"));
            check_regions_in_flash(flash_file, fw);
            // Reset into the app at the end; a second run resets into download mode again and skips
            // (the ESP8266 ROM has no MD5 to compare with, so it writes again).
            auto again = run(flash_args(sim.url(), fw));
            INFO(again.out << again.err);
            REQUIRE(again.exit_code == 0);
            CHECK(count_of(again.out, esp8266 ? ": written " : "skipped, ") == 3);
            check_regions_in_flash(flash_file, fw);
        }
    }
}

TEST_CASE("flash through a local serial port: the simulator's pseudo-terminal as the device path",
          "[integration][flash][serial]") {
    // A device path goes through the serial transport (termios: Debian's libserialport cannot open a
    // pty), not a socket: the same flash job, byte for byte, at a changed baud rate.
    test::TempDir dir;
    const auto fw = write_firmware(dir.path());
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32s3", "--port", "0", "--pty", "--flash", flash_file.string()});
    REQUIRE_THAT(sim.pty_path(), Catch::StartsWith("/dev/"));
    auto r = run(flash_args(sim.pty_path(), fw, {"--baud", "921600", "--after", "no-reset"}));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ESP32-S3 on " + sim.pty_path()));
    CHECK_THAT(r.out, Catch::Contains("921600 baud"));
    CHECK(count_of(r.out, "verified (MD5)") == 3);
    check_regions_in_flash(flash_file, fw);

    // The board stayed in its loader: chip finds it again on the same path.
    auto j = run({"--json", "chip", "--port", sim.pty_path(), "--after", "no-reset"});
    INFO(j.out << j.err);
    REQUIRE(j.exit_code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["port"] == sim.pty_path());
    CHECK(doc["chip"] == "esp32s3");
    CHECK(doc["detected_by"].get<std::string>().starts_with("chip id"));
}
