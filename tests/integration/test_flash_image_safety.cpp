// Image and chip safety against vesper-devsim, as esptool gives it: an image built for another chip, or a
// bootloader header claiming more flash than the board has, is refused (exit 2, nothing written) unless
// --force, which writes it with a warning.
#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

namespace {

std::string synth(const fs::path& dir, const std::string& chip, const std::string& name) {
    const auto out = (dir / name).string();
    auto r = run({"image", "synth", "--chip", chip, "--size", "16KB", "-o", out});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return out;
}

} // namespace

TEST_CASE("flash: an app image for another chip is refused naming the file and both chips",
          "[integration][flash][safety]") {
    test::TempDir dir;
    const auto app = synth(dir.path(), "esp32s3", "s3_app.bin");
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string()});

    auto r = run({"flash", "--port", sim.url(), "--after", "no-reset", "0x10000", app});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(app + " (at 0x10000) is an image for ESP32-S3 (chip id 9)"));
    CHECK_THAT(r.err, Catch::Contains("the board on " + sim.url() + " is an ESP32"));
    CHECK_THAT(r.err, Catch::Contains("--force"));
    CHECK(read_file(flash_file) == Bytes(4 * 1024 * 1024, 0xFF)); // nothing written

    // --force writes it, with a warning.
    auto forced = run({"flash", "--port", sim.url(), "--after", "no-reset", "--force", "0x10000", app});
    INFO(forced.out << forced.err);
    CHECK(forced.exit_code == 0);
    CHECK_THAT(forced.err, Catch::Contains("warning: " + app + " (at 0x10000) is an image for ESP32-S3"));
    const Bytes image = read_file(app);
    CHECK(slice(read_file(flash_file), 0x10000, image.size()) == image);
}

TEST_CASE("flash: an ESP32 bootloader on an ESP32-S3 is refused, and data files are not images",
          "[integration][flash][safety]") {
    test::TempDir dir;
    const auto boot = synth(dir.path(), "esp32", "esp32_boot.bin");
    const auto good = synth(dir.path(), "esp32s3", "s3_app.bin");
    write_file_atomic(dir / "table.bin", firmware_like(0xC00, 2)); // not an image: never chip-checked
    Devsim sim({"--chip", "esp32s3", "--port", "0"});

    auto r = run({"--json", "flash", "--port", sim.url(), "--after", "no-reset", "0x0", boot, "0x8000",
                  (dir / "table.bin").string(), "0x10000", good});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(boot + " (at 0x0) is an image for ESP32 (chip id 0)"));
    CHECK_THAT(r.err, Catch::Contains("is an ESP32-S3"));

    auto ok = run(
        {"flash", "--port", sim.url(), "--after", "no-reset", "0x8000", (dir / "table.bin").string(), "0x10000", good});
    INFO(ok.out << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(ok.err.find("warning") == std::string::npos);
}

TEST_CASE("flash: --flash-size larger than the board's flash is refused, or written with a warning under --force",
          "[integration][flash][safety]") {
    test::TempDir dir;
    const auto boot = synth(dir.path(), "esp32c3", "boot.bin");
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32c3", "--port", "0", "--flash-size", "4MB", "--flash", flash_file.string()});

    auto r = run({"flash", "--port", sim.url(), "--after", "no-reset", "--flash-size", "8MB", "0x0", boot});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--flash-size 8MB is larger than the 4MB flash the board reports"));
    CHECK(read_file(flash_file) == Bytes(4 * 1024 * 1024, 0xFF));

    // The board's own size, or detect, is fine.
    auto same = run({"flash", "--port", sim.url(), "--after", "no-reset", "--flash-size", "4MB", "0x0", boot});
    INFO(same.out << same.err);
    CHECK(same.exit_code == 0);

    auto forced =
        run({"flash", "--port", sim.url(), "--after", "no-reset", "--force", "--flash-size", "8MB", "0x0", boot});
    INFO(forced.out << forced.err);
    CHECK(forced.exit_code == 0);
    CHECK_THAT(forced.err, Catch::Contains("warning: --flash-size 8MB is larger than the 4MB flash"));
    CHECK(read_file(flash_file)[3] >> 4 == 3); // ESP32-C3 size code 3: 8MB, as forced
}
