#include "devsim/timing.hpp"

#include <string>

#include "devsim/flash_store.hpp"
#include "vesper/core/error.hpp"

namespace vesper::devsim {

Timing parse_timing(std::string_view text) {
    if (text == "off") return Timing::off;
    if (text == "realistic") return Timing::realistic;
    fail(ErrorCode::cli_usage, "--timing '" + std::string(text) + "': expected 'off' or 'realistic'");
}

Duration TimingModel::uart(std::size_t bytes, std::uint32_t baud) {
    if (baud == 0) return Duration::zero();
    return Duration(static_cast<std::int64_t>(bytes) * 10 * 1000000000LL / baud);
}

Duration TimingModel::erase(std::uint32_t offset, std::uint32_t length) const {
    Duration total{};
    std::uint64_t at = offset;
    const std::uint64_t end = std::uint64_t{offset} + length;
    while (at < end) {
        if (at % kBlockSize == 0 && end - at >= kBlockSize) {
            total += times_.block_erase;
            at += kBlockSize;
        } else {
            total += times_.sector_erase;
            at = (at / kSectorSize + 1) * kSectorSize;
        }
    }
    return total;
}

Duration TimingModel::program(std::uint32_t offset, std::size_t bytes) const {
    if (bytes == 0) return Duration::zero();
    const std::uint64_t first = offset / kPageSize;
    const std::uint64_t last = (std::uint64_t{offset} + bytes - 1) / kPageSize;
    return times_.page_program * static_cast<std::int64_t>(last - first + 1);
}

Duration TimingModel::md5(std::size_t bytes) const {
    return Duration(times_.md5_per_mib.count() * static_cast<std::int64_t>(bytes) / (1024 * 1024));
}

} // namespace vesper::devsim
