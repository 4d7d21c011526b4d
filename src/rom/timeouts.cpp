#include "vesper/rom/timeouts.hpp"

#include <algorithm>

namespace vesper::esp {

Millis timeout_per_mb(double seconds_per_mb, std::uint64_t size_bytes) {
    const double ms = seconds_per_mb * (static_cast<double>(size_bytes) / 1e6) * 1000.0;
    const auto scaled = Millis(static_cast<std::int64_t>(ms + 0.5));
    return std::clamp(scaled, kDefaultTimeout, kMaxTimeout);
}

Millis command_timeout(Command op, std::uint64_t size) {
    switch (op) {
    case Command::sync: return kSyncTimeout;
    case Command::flash_begin:
    case Command::flash_defl_begin:
    case Command::erase_region: return timeout_per_mb(kEraseSecondsPerMb, size);
    case Command::flash_data:
    case Command::flash_defl_data: return timeout_per_mb(kWriteSecondsPerMb, size);
    case Command::spi_flash_md5: return timeout_per_mb(kMd5SecondsPerMb, size);
    default: return kDefaultTimeout;
    }
}

} // namespace vesper::esp
