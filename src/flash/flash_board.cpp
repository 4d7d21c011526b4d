#include "vesper/flash/flash_board.hpp"

#include "vesper/flash/bootloader_patch.hpp"

namespace vesper::esp {

std::vector<RegionResult> flash_board(Loader& loader, DeflateCache& cache, const FlashBoardJob& job,
                                      const FlashBoardEvents& events) {
    const DeviceInfo& info = loader.info();
    const bool force = job.options.force;
    // As esptool's write_flash: images for another chip and a header claiming more flash than the board
    // has are refused unless --force (then warned).
    check_image_chips(job.regions, *info.chip, loader.transport().name(), force, events.warn);
    const FlashPlan plan =
        plan_flash(job.regions, *info.chip, info.flash_size, bootloader_patch(job.header, info, force, events.warn));
    if (events.planned) events.planned(plan);
    Flasher flasher(loader, cache, job.options);
    return flasher.write(plan, events.progress, events.region_done);
}

} // namespace vesper::esp
