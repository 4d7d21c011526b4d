#pragma once
// One factory image from several (address, file) pairs, like esptool's merge_bin in raw format.
//
// Layout: byte N of the output is flash address target_offset + N. With the default target_offset 0 the
// output is flashed at 0x0 and file offsets equal flash addresses (esptool's default too), which is what a
// factory programmer or a `write_flash 0x0 merged.bin` expects. Gaps between regions are 0xFF (erased flash);
// the output ends with the last region unless fill_to asks for padding to a full flash size. Regions may
// be given in any order and must not overlap.
//
// With opts.flash not all "keep", the region at chip.bootloader_offset is patched as patch_for_flash_address
// does (see image_patch.hpp); other regions are copied unchanged.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/image/image_patch.hpp"

namespace vesper::esp {

struct MergeRegion {
    std::uint32_t address = 0;
    Bytes data;
    std::string name; // the file name, for messages
};

struct MergeOptions {
    FlashParams flash;                    // header patching of the bootloader region
    std::optional<std::uint64_t> fill_to; // pad with 0xFF to this many bytes of flash (from address 0)
    std::uint32_t target_offset = 0;      // flash address of the output's first byte
};

struct MergeResult {
    Bytes image;
    bool bootloader_patched = false; // a region sat at the bootloader offset and was patched
    std::vector<std::string> notes;  // e.g. flash parameters given but no region at the bootloader offset
};

// Throws Error(input) when there are no regions, a region starts below target_offset, two regions overlap
// (naming both files and their address ranges), the data does not fit in fill_to or in the flash size given
// in opts.flash.size, or patching the bootloader region fails.
MergeResult merge_images(const ChipInfo& chip, std::vector<MergeRegion> regions, const MergeOptions& opts = {});

} // namespace vesper::esp
