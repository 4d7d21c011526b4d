// Pure parts of the flasher: region validation, planning, block splitting, the deflate cache.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "vesper/chip/chip.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/flash/deflate_cache.hpp"
#include "vesper/flash/flash_plan.hpp"
#include "vesper/flash/progress.hpp"
#include "vesper/rom/command.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

RegionSource region(std::uint32_t address, std::size_t size, const std::string& name, std::uint8_t fill = 0x5A) {
    return RegionSource{address, Bytes(size, fill), name};
}

Bytes random_bytes_seeded(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    Bytes b(n);
    for (auto& x : b)
        x = static_cast<std::uint8_t>(rng());
    return b;
}

Bytes inflate_all(const Bytes& stream, std::size_t expected) {
    Bytes out(expected);
    uLongf n = static_cast<uLongf>(expected);
    REQUIRE(uncompress(out.data(), &n, stream.data(), static_cast<uLong>(stream.size())) == Z_OK);
    out.resize(n);
    return out;
}

template <class F> std::string call_error_of(F&& f, ErrorKind* kind = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (kind) *kind = e.kind();
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("layout: aligned, non-overlapping regions pass", "[esp][flasher][plan]") {
    std::vector<RegionSource> r = {region(0x1000, 0x5000, "boot.bin"), region(0x8000, 0xC00, "part.bin"),
                                   region(0x10000, 0x30000, "app.bin")};
    CHECK_NOTHROW(check_layout(r));
    CHECK_NOTHROW(check_fits(r, 4 * 1024 * 1024));
}

TEST_CASE("layout: unaligned address is rejected naming the file", "[esp][flasher][plan]") {
    std::vector<RegionSource> r = {region(0x10100, 16, "app.bin")};
    ErrorKind kind{};
    const auto msg = call_error_of([&] { check_layout(r); }, &kind);
    CHECK(kind == ErrorKind::input);
    CHECK_THAT(msg, Catch::StartsWith("app.bin: address 0x10100 is not on a 4 KiB sector boundary"));
}

TEST_CASE("layout: overlaps are rejected naming both files", "[esp][flasher][plan]") {
    std::vector<RegionSource> r = {region(0x10000, 0x2000, "app.bin"), region(0x8000, 0x9000, "part.bin")};
    ErrorKind kind{};
    const auto msg = call_error_of([&] { check_layout(r); }, &kind);
    CHECK(kind == ErrorKind::input);
    CHECK_THAT(msg, Catch::Contains("app.bin"));
    CHECK_THAT(msg, Catch::Contains("overlaps part.bin"));
    // Touching is fine.
    std::vector<RegionSource> ok = {region(0x8000, 0x8000, "a.bin"), region(0x10000, 1, "b.bin")};
    CHECK_NOTHROW(check_layout(ok));
}

TEST_CASE("layout: empty, beyond 16MB, beyond the flash size", "[esp][flasher][plan]") {
    std::vector<RegionSource> empty = {RegionSource{0x1000, {}, "empty.bin"}};
    CHECK_THAT(call_error_of([&] { check_layout(empty); }), Catch::Contains("empty.bin"));
    std::vector<RegionSource> none;
    CHECK_THAT(call_error_of([&] { check_layout(none); }), Catch::Contains("nothing to flash"));
    std::vector<RegionSource> huge = {region(0xFFF000, 0x2000, "big.bin")};
    CHECK_THAT(call_error_of([&] { check_layout(huge); }), Catch::Contains("beyond 16MB"));
    std::vector<RegionSource> big = {region(0x10000, 2 * 1024 * 1024, "app.bin")};
    ErrorKind kind{};
    const auto msg = call_error_of([&] { check_fits(big, 2 * 1024 * 1024); }, &kind);
    CHECK(kind == ErrorKind::input);
    CHECK_THAT(msg, Catch::StartsWith("app.bin"));
    CHECK_THAT(msg, Catch::Contains("2MB flash"));
}

TEST_CASE("plan: sorted, padded to 4 with 0xFF, MD5 of what is written", "[esp][flasher][plan]") {
    std::vector<RegionSource> r = {region(0x10000, 5, "app.bin", 0x11), region(0x1000, 8, "boot.bin", 0x22)};
    const auto plan = plan_flash(r, chip_info(Chip::esp32), 4 * 1024 * 1024);
    REQUIRE(plan.regions.size() == 2);
    CHECK(plan.regions[0].name == "boot.bin");
    CHECK(plan.regions[1].address == 0x10000);
    CHECK(plan.regions[1].file_size == 5);
    CHECK(plan.regions[1].data == Bytes{0x11, 0x11, 0x11, 0x11, 0x11, 0xFF, 0xFF, 0xFF});
    CHECK(plan.regions[1].md5 == md5(plan.regions[1].data));
    CHECK(plan.total_bytes() == 16);
}

TEST_CASE("plan: the bootloader patch runs only at the chip's bootloader offset", "[esp][flasher][plan]") {
    int calls = 0;
    BootloaderPatch patch = [&](Bytes& image, const ChipInfo&, const std::string&) {
        ++calls;
        image[2] = 0x02;
        return true;
    };
    std::vector<RegionSource> esp32 = {region(0x1000, 16, "boot.bin"), region(0x10000, 16, "app.bin")};
    auto plan = plan_flash(esp32, chip_info(Chip::esp32), std::nullopt, patch);
    CHECK(calls == 1);
    CHECK(plan.regions[0].header_patched);
    CHECK(plan.regions[0].data[2] == 0x02);
    CHECK(plan.regions[0].md5 == md5(plan.regions[0].data)); // MD5 of the patched bytes
    CHECK_FALSE(plan.regions[1].header_patched);
    // The same files on an ESP32-S3 (bootloader at 0x0): nothing at 0x0, no patch.
    calls = 0;
    std::vector<RegionSource> s3 = {region(0x1000, 16, "boot.bin")};
    plan_flash(s3, chip_info(Chip::esp32s3), std::nullopt, patch);
    CHECK(calls == 0);
}

TEST_CASE("block splitting for the ROM's 1 KiB blocks", "[esp][flasher][blocks]") {
    CHECK(block_count(0, kRomFlashBlock) == 0);
    CHECK(block_count(1, kRomFlashBlock) == 1);
    CHECK(block_count(1024, kRomFlashBlock) == 1);
    CHECK(block_count(1025, kRomFlashBlock) == 2);
    CHECK(block_count(0x30000, kRomFlashBlock) == 0xC0);
    // The last plain block is padded with 0xFF to the block size, checksum over the padded bytes.
    Bytes tail(100, 0x00);
    const auto req = flash_data_request(tail, 7, kRomFlashBlock);
    REQUIRE(req.data.size() == 16 + kRomFlashBlock);
    CHECK(get_le32(req.data.data()) == kRomFlashBlock);
    CHECK(get_le32(req.data.data() + 4) == 7);
    CHECK(req.data[16 + 99] == 0x00);
    CHECK(req.data[16 + 100] == 0xFF);
    // ROM FLASH_DEFL_BEGIN size: uncompressed rounded up to whole blocks.
    CHECK(deflate_begin_size(1500, kRomFlashBlock, false) == 2048);
}

TEST_CASE("deflated image: blocks, expansion, round trip", "[esp][flasher][deflate]") {
    Bytes data = random_bytes_seeded(20000, 1);
    data.insert(data.end(), 300000, 0xFF); // compresses very well: one block expands to a lot
    const auto img = make_deflated_image(data, kRomFlashBlock);
    CHECK(img.sha256 == sha256(data));
    CHECK(img.uncompressed_size == data.size());
    CHECK(img.block_count() == block_count(img.stream.size(), kRomFlashBlock));
    std::uint64_t sum = 0;
    std::uint32_t biggest = 0;
    for (auto n : img.block_expands_to) {
        sum += n;
        biggest = std::max(biggest, n);
    }
    CHECK(sum == data.size());
    CHECK(biggest > 100000);
    Bytes joined;
    for (std::size_t i = 0; i < img.block_count(); ++i) {
        const auto b = img.block(i);
        CHECK(b.size() <= kRomFlashBlock);
        joined.insert(joined.end(), b.begin(), b.end());
    }
    CHECK(joined == img.stream);
    CHECK(inflate_all(img.stream, data.size()) == data);
    // zlib header, as the ROM's inflater parses it.
    CHECK(img.stream[0] == 0x78);
}

TEST_CASE("deflate cache: same bytes compress once, different bytes or block size do not share",
          "[esp][flasher][deflate]") {
    DeflateCache cache;
    const Bytes a = random_bytes_seeded(5000, 2);
    const Bytes a_copy = a;
    const Bytes b = random_bytes_seeded(5000, 3);
    auto p1 = cache.get(a, kRomFlashBlock);
    auto p2 = cache.get(a_copy, kRomFlashBlock);
    CHECK(p1 == p2);
    CHECK(cache.compressions() == 1);
    auto p3 = cache.get(b, kRomFlashBlock);
    CHECK(p3 != p1);
    auto p4 = cache.get(a, kStubFlashBlock);
    CHECK(p4 != p1);
    CHECK(cache.size() == 3);
    CHECK(cache.compressions() == 3);
    cache.clear();
    CHECK(cache.size() == 0);
    CHECK(p1->stream.size() > 0); // entries handed out stay valid
}

TEST_CASE("deflate cache: 8 threads flashing the same image share one compression", "[esp][flasher][deflate]") {
    DeflateCache cache;
    Bytes image = random_bytes_seeded(200000, 4);
    image.insert(image.end(), 400000, 0x00);
    std::vector<std::shared_ptr<const DeflatedImage>> got(8);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            ready.fetch_add(1);
            while (ready.load() < 8)
                std::this_thread::yield();
            // Each thread has its own copy, as each port's plan would.
            const Bytes mine = image;
            got[static_cast<std::size_t>(i)] = cache.get(mine, kRomFlashBlock);
        });
    for (auto& t : threads)
        t.join();
    CHECK(cache.compressions() == 1);
    for (const auto& p : got)
        CHECK(p == got[0]);
    CHECK(inflate_all(got[0]->stream, image.size()) == image);
}

TEST_CASE("region result: effective kbit/s counts uncompressed bytes", "[esp][flasher]") {
    RegionResult r;
    r.bytes = 169232;
    r.compressed_bytes = 89490;
    r.seconds = 2.639;
    CHECK(r.kbit_per_s() == Approx(169232 * 8 / 2.639 / 1000));
    r.seconds = 0;
    CHECK(r.kbit_per_s() == 0);
    CHECK(std::string(to_string(FlashPhase::verify)) == "verify");
    CHECK(std::string(to_string(Verification::not_possible)) == "not_possible");
}
