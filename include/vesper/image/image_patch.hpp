#pragma once
// Flash parameters in an image header (bytes 2 and 3) and the rewrite esptool does on the image written at
// the bootloader offset (`write_flash --flash-mode/--flash-size/--flash-freq`, its _update_image_flash_params).
//
// Byte 2 is the SPI mode: qio 0, qout 1, dio 2, dout 3 on every chip. Byte 3 holds a size code in its high
// nibble and a frequency code in its low nibble, and those codes differ by chip: they are each chip's row
// (ChipInfo::flash_codes; the table in words is docs/esp-rom-notes.md 7.2, from esptool's targets/*.py
// FLASH_SIZES and FLASH_FREQUENCY). ESP32-C6 writes 0 for both 80m and 40m.
//
// Rules (patch_bootloader_header):
//  * "keep" leaves a field as the image has it; all three "keep" returns the bytes unchanged, unchecked.
//  * Otherwise the image must parse, be for `chip`, and have a valid checksum and SHA-256: a file that is not
//    a valid image is refused with Error(input) rather than silently altered.
//  * Only bytes 2-3 change, then the appended SHA-256 (if the image has one) is recomputed so the image stays
//    valid. The checksum covers segment data only and needs no update. Bytes after the image (e.g. a
//    secure boot signature block) are kept as they are: a signed bootloader's signature no longer matches
//    after a patch, as with esptool.
//  * Only the image written at chip.bootloader_offset is ever patched (patch_for_flash_address); apps,
//    partition tables and data elsewhere are left alone.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/chip/flash_limits.hpp"

namespace vesper::esp {

inline constexpr std::string_view kKeep = "keep";

std::span<const FlashCode> flash_modes();
// The size and frequency codes `chip` uses: its row's flash_codes (FlashCode and FlashEncoding are in chip.hpp).
const FlashEncoding& flash_encoding(const ChipInfo& chip);

std::optional<std::uint8_t> flash_mode_code(std::string_view name); // case-insensitive
std::optional<std::uint8_t> flash_size_code(const ChipInfo& chip, std::string_view name);
std::optional<std::uint8_t> flash_freq_code(const ChipInfo& chip, std::string_view name);

// Names for codes found in a header; "unknown (N)" when the chip has no name for the code. A frequency code
// with two names (ESP32-C6's 0) gives both, "80m/40m". A null chip (an image whose chip id is unknown) is
// named with unknown_chip_flash_codes().
std::string flash_mode_name(std::uint8_t code);
std::string flash_size_name(const ChipInfo* chip, std::uint8_t code);
std::string flash_freq_name(const ChipInfo* chip, std::uint8_t code);


// What to write into the header; each field is a name from the chip's codes (flash_modes(), its row's
// flash_codes) or "keep".
struct FlashParams {
    std::string mode{kKeep};
    std::string size{kKeep};
    std::string freq{kKeep};

    bool keep_all() const { return mode == kKeep && size == kKeep && freq == kKeep; }
};

// Throws Error(input) naming the option and listing the values `chip` accepts when a field is not "keep"
// and not a known name.
void check_flash_params(const ChipInfo& chip, const FlashParams& params);
// The check a command runs before it touches a board: with a chip, check_flash_params (size "detect"
// allowed); without one (--chip auto), each field must be "keep" or a name some chip accepts, and the
// error lists the names of all chips. Error(input) naming the option.
void check_flash_param_names(const ChipInfo* chip, const FlashParams& params);

// `image` with header bytes 2-3 set from `params` and its SHA-256 recomputed (rules above). `source` names
// the image in messages. Throws Error(input) for bad parameter names, a file that is not a valid image, or
// an image for another chip.
Bytes patch_bootloader_header(ByteView image, const ChipInfo& chip, const FlashParams& params,
                              std::string_view source = "bootloader image");

// esptool's rule for one file of a flash job: patched when written at chip.bootloader_offset, returned
// unchanged anywhere else. The flasher calls this for every region and verifies against the result.
Bytes patch_for_flash_address(ByteView data, std::uint32_t address, const ChipInfo& chip, const FlashParams& params,
                              std::string_view source);

} // namespace vesper::esp
