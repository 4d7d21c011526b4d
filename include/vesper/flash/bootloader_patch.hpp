#pragma once
// The bootloader header rewrite (--flash-mode/--flash-size/--flash-freq) for one connected board, as a
// BootloaderPatch for plan_flash. Shared by `flash --port` and the station workers.
#include "vesper/flash/flash_plan.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::esp {

// Empty when every field is "keep". Size "detect" takes the size the board reported (Error(input) when
// it could not be read). Error(input) when a field does not suit the chip.
//
// A size larger than the flash the board reported (--flash-size 8MB on a 4MB board) would make the
// bootloader and app use flash that is not there: Error(input) naming both sizes, unless `force`, which
// writes it with a warning through `warn` (esptool only warns; a factory image must fit its board).
BootloaderPatch bootloader_patch(FlashParams params, const DeviceInfo& info, bool force = false,
                                 const std::function<void(std::string_view)>& warn = {});

} // namespace vesper::esp
