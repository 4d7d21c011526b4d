#pragma once
// The one range of baud rates vesperctl asks a board's UART for after connecting: --baud, VESPER_BAUD
// and the factory config's flash.baud / stations.*.baud all use it.
//  * 5,000,000 at most: the ESP UARTs run from an 80 MHz clock with 16x oversampling, and Espressif's
//    technical reference manuals give 5 Mbaud as their top rate; faster USB bridges (CH343, FT232H)
//    cannot make the chip receive faster.
//  * 9,600 at least: every ROM and bridge does it, the ROM syncs at 115200 whatever is asked, and below
//    it a 4 MB image takes over an hour, far past any per-board limit a line would set.
#include <cstdint>
#include <string>
#include <string_view>

#include "vesper/core/error.hpp"

namespace vesper::esp {

inline constexpr std::uint32_t kMinBaud = 9'600;
inline constexpr std::uint32_t kMaxBaud = 5'000'000;

// Error(input) naming `what` (an option or variable) when `baud` is outside [kMinBaud, kMaxBaud].
inline void check_baud(std::string_view what, std::uint64_t baud) {
    if (baud < kMinBaud || baud > kMaxBaud)
        fail(ErrorKind::input, std::string(what) + " " + std::to_string(baud) + ": expected a baud rate from " +
                                   std::to_string(kMinBaud) + " to " + std::to_string(kMaxBaud));
}

} // namespace vesper::esp
