#pragma once
// The on-flash NVS layout (ESP-IDF nvs_flash), as far as image generation and reading need it.
// A partition is a run of 4096-byte pages: 32-byte header, 32-byte entry-state bitmap, 126 entries of
// 32 bytes. CRCs are zlib's crc32 seeded with 0xFFFFFFFF, like ESP-IDF's generator.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vesper::nvs {

inline constexpr std::size_t page_size = 4096;
inline constexpr std::size_t entry_size = 32;
inline constexpr std::size_t entries_per_page = 126;
inline constexpr std::size_t bitmap_offset = 32;
inline constexpr std::size_t first_entry_offset = 64;
inline constexpr std::size_t max_key_length = 15; // bytes, without the NUL the 16-byte field keeps
inline constexpr std::uint32_t crc_seed = 0xFFFFFFFF;
// Read/write NVS needs two pages plus the one the generator leaves erased for the firmware.
inline constexpr std::size_t min_partition_size = 3 * page_size;
// A namespace index is one byte; 0 is the namespace table itself and 255 means "any".
inline constexpr std::size_t max_namespaces = 254;
// Multi-page blob chunks are numbered from 0 below the firmware's second version offset (0x80).
inline constexpr std::size_t max_blob_chunks = 128;

enum class Version : std::uint8_t { v1 = 1, v2 = 2 };
// The page header's version byte: 0xFF for v1, 0xFE for v2.
std::uint8_t version_byte(Version v);
std::optional<Version> version_from_byte(std::uint8_t b);

// Largest string (with its NUL) and, for v1, largest blob; v2 blobs are split across pages instead.
std::size_t max_string_size(Version v);
std::size_t max_v1_blob_size();

enum class ItemType : std::uint8_t {
    u8 = 0x01,
    i8 = 0x11,
    u16 = 0x02,
    i16 = 0x12,
    u32 = 0x04,
    i32 = 0x14,
    u64 = 0x08,
    i64 = 0x18,
    sz = 0x21,
    blob = 0x41, // v1 single-page blob
    blob_data = 0x42,
    blob_idx = 0x48,
    any = 0xFF,
};
const char* to_string(ItemType t); // "u8" ... "string", "blob", "blob_data", "blob_index", "unknown"
bool is_integer(ItemType t);
std::size_t integer_width(ItemType t); // bytes; 0 when not an integer type
bool is_signed(ItemType t);

enum class PageState : std::uint32_t {
    empty = 0xFFFFFFFF,
    active = 0xFFFFFFFE,
    full = 0xFFFFFFFC,
    freeing = 0xFFFFFFF8,
    corrupt = 0x00000000,
};
const char* page_state_name(std::uint32_t raw); // "empty", "active", ..., "invalid"

// Two bits per entry in the page bitmap.
enum class EntryState : std::uint8_t { erased = 0, illegal = 1, written = 2, empty = 3 };
const char* to_string(EntryState s);

// Throws Error(input) unless `size` is a whole number of pages and at least min_partition_size. The
// message names the size in hex and says what is allowed.
void check_partition_size(std::size_t size);

// Parses a partition size: decimal or 0x-prefixed hex, then check_partition_size. `what` names the
// source in messages (e.g. "--size").
std::size_t parse_partition_size(std::string_view text, std::string_view what);

} // namespace vesper::nvs
