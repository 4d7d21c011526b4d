#include "devsim/chip_profile.hpp"

#include "vesper/core/error.hpp"

namespace vesper::devsim {

namespace {

// The ESP32-family ROMs since the S2 print an "ESP-ROM:<build>" header and short reset names; the
// ESP32 prints the "ets" banner and long names. Boot values are what a devkit with the usual straps
// shows; the date strings are those of the production ROMs.
constexpr ChipProfile kProfiles[] = {
    {esp::Chip::esp8266, 26, 0x60000014, 2, "\r\n ets Jan  8 2013,", "boot mode:(1,7)", "boot mode:(3,6)",
     "rst cause:1, ", "rst cause:2, ", "rst cause:2, ", 74880, false, 0x18FE34},
    {esp::Chip::esp32, 40, 0x3FF40014, 1, "ets Jun  8 2016 00:22:57\r\n\r\n",
     "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))", "boot:0x13 (SPI_FAST_FLASH_BOOT)",
     "rst:0x1 (POWERON_RESET),", "rst:0x1 (POWERON_RESET),", "rst:0xc (SW_CPU_RESET),", 115200, true, 0x240AC4},
    {esp::Chip::esp32s2, 40, 0x3F400014, 1, "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\n",
     "boot:0x0 (DOWNLOAD(USB/UART0/1))", "boot:0x8 (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),", "rst:0x1 (POWERON),",
     "rst:0x3 (RTC_SW_SYS_RST),", 115200, false, 0x7CDFA1},
    {esp::Chip::esp32s3, 40, 0x60000014, 1, "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n",
     "boot:0x0 (DOWNLOAD(USB/UART0))", "boot:0x8 (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),", "rst:0x1 (POWERON),",
     "rst:0xc (RTC_SW_CPU_RST),", 115200, true, 0x7CDFA1},
    {esp::Chip::esp32c2, 40, 0x60000014, 1, "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022\r\n",
     "boot:0x4 (DOWNLOAD(UART0))", "boot:0xc (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),", "rst:0x1 (POWERON),",
     "rst:0xc (RTC_SW_CPU_RST),", 115200, false, 0x08B61F},
    {esp::Chip::esp32c3, 40, 0x60000014, 1, "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n",
     "boot:0x5 (DOWNLOAD(USB/UART0/1))", "boot:0xc (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),", "rst:0x1 (POWERON),",
     "rst:0xc (RTC_SW_CPU_RST),", 115200, false, 0x58CF79},
    {esp::Chip::esp32c5, 40, 0x60000014, 1, "ESP-ROM:esp32c5-eco2-20250121\r\nBuild:Jan 21 2025\r\n",
     "boot:0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))", "boot:0x18 (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),",
     "rst:0x1 (POWERON),", "rst:0xc (SW_CPU_RESET),", 115200, false, 0x3C8427},
    {esp::Chip::esp32c6, 40, 0x60000014, 1, "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\n",
     "boot:0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))", "boot:0xc (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),",
     "rst:0x1 (POWERON),", "rst:0xc (SW_CPU_RESET),", 115200, false, 0x404CCA},
    {esp::Chip::esp32h2, 32, 0x60000014, 1, "ESP-ROM:esp32h2-20221101\r\nBuild:Nov  1 2022\r\n",
     "boot:0x4 (DOWNLOAD(USB/UART0))", "boot:0xc (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),", "rst:0x1 (POWERON),",
     "rst:0xc (SW_CPU_RESET),", 115200, false, 0x744DBD},
    {esp::Chip::esp32p4, 40, 0x500CA014, 1, "ESP-ROM:esp32p4-eco2-20240710\r\nBuild:Jul 10 2024\r\n",
     "boot:0x4 (DOWNLOAD(USB/UART0/SPI))", "boot:0x30f (SPI_FAST_FLASH_BOOT)", "rst:0x1 (POWERON),",
     "rst:0x1 (POWERON),", "rst:0xc (SW_CPU_RESET),", 115200, true, 0x30EDA0},
};

} // namespace

const ChipProfile& chip_profile(esp::Chip chip) {
    for (const auto& p : kProfiles)
        if (p.chip == chip) return p;
    fail(ErrorKind::internal, "devsim has no chip profile for " + std::string(esp::chip_info(chip).display_name));
}

} // namespace vesper::devsim
