// The chip rows. Facts (values, not code) come from Espressif's esptool targets/*.py (CHIP_DETECT_MAGIC_VALUE,
// IMAGE_CHIP_ID, BOOTLOADER_FLASH_OFFSET, STATUS_BYTES_LENGTH, EFUSE_BASE/MAC_EFUSE_REG, UART_CLKDIV_REG,
// XTAL_CLK_DIVIDER, UARTDEV_BUF_NO_USB_*, SPI_REG_BASE/SPI_*_OFFS), esp-serial-flasher src/esp_targets.c (magic values,
// chip ids, mac_efuse_offset, encryption_in_begin_flash_cmd, the ESP32-P4 SPI date register) and the esptool serial
// protocol documentation (ROM command support). See docs/esp-rom-notes.md section 5.1.
#include "vesper/esp/chip.hpp"

namespace vesper::esp {

namespace {

constexpr std::uint32_t kMagicEsp8266[] = {0xFFF0C101};
constexpr std::uint32_t kMagicEsp32[] = {0x00F01D83};
constexpr std::uint32_t kMagicEsp32s2[] = {0x000007C6};
constexpr std::uint32_t kMagicEsp32s3[] = {0x00000009};
constexpr std::uint32_t kMagicEsp32c2[] = {0x6F51306F, 0x7C41A06F, 0x0C21E06F};
constexpr std::uint32_t kMagicEsp32c3[] = {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F};
constexpr std::uint32_t kMagicEsp32c5[] = {0x1101406F, 0x63E1406F, 0x5FD1406F};
constexpr std::uint32_t kMagicEsp32c6[] = {0x2CE0806F};
constexpr std::uint32_t kMagicEsp32h2[] = {0xD7B73E80, 0x97E30068};
// ESP32-P4 has none: its magic reads as 0x0 or 0x0ADDBAD0 (an "address bad" filler), which cannot
// identify a chip; it is detected by chip_id or by its SPI date register.

// ROM loaders of ESP32 and later: everything but the chip-specific gaps noted per row.
constexpr RomCapabilities kRomFull{
    .deflate = true,
    .md5 = true,
    .change_baud = true,
    .spi_attach = true,
    .spi_set_params = true,
    .security_info = true,
    .read_flash_slow = true,
    .erase_size_bug = false,
};

// MAC in two eFuse words: low word at base + off, high word right after it.
constexpr MacLocation efuse_mac(std::uint32_t base, std::uint32_t off) {
    return MacLocation{MacRule::efuse_low_high, base, {base + off, base + off + 4, 0}, 2};
}

// SPI user-command registers (esptool targets/*.py SPI_REG_BASE, SPI_*_OFFS; the ESP8266 USR1 field
// position from its set_data_lengths). ESP32-S2 and later share the SPIMEM layout at different bases.
constexpr SpiUserCommandRegs kSpiEsp8266{.base = 0x60000200,
                                         .usr = 0x1C,
                                         .usr1 = 0x20,
                                         .usr2 = 0x24,
                                         .w0 = 0x40,
                                         .mosi_dlen = std::nullopt,
                                         .miso_dlen = std::nullopt,
                                         .usr1_miso_bitlen_shift = 8};
constexpr SpiUserCommandRegs kSpiEsp32{
    .base = 0x3FF42000, .usr = 0x1C, .usr1 = 0x20, .usr2 = 0x24, .w0 = 0x80, .mosi_dlen = 0x28, .miso_dlen = 0x2C};
constexpr SpiUserCommandRegs spimem(std::uint32_t base) {
    return {.base = base, .usr = 0x18, .usr1 = 0x1C, .usr2 = 0x20, .w0 = 0x58, .mosi_dlen = 0x24, .miso_dlen = 0x28};
}

// RTC watchdog registers at base + offsets (esptool targets/*.py RTCCNTL_BASE_REG / DR_REG_LP_WDT_BASE and
// the RTC_CNTL_WDTCONFIG0/WDTCONFIG1/WDTWPROTECT offsets).
constexpr RtcWatchdog rtc_wdt(std::uint32_t base, std::uint32_t config0, std::uint32_t config1,
                              std::uint32_t wprotect) {
    return RtcWatchdog{.config0 = base + config0, .config1 = base + config1, .wprotect = base + wprotect};
}

// UART divider register shared by the ESP32-C/S3 family.
constexpr XtalDetect kXtal26or40{0x60000014, 1, {26, 40}};

constexpr ChipInfo kChips[] = {
    {
        .chip = Chip::esp8266,
        .name = "esp8266",
        .display_name = "ESP8266",
        .chip_id = std::nullopt, // no GET_SECURITY_INFO
        .magic_values = kMagicEsp8266,
        .detect_register = std::nullopt,
        .image_chip_id = std::nullopt, // ESP8266 images have no extended header
        .bootloader_offset = 0x0,
        .rom_status_len = 2,
        .flash_begin_encrypted_word = false,
        .rom = {.erase_size_bug = true}, // ROM: no attach, set-params, baud change, deflate, MD5, security info
        .mac = {MacRule::esp8266_otp, 0x3FF00050, {0x3FF00050, 0x3FF00054, 0x3FF0005C}, 3},
        .baud = {},
        .xtal = {0x60000014, 2, {26, 40}}, // APB runs at twice the crystal
        .spi = kSpiEsp8266,
        .usb_jtag_serial = false,
        .usb_otg = false,
    },
    {
        .chip = Chip::esp32,
        .name = "esp32",
        .display_name = "ESP32",
        .chip_id = std::nullopt, // ROM has no GET_SECURITY_INFO
        .magic_values = kMagicEsp32,
        .detect_register = std::nullopt,
        .image_chip_id = 0,
        .bootloader_offset = 0x1000,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = false, // the ESP32 ROM rejects the 5th word
        .rom = {.deflate = true,
                .md5 = true, // as 32 hex digits
                .change_baud = true,
                .spi_attach = true,
                .spi_set_params = true,
                .security_info = false,
                .read_flash_slow = true,
                .erase_size_bug = false},
        .mac = efuse_mac(0x3FF5A000, 0x04), // eFuse words 1 (low) and 2 (high, CRC in bits 23..16)
        // RTCCALICFG1 (0x3FF5F06C) bits 31..7 and EFUSE_RD_CK8M_FREQ (eFuse word 4, bits 7..0).
        .baud = {.rule = BaudRule::esp32_ck8m,
                 .cali_reg = 0x3FF5F06C,
                 .cali_shift = 7,
                 .cali_mask = 0x01FFFFFF,
                 .ck8m_efuse_reg = 0x3FF5A010},
        .xtal = {0x3FF40014, 1, {26, 40}},
        .spi = kSpiEsp32,
        .usb_jtag_serial = false,
        .usb_otg = false,
    },
    {
        .chip = Chip::esp32s2,
        .name = "esp32s2",
        .display_name = "ESP32-S2",
        .chip_id = std::nullopt, // GET_SECURITY_INFO answers with 12 bytes, without chip_id
        .magic_values = kMagicEsp32s2,
        .detect_register = std::nullopt,
        .image_chip_id = 2,
        .bootloader_offset = 0x1000,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x3F41A000, 0x44),
        .baud = {},
        .xtal = {}, // fixed 40 MHz
        .spi = spimem(0x3F402000),
        .usb_jtag_serial = false,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x3F408000, 0x94, 0x98, 0xAC),
    },
    {
        .chip = Chip::esp32s3,
        .name = "esp32s3",
        .display_name = "ESP32-S3",
        .chip_id = 9,
        .magic_values = kMagicEsp32s3,
        .detect_register = std::nullopt,
        .image_chip_id = 9,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x60007000, 0x44),
        .baud = {},
        .xtal = {}, // fixed 40 MHz
        .spi = spimem(0x60002000),
        .usb_jtag_serial = true,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x98, 0x9C, 0xB0),
    },
    {
        .chip = Chip::esp32c2,
        .name = "esp32c2",
        .display_name = "ESP32-C2",
        .chip_id = 12,
        .magic_values = kMagicEsp32c2,
        .detect_register = std::nullopt,
        .image_chip_id = 12,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x60008800, 0x40), // BLOCK2 at +0x40 on this chip, not +0x44
        // The ROM assumes a 40 MHz crystal; boards with 26 MHz need baud * 40 / 26.
        .baud = {.rule = BaudRule::xtal_mismatch, .rom_xtal_mhz = 40},
        .xtal = kXtal26or40,
        .spi = spimem(0x60002000),
        .usb_jtag_serial = false,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x84, 0x88, 0x9C),
    },
    {
        .chip = Chip::esp32c3,
        .name = "esp32c3",
        .display_name = "ESP32-C3",
        .chip_id = 5,
        .magic_values = kMagicEsp32c3,
        .detect_register = std::nullopt,
        .image_chip_id = 5,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x60008800, 0x44),
        .baud = {},
        .xtal = {}, // fixed 40 MHz
        .spi = spimem(0x60002000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x90, 0x94, 0xA8),
    },
    {
        .chip = Chip::esp32c5,
        .name = "esp32c5",
        .display_name = "ESP32-C5",
        .chip_id = 23,
        .magic_values = kMagicEsp32c5,
        .detect_register = std::nullopt,
        .image_chip_id = 23,
        .bootloader_offset = 0x2000,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x600B4800, 0x44),
        // The ROM expects the crystal in PCR_SYSCLK_CONF bits 30..24 (40 or 48 MHz) and may be wrong.
        .baud = {.rule = BaudRule::xtal_mismatch,
                 .rom_xtal_reg = 0x60096110,
                 .rom_xtal_mask = 0x7F000000,
                 .rom_xtal_shift = 24},
        .xtal = {0x60000014, 1, {40, 48}},
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x600B1C00, 0x00, 0x04, 0x18),
    },
    {
        .chip = Chip::esp32c6,
        .name = "esp32c6",
        .display_name = "ESP32-C6",
        .chip_id = 13,
        .magic_values = kMagicEsp32c6,
        .detect_register = std::nullopt,
        .image_chip_id = 13,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x600B0800, 0x44), // high word bits 31..16 hold the EUI-64 extension (FF FE)
        .baud = {},
        .xtal = {}, // fixed 40 MHz
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
    },
    {
        .chip = Chip::esp32h2,
        .name = "esp32h2",
        .display_name = "ESP32-H2",
        .chip_id = 16,
        .magic_values = kMagicEsp32h2,
        .detect_register = std::nullopt,
        .image_chip_id = 16,
        .bootloader_offset = 0x0,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x600B0800, 0x44),
        .baud = {},
        .xtal = {}, // fixed 32 MHz
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
    },
    {
        .chip = Chip::esp32p4,
        .name = "esp32p4",
        .display_name = "ESP32-P4",
        .chip_id = 18,
        .magic_values = {},
        .detect_register = RegisterMatch{0x500D0000, 0x07FFFFFF, 0x02207202}, // SPI date register
        .image_chip_id = 18,
        .bootloader_offset = 0x2000,
        .rom_status_len = 4,
        .flash_begin_encrypted_word = true,
        .rom = kRomFull,
        .mac = efuse_mac(0x5012D000, 0x44),
        .baud = {},
        .xtal = {},                // fixed 40 MHz
        .spi = spimem(0x5008D000), // SPIMEM1
        .usb_jtag_serial = true,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x50116000, 0x00, 0x04, 0x18),
    },
};

} // namespace

std::span<const ChipInfo> all_chips() { return kChips; }

} // namespace vesper::esp
