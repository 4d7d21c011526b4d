// Robustness: random truncations, bit flips and byte overwrites of valid images must give a result or a
// vesper::Error, never a crash, a hang or another exception. Run it under -fsanitize=address,undefined
// (VESPER_SANITIZE=ON) to catch out-of-bounds reads that would not crash.
#include <catch2/catch.hpp>

#include <random>

#include "esp_image_builder.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_merge.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

// Everything the library does with an untrusted file; only vesper::Error may escape.
void exercise(const Bytes& data) {
    try {
        const auto id = identify_file(data, "fuzz.bin");
        if (id.image) (void)id.image->valid();
    } catch (const Error&) {
    }
    try {
        (void)parse_image(data, "fuzz.bin", {.chip = &chip_info(Chip::esp8266)});
    } catch (const Error&) {
    }
    try {
        (void)patch_bootloader_header(data, chip_info(Chip::esp32), {"qio", "4MB", "80m"}, "fuzz.bin");
    } catch (const Error&) {
    }
}

} // namespace

TEST_CASE("fuzz: truncations and bit flips never crash the parser", "[esp][image][fuzz]") {
    std::mt19937 rng(20260118);
    const std::vector<Bytes> seeds = {
        vesper::test::esp32_app().build(),
        vesper::test::esp32_bootloader().build(),
        vesper::test::esp32c3_app().build(),
        vesper::test::esp8266_app().build(),
        synthesize_app_image(chip_info(Chip::esp32s3), {.size = 4096}),
    };
    std::size_t parsed = 0;
    for (const Bytes& seed : seeds) {
        for (std::size_t n = 0; n <= seed.size(); ++n) // every truncation
            exercise(Bytes(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n)));
        for (int round = 0; round < 400; ++round) {
            Bytes b = seed;
            const int flips = 1 + static_cast<int>(rng() % 8);
            for (int f = 0; f < flips; ++f) {
                // Header and segment headers get most of the damage: that is where lengths and counts live.
                const std::size_t at = rng() % 2 ? rng() % std::min<std::size_t>(b.size(), 64) : rng() % b.size();
                if (rng() % 3 == 0)
                    b[at] = static_cast<std::uint8_t>(rng());
                else
                    b[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            }
            if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
            if (rng() % 8 == 0) b.insert(b.end(), rng() % 64, static_cast<std::uint8_t>(rng()));
            try {
                (void)parse_image(b, "fuzz.bin");
                ++parsed;
            } catch (const Error&) {
            }
            exercise(b);
        }
    }
    CHECK(parsed > 0); // some mutations keep the structure intact and parse (checksum aside)
}

TEST_CASE("fuzz: random buffers and merges of random regions", "[esp][image][fuzz]") {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        Bytes b(rng() % 200);
        for (auto& x : b)
            x = static_cast<std::uint8_t>(rng());
        if (!b.empty() && rng() % 2) b[0] = kImageMagic;
        if (b.size() > 1 && rng() % 4 == 0) b[1] = static_cast<std::uint8_t>(rng() % 17);
        exercise(b);
    }
    for (int i = 0; i < 200; ++i) {
        std::vector<MergeRegion> regions;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int r = 0; r < n; ++r)
            regions.push_back({static_cast<std::uint32_t>(rng() % 0x4000), Bytes(1 + rng() % 0x800, 0x11), "r"});
        try {
            const auto m = merge_images(chip_info(Chip::esp32c3), regions);
            CHECK_FALSE(m.image.empty());
        } catch (const Error&) {
        }
    }
}
