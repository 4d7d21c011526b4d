// Simulated NOR flash and the small parsers of the simulator's command line.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <filesystem>

#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "devsim/server.hpp"
#include "devsim/timing.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"

using namespace vesper;
using namespace vesper::devsim;

TEST_CASE("flash starts erased, programming only clears bits, erase sets 0xFF", "[devsim][flash]") {
    FlashStore f = FlashStore::in_memory(0x10000);
    CHECK(f.read(0, 4)[0] == 0xFF);
    CHECK(f.program(0x100, Bytes{0xF0, 0x0F}));
    CHECK(f.read(0x100, 1)[0] == 0xF0);
    // 0xF0 AND 0x0F = 0x00: a bit cannot go back from 0 to 1 without an erase.
    CHECK_FALSE(f.program(0x100, Bytes{0x0F}));
    CHECK(f.read(0x100, 1)[0] == 0x00);
    f.erase(0, 0x1000);
    CHECK(f.read(0x100, 1)[0] == 0xFF);
    CHECK_THROWS_AS(f.program(0xFFFF, Bytes{1, 2}), Error);
}

TEST_CASE("file-backed flash is created erased and keeps what was written", "[devsim][flash]") {
    test::TempDir dir;
    const auto file = dir.path() / "flash.bin";
    {
        FlashStore f = FlashStore::open_file(file, 0x20000);
        CHECK(std::filesystem::file_size(file) == 0x20000);
        f.program(0x1000, Bytes{1, 2, 3});
    }
    const Bytes raw = read_file(file);
    CHECK(raw[0] == 0xFF);
    CHECK(raw[0x1000] == 1);
    CHECK(raw[0x1002] == 3);
    FlashStore again = FlashStore::open_file(file, 0x20000);
    CHECK(again.read(0x1001, 1)[0] == 2);
    try {
        FlashStore::open_file(file, 0x40000);
        FAIL("a size mismatch must be refused");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK(std::string(e.what()).find("flash.bin") != std::string::npos);
    }
}

TEST_CASE("command-line values", "[devsim][options]") {
    CHECK(parse_flash_size("4MB") == 4u << 20);
    CHECK(parse_flash_size("512KB") == 512u << 10);
    CHECK(parse_flash_size("0x200000") == 2u << 20);
    CHECK_THROWS_AS(parse_flash_size("3000"), Error);
    CHECK_THROWS_AS(parse_flash_size("lots"), Error);
    CHECK_THROWS_AS(parse_flash_size("64KB"), Error); // smaller than any ESP board flash

    CHECK(devsim::parse_listen("tcp:0").kind == ListenKind::tcp);
    CHECK(devsim::parse_listen("rfc2217:4000").port == 4000);
    CHECK_THROWS_AS(devsim::parse_listen("udp:4000"), Error);
    CHECK_THROWS_AS(devsim::parse_listen("tcp:70000"), Error);

    CHECK(indexed_path("dir/flash.bin", 0, 1) == "dir/flash.bin");
    CHECK(indexed_path("dir/flash.bin", 3, 4) == "dir/flash-3.bin");

    CHECK(parse_mac("24:0A:c4:00:00:ff") == Mac{0x24, 0x0a, 0xc4, 0x00, 0x00, 0xff});
    CHECK(mac_add(parse_mac("24:0a:c4:00:00:ff"), 1) == Mac{0x24, 0x0a, 0xc4, 0x00, 0x01, 0x00});
    CHECK_THROWS_AS(parse_mac("24:0a:c4:00:00"), Error);
    CHECK_THROWS_AS(parse_mac("zz:0a:c4:00:00:01"), Error);

    CHECK(parse_timing("realistic") == Timing::realistic);
    CHECK_THROWS_AS(parse_timing("fast"), Error);
}

TEST_CASE("timing model: UART bytes and W25Q32 erase/program times", "[devsim][timing]") {
    using namespace std::chrono;
    CHECK(TimingModel::uart(11520, 115200) == seconds(1));
    const TimingModel t(Timing::realistic);
    CHECK(t.erase(0x10000, 0x10000) == milliseconds(150));     // one 64 KiB block
    CHECK(t.erase(0x1000, 0x2000) == milliseconds(90));        // two sectors
    CHECK(t.erase(0xF000, 0x11000) == milliseconds(45 + 150)); // a sector, then an aligned block
    CHECK(t.program(0, 0x400) == microseconds(4 * 400));       // four pages
    CHECK(t.program(0x80, 0x100) == microseconds(2 * 400));    // straddles two pages
    CHECK(t.md5(1024 * 1024) == milliseconds(350));
}
