#pragma once
// The NVS partitions in the simulated board's own flash, read and written the way its firmware would:
// found by label in the partition table at 0x8000, decoded with the project's NVS reader, and rewritten
// whole with the project's NVS page writer when the firmware sets a key (so `vesperctl read-flash` and
// `nvs dump` see what the firmware stored, and a --flash file keeps it across restarts).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "devsim/flash_store.hpp"
#include "vesper/nvs/reader.hpp"

namespace vesper::devsim {

struct FlashPartition {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
};

// The data/nvs partition labelled `label` in the table at 0x8000; nullopt when there is no valid table,
// no such partition, or it does not lie inside the flash.
std::optional<FlashPartition> find_nvs_partition(const FlashStore& flash, std::string_view label);

// Every valid value of namespace `ns` in the partition (entries with a bad CRC are left out, as the
// firmware's NVS library skips them).
std::vector<nvs::NvsValue> read_nvs_namespace(const FlashStore& flash, const FlashPartition& partition,
                                              std::string_view ns);

// Sets `ns`/`key` to the u8 `value`, keeping every other valid value, and writes the rebuilt partition
// into the flash. False when the values no longer fit in the partition.
bool write_nvs_u8(FlashStore& flash, const FlashPartition& partition, std::string_view ns, std::string_view key,
                  std::uint8_t value);

} // namespace vesper::devsim
