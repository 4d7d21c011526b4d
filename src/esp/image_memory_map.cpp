// Per-chip memory maps: which address ranges a segment's load address can fall in. The ranges are
// esptool's targets/*.py MEMORY_MAP tables (current esptool), with two changes: esptool's bookkeeping
// entries (PADDING, BYTE_ACCESSIBLE, MEM_INTERNAL, DIRAM_*, MEM_INTERNAL2) are left out, and mask ROM
// ranges (esptool's IROM_MASK/DROM_MASK, and ESP32's 0x40000000 "IROM") are called ROM so that "IROM"
// only ever means flash-mapped code. ESP32-H2 has no table of its own in esptool; it inherits ESP32-C6's.
#include <algorithm>

#include "vesper/esp/image.hpp"

namespace vesper::esp {

namespace {

constexpr MemoryRange kEsp8266[] = {
    {0x3FFE8000, 0x40000000, "DRAM"},
    {0x40100000, 0x40108000, "IRAM"},
    {0x40201010, 0x402E1010, "IROM"},
};

constexpr MemoryRange kEsp32[] = {
    {0x3F400000, 0x3F800000, "DROM"},      {0x3F800000, 0x3FC00000, "EXTRAM_DATA"},
    {0x3FF80000, 0x3FF82000, "RTC_DRAM"},  {0x3FFAE000, 0x40000000, "DRAM"},
    {0x40000000, 0x40070000, "ROM"},       {0x40070000, 0x40078000, "CACHE_PRO"},
    {0x40078000, 0x40080000, "CACHE_APP"}, {0x40080000, 0x400BFFFC, "IRAM"},
    {0x400C0000, 0x400C2000, "RTC_IRAM"},  {0x400D0000, 0x40400000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
};

constexpr MemoryRange kEsp32s2[] = {
    {0x3F000000, 0x3FF80000, "DROM"},     {0x3F500000, 0x3FF80000, "EXTRAM_DATA"}, {0x3FF9E000, 0x3FFA0000, "RTC_DRAM"},
    {0x3FFB0000, 0x40000000, "DRAM"},     {0x40000000, 0x4001A100, "ROM"},         {0x40020000, 0x40070000, "IRAM"},
    {0x40070000, 0x40072000, "RTC_IRAM"}, {0x40080000, 0x40800000, "IROM"},        {0x50000000, 0x50002000, "RTC_DATA"},
};

constexpr MemoryRange kEsp32s3[] = {
    {0x3C000000, 0x3D000000, "DROM"},     {0x3D000000, 0x3E000000, "EXTRAM_DATA"}, {0x3FC88000, 0x3FD00000, "DRAM"},
    {0x40000000, 0x4001A100, "ROM"},      {0x40370000, 0x403E0000, "IRAM"},        {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"}, {0x600FE000, 0x60100000, "RTC_DRAM"},    {0x600FE000, 0x60100000, "RTC_IRAM"},
};

constexpr MemoryRange kEsp32c2[] = {
    {0x3C000000, 0x3C400000, "DROM"}, {0x3FCA0000, 0x3FCE0000, "DRAM"}, {0x3FF00000, 0x3FF50000, "ROM"},
    {0x40000000, 0x40090000, "ROM"},  {0x4037C000, 0x403C0000, "IRAM"}, {0x42000000, 0x42400000, "IROM"},
};

constexpr MemoryRange kEsp32c3[] = {
    {0x3C000000, 0x3C800000, "DROM"},     {0x3FC80000, 0x3FCE0000, "DRAM"},     {0x3FF00000, 0x3FF20000, "ROM"},
    {0x40000000, 0x40060000, "ROM"},      {0x4037C000, 0x403E0000, "IRAM"},     {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_IRAM"}, {0x50000000, 0x50002000, "RTC_DRAM"},
};

// Flash-mapped data and code share one window on ESP32-C5, as do DRAM and IRAM.
constexpr MemoryRange kEsp32c5[] = {
    {0x40000000, 0x40040000, "ROM"},      {0x40800000, 0x40860000, "DRAM"}, {0x40800000, 0x40860000, "IRAM"},
    {0x42000000, 0x44000000, "DROM"},     {0x42000000, 0x44000000, "IROM"}, {0x50000000, 0x50004000, "RTC_IRAM"},
    {0x50000000, 0x50004000, "RTC_DRAM"},
};

constexpr MemoryRange kEsp32c6[] = {
    {0x40000000, 0x40050000, "ROM"},      {0x40800000, 0x40880000, "DRAM"}, {0x40800000, 0x40880000, "IRAM"},
    {0x42000000, 0x42800000, "IROM"},     {0x42800000, 0x43000000, "DROM"}, {0x50000000, 0x50004000, "RTC_IRAM"},
    {0x50000000, 0x50004000, "RTC_DRAM"},
};

constexpr MemoryRange kEsp32p4[] = {
    {0x40000000, 0x4C000000, "DROM"},     {0x40000000, 0x4C000000, "IROM"}, {0x4FC00000, 0x4FC20000, "ROM"},
    {0x4FF00000, 0x4FFA0000, "DRAM"},     {0x4FF00000, 0x4FFA0000, "IRAM"}, {0x50108000, 0x50110000, "RTC_IRAM"},
    {0x50108000, 0x50110000, "RTC_DRAM"},
};

struct ChipMap {
    Chip chip;
    std::span<const MemoryRange> ranges;
};

constexpr ChipMap kMaps[] = {
    {Chip::esp8266, kEsp8266}, {Chip::esp32, kEsp32},     {Chip::esp32s2, kEsp32s2}, {Chip::esp32s3, kEsp32s3},
    {Chip::esp32c2, kEsp32c2}, {Chip::esp32c3, kEsp32c3}, {Chip::esp32c5, kEsp32c5}, {Chip::esp32c6, kEsp32c6},
    {Chip::esp32h2, kEsp32c6}, {Chip::esp32p4, kEsp32p4},
};

} // namespace

std::span<const MemoryRange> memory_map(Chip chip) {
    for (const auto& m : kMaps)
        if (m.chip == chip) return m.ranges;
    return {};
}

std::vector<std::string_view> memory_regions(const ChipInfo& chip, std::uint32_t address) {
    std::vector<std::string_view> out;
    for (const auto& r : memory_map(chip.chip))
        if (address >= r.start && address < r.end && std::find(out.begin(), out.end(), r.name) == out.end())
            out.push_back(r.name);
    return out;
}

bool ImageSegment::in(std::string_view region) const {
    return std::find(regions.begin(), regions.end(), region) != regions.end();
}

} // namespace vesper::esp
