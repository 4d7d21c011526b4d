// Partition table binary: the 0xC00-byte image the bootloader reads at the table offset.
#include <algorithm>
#include <cstdio>
#include <string>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/part/partition_table.hpp"

#include "partition_table_detail.hpp"

namespace vesper::esp {

using partition_detail::hex;

namespace {

constexpr std::uint8_t kEntryMagic[2] = {0xAA, 0x50};
constexpr std::uint8_t kMd5Magic[2] = {0xEB, 0xEB};
constexpr std::size_t kNameOffset = 12;
constexpr std::size_t kFlagsOffset = 28;
constexpr std::uint32_t kFlagEncrypted = 1u << 0;
constexpr std::uint32_t kFlagReadonly = 1u << 1;

bool all_ff(ByteView row) {
    return std::all_of(row.begin(), row.end(), [](std::uint8_t b) { return b == 0xFF; });
}

} // namespace

Bytes encode_partition_table(const PartitionTable& table, const TableOptions& opts) {
    const std::size_t rows = table.size() + (opts.md5 ? 1 : 0);
    if (rows > kMaxPartitionRows)
        fail(ErrorCode::part_invalid, std::to_string(table.size()) + " partitions" +
                                          (opts.md5 ? " plus the MD5 row" : "") + " do not fit in a " +
                                          hex(kPartitionTableMaxLength) + "-byte partition table (at most " +
                                          std::to_string(kMaxPartitionRows) + " rows)");
    Bytes out;
    out.reserve(kPartitionTableMaxLength);
    for (const auto& p : table) {
        if (p.name.size() > kMaxPartitionNameLength)
            fail(ErrorCode::part_invalid, "partition name '" + p.name + "' is longer than " +
                                              std::to_string(kMaxPartitionNameLength) + " bytes");
        std::uint8_t row[kPartitionRowSize] = {};
        row[0] = kEntryMagic[0];
        row[1] = kEntryMagic[1];
        row[2] = p.type;
        row[3] = p.subtype;
        put_le32(row + 4, p.offset);
        put_le32(row + 8, p.size);
        std::copy(p.name.begin(), p.name.end(), row + kNameOffset); // NUL-padded; no NUL when 16 bytes long
        put_le32(row + kFlagsOffset, (p.encrypted ? kFlagEncrypted : 0) | (p.readonly ? kFlagReadonly : 0));
        out.insert(out.end(), row, row + kPartitionRowSize);
    }
    if (opts.md5) {
        auto digest = md5(out);
        out.push_back(kMd5Magic[0]);
        out.push_back(kMd5Magic[1]);
        out.insert(out.end(), 14, 0xFF);
        out.insert(out.end(), digest.begin(), digest.end());
    }
    out.resize(kPartitionTableMaxLength, 0xFF); // erased flash; the remaining rows read as end markers
    return out;
}

DecodedPartitionTable decode_partition_table(ByteView data, std::string_view source, const TableOptions& opts) {
    const std::string src(source);
    auto bad = [&](std::size_t row, const std::string& why) {
        fail(ErrorCode::part_invalid,
             src + ": row " + std::to_string(row + 1) + " (byte " + hex(row * kPartitionRowSize) + "): " + why);
    };
    DecodedPartitionTable result;
    std::vector<Partition> parts;
    bool ended = false;
    // Rows past 0xC00 are never read by the bootloader (a whole 0x1000 sector may hold a signature there).
    const std::size_t limit = std::min(data.size(), kPartitionTableMaxLength);
    std::size_t row = 0;
    for (; (row + 1) * kPartitionRowSize <= limit; ++row) {
        ByteView r = data.subspan(row * kPartitionRowSize, kPartitionRowSize);
        if (all_ff(r)) {
            ended = true;
            break;
        }
        if (result.has_md5) bad(row, "data after the MD5 row; expected the end marker (32 bytes of 0xFF)");
        if (r[0] == kMd5Magic[0] && r[1] == kMd5Magic[1]) {
            auto digest = md5(data.first(row * kPartitionRowSize));
            if (!std::equal(digest.begin(), digest.end(), r.begin() + 16))
                fail(ErrorCode::part_md5_mismatch,
                     src + ": MD5 mismatch: the table's MD5 row holds " + to_hex(r.subspan(16)) + " but its " +
                         std::to_string(row) + " rows hash to " + to_hex(digest) + " (corrupted partition table)");
            result.has_md5 = true;
            continue;
        }
        if (r[0] != kEntryMagic[0] || r[1] != kEntryMagic[1]) {
            char magic[8];
            std::snprintf(magic, sizeof magic, "%02X %02X", r[0], r[1]);
            bad(row, std::string("bad magic ") + magic + " (expected AA 50 for a partition, EB EB for the MD5 row)");
        }
        Partition p;
        p.type = r[2];
        p.subtype = r[3];
        p.offset = get_le32(r.data() + 4);
        p.size = get_le32(r.data() + 8);
        const auto* name = r.data() + kNameOffset;
        p.name.assign(name, std::find(name, name + kMaxPartitionNameLength, 0));
        const std::uint32_t flags = get_le32(r.data() + kFlagsOffset);
        if (flags & ~(kFlagEncrypted | kFlagReadonly))
            bad(row, "partition '" + p.name + "' has unknown flag bits " +
                         hex(flags & ~(kFlagEncrypted | kFlagReadonly)) + " (newer ESP-IDF?)");
        p.encrypted = flags & kFlagEncrypted;
        p.readonly = flags & kFlagReadonly;
        parts.push_back(std::move(p));
    }
    if (!ended) {
        if (data.size() < kPartitionTableMaxLength && data.size() % kPartitionRowSize != 0)
            fail(ErrorCode::part_invalid, src + ": " + std::to_string(data.size()) +
                                              " bytes is not a whole number of 32-byte rows and has no end marker");
        fail(ErrorCode::part_invalid, src + ": no end-of-table marker (32 bytes of 0xFF) within the first " +
                                          hex(std::min(data.size(), kPartitionTableMaxLength)) + " bytes");
    }
    if (parts.empty())
        fail(ErrorCode::part_invalid,
             src + ": the partition table has no partitions" + (row == 0 ? " (erased flash?)" : ""));
    result.table = PartitionTable(std::move(parts));
    TableOptions check = opts;
    check.md5 = result.has_md5;
    validate_partition_table(result.table, check, source);
    return result;
}

PartitionDump dump_partition_table(ByteView data, std::string_view source, const TableOptions& opts) {
    const std::string src(source);
    PartitionDump dump;
    dump.decoded = decode_partition_table(data, source, opts);
    TableOptions build = opts;
    build.md5 = dump.decoded.has_md5;

    // What a rebuild must reproduce: the first 0xC00 bytes, erased (0xFF) where the file is shorter.
    Bytes expected(data.begin(),
                   data.begin() + static_cast<std::ptrdiff_t>(std::min(data.size(), kPartitionTableMaxLength)));
    expected.resize(kPartitionTableMaxLength, 0xFF);
    const std::size_t rows = dump.decoded.table.size() + (dump.decoded.has_md5 ? 1 : 0);
    const std::size_t table_end = (rows + 1) * kPartitionRowSize; // through the end marker
    for (std::size_t at = table_end; at < expected.size(); ++at)
        if (expected[at] != 0xFF)
            fail(ErrorCode::part_invalid,
                 src + ": byte " + hex(at) + " after the end-of-table marker is " + hex(expected[at]) +
                     ", not 0xff: it is not part of the table, and a table built from the CSV would "
                     "not keep it (erase the sector's tail or rebuild the table)");

    try {
        dump.csv = format_partition_csv(dump.decoded.table);
    } catch (const Error& e) {
        fail(e, src + ": " + e.what());
    }
    Bytes rebuilt;
    try {
        rebuilt = encode_partition_table(parse_partition_csv(dump.csv, src + " (as CSV)", build), build);
    } catch (const Error& e) {
        fail(ErrorCode::part_invalid, src + ": the table cannot be written as a CSV that builds back: " + e.what());
    }
    const auto diff = std::mismatch(rebuilt.begin(), rebuilt.end(), expected.begin());
    if (diff.first != rebuilt.end()) {
        const auto at = static_cast<std::size_t>(diff.first - rebuilt.begin());
        fail(ErrorCode::part_invalid, src + ": row " + std::to_string(at / kPartitionRowSize + 1) + " (byte " +
                                          hex(at) + ") does not build back the same from CSV: " + hex(*diff.second) +
                                          " becomes " + hex(*diff.first));
    }
    return dump;
}

} // namespace vesper::esp
