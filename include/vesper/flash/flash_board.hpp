#pragma once
// Flashing one connected board: the images' chips checked against the board, the regions planned
// against what it reported (its flash size; the bootloader header patched as asked), then written,
// skipped where unchanged, and verified. The one way `vesperctl flash` and the station's flash step
// write a board; how it ends (reset, stay) is the caller's.
#include <functional>
#include <string_view>
#include <vector>

#include "vesper/flash/deflate_cache.hpp"
#include "vesper/flash/flash_plan.hpp"
#include "vesper/flash/flasher.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::esp {

struct FlashBoardJob {
    std::vector<RegionSource> regions;
    FlashParams header;   // bootloader header flash mode/size/freq; all "keep" leaves it as built
    FlashOptions options; // compress, force, verify
};

struct FlashBoardEvents {
    std::function<void(std::string_view)> warn;           // --force overrides, said once each
    std::function<void(const FlashPlan&)> planned;        // before the first byte is written
    ProgressFn progress;                                  // within the plan's regions
    std::function<void(const RegionResult&)> region_done; // as each region ends
};

// Error(image.chip_mismatch / esp.flash_too_small / flash.out_of_range) before any write unless
// options.force; the flasher's errors while writing.
std::vector<RegionResult> flash_board(Loader& loader, DeflateCache& cache, const FlashBoardJob& job,
                                      const FlashBoardEvents& events = {});

} // namespace vesper::esp
