#pragma once
// ESP-IDF partition tables: CSV in and out, binary in and out, byte-compatible with ESP-IDF's
// gen_esp32part.py (v1.5). Differences from the reference are listed in docs/partitions.md.
//
// Binary layout: 32-byte rows `AA 50 | type | subtype | offset u32 | size u32 | name[16] | flags u32`
// (little-endian), then an optional MD5 row `EB EB` + 14x FF + MD5 of all preceding rows, then 0xFF up
// to 0xC00 bytes. A row of 32x FF ends the table.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

inline constexpr std::uint32_t kDefaultPartitionTableOffset = 0x8000;
inline constexpr std::uint32_t kPartitionTableSectorSize = 0x1000; // the table owns the whole sector
inline constexpr std::size_t kPartitionTableMaxLength = 0xC00;     // the rest of the sector is for a signature
inline constexpr std::size_t kPartitionRowSize = 32;
// Rows (partitions plus the MD5 row) must stay below 0xC00 bytes so an end-marker row always fits.
inline constexpr std::size_t kMaxPartitionRows = kPartitionTableMaxLength / kPartitionRowSize - 1;
inline constexpr std::size_t kMaxPartitionNameLength = 16;

// Types. Any value 0x00-0xFF is allowed; these have names.
inline constexpr std::uint8_t kTypeApp = 0x00;
inline constexpr std::uint8_t kTypeData = 0x01;
inline constexpr std::uint8_t kTypeBootloader = 0x02;     // ESP-IDF 6
inline constexpr std::uint8_t kTypePartitionTable = 0x03; // ESP-IDF 6

// Subtypes of app.
inline constexpr std::uint8_t kSubtypeFactory = 0x00;
inline constexpr std::uint8_t kSubtypeOta0 = 0x10; // ota_0..ota_15 are 0x10..0x1F
inline constexpr std::uint8_t kSubtypeTest = 0x20;
inline constexpr std::uint8_t kSubtypeTee0 = 0x30; // tee_0, tee_1
// Subtypes of data.
inline constexpr std::uint8_t kSubtypeOtaData = 0x00; // "ota"
inline constexpr std::uint8_t kSubtypePhy = 0x01;
inline constexpr std::uint8_t kSubtypeNvs = 0x02;
inline constexpr std::uint8_t kSubtypeCoredump = 0x03;
inline constexpr std::uint8_t kSubtypeNvsKeys = 0x04;
inline constexpr std::uint8_t kSubtypeEfuse = 0x05;
inline constexpr std::uint8_t kSubtypeUndefined = 0x06; // also what an empty subtype column means
inline constexpr std::uint8_t kSubtypeEsphttpd = 0x80;
inline constexpr std::uint8_t kSubtypeFat = 0x81;
inline constexpr std::uint8_t kSubtypeSpiffs = 0x82;
inline constexpr std::uint8_t kSubtypeLittlefs = 0x83;
inline constexpr std::uint8_t kSubtypeTeeOta = 0x90;
// Subtypes of bootloader and partition_table.
inline constexpr std::uint8_t kSubtypePrimary = 0x00;
inline constexpr std::uint8_t kSubtypeOtaCopy = 0x01;  // "ota"
inline constexpr std::uint8_t kSubtypeRecovery = 0x02; // bootloader only

struct Partition {
    std::string name; // 1-16 bytes
    std::uint8_t type = kTypeData;
    std::uint8_t subtype = kSubtypeUndefined;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    bool encrypted = false; // flags bit 0
    bool readonly = false;  // flags bit 1

    std::uint64_t end() const { return std::uint64_t{offset} + size; }
    bool operator==(const Partition&) const = default;
};

// Settings shared by the readers, the validator and the writer.
struct TableOptions {
    std::uint32_t table_offset = kDefaultPartitionTableOffset; // where the table itself is flashed
    bool md5 = true;                                           // write an MD5 row (it takes one row)
    // Only needed by CSV rows of type bootloader whose offset/size are left empty (gen_esp32part.py's
    // --primary-bootloader-offset / --recovery-bootloader-offset).
    std::optional<std::uint32_t> primary_bootloader_offset;
    std::optional<std::uint32_t> recovery_bootloader_offset;
};

class PartitionTable {
public:
    PartitionTable() = default;
    explicit PartitionTable(std::vector<Partition> entries) : entries_(std::move(entries)) {}

    const std::vector<Partition>& entries() const { return entries_; }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    const Partition& operator[](std::size_t i) const { return entries_[i]; }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }

    const Partition* find(std::string_view name) const;
    // First partition with this type and subtype (e.g. kTypeData, kSubtypeNvs), or nullptr.
    const Partition* find(std::uint8_t type, std::uint8_t subtype) const;
    std::vector<const Partition*> find_all(std::uint8_t type, std::uint8_t subtype) const;
    // End of the highest partition: the flash size the table needs.
    std::uint64_t flash_end() const;

    bool operator==(const PartitionTable&) const = default;

private:
    std::vector<Partition> entries_;
};

// Names as gen_esp32part.py writes them; nullopt when the value has no name.
std::optional<std::string_view> partition_type_name(std::uint8_t type);
std::optional<std::string_view> partition_subtype_name(std::uint8_t type, std::uint8_t subtype);
// Name lookups, case-insensitive like the reference.
std::optional<std::uint8_t> partition_type_from_name(std::string_view name);
std::optional<std::uint8_t> partition_subtype_from_name(std::uint8_t type, std::string_view name);

// Parses gen_esp32part.py CSV text, fills in empty offsets, and validates the result. `source` names the
// input in messages. Throws Error(input) "SOURCE:LINE: reason" on the first problem.
PartitionTable parse_partition_csv(std::string_view text, std::string_view source, const TableOptions& opts = {});

// CSV that parse_partition_csv reads back to the same table: a header comment, aligned columns, names for
// known types/subtypes, hex offsets and sizes, colon-separated flags. Throws Error(input) if a name
// (from a foreign binary) cannot be written as a CSV field.
std::string format_partition_csv(const PartitionTable& table);

// The checks of gen_esp32part.py's verify(): alignment, overlaps, duplicate names, sizes, otadata, row
// count. `lines[i]` is the CSV line of entry i, used in messages ("SOURCE:LINE: ..."); without lines,
// messages say "SOURCE: entry N: ...". Throws Error(input).
void validate_partition_table(const PartitionTable& table, const TableOptions& opts, std::string_view source,
                              std::span<const std::size_t> lines = {});

// 0xC00 bytes ready to flash at opts.table_offset. Throws Error(input) if the rows do not fit.
Bytes encode_partition_table(const PartitionTable& table, const TableOptions& opts = {});

struct DecodedPartitionTable {
    PartitionTable table;
    bool has_md5 = false; // an MD5 row was present (and matched)
};

// Reads a binary table (0xC00 bytes, a whole 0x1000 sector, or less if it ends with an end marker),
// then validates it with `opts`. Throws Error(verify) naming `source` if the MD5 row does not match the
// rows before it, Error(input) for any other defect.
DecodedPartitionTable decode_partition_table(ByteView data, std::string_view source, const TableOptions& opts = {});

// What `part dump` writes: the decoded table and its CSV, which `part build` (with the same table
// offset, and --no-md5 when the binary had no MD5 row) turns back into the same bytes. A binary for which
// that cannot hold is refused with Error(input) naming the file and the entry or byte: whatever
// decode_partition_table refuses (validation: flash order, the partition_table row, ...), names that
// cannot be written as CSV, and bytes after the end marker (within 0xC00) that are not 0xFF. As a last
// guard the CSV is read back and encoded, and any difference is refused too.
struct PartitionDump {
    DecodedPartitionTable decoded;
    std::string csv;
};
PartitionDump dump_partition_table(ByteView data, std::string_view source, const TableOptions& opts = {});

} // namespace vesper::esp
