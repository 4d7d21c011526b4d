#pragma once
// Reading an NVS image back: pages (state, sequence, version, header CRC), every written entry, and the
// logical values (namespace, key, type, value) with v2 blobs reassembled from their chunks. Every CRC
// is checked; an entry whose CRC does not match is reported as a problem and its content is not used,
// and a page whose header CRC does not match is reported and its entries are not read.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/nvs/format.hpp"

namespace vesper::nvs {

struct PageInfo {
    std::size_t index = 0;
    std::uint32_t state = 0; // raw; see page_state_name()
    std::uint32_t sequence = 0;
    std::uint8_t version_byte = 0;
    bool erased = false; // all 0xFF: never written
    bool header_crc_ok = false;
    std::size_t written_entries = 0; // slots marked written in the bitmap
    std::size_t erased_entries = 0;  // slots marked erased (deleted)
};

struct EntryInfo {
    std::size_t page = 0;
    std::size_t slot = 0;
    std::uint8_t ns = 0;
    std::uint8_t type = 0; // raw ItemType byte
    std::uint8_t span = 0;
    std::uint8_t chunk_index = 0;
    std::string key;
    bool crc_ok = false;
    bool data_crc_ok = true;     // strings, blobs and blob chunks: CRC of the data entries
    std::uint64_t integer = 0;   // integer types: raw bits (sign-extend with integer_value())
    Bytes data;                  // strings (with NUL), v1 blobs, blob chunks
    std::uint32_t blob_size = 0; // blob index: total size, chunk count and first chunk
    std::uint8_t chunk_count = 0;
    std::uint8_t chunk_start = 0;
};

// One logical value. type is an integer type, sz or blob (v1 blob or reassembled v2 blob).
struct NvsValue {
    std::string ns; // namespace name ("#N" when the namespace entry is missing)
    std::string key;
    ItemType type = ItemType::any;
    std::uint64_t integer = 0;
    Bytes data; // strings without their NUL; blobs whole
    std::size_t page = 0;
    std::size_t slot = 0;
};

enum class ProblemKind { header_crc, entry_crc, data_crc, structure };
const char* to_string(ProblemKind k);

struct Problem {
    ProblemKind kind = ProblemKind::structure;
    std::size_t page = 0;
    std::optional<std::size_t> slot;
    std::string message; // one line, says where and what (stored vs computed CRC)
};

struct Dump {
    std::size_t size = 0;
    std::vector<PageInfo> pages;
    std::vector<EntryInfo> entries;
    std::map<std::uint8_t, std::string> namespaces; // index -> name
    std::vector<NvsValue> values;
    std::vector<Problem> problems;
    bool ok() const { return problems.empty(); }
};

// Reads an image. Throws Error(input) only when the size is not a whole number of pages; everything
// else found wrong is reported in Dump::problems.
Dump read_image(ByteView image);

// The value as a signed or unsigned decimal, per its integer type.
std::string integer_text(ItemType type, std::uint64_t bits);
// Human text for a value: integers in decimal, strings in double quotes with C escapes, blobs as hex.
std::string value_text(const NvsValue& v);

} // namespace vesper::nvs
