// The shared checks for flash sizes and regions; see flash_limits.hpp for which bound applies where.
#include "vesper/esp/flash_limits.hpp"

#include <algorithm>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/esp/image_patch.hpp"
#include "vesper/esp/spi_flash.hpp"

namespace vesper::esp {

namespace {

std::string span_text(const FlashRegion& r) { return hex_u(r.address, 0) + ".." + hex_u(r.end(), 0); }

} // namespace

std::uint64_t max_flash_size(const ChipInfo& chip) {
    std::uint64_t most = 0;
    for (const auto& code : flash_encoding(chip).sizes)
        most = std::max(most, flash_size_bytes(code.name).value_or(0));
    return most;
}

FlashBound any_chip_bound() {
    return {kMaxFlashSize, "the largest flash of any ESP chip (" + format_flash_size(kMaxFlashSize) + ")"};
}

FlashBound chip_bound(const ChipInfo& chip) {
    const std::uint64_t most = max_flash_size(chip);
    return {most, "the largest " + std::string(chip.display_name) + " flash (" + format_flash_size(most) + ")"};
}

FlashBound rom_loader_bound() {
    return {kRomMaxFlashAddress,
            format_flash_size(kRomMaxFlashAddress) + ": the ROM loader addresses flash with 24 bits"};
}

FlashBound board_bound(std::uint64_t flash_size) {
    return {flash_size, "the board's " + format_flash_size(flash_size) + " flash"};
}

void check_flash_size(std::string_view what, std::uint64_t size, const FlashBound& bound) {
    if (size == 0) fail(ErrorCode::flash_out_of_range, std::string(what) + ": size must not be 0");
    if (size > bound.bytes)
        fail(ErrorCode::flash_out_of_range,
             std::string(what) + ": " + hex_u(size, 0) + " bytes is more than " + bound.why);
}

void check_flash_region(const FlashRegion& r, const RegionRules& rules) {
    if (r.size == 0)
        fail(ErrorCode::flash_out_of_range,
             r.name + " (at " + hex_u(r.address, 0) + ") is empty: the size must not be 0");
    if (rules.start_alignment > 1 && r.address % rules.start_alignment != 0)
        fail(ErrorCode::flash_out_of_range,
             r.name + ": address " + hex_u(r.address, 0) + " is not on a " +
                 std::to_string(rules.start_alignment / 1024) + " KiB sector boundary (" +
                 hex_u(rules.start_alignment, 0) +
                 "); the ROM erases whole sectors from the start address, so a region must "
                 "start at a multiple of " +
                 hex_u(rules.start_alignment, 0));
    if (rules.size_alignment > 1 && r.size % rules.size_alignment != 0)
        fail(ErrorCode::flash_out_of_range, r.name + ": size " + hex_u(r.size, 0) + " is not a multiple of " +
                                                hex_u(rules.size_alignment, 0) + " (flash is erased in whole sectors)");
    if (r.address >= rules.bound.bytes || r.end() > rules.bound.bytes)
        fail(ErrorCode::flash_out_of_range, r.name + " (" + span_text(r) + ") reaches beyond " + rules.bound.why);
}

void check_flash_regions(std::span<const FlashRegion> regions, const RegionRules& rules) {
    for (const auto& r : regions)
        check_flash_region(r, rules);
    std::vector<const FlashRegion*> sorted;
    for (const auto& r : regions)
        sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const FlashRegion* a, const FlashRegion* b) { return a->address < b->address; });
    // Sorted by start, any overlap shows up between neighbours.
    for (std::size_t i = 1; i < sorted.size(); ++i) {
        const FlashRegion& a = *sorted[i - 1];
        const FlashRegion& b = *sorted[i];
        if (a.end() > b.address)
            fail(ErrorCode::flash_out_of_range,
                 b.name + " (" + span_text(b) + ") overlaps " + a.name + " (" + span_text(a) + ")");
    }
}

std::uint64_t size_on_disk(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return 1;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 1 : size;
}

} // namespace vesper::esp
