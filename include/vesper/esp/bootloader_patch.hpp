#pragma once
// The bootloader header rewrite (--flash-mode/--flash-size/--flash-freq) for one connected board, as a
// BootloaderPatch for plan_flash. Shared by `flash --port` and the station workers.
#include "vesper/esp/flash_plan.hpp"
#include "vesper/esp/image_patch.hpp"
#include "vesper/esp/loader.hpp"

namespace vesper::esp {

// Empty when every field is "keep". Size "detect" takes the size the board reported (Error(input) when
// it could not be read). Error(input) when a field does not suit the chip.
BootloaderPatch bootloader_patch(FlashParams params, const DeviceInfo& info);

} // namespace vesper::esp
