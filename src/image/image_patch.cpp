// Rewriting the flash parameters of the image at the bootloader offset, as esptool's write_flash does, and
// keeping the appended SHA-256 valid. The rules are listed in image_patch.hpp.
#include <algorithm>

#include "image_detail.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"

namespace vesper::esp {

Bytes patch_bootloader_header(ByteView image, const ChipInfo& chip, const FlashParams& params,
                              std::string_view source) {
    check_flash_params(chip, params);
    Bytes out(image.begin(), image.end());
    if (params.keep_all()) return out;

    const std::string src(source);
    const ImageInfo info = parse_image(image, source, {.chip = &chip});
    if (info.has_extended_header && info.chip != &chip) {
        const std::string is_for =
            info.chip ? std::string(info.chip->display_name) : "chip id " + std::to_string(info.extended.chip_id);
        fail(ErrorCode::image_chip_mismatch, src + ": flash parameters not changed: the image is for " + is_for +
                                                 ", not " + std::string(chip.display_name));
    }
    if (!info.checksum_ok())
        fail(ErrorCode::image_invalid, src + ": flash parameters not changed: not a valid image (checksum at " +
                                           detail::hex(info.checksum_offset) + " is " +
                                           detail::hex(info.checksum_stored, 2) + ", the segments give " +
                                           detail::hex(info.checksum_computed, 2) + ")");
    if (!info.sha256_ok())
        fail(ErrorCode::image_invalid, src + ": flash parameters not changed: not a valid image (the SHA-256 at " +
                                           detail::hex(info.sha256_offset) + " does not match the image)");

    std::uint8_t mode = info.header.flash_mode;
    std::uint8_t size = info.header.flash_size_code();
    std::uint8_t freq = info.header.flash_freq_code();
    // check_flash_params() above guarantees every non-keep name is in the tables.
    if (params.mode != kKeep) mode = *flash_mode_code(params.mode);
    if (params.size != kKeep) size = *flash_size_code(chip, params.size);
    if (params.freq != kKeep) freq = *flash_freq_code(chip, params.freq);
    out[2] = mode;
    out[3] = static_cast<std::uint8_t>(size << 4 | freq);

    if (info.sha256_present) {
        const auto digest = sha256(ByteView(out.data(), info.sha256_offset));
        std::copy(digest.begin(), digest.end(), out.begin() + static_cast<std::ptrdiff_t>(info.sha256_offset));
    }
    return out;
}

Bytes patch_for_flash_address(ByteView data, std::uint32_t address, const ChipInfo& chip, const FlashParams& params,
                              std::string_view source) {
    if (address != chip.bootloader_offset) {
        check_flash_params(chip, params); // a bad name is an error wherever the file goes
        return Bytes(data.begin(), data.end());
    }
    return patch_bootloader_header(data, chip, params, source);
}

} // namespace vesper::esp
