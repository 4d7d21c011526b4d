#pragma once
// CRC-32/ISO-HDLC (the CRC of zlib's crc32(), Ethernet and PNG): reflected polynomial 0xEDB88320,
// initial value and final XOR 0xFFFFFFFF. The check value of "123456789" is 0xCBF43926.
#include <stddef.h>
#include <stdint.h>

namespace vesper_factory {

// Continues a CRC over more bytes, as zlib's crc32(crc, data, len): start with crc = 0.
uint32_t crc32_update(uint32_t crc, const void* data, size_t len);

inline uint32_t crc32(const void* data, size_t len) { return crc32_update(0, data, len); }

} // namespace vesper_factory
