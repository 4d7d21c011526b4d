#pragma once
// Checksums and digests used by ESP formats and the ledger.
#include <array>
#include <cstdint>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper {

// zlib's CRC-32 with an explicit start value: crc32(start, data). ESP-IDF's NVS uses start 0xFFFFFFFF
// (Python's zlib.crc32(data, 0xFFFFFFFF)), which is NOT the textbook CRC-32 of the data.
std::uint32_t crc32(std::uint32_t start, ByteView data);

std::array<std::uint8_t, 16> md5(ByteView data);
std::array<std::uint8_t, 32> sha256(ByteView data);
std::array<std::uint8_t, 32> hmac_sha256(ByteView key, ByteView message);

// Fills `out` from the OS CSPRNG (OpenSSL RAND_bytes). Throws Error(internal) if it cannot.
void random_bytes(std::uint8_t* out, std::size_t size);

} // namespace vesper
