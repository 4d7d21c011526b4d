// ESP image parsing: every header field, segments and their memory regions, checksum and SHA-256
// validation, the ESP-IDF app and bootloader descriptions, ESP8266 images, and errors for broken files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "esp_image_builder.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;
using namespace vesper::esp;
using vesper::test::TestImage;

namespace {

// Checked by hand against the documented layout: one ESP32 segment of 01 02 03 04 at 0x3FFB0000.
//   E9 01 02 20           magic, 1 segment, DIO, size code 2 (4MB) | freq code 0 (40m)
//   00 00 08 40           entry 0x40080000
//   EE 00 00 00 00 00 00  WP pin disabled, drive 00 00 00, chip id 0 (ESP32), min rev 0
//   00 00 8F 01           min rev full 0, max rev full 0x018F = 399 (v3.99)
//   00 00 00 00 00        reserved, hash appended 0
//   00 00 FB 3F 04 00 00 00 01 02 03 04    segment: load 0x3FFB0000, length 4, data
// Data ends at 0x24 (36); 36 % 16 = 4, so 11 zero bytes pad to 0x2F, where the checksum sits:
//   0xEF ^ 0x01 ^ 0x02 ^ 0x03 ^ 0x04 = 0xEF ^ 0x04 = 0xEB. The file is 48 bytes.
const Bytes kHandChecked = {
    0xE9, 0x01, 0x02, 0x20, 0x00, 0x00, 0x08, 0x40, 0xEE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x8F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFB, 0x3F, 0x04, 0x00, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEB,
};

std::string error_of(const Bytes& data, const ImageParseOptions& opts = {}) {
    try {
        parse_image(data, "test.bin", opts);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("image: hand-checked bytes match the builder and parse field by field", "[esp][image]") {
    TestImage t;
    t.hash_appended = 0;
    t.segments = {{0x3FFB0000, {1, 2, 3, 4}}};
    REQUIRE(t.build() == kHandChecked);

    const auto im = parse_image(kHandChecked, "hand.bin");
    CHECK(im.header.magic == 0xE9);
    CHECK(im.header.segment_count == 1);
    CHECK(im.header.flash_mode == 2);
    CHECK(im.header.flash_size_code() == 2);
    CHECK(im.header.flash_freq_code() == 0);
    CHECK(im.header.entry == 0x40080000);
    REQUIRE(im.has_extended_header);
    CHECK(im.chip == &chip_info(Chip::esp32));
    CHECK(im.extended.wp_pin == 0xEE);
    CHECK(im.extended.max_chip_rev_full == 399);
    CHECK(im.extended.hash_appended == 0);
    REQUIRE(im.segments.size() == 1);
    CHECK(im.segments[0].load_address == 0x3FFB0000);
    CHECK(im.segments[0].length == 4);
    CHECK(im.segments[0].header_offset == 0x18);
    CHECK(im.segments[0].data_offset() == 0x20);
    CHECK(im.segments[0].in("DRAM"));
    CHECK(im.checksum_offset == 0x2F);
    CHECK(im.checksum_stored == 0xEB);
    CHECK(im.checksum_computed == 0xEB);
    CHECK_FALSE(im.sha256_present);
    CHECK(im.image_size == 48);
    CHECK(im.valid());
    CHECK(im.warnings.empty());
    CHECK(im.role() == ImageRole::unknown);

    // The same image with hash appended: byte 23 becomes 1 and the SHA-256 of the 48 bytes follows.
    t.hash_appended = 1;
    Bytes hashed = kHandChecked;
    hashed[23] = 1;
    const auto digest = sha256(hashed);
    hashed.insert(hashed.end(), digest.begin(), digest.end());
    REQUIRE(t.build() == hashed);
    const auto h = parse_image(hashed, "hashed.bin");
    CHECK(h.sha256_present);
    CHECK(h.sha256_offset == 48);
    CHECK(h.image_size == 80);
    CHECK(h.sha256_stored == digest);
    CHECK(h.valid());
}

TEST_CASE("image: every extended header field is read from its offset", "[esp][image]") {
    TestImage t = vesper::test::esp32c3_app();
    t.flash_mode = 3;
    t.flash_size_freq = 0x4F; // 16MB, 80m in the ESP32 encoding
    t.wp_pin = 7;
    t.drive = {0x12, 0x34, 0x56};
    t.min_rev = 3;
    t.min_rev_full = 103;
    t.max_rev_full = 199;
    t.reserved = {9, 8, 7, 6};
    const auto im = parse_image(t.build(), "c3.bin");
    CHECK(im.chip == &chip_info(Chip::esp32c3));
    CHECK(im.header.flash_mode == 3);
    CHECK(flash_mode_name(im.header.flash_mode) == "dout");
    CHECK(flash_size_name(im.chip, im.header.flash_size_code()) == "16MB");
    CHECK(flash_freq_name(im.chip, im.header.flash_freq_code()) == "80m");
    CHECK(im.header.entry == 0x40380000);
    CHECK(im.extended.wp_pin == 7);
    CHECK(im.extended.spi_pin_drv == std::array<std::uint8_t, 3>{0x12, 0x34, 0x56});
    CHECK(im.extended.chip_id == 5);
    CHECK(im.extended.min_chip_rev == 3);
    CHECK(im.extended.min_chip_rev_full == 103);
    CHECK(im.extended.max_chip_rev_full == 199);
    CHECK(im.extended.reserved == std::array<std::uint8_t, 4>{9, 8, 7, 6});
    CHECK(im.extended.hash_appended == 1);
    CHECK(im.valid());
}

TEST_CASE("image: segments carry their memory regions per chip", "[esp][image]") {
    const auto app = parse_image(vesper::test::esp32_app().build(), "app.bin");
    REQUIRE(app.segments.size() == 5);
    CHECK(app.segments[0].regions == std::vector<std::string_view>{"DROM"});
    CHECK(app.segments[1].regions == std::vector<std::string_view>{"DRAM"});
    CHECK(app.segments[2].regions == std::vector<std::string_view>{"IRAM"});
    CHECK(app.segments[3].regions == std::vector<std::string_view>{"IROM"});
    CHECK(app.segments[4].regions == std::vector<std::string_view>{"RTC_DATA"});
    // Data offsets follow each other: header 24, then 8-byte segment headers.
    CHECK(app.segments[0].data_offset() == 0x20);
    CHECK(app.segments[1].data_offset() == 0x20 + 320 + 8);

    const auto& c3 = chip_info(Chip::esp32c3);
    CHECK(memory_regions(c3, 0x3C000020) == std::vector<std::string_view>{"DROM"});
    CHECK(memory_regions(c3, 0x42000020) == std::vector<std::string_view>{"IROM"});
    CHECK(memory_regions(c3, 0x4037C000) == std::vector<std::string_view>{"IRAM"});
    CHECK(memory_regions(c3, 0x50000000) == std::vector<std::string_view>{"RTC_IRAM", "RTC_DRAM"});
    CHECK(memory_regions(c3, 0x10000000).empty());
    // ESP32-C6 has one window for DRAM and IRAM; ESP32-C5 one for DROM and IROM.
    CHECK(memory_regions(chip_info(Chip::esp32c6), 0x40800000) == std::vector<std::string_view>{"DRAM", "IRAM"});
    CHECK(memory_regions(chip_info(Chip::esp32c5), 0x42000020) == std::vector<std::string_view>{"DROM", "IROM"});
    CHECK(memory_regions(chip_info(Chip::esp32), 0x40078000) == std::vector<std::string_view>{"CACHE_APP"});
    for (const ChipInfo& c : all_chips())
        CHECK_FALSE(memory_map(c.chip).empty());
}

TEST_CASE("image: regions agree with esptool listings published in the ESP-IDF docs", "[esp][image]") {
    // ESP-IDF "App Image Format" (an ESP32 app) and "Bootloader Image Format" (an ESP32 bootloader) show
    // esptool image_info output; these are the load addresses and memory types listed there.
    const auto& esp32 = chip_info(Chip::esp32);
    const std::vector<std::pair<std::uint32_t, std::string_view>> listed = {
        {0x3F400020, "DROM"},      {0x3FF80000, "RTC_DRAM"}, {0x3FFB0000, "DRAM"},     {0x40080000, "IRAM"},
        {0x400D0018, "IROM"},      {0x400C0000, "RTC_IRAM"}, {0x50000000, "RTC_DATA"}, {0x3FFF0030, "DRAM"},
        {0x40078000, "CACHE_APP"}, {0x40080400, "IRAM"},
    };
    for (const auto& [address, region] : listed) {
        INFO(std::hex << address);
        const auto got = memory_regions(esp32, address);
        CHECK(std::find(got.begin(), got.end(), region) != got.end());
    }
}

TEST_CASE("image: the app description is read from the first DROM segment", "[esp][image]") {
    const auto im = parse_image(vesper::test::esp32_app().build(), "app.bin");
    REQUIRE(im.app);
    CHECK(im.role() == ImageRole::app);
    CHECK(im.app->offset == 0x20);
    CHECK(im.app->secure_version == 3);
    CHECK(im.app->version == "1.2.3");
    CHECK(im.app->project_name == "blinky");
    CHECK(im.app->time == "12:34:56");
    CHECK(im.app->date == "Jan 18 2026");
    CHECK(im.app->idf_ver == "v5.3.1");
    CHECK(im.app->app_elf_sha256[0] == 0);
    CHECK(im.app->app_elf_sha256[31] == 31);
    CHECK(im.app->min_efuse_blk_rev_full == 1);
    CHECK(im.app->max_efuse_blk_rev_full == 199);
    CHECK_FALSE(im.bootloader);

    // Non-printable bytes in a text field come out as '?', and the field stops at its NUL.
    TestImage t = vesper::test::esp32_app();
    t.segments[0].data[48] = 0x01;
    t.segments[0].data[49] = 0xC3;
    const auto odd = parse_image(t.build(), "odd.bin");
    CHECK(odd.app->project_name == "??inky");

    // Without the magic there is no description; a DROM segment too short for one gives a warning.
    t = vesper::test::esp32_app();
    t.segments[0].data[0] = 0;
    CHECK_FALSE(parse_image(t.build(), "x.bin").app);
    t = vesper::test::esp32_app();
    t.segments[0].data.resize(100);
    const auto shortdesc = parse_image(t.build(), "short.bin");
    CHECK_FALSE(shortdesc.app);
    REQUIRE(shortdesc.warnings.size() == 1);
    CHECK_THAT(shortdesc.warnings[0], Catch::Contains("too short"));
}

TEST_CASE("image: the bootloader description is read from the first DRAM segment", "[esp][image]") {
    TestImage t = vesper::test::esp32_bootloader();
    t.segments[0].data = vesper::test::bootloader_desc(7, 2);
    const auto im = parse_image(t.build(), "bootloader.bin");
    REQUIRE(im.bootloader);
    CHECK(im.role() == ImageRole::bootloader);
    CHECK(im.bootloader->offset == 0x20);
    CHECK(im.bootloader->version == 7);
    CHECK(im.bootloader->secure_version == 2);
    CHECK(im.bootloader->idf_ver == "v5.3.1");
    CHECK(im.bootloader->date_time == "Jan 18 2026 12:34:56");
    CHECK(im.segments[1].regions == std::vector<std::string_view>{"CACHE_APP"});
    CHECK_FALSE(im.app);

    // An older bootloader (no description): the role stays unknown.
    t.segments[0].data[0] = 0x00;
    CHECK(parse_image(t.build(), "old.bin").role() == ImageRole::unknown);
}

TEST_CASE("image: a flipped byte is detected by the checksum or the SHA-256", "[esp][image]") {
    const Bytes good = vesper::test::esp32_app().build();
    const auto ok = parse_image(good, "app.bin");
    REQUIRE(ok.valid());

    SECTION("segment data: both checksum and SHA-256 fail") {
        Bytes b = good;
        b[ok.segments[2].data_offset() + 5] ^= 0x10;
        const auto im = parse_image(b, "app.bin");
        CHECK_FALSE(im.checksum_ok());
        CHECK_FALSE(im.sha256_ok());
        CHECK_FALSE(im.valid());
    }
    SECTION("the checksum byte itself") {
        Bytes b = good;
        b[ok.checksum_offset] ^= 0x01;
        const auto im = parse_image(b, "app.bin");
        CHECK_FALSE(im.checksum_ok());
        CHECK(im.checksum_computed == ok.checksum_stored);
        CHECK_FALSE(im.sha256_ok());
    }
    SECTION("a header byte: only the SHA-256 covers it") {
        Bytes b = good;
        b[2] = 0x00;
        const auto im = parse_image(b, "app.bin");
        CHECK(im.checksum_ok());
        CHECK_FALSE(im.sha256_ok());
    }
    SECTION("the stored SHA-256") {
        Bytes b = good;
        b[ok.sha256_offset + 31] ^= 0x80;
        const auto im = parse_image(b, "app.bin");
        CHECK(im.checksum_ok());
        CHECK_FALSE(im.sha256_ok());
        CHECK(im.sha256_computed == ok.sha256_stored);
    }
    SECTION("padding bytes before the checksum are covered by the SHA-256 only") {
        TestImage t;
        t.segments = {{0x3FFB0000, {1, 2, 3, 4}}};
        Bytes b = t.build();
        b[0x25] = 0x77; // one of the 11 zero bytes of padding
        const auto im = parse_image(b, "pad.bin");
        CHECK(im.checksum_ok());
        CHECK_FALSE(im.sha256_ok());
    }
}

TEST_CASE("image: ESP8266 images have no extended header and are told apart automatically", "[esp][image]") {
    const Bytes b = vesper::test::esp8266_app().build();
    const auto im = parse_image(b, "8266.bin");
    CHECK_FALSE(im.has_extended_header);
    CHECK(im.chip == &chip_info(Chip::esp8266));
    REQUIRE(im.segments.size() == 2);
    CHECK(im.segments[0].data_offset() == 0x10);
    CHECK(im.segments[0].regions == std::vector<std::string_view>{"IRAM"});
    CHECK(im.segments[1].regions == std::vector<std::string_view>{"DRAM"});
    CHECK_FALSE(im.sha256_present);
    CHECK(im.valid());
    CHECK(flash_size_name(im.chip, im.header.flash_size_code()) == "4MB");

    const auto hinted = parse_image(b, "8266.bin", {.chip = &chip_info(Chip::esp8266)});
    CHECK_FALSE(hinted.has_extended_header);
    CHECK(hinted.segments.size() == 2);
}

TEST_CASE("image: a chip hint that disagrees with the chip id gives a warning", "[esp][image]") {
    const auto im = parse_image(vesper::test::esp32_app().build(), "app.bin", {.chip = &chip_info(Chip::esp32s3)});
    CHECK(im.chip == &chip_info(Chip::esp32));
    REQUIRE(im.warnings.size() == 1);
    CHECK_THAT(im.warnings[0], Catch::Contains("for ESP32, not ESP32-S3"));
}

TEST_CASE("image: unknown chip ids, odd lengths and trailing bytes are warnings", "[esp][image]") {
    TestImage t = vesper::test::esp32_app();
    t.chip_id = 0x1234;
    t.segments[1].data.resize(30); // not a multiple of 4
    Bytes b = t.build();
    b.insert(b.end(), 16, 0xFF);
    const auto im = parse_image(b, "odd.bin");
    CHECK(im.chip == nullptr);
    CHECK(im.segments[0].regions.empty());
    CHECK(im.app); // the 4-byte magic is enough without a memory map
    CHECK(im.valid());
    CHECK(im.file_size == im.image_size + 16);
    REQUIRE(im.warnings.size() == 3);
    CHECK_THAT(im.warnings[0], Catch::Contains("chip id 4660"));
    CHECK_THAT(im.warnings[1], Catch::Contains("not a multiple of 4"));
    CHECK_THAT(im.warnings[2], Catch::Contains("16 bytes follow the image"));
}

TEST_CASE("image: broken files are input errors naming the file and the offset", "[esp][image]") {
    const Bytes good = vesper::test::esp32_app().build();
    const auto ok = parse_image(good, "app.bin");

    CHECK_THAT(error_of({}), Catch::Contains("test.bin: offset 0x0: the image header needs 8 bytes"));
    CHECK_THAT(error_of({0xE9, 1, 2, 0x20, 0, 0, 8}), Catch::Contains("truncated image"));
    Bytes wrong = good;
    wrong[0] = 0xEA;
    CHECK_THAT(error_of(wrong), Catch::Contains("offset 0x0: first byte is 0xEA, not the image magic 0xE9"));
    Bytes many = good;
    many[1] = 17;
    CHECK_THAT(error_of(many), Catch::Contains("offset 0x1: segment count 17 is more than the 16"));
    // Cut inside the extended header, a segment header, segment data, before the checksum, inside the SHA.
    CHECK_THAT(error_of(Bytes(good.begin(), good.begin() + 20)),
               Catch::Contains("offset 0x8: the extended header needs 16 bytes but the file ends at 0x14"));
    CHECK_THAT(error_of(Bytes(good.begin(), good.begin() + 28)), Catch::Contains("offset 0x18: segment 0 header"));
    CHECK_THAT(error_of(Bytes(good.begin(), good.begin() + 100)),
               Catch::Contains("offset 0x1C: segment 0 length 0x140 runs past the end of the file"));
    CHECK_THAT(error_of(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(ok.checksum_offset))),
               Catch::Contains("the checksum byte needs 1 bytes"));
    CHECK_THAT(error_of(Bytes(good.begin(), good.end() - 1)), Catch::Contains("the appended SHA-256 needs 32 bytes"));
    // A huge length field does not wrap around.
    Bytes huge = good;
    put_le32(&huge[0x1C], 0xFFFFFFF0);
    CHECK_THAT(error_of(huge), Catch::Contains("segment 0 length 0xFFFFFFF0 runs past the end"));
}

TEST_CASE("identify: partition tables, NVS partitions, blank flash and junk", "[esp][image]") {
    const std::filesystem::path vectors = VESPER_TEST_VECTORS;
    const Bytes table = read_file(vectors / "partitions" / "part_ota.bin");
    auto id = identify_file(table, "part_ota.bin");
    CHECK(id.kind == FileKind::partition_table);
    CHECK(id.partitions.entries == 7);
    CHECK(id.partitions.md5_present);
    CHECK(id.partitions.md5_ok);
    CHECK(id.valid());

    Bytes bad_md5 = table;
    bad_md5[40] ^= 1; // inside the first row's name: the MD5 row no longer matches
    id = identify_file(bad_md5, "bad.bin");
    CHECK(id.kind == FileKind::partition_table);
    CHECK_FALSE(id.partitions.md5_ok);
    CHECK_FALSE(id.valid());

    const Bytes nvs = read_file(vectors / "nvs" / "nvs_basic.bin");
    id = identify_file(nvs, "nvs_basic.bin");
    CHECK(id.kind == FileKind::nvs_partition);
    CHECK(id.nvs.pages == nvs.size() / 4096);
    CHECK(id.nvs.used_pages >= 1);
    CHECK(id.valid());

    CHECK(identify_file(Bytes(8192, 0xFF), "blank.bin").kind == FileKind::erased);

    const auto image = identify_file(vesper::test::esp32_app().build(), "app.bin");
    CHECK(image.kind == FileKind::esp_image);
    CHECK(image.image->app);

    try {
        identify_file(Bytes(5000, 0x42), "junk.bin");
        FAIL("junk was recognised");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(), Catch::StartsWith("junk.bin: not an ESP image (first byte is 0x42"));
    }
    CHECK_THROWS_AS(identify_file({}, "empty.bin"), Error);
}

TEST_CASE("image: the running app's SHA-256 is the appended digest, else the image's bytes", "[esp][image]") {
    const auto& esp32 = esp::chip_info(esp::Chip::esp32);
    Bytes app = esp::synthesize_app_image(esp32, {.size = 0x3000, .project = "p", .version = "1"});
    const esp::ImageInfo info = esp::parse_image(app, "app");
    REQUIRE(info.sha256_present);
    CHECK(esp::running_app_sha256(info, app) == info.sha256_stored);
    // Bytes after the image (padding of the file) are not part of it.
    Bytes padded = app;
    padded.resize(app.size() + 100, 0xFF);
    CHECK(esp::running_app_sha256(esp::parse_image(padded, "app"), padded) == info.sha256_stored);
    // Without an appended digest: the SHA-256 of the image's bytes only.
    Bytes plain = app;
    plain.resize(info.sha256_offset);
    plain[esp::kImageHeaderSize + 15] = 0; // hash_appended = 0 (the extended header's last byte)
    const esp::ImageInfo plain_info = esp::parse_image(plain, "app");
    REQUIRE_FALSE(plain_info.sha256_present);
    Bytes plain_padded = plain;
    plain_padded.resize(plain.size() + 64, 0xFF);
    CHECK(esp::running_app_sha256(esp::parse_image(plain_padded, "app"), plain_padded) == sha256(plain));
}
