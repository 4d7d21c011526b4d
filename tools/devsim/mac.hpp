#pragma once
// The simulated chip's factory MAC: parsing, numbering of several devices, and the eFuse/OTP words
// that hold it, laid out so that esp::extract_mac() on those words gives the MAC back.
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "vesper/chip/chip.hpp"

namespace vesper::devsim {

using Mac = std::array<std::uint8_t, 6>;

// "24:0a:c4:00:00:01" or "24-0A-C4-00-00-01". Throws Error(input) naming the text.
Mac parse_mac(std::string_view text);
// The MAC `n` further on, counting the six bytes as one 48-bit number.
Mac mac_add(const Mac& mac, std::uint64_t n);

// (address, value) of every word at chip.mac.addresses(). Throws Error(input) when the chip cannot
// store this MAC (ESP8266 with an OUI of 00:00:00, which its OTP rule reads as "no OUI stored").
std::vector<std::pair<std::uint32_t, std::uint32_t>> mac_words(const esp::ChipInfo& chip, const Mac& mac);

} // namespace vesper::devsim
