#pragma once
// Helpers shared by the image_*.cpp files only: hex text for messages and fixed-size text fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::esp::detail {

// "0x1A2B"; `digits` pads with zeros.
inline std::string hex(std::uint64_t v, int digits = 0) { return hex_u(v, digits); }

// A fixed-size char field: up to the first NUL, printable ASCII kept, anything else shown as '?', so the
// result is always safe to print and to put in JSON.
inline std::string text_field(const std::uint8_t* p, std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i < size && p[i] != 0; ++i)
        out.push_back(p[i] >= 0x20 && p[i] < 0x7F ? static_cast<char>(p[i]) : '?');
    return out;
}

} // namespace vesper::esp::detail
