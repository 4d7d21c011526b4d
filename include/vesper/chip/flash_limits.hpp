#pragma once
// The one set of checks for sizes, addresses and regions of flash, used by every command that takes
// them (nvs build/batch --size, part build, image merge/synth, flash, read-flash, erase, the station's
// firmware gates) before anything is allocated, read or written.
//
// A limit is a FlashBound: how many bytes of flash there can be, and why, for the message:
//   any_chip_bound()   128MB, the largest flash any supported chip's image header can describe (no chip known)
//   chip_bound(chip)   the largest flash of that chip (ESP8266 16MB, the others 128MB; from its header codes)
//   rom_loader_bound() 16MB, what the ROM loader's 24-bit flash commands reach (flash, read-flash, erase)
//   board_bound(size)  the flash the connected board reported
#include <cstdint>
#include <optional>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/chip/chip.hpp"

namespace vesper::esp {

inline constexpr std::uint64_t kMaxFlashSize = 128u * 1024 * 1024;

// Bytes in a flash size name: "4MB" -> 4 MiB, "512KB", "2MB-c1" -> 2 MiB. nullopt for anything else.
std::optional<std::uint64_t> flash_size_bytes(std::string_view name);

// "4MB", "512KB"
std::string format_flash_size(std::uint64_t bytes);

struct FlashBound {
    std::uint64_t bytes = kMaxFlashSize;
    std::string why; // "the largest ESP flash (128MB)"
};

FlashBound any_chip_bound();
FlashBound chip_bound(const ChipInfo& chip);
FlashBound rom_loader_bound();
FlashBound board_bound(std::uint64_t flash_size);

// The largest flash `chip` can have: the biggest size its image header can state.
std::uint64_t max_flash_size(const ChipInfo& chip);

// A range of flash given by the user; `name` says what it is in messages ("app.bin", "read of 0x1000 bytes").
struct FlashRegion {
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    std::string name;

    std::uint64_t end() const { return address + size; }
};

struct RegionRules {
    FlashBound bound;
    std::uint32_t start_alignment = kFlashSectorSize; // 1: any address
    std::uint32_t size_alignment = 1;                 // kFlashSectorSize for erases
};

// A size on its own (an NVS partition, a fill size): not 0 and not beyond the bound. `what` names it
// ("--size"). Throws Error(input).
void check_flash_size(std::string_view what, std::uint64_t size, const FlashBound& bound);

// One region: not empty, aligned as the rules say, ending within the bound. Throws Error(input) naming it.
void check_flash_region(const FlashRegion& region, const RegionRules& rules);

// Every region (check_flash_region), then overlaps (naming both). Throws Error(input).
void check_flash_regions(std::span<const FlashRegion> regions, const RegionRules& rules);

// A file's size on disk, to check ADDRESS FILE pairs before any file is read (so a 2 GiB file or a
// region past the flash is refused without loading it). 1 when it cannot be told (missing, not a
// regular file): the read reports a missing file, and the region is checked again once read.
std::uint64_t size_on_disk(const std::filesystem::path& path);

// ADDRESS FILE pairs as a command line gives them: every address parsed (parse_u32) before any file is
// looked at, each region sized by its file on disk and named by it. Error(cli.usage) for an odd count,
// "COMMAND: expected ADDRESS FILE pairs, got N argument(s) ('LAST' has no pair)".
std::vector<FlashRegion> parse_region_pairs(std::string_view command, std::span<const std::string> words);

} // namespace vesper::esp
