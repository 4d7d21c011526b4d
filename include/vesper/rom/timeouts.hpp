#pragma once
// How long to wait for each bootloader reply. The ROM does real work inside some commands (FLASH_BEGIN
// erases the whole range before answering, SPI_FLASH_MD5 reads it all), so those waits scale with the
// size; everything else gets the protocol default. Values follow esptool (docs/esp-rom-notes.md 2.5):
// too short a constant is a known cause of spurious failures on slow flash chips.
#include <chrono>
#include <cstdint>

#include "vesper/rom/command.hpp"

namespace vesper::esp {

using Millis = std::chrono::milliseconds;

inline constexpr Millis kDefaultTimeout{3000}; // most commands; also the floor of scaled timeouts
inline constexpr Millis kSyncTimeout{100};     // one SYNC attempt
inline constexpr Millis kMaxTimeout{240000};   // no single reply is worth waiting longer for
// After a failure reply the ROM may send more error replies for the same command; they are read and
// dropped for this long so they cannot be taken for the reply to the next command.
inline constexpr Millis kErrorDrainTime{200};
// ...but a drain ends early once the line has been quiet this long: the ROM sends its extra replies
// back to back (a few bytes each, about 1 ms apart at 115200 baud), so a quiet line means they are over.
inline constexpr Millis kDrainQuietTime{30};

// Seconds per megabyte (1e6 bytes, as esptool counts) for the size-scaled commands.
inline constexpr double kEraseSecondsPerMb = 40.0; // ROM FLASH_(DEFL_)BEGIN erases the range up front
inline constexpr double kWriteSecondsPerMb = 40.0; // one data block that inflates to many bytes
inline constexpr double kMd5SecondsPerMb = 8.0;    // SPI_FLASH_MD5 reads the whole range

// seconds_per_mb * size, never below kDefaultTimeout nor above kMaxTimeout.
Millis timeout_per_mb(double seconds_per_mb, std::uint64_t size_bytes);

// The wait for the reply to `op` when it covers `size` bytes of flash (erase size for *_BEGIN, length
// for SPI_FLASH_MD5, uncompressed bytes a data block expands to). SYNC gets kSyncTimeout.
Millis command_timeout(Command op, std::uint64_t size = 0);

} // namespace vesper::esp
