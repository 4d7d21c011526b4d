#pragma once
// Shared by the partition table sources (names, CSV, binary); not part of the public API.
#include <cstdint>
#include <string>

namespace vesper::esp::partition_detail {

// "0x9000": how offsets and sizes appear in partition table messages and dumps.
std::string hex(std::uint64_t v);

} // namespace vesper::esp::partition_detail
