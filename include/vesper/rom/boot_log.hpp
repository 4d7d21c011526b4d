#pragma once
// Reading what a board printed after reset, to say why a connect failed. The ROM prints a boot line
// such as "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)" (ESP32 family) or
// "rst cause:2, boot mode:(3,6)" (ESP8266); in download mode ESP32-family ROMs add "waiting for download".
// esptool uses the same clue (docs/esp-rom-notes.md 9.3). Pure code, no I/O.
#include <optional>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

enum class BootState {
    silent,        // nothing at all came back
    download_mode, // the ROM said it waits for download (so SYNC should have worked)
    normal_boot,   // the ROM booted from flash: the strapping/auto-reset did not select download mode
    unrecognised,  // bytes came back but no boot line we know
};

struct BootTriage {
    BootState state = BootState::silent;
    std::string boot_line; // the matched boot line, e.g. "boot:0x13 (SPI_FAST_FLASH_BOOT)"
    std::string excerpt;   // printable excerpt of what was received (for unrecognised output)
};

BootTriage triage_boot_log(ByteView received);

// The reason part of a connect error: "not in download mode: the board booted normally
// (boot:0x13 (SPI_FAST_FLASH_BOOT)); ...", "no answer at all: ...", "in download mode but no sync: ...".
std::string describe_boot_triage(const BootTriage& t);

} // namespace vesper::esp
