// vesperctl flash failure modes against vesper-devsim: bad input (exit 2), boards that are not in
// download mode or stop answering (exit 6), and faults on the line that retries must absorb.
#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

TEST_CASE("flash: wrong --chip is bad input naming both chips", "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    Devsim sim({"--chip", "esp32c3", "--port", "0"});
    auto r = run(flash_args(sim.url(), fw, {"--chip", "esp32s3"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--chip esp32s3"));
    CHECK_THAT(r.err, Catch::Contains("ESP32-C3"));
    CHECK_THAT(r.err, Catch::Contains(sim.url()));
}

TEST_CASE("flash: an image larger than the flash is refused naming the file", "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x180000); // 1.5 MB at 0x10000 on a 1 MB flash
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash-size", "1MB", "--flash", flash_file.string()});
    auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(fw.app.string()));
    CHECK_THAT(r.err, Catch::Contains("1MB flash"));
    // Nothing was written.
    CHECK(read_file(flash_file) == Bytes(1024 * 1024, 0xFF));
}

TEST_CASE("flash: overlapping, unaligned and missing files fail before any board is touched",
          "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path());
    // No simulator: the port is never opened for these.
    const std::string url = "socket://127.0.0.1:9";
    // boot.bin is 0x4321 bytes: at 0x1000 it runs into 0x5000.
    auto overlap = run({"flash", "--port", url, "0x5000", fw.part.string(), "0x1000", fw.boot.string()});
    CHECK(overlap.exit_code == 2);
    CHECK_THAT(overlap.err, Catch::Contains(fw.part.string() + " (0x5000..0x5C00) overlaps " + fw.boot.string()));

    auto unaligned = run({"flash", "--port", url, "0x10100", fw.app.string()});
    CHECK(unaligned.exit_code == 2);
    CHECK_THAT(unaligned.err, Catch::Contains(fw.app.string() + ": address 0x10100 is not on a 4 KiB sector boundary"));

    auto missing = run({"flash", "--port", url, "0x10000", (dir / "nope.bin").string()});
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("nope.bin"));

    auto bad_addr = run({"flash", "--port", url, "0x1z000", fw.app.string()});
    CHECK(bad_addr.exit_code == 2);
    CHECK_THAT(bad_addr.err, Catch::Contains("0x1z000"));

    auto bad_chip = run({"flash", "--port", url, "--chip", "esp99", "0x10000", fw.app.string()});
    CHECK(bad_chip.exit_code == 2);
}

TEST_CASE("flash: a board running its app does not answer the loader", "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    // socket:// has no reset lines, so the board stays in its app. Its boot log went out before anyone
    // connected (devsim, like a UART, drops output nobody reads), so from here it is silence. The
    // "booted normally (boot:0x13 ...)" triage from a boot log is covered by the unit tests.
    Devsim sim({"--chip", "esp32", "--port", "0", "--boot", "app"});
    const auto t0 = Clock::now();
    auto r = run(flash_args(sim.url(), fw));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains("cannot connect to " + sim.url() + ": no answer at all"));
    CHECK_THAT(r.err, Catch::Contains("without reset"));
    CHECK(Clock::now() - t0 < 10s);
}

TEST_CASE("flash: --before no-reset on RFC 2217 leaves a board in its app alone", "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x2000);
    Devsim sim({"--chip", "esp32s3", "--listen", "rfc2217:0", "--boot", "app"});
    auto r = run(flash_args(sim.url(), fw, {"--before", "no-reset"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains("no answer at all"));
}

TEST_CASE("flash: a board that disconnects mid-write fails naming the port and the command",
          "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x20000);
    // Enough bytes for connect and the first regions, then the line goes dead.
    Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "disconnect-after-bytes=2500"});
    auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset", "--no-compress"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains(sim.url()));
    CHECK_THAT(r.err, Catch::Contains("connection lost"));
    CHECK_THAT(r.err, Catch::Contains("FLASH_DATA block"));
    CHECK_THAT(r.err, Catch::Contains(fw.app.string()));
}

TEST_CASE("flash: a board that stops answering fails within the timeouts naming the command",
          "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x20000);
    // Connect and the first region take about 1 KB of replies; then the board goes quiet for a minute.
    Devsim sim({"--chip", "esp32s3", "--port", "0", "--fault", "stall-after-bytes=1200:60000"});
    const auto t0 = Clock::now();
    auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset", "--no-compress"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains(sim.url()));
    CHECK_THAT(r.err, Catch::Contains("no reply within"));
    CHECK_THAT(r.err, Catch::Contains("stopped answering"));
    CHECK(Clock::now() - t0 < 15s);
}

TEST_CASE("flash: a flash write error from the ROM is reported in words", "[integration][flash][errors]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x8000);
    Devsim sim({"--chip", "esp32", "--port", "0", "--fault", "fail-write-at=0x10000"});
    auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.err, Catch::Contains("ROM error 0x08"));
    CHECK_THAT(r.err, Catch::Contains(fw.app.string()));
    // The regions before it were written and reported.
    CHECK(count_of(r.out, ": written ") == 2);
}

TEST_CASE("flash survives a damaged line: dropped replies, corrupted bytes, a one-off write error",
          "[integration][flash][faults]") {
    // A dropped reply, or one whose frame boundary was damaged, costs one full reply timeout (3 s), so
    // faults are kept rare enough for a fast suite; corrupt-every=211 runs compressed only (fewer replies).
    for (const char* fault : {"drop-every=150", "corrupt-every=997", "corrupt-every=211", "fail-write-block=5",
                              "stall-after-commands=20:200"}) {
        for (const char* compress : {"", "--no-compress"}) {
            if (std::string(fault) == "corrupt-every=211" && *compress) continue;
            DYNAMIC_SECTION(fault << " " << compress) {
                test::TempDir dir;
                const auto fw = write_firmware(dir.path(), 0x9000);
                const auto flash_file = dir / "flash.bin";
                Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string(), "--fault", fault});
                std::vector<std::string> extra = {"--after", "no-reset"};
                if (*compress) extra.push_back(compress);
                auto r = run(flash_args(sim.url(), fw, extra));
                INFO(r.out << r.err);
                // Either it gets through and the bytes are right, or it fails cleanly: never a success
                // with wrong bytes.
                if (r.exit_code == 0) {
                    CHECK(count_of(r.out, "verified (MD5)") == 3);
                    const Bytes flash = read_file(flash_file);
                    CHECK(slice(flash, 0x1000, fw.boot_bytes.size()) == fw.boot_bytes);
                    CHECK(slice(flash, 0x8000, fw.part_bytes.size()) == fw.part_bytes);
                    CHECK(slice(flash, 0x10000, fw.app_bytes.size()) == fw.app_bytes);
                } else {
                    CHECK((r.exit_code == 6 || r.exit_code == 7));
                    CHECK_THAT(r.err, Catch::Contains(sim.url()));
                }
                // These faults are mild enough that the retries must absorb them.
                CHECK(r.exit_code == 0);
            }
        }
    }
}
