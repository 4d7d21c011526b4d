#pragma once
// Byte buffers and the little-endian packing every ESP format uses.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vesper {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline void put_le16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void put_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_le64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint16_t get_le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t get_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t get_le64(const std::uint8_t* p) {
    return static_cast<std::uint64_t>(get_le32(p)) | (static_cast<std::uint64_t>(get_le32(p + 4)) << 32);
}

// Appending little-endian values to a growing buffer.
inline void append_le32(Bytes& out, std::uint32_t v) {
    std::uint8_t b[4];
    put_le32(b, v);
    out.insert(out.end(), b, b + 4);
}

inline ByteView as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string to_hex(ByteView data, bool upper = false);

// Numbers as they appear in messages and dumps: "0x" then the digits, zero-padded to at least
// `min_digits`. One formatter for the whole library so the same value always reads the same.
enum class HexCase { upper, lower };
std::string hex_u(std::uint64_t value, int min_digits = 0, HexCase letters = HexCase::upper);
// "0x10400": addresses, sizes and register values.
inline std::string hex32(std::uint32_t value) { return hex_u(value); }
// Throws Error(input) naming `what` when `hex` has odd length or a non-hex character.
Bytes from_hex(std::string_view hex, std::string_view what = "hex string");

} // namespace vesper
