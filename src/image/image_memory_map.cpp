// Which memory ranges a segment's load address falls in. The ranges are each chip's row
// (ChipInfo::memory_map, chip_table.cpp; docs/esp-rom-notes.md 8).
#include <algorithm>

#include "vesper/image/image.hpp"

namespace vesper::esp {

std::span<const MemoryRange> memory_map(Chip chip) { return chip_info(chip).memory_map; }

std::vector<std::string_view> memory_regions(const ChipInfo& chip, std::uint32_t address) {
    std::vector<std::string_view> out;
    for (const auto& r : chip.memory_map)
        if (address >= r.start && address < r.end && std::find(out.begin(), out.end(), r.name) == out.end())
            out.push_back(r.name);
    return out;
}

bool ImageSegment::in(std::string_view region) const {
    return std::find(regions.begin(), regions.end(), region) != regions.end();
}

} // namespace vesper::esp
