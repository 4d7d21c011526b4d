#pragma once
// Shared by the partition table sources (names, CSV, binary); not part of the public API.
#include <cstdint>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::esp::partition_detail {

// "0x9000": how offsets and sizes appear in partition table messages and dumps (lower-case digits,
// as gen_esp32part.py prints them).
inline std::string hex(std::uint64_t v) { return hex_u(v, 0, HexCase::lower); }

} // namespace vesper::esp::partition_detail
