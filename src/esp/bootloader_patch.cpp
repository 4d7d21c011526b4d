#include "vesper/esp/bootloader_patch.hpp"

#include "vesper/core/error.hpp"
#include "vesper/esp/spi_flash.hpp"

namespace vesper::esp {

BootloaderPatch bootloader_patch(FlashParams params, const DeviceInfo& info) {
    if (params.keep_all()) return {};
    if (params.size == "detect") {
        if (!info.flash_size)
            fail(ErrorKind::input, "--flash-size detect: the board's flash size could not be read; give it explicitly");
        params.size = format_flash_size(*info.flash_size);
    }
    check_flash_params(*info.chip, params);
    return [params](Bytes& image, const ChipInfo& chip, const std::string& name) {
        Bytes patched = patch_bootloader_header(image, chip, params, name);
        const bool changed = patched != image;
        image = std::move(patched);
        return changed;
    };
}

} // namespace vesper::esp
