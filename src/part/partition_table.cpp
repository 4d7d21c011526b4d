// Partition table model: type/subtype names, lookups and the validation shared by the CSV and binary
// readers (the checks of gen_esp32part.py's verify()).
#include "vesper/part/partition_table.hpp"

#include "partition_table_detail.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/chip/flash_limits.hpp"

namespace vesper::esp {

using partition_detail::hex;

namespace {

struct Named {
    std::string_view name;
    std::uint8_t value;
};

constexpr std::array<Named, 4> kTypeNames{{
    {"app", kTypeApp},
    {"data", kTypeData},
    {"bootloader", kTypeBootloader},
    {"partition_table", kTypePartitionTable},
}};

constexpr std::array<Named, 12> kDataSubtypes{{
    {"ota", kSubtypeOtaData},
    {"phy", kSubtypePhy},
    {"nvs", kSubtypeNvs},
    {"coredump", kSubtypeCoredump},
    {"nvs_keys", kSubtypeNvsKeys},
    {"efuse", kSubtypeEfuse},
    {"undefined", kSubtypeUndefined},
    {"esphttpd", kSubtypeEsphttpd},
    {"fat", kSubtypeFat},
    {"spiffs", kSubtypeSpiffs},
    {"littlefs", kSubtypeLittlefs},
    {"tee_ota", kSubtypeTeeOta},
}};

constexpr std::array<Named, 3> kBootloaderSubtypes{{
    {"primary", kSubtypePrimary},
    {"ota", kSubtypeOtaCopy},
    {"recovery", kSubtypeRecovery},
}};

constexpr std::array<Named, 2> kPartitionTableSubtypes{{
    {"primary", kSubtypePrimary},
    {"ota", kSubtypeOtaCopy},
}};

constexpr std::array<Named, 20> kAppSubtypes{{
    {"factory", kSubtypeFactory},
    {"ota_0", 0x10},
    {"ota_1", 0x11},
    {"ota_2", 0x12},
    {"ota_3", 0x13},
    {"ota_4", 0x14},
    {"ota_5", 0x15},
    {"ota_6", 0x16},
    {"ota_7", 0x17},
    {"ota_8", 0x18},
    {"ota_9", 0x19},
    {"ota_10", 0x1a},
    {"ota_11", 0x1b},
    {"ota_12", 0x1c},
    {"ota_13", 0x1d},
    {"ota_14", 0x1e},
    {"ota_15", 0x1f},
    {"test", kSubtypeTest},
    {"tee_0", kSubtypeTee0},
    {"tee_1", kSubtypeTee0 + 1},
}};

std::span<const Named> subtypes_of(std::uint8_t type) {
    switch (type) {
    case kTypeApp: return kAppSubtypes;
    case kTypeData: return kDataSubtypes;
    case kTypeBootloader: return kBootloaderSubtypes;
    case kTypePartitionTable: return kPartitionTableSubtypes;
    default: return {};
    }
}

// Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF), as JSON output requires.
bool valid_utf8(std::string_view s) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = byte(i);
        std::size_t extra = 0;
        unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c < 0x80)
            extra = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return false;
        if (extra > s.size() - i - 1) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            unsigned char b = byte(i + k);
            if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return false;
        }
        i += extra + 1;
    }
    return true;
}

std::string type_label(std::uint8_t type, std::uint8_t subtype) {
    auto t = partition_type_name(type);
    auto s = partition_subtype_name(type, subtype);
    return (t ? std::string(*t) : hex(type)) + "/" + (s ? std::string(*s) : hex(subtype));
}

bool is_primary_boot_or_table(const Partition& p) {
    return (p.type == kTypeBootloader || p.type == kTypePartitionTable) && p.subtype == kSubtypePrimary;
}

} // namespace

const Partition* PartitionTable::find(std::string_view name) const {
    for (const auto& p : entries_)
        if (p.name == name) return &p;
    return nullptr;
}

const Partition* PartitionTable::find(std::uint8_t type, std::uint8_t subtype) const {
    for (const auto& p : entries_)
        if (p.type == type && p.subtype == subtype) return &p;
    return nullptr;
}

std::vector<const Partition*> PartitionTable::find_all(std::uint8_t type, std::uint8_t subtype) const {
    std::vector<const Partition*> out;
    for (const auto& p : entries_)
        if (p.type == type && p.subtype == subtype) out.push_back(&p);
    return out;
}

std::uint64_t PartitionTable::flash_end() const {
    std::uint64_t end = 0;
    for (const auto& p : entries_)
        end = std::max(end, p.end());
    return end;
}

std::optional<std::string_view> partition_type_name(std::uint8_t type) {
    for (const auto& n : kTypeNames)
        if (n.value == type) return n.name;
    return std::nullopt;
}

std::optional<std::string_view> partition_subtype_name(std::uint8_t type, std::uint8_t subtype) {
    for (const auto& n : subtypes_of(type))
        if (n.value == subtype) return n.name;
    return std::nullopt;
}

std::optional<std::uint8_t> partition_type_from_name(std::string_view name) {
    for (const auto& n : kTypeNames)
        if (iequals(name, n.name)) return n.value;
    return std::nullopt;
}

std::optional<std::uint8_t> partition_subtype_from_name(std::uint8_t type, std::string_view name) {
    for (const auto& n : subtypes_of(type))
        if (iequals(name, n.name)) return n.value;
    return std::nullopt;
}

void validate_partition_table(const PartitionTable& table, const TableOptions& opts, std::string_view source,
                              std::span<const std::size_t> lines) {
    auto where = [&](std::size_t i) {
        if (i < lines.size()) return std::string(source) + ":" + std::to_string(lines[i]) + ": ";
        return std::string(source) + ": entry " + std::to_string(i + 1) + ": ";
    };
    auto bad = [&](std::size_t i, const std::string& why) { fail(ErrorCode::part_invalid, where(i) + why); };
    const auto& parts = table.entries();
    if (opts.table_offset % kPartitionTableSectorSize != 0)
        fail(ErrorCode::part_invalid, std::string(source) + ": partition table offset " + hex(opts.table_offset) +
                                          " is not aligned to " + hex(kPartitionTableSectorSize));

    const std::size_t max_parts = kMaxPartitionRows - (opts.md5 ? 1 : 0);
    if (parts.size() > max_parts)
        bad(max_parts, "too many partitions (" + std::to_string(parts.size()) + "); at most " +
                           std::to_string(max_parts) + " fit in " + hex(kPartitionTableMaxLength) + " bytes" +
                           (opts.md5 ? " with the MD5 row" : ""));

    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& p = parts[i];
        const std::string q = "'" + p.name + "'";
        if (p.name.empty()) bad(i, "partition name is empty");
        if (p.name.size() > kMaxPartitionNameLength)
            bad(i, "partition name " + q + " is " + std::to_string(p.name.size()) + " bytes; at most " +
                       std::to_string(kMaxPartitionNameLength) + " fit");
        if (!valid_utf8(p.name)) bad(i, "partition name " + q + " is not valid UTF-8");
        if (p.size == 0) bad(i, "partition " + q + " has size 0");
        if (const auto bound = any_chip_bound(); p.end() > bound.bytes)
            bad(i,
                "partition " + q + " at " + hex(p.offset) + " with size " + hex(p.size) + " ends beyond " + bound.why);
        // gen_esp32part.py: apps at 64 KiB boundaries (the MMU page), everything else at 4 KiB (flash sector).
        const std::uint32_t align = p.type == kTypeApp ? 0x10000 : 0x1000;
        if (p.offset % align != 0)
            bad(i, "partition " + q + " offset " + hex(p.offset) + " is not aligned to " + hex(align) +
                       (p.type == kTypeApp ? " (app partitions)" : ""));
        if (p.type == kTypeApp && p.size % 0x1000 != 0)
            bad(i, "app partition " + q + " size " + hex(p.size) + " is not a multiple of 0x1000");
        // The table's own rows: what the CSV reader derives, so a binary that differs cannot come from a CSV.
        if (p.type == kTypePartitionTable && p.size != kPartitionTableSectorSize)
            bad(i, "partition_table partition " + q + " size " + hex(p.size) + " must be " +
                       hex(kPartitionTableSectorSize) + " (the table's sector)");
        if (p.type == kTypePartitionTable && p.subtype == kSubtypePrimary && p.offset != opts.table_offset)
            bad(i, "partition_table partition " + q + " at " + hex(p.offset) +
                       " is not at the partition table offset " + hex(opts.table_offset));
        if (p.type == kTypeData && (p.subtype == kSubtypeOtaData || p.subtype == kSubtypeCoredump) && p.readonly)
            bad(i, "partition " + q + " (" + type_label(p.type, p.subtype) +
                       ") is always written by the firmware and cannot be readonly");
        // A read-write NVS needs at least three pages (0x3000); smaller ones are only valid read-only.
        if (p.type == kTypeData && p.subtype == kSubtypeNvs && p.size < 0x3000 && !p.readonly)
            bad(i, "nvs partition " + q + " size " + hex(p.size) +
                       " is below 0x3000, the minimum for a read-write NVS (flag it readonly or make it larger)");
    }

    std::map<std::string_view, std::size_t> first_use;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto [it, inserted] = first_use.emplace(parts[i].name, i);
        if (!inserted) {
            std::string other = it->second < lines.size() ? "line " + std::to_string(lines[it->second])
                                                          : "entry " + std::to_string(it->second + 1);
            bad(i, "duplicate partition name '" + parts[i].name + "' (also used on " + other + ")");
        }
    }

    std::vector<std::size_t> order(parts.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return parts[a].offset < parts[b].offset; });
    const std::uint64_t table_end = std::uint64_t{opts.table_offset} + kPartitionTableSectorSize;
    std::optional<std::size_t> reach; // the partition reaching furthest so far
    for (std::size_t i : order) {
        const auto& p = parts[i];
        if (p.offset < table_end && !is_primary_boot_or_table(p))
            bad(i, "partition '" + p.name + "' at " + hex(p.offset) + " is below the end of the partition table (" +
                       hex(table_end) + ")");
        if (reach && p.offset < parts[*reach].end()) {
            const auto& r = parts[*reach];
            bad(i, "partition '" + p.name + "' at " + hex(p.offset) + " overlaps '" + r.name + "' at " + hex(r.offset) +
                       "-" + hex(r.end() - 1));
        }
        if (!reach || p.end() > parts[*reach].end()) reach = i;
    }

    // Flash order, as a CSV must list them (gen_esp32part.py refuses a CSV row below the previous one's end):
    // a table out of order could be read but never written back as CSV.
    std::optional<std::size_t> prev;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (is_primary_boot_or_table(parts[i])) continue;
        if (prev && parts[i].offset < parts[*prev].end())
            bad(i, "partition '" + parts[i].name + "' at " + hex(parts[i].offset) + " comes after '" +
                       parts[*prev].name + "' which ends at " + hex(parts[*prev].end()) +
                       ": partitions must be listed in flash order");
        prev = i;
    }

    // One OTA-data partition per kind, of exactly two sectors: the bootloader expects that layout.
    for (std::uint8_t sub : {kSubtypeOtaData, kSubtypeTeeOta}) {
        std::optional<std::size_t> first;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const auto& p = parts[i];
            if (p.type != kTypeData || p.subtype != sub) continue;
            const std::string label = type_label(p.type, p.subtype);
            if (first)
                bad(i, "second " + label + " partition '" + p.name + "'; only one is allowed (first: '" +
                           parts[*first].name + "')");
            if (p.size != 0x2000)
                bad(i, label + " partition '" + p.name + "' must be 0x2000 bytes, not " + hex(p.size));
            first = i;
        }
    }
}

} // namespace vesper::esp
