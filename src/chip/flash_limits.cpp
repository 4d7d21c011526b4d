// The shared checks for flash sizes and regions; see flash_limits.hpp for which bound applies where.
#include "vesper/chip/flash_limits.hpp"

#include <algorithm>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::esp {

namespace {

std::string span_text(const FlashRegion& r) { return hex_u(r.address, 0) + ".." + hex_u(r.end(), 0); }

} // namespace

std::optional<std::uint64_t> flash_size_bytes(std::string_view name) {
    if (name.ends_with("-c1") || name.ends_with("-C1")) name.remove_suffix(3);
    std::uint64_t unit = 0;
    if (name.size() > 2 && iequals(name.substr(name.size() - 2), "MB")) unit = 1024 * 1024;
    if (name.size() > 2 && iequals(name.substr(name.size() - 2), "KB")) unit = 1024;
    if (unit == 0) return std::nullopt;
    name.remove_suffix(2);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const auto n = parse_uint(name);
    if (!n || *n == 0 || *n > (std::uint64_t{1} << 32)) return std::nullopt;
    return *n * unit;
}

std::string format_flash_size(std::uint64_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "MB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KB";
    return std::to_string(bytes) + "B";
}

std::uint64_t max_flash_size(const ChipInfo& chip) {
    std::uint64_t most = 0;
    for (const auto& code : chip.flash_codes.sizes)
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

std::vector<FlashRegion> parse_region_pairs(std::string_view command, std::span<const std::string> words) {
    if (words.empty() || words.size() % 2 != 0)
        fail(ErrorCode::cli_usage, std::string(command) + ": expected ADDRESS FILE pairs, got " +
                                       std::to_string(words.size()) + " argument(s)" +
                                       (words.empty() ? "" : " (" + quote_value(words.back()) + " has no pair)"));
    std::vector<std::uint32_t> addresses;
    for (std::size_t i = 0; i < words.size(); i += 2)
        try {
            addresses.push_back(parse_u32("address", words[i]));
        } catch (const Error& e) {
            fail(e, std::string(command) + ": " + words[i + 1] + ": " + e.what());
        }
    std::vector<FlashRegion> regions;
    for (std::size_t i = 0; i < words.size(); i += 2)
        regions.push_back({addresses[i / 2], size_on_disk(words[i + 1]), words[i + 1]});
    return regions;
}

} // namespace vesper::esp
