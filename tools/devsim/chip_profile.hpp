#pragma once
// What the simulated chip says and holds beyond the shared ChipInfo row (which stays the one source for
// protocol facts): its crystal, the text its ROM prints at reset, the default MAC prefix. Data only;
// values come from boot logs quoted in public esptool/esp-idf issues (see docs/devsim.md).
#include <cstdint>
#include <string_view>

#include "vesper/esp/chip.hpp"

namespace vesper::devsim {

struct ChipProfile {
    esp::Chip chip;
    std::uint32_t xtal_mhz;         // crystal the board carries
    std::uint32_t uart_clkdiv_reg;  // where the ROM keeps the UART divider it set while autobauding
    std::uint32_t apb_per_xtal;     // UART clock = xtal * this (ESP8266 runs its APB at 2x the crystal)
    std::string_view rom_header;    // lines before "rst:" ("ets Jun  8 2016 00:22:57\r\n\r\n", "ESP-ROM:...")
    std::string_view boot_download; // "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
    std::string_view boot_flash;    // "boot:0x13 (SPI_FAST_FLASH_BOOT)"
    std::string_view rst_poweron;   // "rst:0x1 (POWERON_RESET)," at power-on
    std::string_view rst_external;  // after a reset through the EN pin
    std::string_view rst_software;  // after FLASH_END "reboot" (a software reset)
    std::uint32_t boot_baud;        // the ROM prints its boot log at this rate
    bool multicore;                 // the 2nd stage bootloader says "Multicore bootloader"
    std::uint32_t default_oui;      // first three MAC bytes when --mac is not given
};

const ChipProfile& chip_profile(esp::Chip chip);

} // namespace vesper::devsim
