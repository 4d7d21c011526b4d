#pragma once
// The application the simulated board runs after booting from flash. For now it prints an ESP-IDF-like
// boot log (2nd stage bootloader lines, the partition table found at 0x8000, the app start) ending in a
// banner with the board's MAC; the factory console will grow here (a later issue).
#include <string>

#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/core/bytes.hpp"

namespace vesper::devsim {

class App {
public:
    App(const esp::ChipInfo& chip, const Mac& mac) : chip_(chip), mac_(mac) {}

    // Everything printed from the 2nd stage bootloader to the app banner, reading the bootloader image
    // header and the partition table from `flash`. Lines end in "\r\n" like ESP-IDF's console.
    std::string boot_log(const FlashStore& flash) const;
    // The banner's own line, so scripts can wait for it.
    std::string banner() const;

    // Bytes typed at the app's console; returns what the app prints back (nothing yet).
    std::string on_input(ByteView bytes);

private:
    const esp::ChipInfo& chip_;
    Mac mac_;
};

} // namespace vesper::devsim
