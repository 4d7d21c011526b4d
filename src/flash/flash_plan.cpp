#include "vesper/flash/flash_plan.hpp"

#include <algorithm>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/image/image.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::esp {

namespace {

std::vector<FlashRegion> spans_of(std::span<const RegionSource> regions) {
    std::vector<FlashRegion> out;
    for (const auto& r : regions)
        out.push_back({r.address, r.data.size(), r.name});
    return out;
}

} // namespace

void check_layout(std::span<const RegionSource> regions) {
    if (regions.empty()) fail(ErrorKind::input, "nothing to flash: give at least one ADDRESS FILE pair");
    check_flash_regions(spans_of(regions), RegionRules{rom_loader_bound()});
}

void check_fits(std::span<const RegionSource> regions, std::uint32_t flash_size) {
    check_flash_regions(spans_of(regions), RegionRules{board_bound(flash_size)});
}

void check_image_chips(std::span<const RegionSource> regions, const ChipInfo& chip, std::string_view board, bool force,
                       const std::function<void(std::string_view)>& warn) {
    for (const auto& r : regions) {
        if (r.data.empty() || r.data[0] != kImageMagic) continue;
        ImageInfo image;
        try {
            image = parse_image(r.data, r.name, {.chip = &chip});
        } catch (const Error&) {
            continue; // not an image after all: data is written as it is
        }
        const auto other = image_chip_mismatch(image, chip);
        if (!other) continue;
        const std::string what = r.name + " (at " + hex32(r.address) + ") is an image for " + *other +
                                 ", but the board on " + std::string(board) + " is an " +
                                 std::string(chip.display_name);
        if (!force) fail(ErrorCode::image_chip_mismatch, what + "; use --force to write it anyway");
        if (warn) warn(what + "; writing it anyway (--force)");
    }
}

std::uint64_t FlashPlan::total_bytes() const noexcept {
    std::uint64_t n = 0;
    for (const auto& r : regions)
        n += r.data.size();
    return n;
}

FlashPlan plan_flash(std::vector<RegionSource> regions, const ChipInfo& chip, std::optional<std::uint32_t> flash_size,
                     const BootloaderPatch& patch_bootloader) {
    check_layout(regions);
    if (flash_size) check_fits(regions, *flash_size);
    std::stable_sort(regions.begin(), regions.end(),
                     [](const RegionSource& a, const RegionSource& b) { return a.address < b.address; });
    FlashPlan plan;
    for (auto& src : regions) {
        PlannedRegion r;
        r.address = src.address;
        r.name = std::move(src.name);
        r.file_size = src.data.size();
        r.data = std::move(src.data);
        if (patch_bootloader && r.address == chip.bootloader_offset)
            r.header_patched = patch_bootloader(r.data, chip, r.name);
        // Flash is written in 32-bit words; 0xFF is what erased flash reads anyway.
        r.data.resize((r.data.size() + 3) / 4 * 4, 0xFF);
        r.md5 = md5(r.data);
        plan.regions.push_back(std::move(r));
    }
    // Padding can push a region 1-3 bytes further; check again on what is actually written.
    if (flash_size)
        for (const auto& r : plan.regions)
            if (r.end() > *flash_size)
                fail(ErrorCode::flash_out_of_range, r.name + " padded to " + std::to_string(r.data.size()) +
                                                        " bytes does not fit the board's " +
                                                        format_flash_size(*flash_size) + " flash");
    return plan;
}

std::uint32_t block_count(std::uint64_t size, std::uint32_t block_size) {
    if (block_size == 0) fail(ErrorKind::internal, "block size must not be 0");
    return static_cast<std::uint32_t>((size + block_size - 1) / block_size);
}

} // namespace vesper::esp
