// Skip-unchanged asks the ROM for the MD5 of a region's first sector before the whole region
// (Flasher::probe). These cases make sure the shortcut never skips a region that changed: a change
// past the first sector, in the very last byte, and regions no longer than the probe.
#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

TEST_CASE("flash: a change past the first sector is still written", "[integration][flash]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path());
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string()});
    auto first = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(count_of(first.out, ": written ") == 3);

    for (std::size_t at : {std::size_t{0x1000}, std::size_t{0x2345}, fw.app_bytes.size() - 1}) {
        DYNAMIC_SECTION("app byte " << at) {
            Bytes app2 = fw.app_bytes;
            app2[at] ^= 0x5A; // the first 4 KiB stay as they are on the board
            write_file_atomic(fw.app, app2);
            auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
            CHECK(count_of(r.out, "skipped, ") == 2);
            CHECK_THAT(r.out, Catch::Contains("region 3/3 " + fw.app.string() + " at 0x10000: written"));
            CHECK(slice(read_file(flash_file), 0x10000, app2.size()) == app2);
        }
    }
}

TEST_CASE("flash: regions no longer than the probe are skipped or written on one MD5", "[integration][flash]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path());
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32c3", "--port", "0", "--flash", flash_file.string()});
    REQUIRE(run(flash_args(sim.url(), fw, {"--after", "no-reset"})).exit_code == 0);

    // The 0xC00-byte partition table changes in its last byte: written; the others skipped.
    Bytes part2 = fw.part_bytes;
    part2.back() ^= 0x01;
    write_file_atomic(fw.part, part2);
    auto r = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(count_of(r.out, "skipped, ") == 2);
    CHECK_THAT(r.out, Catch::Contains("region 2/3 " + fw.part.string() + " at 0x8000: written"));
    CHECK(slice(read_file(flash_file), 0x8000, part2.size()) == part2);

    auto again = run(flash_args(sim.url(), fw, {"--after", "no-reset"}));
    REQUIRE(again.exit_code == 0);
    CHECK(count_of(again.out, "skipped, ") == 3);
}
