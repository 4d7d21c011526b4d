#pragma once
// ESP firmware images as the ROM loader and the ESP-IDF 2nd-stage bootloader read them (esptool's "firmware
// image format"; ESP-IDF's esp_image_header_t / esp_app_desc_t / esp_bootloader_desc_t). Multi-byte fields
// are little-endian.
//
//   header (8):           E9 | segment count | SPI flash mode | size code << 4 | freq code | entry u32
//   extended header (16): WP pin | 3 drive bytes | chip id u16 | min rev u8 | min rev full u16 |
//                         max rev full u16 | 4 reserved | hash appended u8      (every chip but ESP8266)
//   segments:             load address u32 | length u32 | data                  (at most 16)
//   footer:               zero padding so the checksum byte ends on a 16-byte boundary; checksum =
//                         0xEF XOR every segment data byte; then, if hash appended == 1, the SHA-256 of
//                         every byte before it.
//
// The first DROM segment of an ESP-IDF app starts with esp_app_desc_t (magic 0xABCD5432); the first DRAM
// segment of a recent ESP-IDF bootloader starts with esp_bootloader_desc_t (magic byte 0x50). Both sit at
// file offset 0x20 in images ESP-IDF builds.
//
// Parsing is bounds-checked throughout: a truncated or corrupted file is an Error(input) naming the source
// and the offset, never a read past the end. docs/images.md describes the CLI on top of this.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/chip/chip.hpp"
#include "vesper/core/bytes.hpp"

namespace vesper::esp {

inline constexpr std::uint8_t kImageMagic = 0xE9;
inline constexpr std::uint8_t kImageChecksumSeed = 0xEF;
inline constexpr std::size_t kImageHeaderSize = 8;
inline constexpr std::size_t kExtendedHeaderSize = 16;
inline constexpr std::size_t kSegmentHeaderSize = 8;
inline constexpr std::size_t kMaxImageSegments = 16; // ESP-IDF's ESP_IMAGE_MAX_SEGMENTS
inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::uint8_t kWpPinDisabled = 0xEE; // what the ESP-IDF bootloader writes in wp_pin
inline constexpr std::uint16_t kMaxChipRevUnset = 0xFFFF;

inline constexpr std::uint32_t kAppDescMagic = 0xABCD5432;
inline constexpr std::size_t kAppDescSize = 256;
inline constexpr std::uint8_t kBootloaderDescMagic = 0x50; // ESP_BOOTLOADER_DESC_MAGIC_BYTE (80)
inline constexpr std::size_t kBootloaderDescSize = 80;

struct ImageHeader {
    std::uint8_t magic = kImageMagic;
    std::uint8_t segment_count = 0;
    std::uint8_t flash_mode = 0;      // byte 2: 0 QIO, 1 QOUT, 2 DIO, 3 DOUT
    std::uint8_t flash_size_freq = 0; // byte 3: size code in the high nibble, frequency code in the low
    std::uint32_t entry = 0;

    std::uint8_t flash_size_code() const { return flash_size_freq >> 4; }
    std::uint8_t flash_freq_code() const { return flash_size_freq & 0x0F; }
};

struct ExtendedHeader {
    std::uint8_t wp_pin = kWpPinDisabled;
    std::array<std::uint8_t, 3> spi_pin_drv{};
    std::uint16_t chip_id = 0;
    std::uint8_t min_chip_rev = 0;       // legacy single byte (deprecated by the two fields below)
    std::uint16_t min_chip_rev_full = 0; // major * 100 + minor
    std::uint16_t max_chip_rev_full = 0; // major * 100 + minor; 0xFFFF: no upper bound
    std::array<std::uint8_t, 4> reserved{};
    std::uint8_t hash_appended = 0; // 1: a SHA-256 follows the checksum
};

// Shorthand for chip_info(chip).memory_map (MemoryRange and the maps are in chip.hpp / chip_table.cpp).
std::span<const MemoryRange> memory_map(Chip chip);
// Names of every range holding `address`, in table order (several when ranges alias, e.g. "DROM" and
// "IROM" on ESP32-C5); empty when none does.
std::vector<std::string_view> memory_regions(const ChipInfo& chip, std::uint32_t address);

struct ImageSegment {
    std::size_t header_offset = 0; // file offset of the 8-byte segment header
    std::uint32_t load_address = 0;
    std::uint32_t length = 0;
    std::vector<std::string_view> regions; // memory_regions() of load_address; empty for unknown chips

    std::size_t data_offset() const { return header_offset + kSegmentHeaderSize; }
    bool in(std::string_view region) const;
};

// esp_app_desc_t. Text fields are cut at their NUL and reduced to printable ASCII ('?' for anything else).
struct AppDescription {
    std::size_t offset = 0; // file offset of the structure
    std::uint32_t secure_version = 0;
    std::string version;      // 32 bytes
    std::string project_name; // 32 bytes
    std::string time;         // 16 bytes
    std::string date;         // 16 bytes
    std::string idf_ver;      // 32 bytes
    std::array<std::uint8_t, 32> app_elf_sha256{};
    std::uint16_t min_efuse_blk_rev_full = 0; // 0 in images from ESP-IDF before v5.1 (reserved then)
    std::uint16_t max_efuse_blk_rev_full = 0;
};

// esp_bootloader_desc_t (ESP-IDF v5.2 and later).
struct BootloaderDescription {
    std::size_t offset = 0;
    std::uint8_t secure_version = 0; // byte 3; reserved (0) before ESP-IDF added anti-rollback here
    std::uint32_t version = 0;
    std::string idf_ver;   // 32 bytes
    std::string date_time; // 24 bytes
};

enum class ImageRole { unknown, app, bootloader };
const char* to_string(ImageRole role); // "image", "app", "bootloader"

struct ImageInfo {
    const ChipInfo* chip = nullptr;  // from the extended header's chip id (or the ESP8266 hint); nullptr: unknown id
    bool has_extended_header = true; // false: ESP8266 layout
    ImageHeader header;
    ExtendedHeader extended; // all zero when !has_extended_header
    std::vector<ImageSegment> segments;

    std::size_t checksum_offset = 0;
    std::uint8_t checksum_stored = 0;
    std::uint8_t checksum_computed = 0;

    bool sha256_present = false;
    std::size_t sha256_offset = 0;
    std::array<std::uint8_t, 32> sha256_stored{};
    std::array<std::uint8_t, 32> sha256_computed{}; // over bytes [0, sha256_offset)

    std::size_t image_size = 0; // bytes the image covers: through the checksum, plus the SHA-256 if present
    std::size_t file_size = 0;  // bytes after image_size are kept but not part of the image

    std::optional<AppDescription> app;
    std::optional<BootloaderDescription> bootloader;
    std::vector<std::string> warnings; // oddities that do not make the image invalid

    bool checksum_ok() const { return checksum_stored == checksum_computed; }
    bool sha256_ok() const { return !sha256_present || sha256_stored == sha256_computed; }
    bool valid() const { return checksum_ok() && sha256_ok(); }
    ImageRole role() const;
};

struct ImageParseOptions {
    // Needed only for ESP8266 images, whose header does not say which chip they are for. Other chips are
    // told by the chip id; a hint that disagrees with it gives a warning.
    const ChipInfo* chip = nullptr;
};

// Parses an image. Throws Error(input) "SOURCE: offset 0xN: reason" when the bytes are not an ESP image
// or are truncated or structurally broken. A wrong checksum or SHA-256 is NOT an error: it is reported in
// the result (checksum_ok(), sha256_ok()) so a caller can show everything before refusing.
ImageInfo parse_image(ByteView data, std::string_view source, const ImageParseOptions& opts = {});

// The one chip check for images (esptool's "Unexpected chip ID in image"), used by `flash` and by the
// station's firmware gates: nullopt when `image` is for `chip` or names no chip (the ESP8266 layout has no
// chip id); otherwise the chip it is for, in words: "ESP32-S3 (chip id 9)", "an unknown chip (chip id 77)".
std::optional<std::string> image_chip_mismatch(const ImageInfo& image, const ChipInfo& chip);

// The app's SHA-256 as ESP-IDF's esp_partition_get_sha256() gives it for the running app, and so as the
// companion firmware's hello reports it (app_sha256): the digest appended to the image when it has one,
// else the SHA-256 of the image's bytes (not of the file: padding after the image is not part of it).
std::array<std::uint8_t, 32> running_app_sha256(const ImageInfo& image, ByteView data);

// The footer checksum of segment data: kImageChecksumSeed XOR every byte.
std::uint8_t image_checksum(ByteView segment_data, std::uint8_t start = kImageChecksumSeed);

// What a file given to `image info` turned out to be.
enum class FileKind { esp_image, partition_table, nvs_partition, erased };
const char* to_string(FileKind kind); // "image", "partition_table", "nvs_partition", "erased"

struct PartitionTableSummary {
    std::size_t entries = 0;
    bool md5_present = false;
    bool md5_ok = false;
};

struct NvsSummary {
    std::size_t pages = 0;
    std::size_t used_pages = 0; // active, full or freeing with a valid header CRC
};

struct FileIdentity {
    FileKind kind = FileKind::esp_image;
    std::optional<ImageInfo> image;   // kind == esp_image
    PartitionTableSummary partitions; // kind == partition_table
    NvsSummary nvs;                   // kind == nvs_partition

    // False when the file is recognised but its own integrity check fails (image checksum/SHA-256,
    // partition table MD5 row).
    bool valid() const;
};

// Recognises an ESP image (first byte 0xE9), an ESP-IDF partition table binary (rows starting AA 50), an
// NVS partition (4 KiB pages whose headers carry a valid CRC) or an all-0xFF file. Throws Error(input)
// naming the source and why when it is none of these, and parse_image()'s errors for broken images.
FileIdentity identify_file(ByteView data, std::string_view source, const ImageParseOptions& opts = {});

} // namespace vesper::esp
