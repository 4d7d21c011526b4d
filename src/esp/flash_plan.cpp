#include "vesper/esp/flash_plan.hpp"

#include <algorithm>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/esp/command.hpp"
#include "vesper/esp/spi_flash.hpp"

namespace vesper::esp {

namespace {

std::string span_text(const RegionSource& r) {
    return hex32(r.address) + ".." + hex32(static_cast<std::uint32_t>(r.address + r.data.size()));
}

std::uint64_t end_of(const RegionSource& r) { return static_cast<std::uint64_t>(r.address) + r.data.size(); }

} // namespace

void check_layout(std::span<const RegionSource> regions) {
    if (regions.empty()) fail(ErrorKind::input, "nothing to flash: give at least one ADDRESS FILE pair");
    for (const auto& r : regions) {
        if (r.data.empty())
            fail(ErrorKind::input, r.name + " (at " + hex32(r.address) + ") is empty: nothing to write");
        if (r.address % kFlashSectorSize != 0)
            fail(ErrorKind::input, r.name + ": address " + hex32(r.address) +
                                       " is not on a 4 KiB sector boundary (0x1000); the ROM erases whole sectors "
                                       "from the start address, so the region must start at a multiple of 0x1000");
        if (end_of(r) > kRomMaxFlashAddress)
            fail(ErrorKind::input,
                 r.name + " (" + span_text(r) + ") reaches beyond 16MB: the ROM loader addresses flash with 24 bits");
    }
    std::vector<const RegionSource*> sorted;
    for (const auto& r : regions)
        sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const RegionSource* a, const RegionSource* b) { return a->address < b->address; });
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        const RegionSource& a = *sorted[i - 1];
        const RegionSource& b = *sorted[i];
        if (end_of(a) > b.address)
            fail(ErrorKind::input, b.name + " (" + span_text(b) + ") overlaps " + a.name + " (" + span_text(a) + ")");
    }
}

void check_fits(std::span<const RegionSource> regions, std::uint32_t flash_size) {
    for (const auto& r : regions)
        if (end_of(r) > flash_size)
            fail(ErrorKind::input, r.name + " (" + std::to_string(r.data.size()) + " bytes at " + hex32(r.address) +
                                       ", ends at " + hex32(static_cast<std::uint32_t>(end_of(r))) +
                                       ") does not fit the board's " + format_flash_size(flash_size) + " flash");
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
                fail(ErrorKind::input, r.name + " padded to " + std::to_string(r.data.size()) +
                                           " bytes does not fit the board's " + format_flash_size(*flash_size) +
                                           " flash");
    return plan;
}

std::uint32_t block_count(std::uint64_t size, std::uint32_t block_size) {
    if (block_size == 0) fail(ErrorKind::internal, "block size must not be 0");
    return static_cast<std::uint32_t>((size + block_size - 1) / block_size);
}

} // namespace vesper::esp
