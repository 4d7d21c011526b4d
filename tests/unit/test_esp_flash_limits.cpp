// The one set of flash size/region checks (esp/flash_limits) and the image chip check (esptool's
// "Unexpected chip ID in image") with the --flash-size check of the bootloader patch.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "unit_support.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/error.hpp"
#include "vesper/flash/bootloader_patch.hpp"
#include "vesper/flash/flash_plan.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;
using namespace vesper::esp;
using test::error_from;

namespace {

std::string message_of(const std::function<void()>& f) { return error_from(f).what(); }

} // namespace

TEST_CASE("flash limits: each chip's largest flash comes from its header's size codes", "[esp][limits]") {
    CHECK(max_flash_size(chip_info(Chip::esp8266)) == 16u * 1024 * 1024);
    for (const auto& chip : all_chips())
        if (chip.chip != Chip::esp8266) CHECK(max_flash_size(chip) == kMaxFlashSize);
    CHECK(any_chip_bound().bytes == kMaxFlashSize);
    CHECK(rom_loader_bound().bytes == kRomMaxFlashAddress);
}

TEST_CASE("flash limits: sizes and regions", "[esp][limits]") {
    CHECK_NOTHROW(check_flash_size("--size", 0x3000, any_chip_bound()));
    CHECK(message_of([] { check_flash_size("--size", 0, any_chip_bound()); }) == "--size: size must not be 0");
    CHECK(message_of([] { check_flash_size("--size", 0x100000000ull, any_chip_bound()); }) ==
          "--size: 0x100000000 bytes is more than the largest flash of any ESP chip (128MB)");

    const RegionRules rom{rom_loader_bound()};
    CHECK_NOTHROW(check_flash_region({0xFFF000, 0x1000, "last.bin"}, rom));
    CHECK(message_of([&] {
              check_flash_region({0xFFF000, 0x1001, "big.bin"}, rom);
          }) == "big.bin (0xFFF000..0x1000001) reaches beyond 16MB: the ROM loader addresses flash with 24 bits");
    // An address far out is refused even with a size that would wrap a 32-bit sum.
    CHECK_THAT(message_of([&] {
                   check_flash_region({0xFFFFF000, 0x2000, "wrap.bin"}, rom);
               }),
               Catch::Contains("reaches beyond 16MB"));
    CHECK_THAT(message_of([&] { check_flash_region({0x1000, 0, "e.bin"}, rom); }), Catch::Contains("is empty"));
    const RegionRules erase{rom_loader_bound(), kFlashSectorSize, kFlashSectorSize};
    CHECK_THAT(message_of([&] {
                   check_flash_region({0x1000, 0x800, "erase"}, erase);
               }),
               Catch::Contains("size 0x800 is not a multiple of 0x1000"));
    const RegionRules read{board_bound(4 * 1024 * 1024), 1};
    CHECK_NOTHROW(check_flash_region({0x123, 5, "read"}, read));
    CHECK_THAT(message_of([&] {
                   check_flash_region({0x3FFFFF, 2, "read"}, read);
               }),
               Catch::Contains("reaches beyond the board's 4MB flash"));

    std::vector<FlashRegion> overlapping{{0x10000, 0x2000, "app.bin"}, {0x8000, 0x9000, "part.bin"}};
    CHECK(message_of([&] { check_flash_regions(overlapping, rom); }) ==
          "app.bin (0x10000..0x12000) overlaps part.bin (0x8000..0x11000)");
}

TEST_CASE("image chip check: images for another chip are refused unless forced, data is not checked",
          "[esp][limits][chip]") {
    const ChipInfo& esp32 = chip_info(Chip::esp32);
    const ChipInfo& s3 = chip_info(Chip::esp32s3);
    SynthOptions small;
    small.size = 0x4000;
    const Bytes s3_app = synthesize_app_image(s3, small);
    const Bytes esp32_app = synthesize_app_image(esp32, small);

    CHECK_FALSE(image_chip_mismatch(parse_image(esp32_app, "a", {.chip = &esp32}), esp32));
    CHECK(image_chip_mismatch(parse_image(s3_app, "a", {.chip = &esp32}), esp32) == "ESP32-S3 (chip id 9)");

    std::vector<RegionSource> regions{{0x8000, Bytes(0xC00, 0xAA), "table.bin"},
                                      {0x9000, Bytes{0xE9, 0x01, 0x02}, "junk.bin"}, // starts like one, is not
                                      {0x10000, s3_app, "s3.bin"}};
    CHECK(message_of([&] { check_image_chips(regions, esp32, "socket://h:1", false, {}); }) ==
          "s3.bin (at 0x10000) is an image for ESP32-S3 (chip id 9), but the board on socket://h:1 is an ESP32; "
          "use --force to write it anyway");
    std::vector<std::string> warnings;
    CHECK_NOTHROW(
        check_image_chips(regions, esp32, "socket://h:1", true, [&](std::string_view w) { warnings.emplace_back(w); }));
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::EndsWith("writing it anyway (--force)"));
    regions.back().data = esp32_app;
    CHECK_NOTHROW(check_image_chips(regions, esp32, "socket://h:1", false, {}));
    // ESP8266 images carry no chip id: nothing to compare.
    CHECK_NOTHROW(check_image_chips(regions, chip_info(Chip::esp8266), "p", false, {}));
}

TEST_CASE("bootloader patch: --flash-size above the board's flash is refused unless forced", "[esp][limits][chip]") {
    DeviceInfo info;
    info.chip = &chip_info(Chip::esp32c3);
    info.flash_size = 4 * 1024 * 1024;
    const FlashParams bigger{"keep", "8MB", "keep"};
    CHECK_THAT(message_of([&] { bootloader_patch(bigger, info); }),
               Catch::StartsWith("--flash-size 8MB is larger than the 4MB flash the board reports"));
    std::vector<std::string> warnings;
    const auto patch = bootloader_patch(bigger, info, true, [&](std::string_view w) { warnings.emplace_back(w); });
    CHECK(patch);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("writing it anyway (--force)"));
    CHECK(bootloader_patch({"keep", "4MB", "keep"}, info));
    CHECK(bootloader_patch({"keep", "2MB", "keep"}, info));
    info.flash_size.reset(); // unknown: nothing to compare against
    CHECK(bootloader_patch(bigger, info));
}
