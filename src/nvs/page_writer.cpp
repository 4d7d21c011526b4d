// Entry layout follows nvs_partition_gen 0.2.0 rule for rule (page breaks included); where that tool
// crashes instead (strings of 3969..4000 bytes, data past the last page) we write a valid layout or
// fail with a message.
#include "vesper/nvs/page_writer.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"

namespace vesper::nvs {

namespace {

constexpr std::uint8_t kChunkAny = 0xFF;

std::size_t slots_for(std::size_t bytes) { return (bytes + entry_size - 1) / entry_size; }

// A fresh entry header: 0xFF everywhere (erased flash) but namespace, type, span, chunk and key.
void init_header(std::uint8_t* h, std::uint8_t ns, ItemType type, std::uint8_t span, std::uint8_t chunk,
                 std::string_view key) {
    std::memset(h, 0xFF, entry_size);
    h[0] = ns;
    h[1] = static_cast<std::uint8_t>(type);
    h[2] = span;
    h[3] = chunk;
    std::memset(h + 8, 0, 16);
    std::memcpy(h + 8, key.data(), key.size());
}

} // namespace

void check_key(std::string_view key) {
    if (key.empty()) fail(ErrorCode::csv_invalid, "empty key");
    if (key.size() > max_key_length)
        fail(ErrorCode::csv_invalid,
             "key is " + std::to_string(key.size()) + " bytes long; NVS keys are at most 15 bytes");
    if (key.find('\0') != std::string_view::npos) fail(ErrorCode::csv_invalid, "key contains a NUL byte");
}

PageWriter::PageWriter(std::span<std::uint8_t> image, Version version) : image_(image), version_(version) {
    check_partition_size(image.size());
    std::fill(image_.begin(), image_.end(), std::uint8_t{0xFF});
    data_pages_ = image.size() / page_size - 1;
    open_page(0);
}

void PageWriter::open_page(std::size_t index) {
    page_ = index;
    slot_ = 0;
    std::uint8_t* p = image_.data() + index * page_size;
    put_le32(p, static_cast<std::uint32_t>(PageState::active));
    put_le32(p + 4, static_cast<std::uint32_t>(index)); // sequence number = page number
    p[8] = version_byte(version_);
    put_le32(p + 28, crc32(crc_seed, ByteView(p + 4, 24))); // the state word is not covered
}

void PageWriter::next_page() {
    if (page_ + 1 >= data_pages_)
        fail(ErrorCode::nvs_full,
             "does not fit: all " + std::to_string(data_pages_) +
                 " data pages are used (one more page is kept spare); use a larger partition size");
    put_le32(image_.data() + page_ * page_size, static_cast<std::uint32_t>(PageState::full));
    open_page(page_ + 1);
}

void PageWriter::put_entry(std::uint8_t* header, ByteView data, std::size_t data_slots) {
    // Entry CRC: bytes 0..3 and 8..31, i.e. everything but the CRC field itself.
    std::uint32_t crc = crc32(crc_seed, ByteView(header, 4));
    crc = crc32(crc, ByteView(header + 8, entry_size - 8));
    put_le32(header + 4, crc);

    std::memcpy(entry_ptr(), header, entry_size);
    if (!data.empty()) std::memcpy(entry_ptr() + entry_size, data.data(), data.size());
    std::uint8_t* bitmap = image_.data() + page_ * page_size + bitmap_offset;
    for (std::size_t i = 0; i < 1 + data_slots; ++i, ++slot_) {
        // Two bits per entry; clearing the low one turns "empty" (11) into "written" (10).
        bitmap[slot_ / 4] &= static_cast<std::uint8_t>(~(1u << ((slot_ % 4) * 2)));
    }
    slots_used_ += 1 + data_slots;
}

void PageWriter::write_namespace(std::string_view name, std::uint8_t index) {
    write_integer(0, name, ItemType::u8, index);
}

void PageWriter::write_integer(std::uint8_t ns, std::string_view key, ItemType type, std::uint64_t bits) {
    check_key(key);
    const std::size_t width = integer_width(type);
    if (width == 0) fail(ErrorKind::internal, std::string("write_integer with non-integer type ") + to_string(type));
    if (slot_ >= entries_per_page) next_page();
    std::uint8_t h[entry_size];
    init_header(h, ns, type, 1, kChunkAny, key);
    for (std::size_t i = 0; i < width; ++i)
        h[24 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
    put_entry(h, {}, 0);
}

void PageWriter::write_string(std::uint8_t ns, std::string_view key, ByteView data) {
    check_key(key);
    const std::size_t max = max_string_size(version_);
    if (data.size() > max)
        fail(ErrorCode::csv_invalid, "string is " + std::to_string(data.size()) + " bytes with its NUL; version " +
                                         (version_ == Version::v1 ? "1" : "2") + " strings hold at most " +
                                         std::to_string(max) + " (" + std::to_string(max - 1) + " characters)");

    const std::size_t data_slots = slots_for(data.size());
    const std::size_t span = data_slots + 1;
    // The reference breaks the page when the entry would reach the last slot (>=, not >). A value that
    // needs a whole page only fits an empty one; the reference crashes on it, we write it there.
    const bool fits =
        slot_ < entries_per_page && (slot_ + span < entries_per_page || (slot_ == 0 && span == entries_per_page));
    if (!fits) next_page();
    std::uint8_t h[entry_size];
    init_header(h, ns, ItemType::sz, static_cast<std::uint8_t>(span), kChunkAny, key);
    put_le16(h + 24, static_cast<std::uint16_t>(data.size()));
    put_le32(h + 28, crc32(crc_seed, data));
    put_entry(h, data, data_slots);
}

void PageWriter::write_blob(std::uint8_t ns, std::string_view key, ByteView data) {
    check_key(key);
    if (version_ == Version::v2) {
        write_v2_blob(ns, key, data);
        return;
    }
    if (data.size() > max_v1_blob_size())
        fail(ErrorCode::csv_invalid, "blob is " + std::to_string(data.size()) +
                                         " bytes; version 1 blobs hold at most " + std::to_string(max_v1_blob_size()) +
                                         " (version 2 splits larger blobs)");
    const std::size_t data_slots = slots_for(data.size());
    const std::size_t span = data_slots + 1;
    if (slot_ >= entries_per_page || slot_ + span >= entries_per_page) next_page();
    std::uint8_t h[entry_size];
    init_header(h, ns, ItemType::blob, static_cast<std::uint8_t>(span), kChunkAny, key);
    put_le16(h + 24, static_cast<std::uint16_t>(data.size()));
    put_le32(h + 28, crc32(crc_seed, data));
    put_entry(h, data, data_slots);
}

// v2: the blob is cut into BLOB_DATA chunks that fill each page's remaining room, then a BLOB_IDX entry
// records the total size and chunk count. Chunk sizes follow the reference exactly, including a
// zero-byte chunk when a blob starts on a page's last slot.
void PageWriter::write_v2_blob(std::uint8_t ns, std::string_view key, ByteView data) {
    if (slot_ >= entries_per_page) next_page();
    std::size_t offset = 0;
    std::size_t remaining = data.size();
    std::size_t chunks = 0;
    std::uint8_t h[entry_size];
    while (true) {
        const std::size_t tailroom = (entries_per_page - slot_ - 1) * entry_size;
        const std::size_t chunk = std::min(tailroom, remaining);
        remaining -= chunk;
        if (chunks >= max_blob_chunks)
            fail(ErrorCode::csv_invalid, "blob of " + std::to_string(data.size()) + " bytes needs more than " +
                                             std::to_string(max_blob_chunks) + " chunks; NVS cannot index it");
        const std::size_t data_slots = slots_for(chunk);
        ByteView part = data.subspan(offset, chunk);
        init_header(h, ns, ItemType::blob_data, static_cast<std::uint8_t>(data_slots + 1),
                    static_cast<std::uint8_t>(chunks), key);
        put_le16(h + 24, static_cast<std::uint16_t>(chunk));
        put_le32(h + 28, crc32(crc_seed, part));
        put_entry(h, part, data_slots);
        ++chunks;
        if (remaining != 0 || tailroom - chunk < entry_size) next_page();
        offset += chunk;
        if (remaining == 0) break;
    }
    init_header(h, ns, ItemType::blob_idx, 1, kChunkAny, key);
    put_le32(h + 24, static_cast<std::uint32_t>(data.size()));
    h[28] = static_cast<std::uint8_t>(chunks);
    h[29] = 0; // first chunk index (the generator always starts at 0)
    put_entry(h, {}, 0);
}

} // namespace vesper::nvs
