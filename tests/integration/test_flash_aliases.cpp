// esptool's command names and forms against the real vesper-devsim: `write-flash` writes as `flash`
// does, `read-flash ADDR SIZE FILE` reads into FILE, `erase-region` erases a range and `erase-flash`
// the whole chip, compared byte for byte with the simulator's flash file.
#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

TEST_CASE("write-flash, read-flash ADDR SIZE FILE, erase-region and erase-flash work on a board",
          "[integration][flash][aliases]") {
    test::TempDir dir;
    const auto fw = write_firmware(dir.path(), 0x3000);
    const auto flash_file = dir / "flash.bin";
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", flash_file.string(), "--flash-size", "2MB"});

    auto args = flash_args(sim.url(), fw, {"--after", "no-reset"});
    args.front() = "write-flash";
    auto w = run(args);
    INFO(w.out << w.err);
    REQUIRE(w.exit_code == 0);
    check_regions_in_flash(flash_file, fw);

    const auto out = dir / "read.bin";
    auto r = run({"read-flash", "--port", sim.url(), "--after", "no-reset", "0x10000", "0x3000", out.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(out) == fw.app_bytes);
    // An output that cannot be written is exit 5 (docs/cli.md), after the board was read.
    auto unwritable = run({"read-flash", "--port", sim.url(), "--after", "no-reset", "0x10000", "0x1000",
                           (dir / "no-such-folder" / "x.bin").string()});
    CHECK(unwritable.exit_code == 5);

    auto e = run({"erase-region", "--port", sim.url(), "--after", "no-reset", "0x10000", "0x1000"});
    INFO(e.out << e.err);
    REQUIRE(e.exit_code == 0);
    Bytes flash = read_file(flash_file);
    CHECK(slice(flash, 0x10000, 0x1000) == Bytes(0x1000, 0xFF));
    CHECK(slice(flash, 0x11000, 0x2000) == slice(fw.app_bytes, 0x1000, 0x2000));

    auto all = run({"--json", "erase-flash", "--port", sim.url(), "--after", "no-reset"});
    INFO(all.out << all.err);
    REQUIRE(all.exit_code == 0);
    const auto doc = nlohmann::json::parse(all.out);
    CHECK(doc["address"] == 0);
    CHECK(doc["size"] == 2 * 1024 * 1024);
    flash = read_file(flash_file);
    CHECK(flash == Bytes(2 * 1024 * 1024, 0xFF));
}
