// Bootloader header patching: the per-chip flash codes, SHA-256 kept valid, "keep" semantics, refusals.
#include <catch2/catch.hpp>

#include <tuple>

#include "esp_image_builder.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"

using namespace vesper;
using namespace vesper::esp;
using vesper::test::TestImage;

namespace {

using Codes = std::vector<std::pair<std::string, std::uint8_t>>;

// The expected codes, typed in from esptool's targets/*.py rather than taken from the library's tables.
const Codes kModes = {{"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3}};
const Codes kEsp32Sizes = {{"1MB", 0},  {"2MB", 1},  {"4MB", 2},  {"8MB", 3},
                           {"16MB", 4}, {"32MB", 5}, {"64MB", 6}, {"128MB", 7}};
const Codes kEsp32Freqs = {{"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}};

Bytes bootloader_for(std::uint16_t chip_id) {
    TestImage t = vesper::test::esp32_bootloader();
    t.chip_id = chip_id;
    return t.build();
}

Bytes patch(const Bytes& image, Chip chip, std::string mode, std::string size, std::string freq) {
    return patch_bootloader_header(image, chip_info(chip), FlashParams{mode, size, freq}, "bootloader.bin");
}

// Only bytes 2-3 and the SHA-256 differ, and the result is a valid image.
void check_only_header_and_sha_changed(const Bytes& before, const Bytes& after) {
    REQUIRE(before.size() == after.size());
    const auto im = parse_image(after, "patched.bin");
    CHECK(im.valid());
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (i == 2 || i == 3 || (i >= im.sha256_offset && i < im.sha256_offset + 32)) continue;
        INFO("offset " << i);
        REQUIRE(before[i] == after[i]);
    }
}

std::string error_of(const Bytes& image, Chip chip, const FlashParams& p) {
    try {
        patch_bootloader_header(image, chip_info(chip), p, "boot.bin");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("patch: every mode, size and frequency for ESP32 and ESP32-C3", "[esp][image][patch]") {
    for (const auto& [chip, id] : {std::pair{Chip::esp32, 0}, std::pair{Chip::esp32c3, 5}}) {
        INFO(chip_info(chip).name);
        const Bytes boot = bootloader_for(static_cast<std::uint16_t>(id));
        for (const auto& [name, code] : kModes) {
            const Bytes out = patch(boot, chip, name, "keep", "keep");
            CHECK(out[2] == code);
            CHECK(out[3] == boot[3]);
            check_only_header_and_sha_changed(boot, out);
        }
        for (const auto& [name, code] : kEsp32Sizes) {
            const Bytes out = patch(boot, chip, "keep", name, "keep");
            CHECK(out[2] == boot[2]);
            CHECK(out[3] >> 4 == code);
            CHECK((out[3] & 0xF) == (boot[3] & 0xF));
            check_only_header_and_sha_changed(boot, out);
        }
        for (const auto& [name, code] : kEsp32Freqs) {
            const Bytes out = patch(boot, chip, "keep", "keep", name);
            CHECK((out[3] & 0xF) == code);
            CHECK(out[3] >> 4 == boot[3] >> 4);
            check_only_header_and_sha_changed(boot, out);
        }
        const Bytes all = patch(boot, chip, "qio", "16MB", "80m");
        CHECK(all[2] == 0x00);
        CHECK(all[3] == 0x4F);
    }
}

TEST_CASE("patch: chip families with their own codes", "[esp][image][patch]") {
    // ESP32-C2: 60m 0xF, 30m 0, 20m 1, 15m 2.
    for (const auto& [name, code] : Codes{{"60m", 0xF}, {"30m", 0}, {"20m", 1}, {"15m", 2}})
        CHECK((patch(bootloader_for(12), Chip::esp32c2, "keep", "keep", name)[3] & 0xF) == code);
    CHECK_THAT(error_of(bootloader_for(12), Chip::esp32c2, {"keep", "keep", "80m"}),
               Catch::Contains("--flash-freq '80m' is not valid for ESP32-C2 (accepted: keep, 60m, 30m, 20m, 15m)"));
    // ESP32-C6: 80m and 40m are both 0, 20m is 2; 26m does not exist.
    CHECK((patch(bootloader_for(13), Chip::esp32c6, "keep", "keep", "80m")[3] & 0xF) == 0);
    CHECK((patch(bootloader_for(13), Chip::esp32c6, "keep", "keep", "20m")[3] & 0xF) == 2);
    CHECK(flash_freq_name(&chip_info(Chip::esp32c6), 0) == "80m/40m");
    CHECK_FALSE(flash_freq_code(chip_info(Chip::esp32c6), "26m"));
    // ESP32-H2: 48m 0xF, 24m 0, 16m 1, 12m 2.
    CHECK((patch(bootloader_for(16), Chip::esp32h2, "keep", "keep", "48m")[3] & 0xF) == 0xF);
    CHECK((patch(bootloader_for(16), Chip::esp32h2, "keep", "keep", "12m")[3] & 0xF) == 2);
    // ESP32-C5: 80m 0xF, 40m 0, 20m 2.
    CHECK((patch(bootloader_for(23), Chip::esp32c5, "keep", "keep", "80m")[3] & 0xF) == 0xF);
    // ESP8266 sizes: 512KB 0, 256KB 1, 1MB 2, 2MB 3, 4MB 4, 2MB-c1 5, 4MB-c1 6, 8MB 8, 16MB 9.
    const Bytes v1 = vesper::test::esp8266_app().build();
    for (const auto& [name, code] : Codes{{"512KB", 0},
                                          {"256KB", 1},
                                          {"1MB", 2},
                                          {"2MB", 3},
                                          {"4MB", 4},
                                          {"2MB-c1", 5},
                                          {"4MB-c1", 6},
                                          {"8MB", 8},
                                          {"16MB", 9}}) {
        const Bytes out = patch(v1, Chip::esp8266, "keep", name, "keep");
        CHECK(out[3] >> 4 == code);
        CHECK(parse_image(out, "8266.bin").valid()); // no SHA-256 to fix; the checksum does not cover the header
    }
    CHECK_FALSE(flash_size_code(chip_info(Chip::esp8266), "32MB"));
}

TEST_CASE("flash codes: every chip has its own, none borrows another chip's", "[esp][image][patch]") {
    // Header codes once lived in a side table in which a chip without an entry silently got ESP32's.
    // Each chip must answer with codes of its own: two chips returning the same encoding object means
    // one of them is falling back on the other's.
    for (const ChipInfo& a : all_chips())
        for (const ChipInfo& b : all_chips()) {
            if (&a == &b) continue;
            INFO(a.name << " and " << b.name);
            CHECK(&flash_encoding(a) != &flash_encoding(b));
        }
    // And the codes are the chip's as esptool's targets define them (FLASH_FREQUENCY; sizes: ESP8266 its
    // own, every other chip the ESP32 class's, inherited).
    const auto freq_names = [](const ChipInfo& c) {
        std::string out;
        for (const FlashCode& f : flash_encoding(c).freqs)
            out += std::string(out.empty() ? "" : " ") + std::string(f.name) + "=" + std::to_string(f.code);
        return out;
    };
    for (const char* esp32_like : {"esp8266", "esp32", "esp32s2", "esp32s3", "esp32c3", "esp32p4"}) {
        INFO(esp32_like);
        CHECK(freq_names(chip_by_name(esp32_like)) == "80m=15 40m=0 26m=1 20m=2");
    }
    CHECK(freq_names(chip_by_name("esp32c2")) == "60m=15 30m=0 20m=1 15m=2");
    CHECK(freq_names(chip_by_name("esp32c5")) == "80m=15 40m=0 20m=2");
    CHECK(freq_names(chip_by_name("esp32c6")) == "80m=0 40m=0 20m=2");
    CHECK(freq_names(chip_by_name("esp32h2")) == "48m=15 24m=0 16m=1 12m=2");
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        CHECK(flash_size_code(c, "1MB") == (c.chip == Chip::esp8266 ? 2 : 0));
        CHECK(flash_size_code(c, "16MB") == (c.chip == Chip::esp8266 ? 9 : 4));
        CHECK(flash_size_code(c, "128MB").has_value() == (c.chip != Chip::esp8266));
    }
}

TEST_CASE("patch: keep changes nothing", "[esp][image][patch]") {
    const Bytes boot = bootloader_for(0);
    CHECK(patch(boot, Chip::esp32, "keep", "keep", "keep") == boot);
    // Setting a field to the value it already has leaves the bytes identical too.
    CHECK(patch(boot, Chip::esp32, "dio", "2MB", "40m") == boot);
    // All-keep does not even look at the data (esptool does the same), so anything passes through.
    const Bytes junk(100, 0x42);
    CHECK(patch(junk, Chip::esp32, "keep", "keep", "keep") == junk);
}

TEST_CASE("patch: the SHA-256 is recomputed and bytes after the image are kept", "[esp][image][patch]") {
    Bytes boot = bootloader_for(0);
    const std::size_t image_size = boot.size();
    boot.insert(boot.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    const Bytes out = patch(boot, Chip::esp32, "qio", "keep", "keep");
    const auto im = parse_image(out, "patched.bin");
    CHECK(im.sha256_ok());
    CHECK(im.sha256_stored == sha256(ByteView(out.data(), im.sha256_offset)));
    CHECK(Bytes(out.begin() + static_cast<std::ptrdiff_t>(image_size), out.end()) ==
          Bytes(boot.begin() + static_cast<std::ptrdiff_t>(image_size), boot.end()));

    // Without an appended hash only bytes 2-3 change.
    TestImage t = vesper::test::esp32_bootloader();
    t.hash_appended = 0;
    const Bytes plain = t.build();
    const Bytes p = patch(plain, Chip::esp32, "dout", "8MB", "80m");
    CHECK(p.size() == plain.size());
    CHECK(Bytes(p.begin() + 4, p.end()) == Bytes(plain.begin() + 4, plain.end()));
    CHECK(parse_image(p, "p.bin").valid());
}

TEST_CASE("patch: refuses files that are not valid images for the chip", "[esp][image][patch]") {
    const FlashParams dio{"dio", "keep", "keep"};
    Bytes boot = bootloader_for(0);
    CHECK_THAT(error_of(Bytes(300, 0x00), Chip::esp32, dio),
               Catch::Contains("boot.bin: offset 0x0: first byte is 0x00"));
    Bytes bad_sum = boot;
    bad_sum[0x30] ^= 1;
    CHECK_THAT(error_of(bad_sum, Chip::esp32, dio),
               Catch::Contains("boot.bin: flash parameters not changed: not a valid image (checksum"));
    Bytes bad_sha = boot;
    bad_sha.back() ^= 1;
    CHECK_THAT(error_of(bad_sha, Chip::esp32, dio), Catch::Contains("SHA-256"));
    CHECK_THAT(error_of(boot, Chip::esp32c3, dio),
               Catch::Contains("flash parameters not changed: the image is for ESP32, not ESP32-C3"));
    CHECK_THAT(error_of(boot, Chip::esp32, {"fast", "keep", "keep"}),
               Catch::Contains("--flash-mode 'fast' is not valid for ESP32 (accepted: keep, qio, qout, dio, dout)"));
    CHECK_THAT(error_of(boot, Chip::esp32, {"keep", "3MB", "keep"}), Catch::Contains("--flash-size '3MB'"));
}

TEST_CASE("patch: only the file at the bootloader offset is patched", "[esp][image][patch]") {
    const Bytes boot = bootloader_for(0);
    const Bytes app = vesper::test::esp32_app().build();
    const FlashParams p{"qio", "8MB", "80m"};
    const auto& esp32 = chip_info(Chip::esp32);
    CHECK(patch_for_flash_address(app, 0x10000, esp32, p, "app.bin") == app);
    CHECK(patch_for_flash_address(Bytes(64, 0xAA), 0x8000, esp32, p, "part.bin") == Bytes(64, 0xAA));
    const Bytes out = patch_for_flash_address(boot, 0x1000, esp32, p, "boot.bin");
    CHECK(out[2] == 0);
    CHECK(out[3] == 0x3F);
    // ESP32-C3 keeps its bootloader at 0x0.
    const Bytes c3 = bootloader_for(5);
    CHECK(patch_for_flash_address(c3, 0x0, chip_info(Chip::esp32c3), p, "b.bin")[3] == 0x3F);
    CHECK(patch_for_flash_address(c3, 0x1000, chip_info(Chip::esp32c3), p, "b.bin") == c3);
}

TEST_CASE("flash names: modes, sizes in bytes, names for codes", "[esp][image][patch]") {
    CHECK(flash_mode_code("DIO") == 2);
    CHECK_FALSE(flash_mode_code("fastrd"));
    CHECK(flash_mode_name(1) == "qout");
    CHECK(flash_mode_name(9) == "unknown (9)");
    CHECK(flash_size_bytes("4MB") == 4u * 1024 * 1024);
    CHECK(flash_size_bytes("512KB") == 512u * 1024);
    CHECK(flash_size_bytes("2MB-c1") == 2u * 1024 * 1024);
    CHECK(flash_size_bytes("128mb") == 128ull * 1024 * 1024);
    CHECK_FALSE(flash_size_bytes("4"));
    CHECK_FALSE(flash_size_bytes("MB"));
    CHECK_FALSE(flash_size_bytes("0x4MB"));
    CHECK(flash_size_name(nullptr, 2) == "4MB");
    CHECK(flash_size_name(&chip_info(Chip::esp8266), 2) == "1MB");
    CHECK(flash_size_name(nullptr, 0xC) == "unknown (12)");
}
