#pragma once
// What will be written where, checked before anything touches the board. Pure code, no I/O.
//
// Alignment: a region must start on a 4 KiB sector boundary, because the ROM erases whole sectors from
// the start address. esptool instead pads an unaligned region at the front with 0xFF, which silently
// erases the bytes in front of it; a factory tool should not erase what it was not given, so vesperctl
// rejects the region and names the file. Sizes need no alignment: each region is padded with 0xFF to a
// multiple of 4 bytes (flash writes are word-sized), and the ROM pads the last block.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/chip/chip.hpp"

namespace vesper::esp {

struct RegionSource {
    std::uint32_t address = 0;
    Bytes data;
    std::string name; // the file as the user gave it, for messages
};

// Checks that need no board: empty region, sector alignment, 24-bit ROM address limit, overlaps.
// Throws Error(input) naming the file(s) and addresses.
void check_layout(std::span<const RegionSource> regions);

// Throws Error(input) naming the file when a region ends beyond `flash_size` bytes.
void check_fits(std::span<const RegionSource> regions, std::uint32_t flash_size);

// esptool's write_flash check, for the board's chip: every region that reads as an ESP image must be built
// for `chip` (image_chip_mismatch). Files that are not images (partition tables, NVS, data) are not
// checked. Throws Error(input) naming the file, the image's chip and the board's (`board`: the port),
// unless `force`: then `warn` gets the same text and the region is written anyway.
void check_image_chips(std::span<const RegionSource> regions, const ChipInfo& chip, std::string_view board, bool force,
                       const std::function<void(std::string_view)>& warn);

struct PlannedRegion {
    std::uint32_t address = 0;
    std::string name;
    Bytes data;                  // bytes to write: header-patched, padded with 0xFF to a multiple of 4
    std::uint64_t file_size = 0; // as read from the file
    bool header_patched = false;
    std::array<std::uint8_t, 16> md5{}; // of `data`: what the flash must hold afterwards

    std::uint32_t end() const noexcept { return address + static_cast<std::uint32_t>(data.size()); }
};

struct FlashPlan {
    std::vector<PlannedRegion> regions; // sorted by address
    std::uint64_t total_bytes() const noexcept;
};

// Rewrites the flash mode/size/freq fields of the image at the chip's bootloader offset (returns true
// if it changed anything); `name` is the file, for messages. Empty: keep the header as built.
using BootloaderPatch = std::function<bool(Bytes& image, const ChipInfo& chip, const std::string& name)>;

// check_layout, check_fits (when the size is known), the bootloader patch, padding and MD5s.
FlashPlan plan_flash(std::vector<RegionSource> regions, const ChipInfo& chip, std::optional<std::uint32_t> flash_size,
                     const BootloaderPatch& patch_bootloader = {});

// Blocks of `block_size` needed for `size` bytes (the last one partial).
std::uint32_t block_count(std::uint64_t size, std::uint32_t block_size);

} // namespace vesper::esp
