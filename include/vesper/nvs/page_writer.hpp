#pragma once
// Lays entries out in pages exactly as ESP-IDF's nvs_partition_gen (0.2.0) does, including its page
// break rules, so that images are byte-identical. All size limits live here. Errors are Error(input)
// with the reason only; callers add where the value came from.
#include <cstdint>
#include <span>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/nvs/format.hpp"

namespace vesper::nvs {

class PageWriter {
public:
    // `image` is the whole partition, already filled with 0xFF (erased flash); its size must pass
    // check_partition_size. The last page is never written: the firmware needs one spare.
    PageWriter(std::span<std::uint8_t> image, Version version);

    // A namespace definition: a u8 entry in namespace 0 whose value is the namespace's index.
    void write_namespace(std::string_view name, std::uint8_t index);
    // An integer item; `bits` is the value's two's complement, stored little-endian in its width.
    void write_integer(std::uint8_t ns, std::string_view key, ItemType type, std::uint64_t bits);
    // A string item; `data` includes the terminating NUL.
    void write_string(std::uint8_t ns, std::string_view key, ByteView data);
    // A blob: one BLOB entry in v1; BLOB_DATA chunks plus a BLOB_IDX entry in v2.
    void write_blob(std::uint8_t ns, std::string_view key, ByteView data);

    Version version() const { return version_; }
    std::size_t pages_used() const { return page_ + 1; }
    std::size_t data_pages() const { return data_pages_; }
    std::size_t slots_used() const { return slots_used_; } // 32-byte entries written, all pages

private:
    void open_page(std::size_t index);
    void next_page();
    std::uint8_t* entry_ptr() { return image_.data() + page_ * page_size + first_entry_offset + slot_ * entry_size; }
    // Writes a prepared 32-byte header (CRC filled in here) and `data` into the following entries.
    void put_entry(std::uint8_t* header, ByteView data, std::size_t data_slots);
    void write_v2_blob(std::uint8_t ns, std::string_view key, ByteView data);

    std::span<std::uint8_t> image_;
    Version version_;
    std::size_t data_pages_ = 0;
    std::size_t page_ = 0;
    std::size_t slot_ = 0;
    std::size_t slots_used_ = 0;
};

// Checks a key against the firmware's rules: 1 to 15 bytes, no NUL. Throws Error(input).
void check_key(std::string_view key);

} // namespace vesper::nvs
