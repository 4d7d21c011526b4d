// Synthetic app images: valid format for every ESP32-family chip, exact size, app description,
// determinism, compressibility, refusals.
#include <catch2/catch.hpp>
#include <zlib.h>

#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;
using namespace vesper::esp;

TEST_CASE("synth: every ESP32-family chip gets a valid app image of the exact size", "[esp][image][synth]") {
    for (const ChipInfo& chip : all_chips()) {
        if (chip.chip == Chip::esp8266) continue;
        INFO(chip.name);
        SynthOptions o;
        o.size = 64 * 1024;
        o.project = "vesper-factory";
        o.version = "2.4.1";
        o.secure_version = 5;
        const Bytes b = synthesize_app_image(chip, o);
        REQUIRE(b.size() == o.size);
        const auto im = parse_image(b, "synth.bin");
        CHECK(im.chip == &chip);
        CHECK(im.valid());
        CHECK(im.sha256_present);
        CHECK(im.image_size == b.size());
        CHECK(im.warnings.empty());
        REQUIRE(im.segments.size() == 4);
        CHECK(im.segments[0].in("DROM"));
        CHECK(im.segments[1].in("DRAM"));
        CHECK(im.segments[2].in("IRAM"));
        CHECK(im.segments[3].in("IROM"));
        CHECK(im.header.entry == im.segments[2].load_address);
        // Flash-mapped segments keep their offset inside a 64 KiB page.
        CHECK(im.segments[0].load_address % 0x10000 == im.segments[0].data_offset() % 0x10000);
        CHECK(im.segments[3].load_address % 0x10000 == im.segments[3].data_offset() % 0x10000);
        REQUIRE(im.app);
        CHECK(im.app->project_name == "vesper-factory");
        CHECK(im.app->version == "2.4.1");
        CHECK(im.app->secure_version == 5);
        CHECK(im.app->idf_ver == "vesper-synth");
        CHECK(im.app->date == "synthetic");
        CHECK(flash_mode_name(im.header.flash_mode) == "dio");
        CHECK(flash_size_name(&chip, im.header.flash_size_code()) == "4MB");
        CHECK(im.extended.max_chip_rev_full == kMaxChipRevUnset);
    }
}

TEST_CASE("synth: the entry point holds a jump-to-self for the chip's CPU", "[esp][image][synth]") {
    const Bytes x = synthesize_app_image(chip_info(Chip::esp32s3), {.size = 8192});
    const auto xi = parse_image(x, "s3.bin");
    CHECK(Bytes(x.begin() + static_cast<std::ptrdiff_t>(xi.segments[2].data_offset()),
                x.begin() + static_cast<std::ptrdiff_t>(xi.segments[2].data_offset()) + 3) == Bytes{0x06, 0xFF, 0xFF});
    const Bytes r = synthesize_app_image(chip_info(Chip::esp32c3), {.size = 8192});
    const auto ri = parse_image(r, "c3.bin");
    CHECK(get_le32(&r[ri.segments[2].data_offset()]) == 0x0000006F);
}

TEST_CASE("synth: deterministic, and different inputs give different images", "[esp][image][synth]") {
    const auto& esp32 = chip_info(Chip::esp32);
    SynthOptions o;
    o.size = 1024 * 1024;
    const Bytes a = synthesize_app_image(esp32, o);
    CHECK(synthesize_app_image(esp32, o) == a);
    o.version = "1.0.1";
    const Bytes b = synthesize_app_image(esp32, o);
    CHECK(b != a);
    CHECK(parse_image(b, "b.bin").app->version == "1.0.1");
    CHECK(synthesize_app_image(chip_info(Chip::esp32s3), o) != b);

    // Filler compresses roughly like firmware: to a bit over half.
    uLongf out_len = compressBound(static_cast<uLong>(a.size()));
    Bytes z(out_len);
    REQUIRE(compress2(z.data(), &out_len, a.data(), static_cast<uLong>(a.size()), 9) == Z_OK);
    const double ratio = static_cast<double>(out_len) / static_cast<double>(a.size());
    CHECK(ratio > 0.45);
    CHECK(ratio < 0.70);
}

TEST_CASE("synth: refusals", "[esp][image][synth]") {
    const auto& esp32 = chip_info(Chip::esp32);
    CHECK_THROWS_WITH(synthesize_app_image(chip_info(Chip::esp8266)), Catch::Contains("ESP8266 has no ESP-IDF app"));
    CHECK_THROWS_WITH(synthesize_app_image(esp32, {.size = 4096 + 8}), Catch::Contains("multiple of 16"));
    CHECK_THROWS_WITH(synthesize_app_image(esp32, {.size = 2048}), Catch::Contains("between 4 KiB and 128 MiB"));
    SynthOptions long_name;
    long_name.project = std::string(32, 'p');
    CHECK_THROWS_WITH(synthesize_app_image(esp32, long_name), Catch::Contains("longer than the 31 bytes"));
    // The smallest size works and is still valid.
    CHECK(parse_image(synthesize_app_image(esp32, {.size = kMinSynthSize}), "min.bin").valid());
}
