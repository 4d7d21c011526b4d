#include "vesper/nvs/format.hpp"

#include <string>

#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::nvs {

namespace {
std::string hex(std::size_t v) { return hex_u(v); }
} // namespace

std::uint8_t version_byte(Version v) { return v == Version::v1 ? 0xFF : 0xFE; }

std::optional<Version> version_from_byte(std::uint8_t b) {
    if (b == 0xFF) return Version::v1;
    if (b == 0xFE) return Version::v2;
    return std::nullopt;
}

// ESP-IDF's generator: 1984 bytes for v1 (strings and blobs), 4000 for v2 strings (a whole page).
std::size_t max_string_size(Version v) { return v == Version::v1 ? 1984 : 4000; }
std::size_t max_v1_blob_size() { return 1984; }

const char* to_string(ItemType t) {
    switch (t) {
    case ItemType::u8: return "u8";
    case ItemType::i8: return "i8";
    case ItemType::u16: return "u16";
    case ItemType::i16: return "i16";
    case ItemType::u32: return "u32";
    case ItemType::i32: return "i32";
    case ItemType::u64: return "u64";
    case ItemType::i64: return "i64";
    case ItemType::sz: return "string";
    case ItemType::blob: return "blob";
    case ItemType::blob_data: return "blob_data";
    case ItemType::blob_idx: return "blob_index";
    case ItemType::any: break;
    }
    return "unknown";
}

bool is_integer(ItemType t) { return integer_width(t) != 0; }

std::size_t integer_width(ItemType t) {
    switch (t) {
    case ItemType::u8:
    case ItemType::i8: return 1;
    case ItemType::u16:
    case ItemType::i16: return 2;
    case ItemType::u32:
    case ItemType::i32: return 4;
    case ItemType::u64:
    case ItemType::i64: return 8;
    default: return 0;
    }
}

bool is_signed(ItemType t) { return is_integer(t) && (static_cast<std::uint8_t>(t) & 0x10) != 0; }

const char* page_state_name(std::uint32_t raw) {
    switch (static_cast<PageState>(raw)) {
    case PageState::empty: return "empty";
    case PageState::active: return "active";
    case PageState::full: return "full";
    case PageState::freeing: return "freeing";
    case PageState::corrupt: return "corrupt";
    }
    return "invalid";
}

const char* to_string(EntryState s) {
    switch (s) {
    case EntryState::erased: return "erased";
    case EntryState::illegal: return "illegal";
    case EntryState::written: return "written";
    case EntryState::empty: return "empty";
    }
    return "illegal";
}

void check_partition_size(std::size_t size) {
    // No partition can be larger than a flash; checked first, before anything is allocated for it.
    if (const auto bound = esp::any_chip_bound(); size > bound.bytes)
        fail(ErrorCode::nvs_size_invalid, "NVS partition size " + hex(size) + " is more than " + bound.why);
    if (size % page_size != 0)
        fail(ErrorCode::nvs_size_invalid, "NVS partition size " + hex(size) + " is not a multiple of 4096 (0x1000)");
    if (size < min_partition_size)
        fail(ErrorCode::nvs_size_invalid,
             "NVS partition size " + hex(size) +
                 " is too small: read/write NVS needs at least 0x3000 (3 pages, one kept spare)");
}

std::size_t parse_partition_size(std::string_view text, std::string_view what) {
    auto v = parse_uint(trim(text));
    if (!v)
        fail(ErrorCode::nvs_size_invalid,
             std::string(what) + " " + quote_value(text) + ": not a size (decimal or 0x hex)");
    try {
        check_partition_size(static_cast<std::size_t>(*v));
    } catch (const Error& e) {
        fail(e, std::string(what) + ": " + e.what());
    }
    return static_cast<std::size_t>(*v);
}

} // namespace vesper::nvs
