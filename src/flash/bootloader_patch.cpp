#include "vesper/flash/bootloader_patch.hpp"

#include "vesper/core/error.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::esp {

BootloaderPatch bootloader_patch(FlashParams params, const DeviceInfo& info, bool force,
                                 const std::function<void(std::string_view)>& warn) {
    if (params.keep_all()) return {};
    if (params.size == "detect") {
        if (!info.flash_size)
            fail(ErrorKind::input, "--flash-size detect: the board's flash size could not be read; give it explicitly");
        params.size = format_flash_size(*info.flash_size);
    }
    check_flash_params(*info.chip, params);
    if (const auto size = flash_size_bytes(params.size); size && info.flash_size && *size > *info.flash_size) {
        const std::string what = "--flash-size " + params.size + " is larger than the " +
                                 format_flash_size(*info.flash_size) +
                                 " flash the board reports: the bootloader header would claim flash that is not there";
        if (!force)
            fail(ErrorCode::esp_flash_too_small,
                 what + "; use --flash-size detect or keep, or --force to write it anyway");
        if (warn) warn(what + "; writing it anyway (--force)");
    }
    return [params](Bytes& image, const ChipInfo& chip, const std::string& name) {
        Bytes patched = patch_bootloader_header(image, chip, params, name);
        const bool changed = patched != image;
        image = std::move(patched);
        return changed;
    };
}

} // namespace vesper::esp
