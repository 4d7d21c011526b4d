// Telling apart the binaries a factory handles: ESP images, partition tables, NVS partitions, blank flash.
// Partition tables and NVS partitions are only recognised and summarised here; `part dump` and `nvs dump`
// read them in full.
#include <algorithm>

#include "image_detail.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/part/partition_table.hpp"
#include "vesper/nvs/format.hpp"

namespace vesper::esp {

namespace {

constexpr std::uint8_t kRowMagic[] = {0xAA, 0x50};
constexpr std::uint8_t kMd5RowMagic[] = {0xEB, 0xEB};

bool starts_with(const std::uint8_t* p, const std::uint8_t (&magic)[2]) { return p[0] == magic[0] && p[1] == magic[1]; }

PartitionTableSummary summarize_partition_table(ByteView data) {
    PartitionTableSummary s;
    std::size_t off = 0;
    while (off + kPartitionRowSize <= data.size() && starts_with(data.data() + off, kRowMagic)) {
        ++s.entries;
        off += kPartitionRowSize;
    }
    if (off + kPartitionRowSize <= data.size() && starts_with(data.data() + off, kMd5RowMagic)) {
        s.md5_present = true;
        const auto digest = md5(ByteView(data.data(), off));
        s.md5_ok = std::equal(digest.begin(), digest.end(), data.data() + off + 16);
    }
    return s;
}

// Pages whose header is in use (active, full or freeing) and carries a valid CRC. Erased pages (a header
// of all 0xFF) are allowed anywhere; anything else means this is not an NVS partition.
std::optional<NvsSummary> summarize_nvs(ByteView data) {
    if (data.empty() || data.size() % nvs::page_size != 0) return std::nullopt;
    NvsSummary s;
    s.pages = data.size() / nvs::page_size;
    for (std::size_t i = 0; i < s.pages; ++i) {
        const std::uint8_t* p = data.data() + i * nvs::page_size;
        if (std::all_of(p, p + 32, [](std::uint8_t b) { return b == 0xFF; })) continue;
        const auto state = static_cast<nvs::PageState>(get_le32(p));
        const bool in_use =
            state == nvs::PageState::active || state == nvs::PageState::full || state == nvs::PageState::freeing;
        const bool version_ok = p[8] == 0xFF || p[8] == 0xFE;
        if (!in_use || !version_ok || crc32(nvs::crc_seed, ByteView(p + 4, 24)) != get_le32(p + 28))
            return std::nullopt;
        ++s.used_pages;
    }
    if (s.used_pages == 0) return std::nullopt;
    return s;
}

} // namespace

const char* to_string(FileKind kind) {
    switch (kind) {
    case FileKind::esp_image: return "image";
    case FileKind::partition_table: return "partition_table";
    case FileKind::nvs_partition: return "nvs_partition";
    case FileKind::erased: return "erased";
    }
    return "unknown";
}

bool FileIdentity::valid() const {
    switch (kind) {
    case FileKind::esp_image: return image && image->valid();
    case FileKind::partition_table: return !partitions.md5_present || partitions.md5_ok;
    case FileKind::nvs_partition:
    case FileKind::erased: return true;
    }
    return false;
}

FileIdentity identify_file(ByteView data, std::string_view source, const ImageParseOptions& opts) {
    const std::string src(source);
    if (data.empty())
        fail(ErrorCode::image_invalid, src + ": empty file, not an ESP image, partition table or NVS partition");

    FileIdentity id;
    if (data[0] == kImageMagic) {
        id.kind = FileKind::esp_image;
        id.image = parse_image(data, source, opts);
        return id;
    }
    if (data.size() >= kPartitionRowSize && starts_with(data.data(), kRowMagic)) {
        id.kind = FileKind::partition_table;
        id.partitions = summarize_partition_table(data);
        return id;
    }
    if (std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0xFF; })) {
        id.kind = FileKind::erased;
        return id;
    }
    if (auto nvs = summarize_nvs(data)) {
        id.kind = FileKind::nvs_partition;
        id.nvs = *nvs;
        return id;
    }
    fail(ErrorCode::image_invalid, src + ": not an ESP image (first byte is " + detail::hex(data[0], 2) +
                                       ", an image starts with 0xE9), a partition table (rows start AA 50) or an NVS "
                                       "partition (4 KiB pages with valid header CRCs)");
}

} // namespace vesper::esp
