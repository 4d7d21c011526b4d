// The chip rows: every per-chip fact in one place. These are values, not code; docs/esp-rom-notes.md
// gives each one with its public source (esptool targets/*.py, esp-serial-flasher src/esp_targets.c,
// esptool-js, the esptool serial-protocol and image-format documentation, ESP-IDF soc headers). The
// comments below name the section of that page each group of facts comes from ("notes 3" = section 3).
#include "vesper/chip/chip.hpp"

namespace vesper::esp {

namespace {

// --- Detection: the word at kChipDetectMagicAddr (notes 3.1). ---
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
// identify a chip; it is detected by chip_id or by its SPI date register (notes 3.3).

// --- ROM loader commands (notes 2.4). ROM loaders of ESP32 and later: everything but the gaps noted per
// row. ---
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

// --- eFuse MAC (notes 5): low word at base + off, high word right after it. ---
constexpr MacLocation efuse_mac(std::uint32_t base, std::uint32_t off) {
    return MacLocation{MacRule::efuse_low_high, base, {base + off, base + off + 4, 0}, 2};
}

// --- SPI user-command registers (notes 4.2). ESP32-S2 and later share the SPIMEM layout at different
// bases; the ESP8266 packs the MISO bit length into USR1. ---
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

// --- RTC watchdog (notes 9.2): registers at base + the WDTCONFIG0, WDTCONFIG1, WDTWPROTECT offsets. ---
constexpr RtcWatchdog rtc_wdt(std::uint32_t base, std::uint32_t config0, std::uint32_t config1,
                              std::uint32_t wprotect) {
    return RtcWatchdog{.config0 = base + config0, .config1 = base + config1, .wprotect = base + wprotect};
}

// --- Crystal and UART (notes 6.1). UART0's CLKDIV register sits at UART0 base + 0x14 on every chip. ---
constexpr Crystal fixed_crystal(std::uint32_t mhz, std::uint32_t uart0_base) {
    return Crystal{.mhz = mhz, .candidates_mhz = {0, 0}, .uart_clkdiv_reg = uart0_base + 0x14, .divider = 1};
}

// --- Image header codes (notes 7.2): byte 3, size << 4 | frequency. ---
constexpr FlashCode kSizesEsp8266[] = {{"512KB", 0},  {"256KB", 1},  {"1MB", 2}, {"2MB", 3}, {"4MB", 4},
                                       {"2MB-c1", 5}, {"4MB-c1", 6}, {"8MB", 8}, {"16MB", 9}};
// esptool's ESP32 class defines these; every later chip inherits them.
constexpr FlashCode kSizesEsp32[] = {{"1MB", 0},  {"2MB", 1},  {"4MB", 2},  {"8MB", 3},
                                     {"16MB", 4}, {"32MB", 5}, {"64MB", 6}, {"128MB", 7}};
constexpr FlashCode kFreqsEsp32[] = {{"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}};
constexpr FlashCode kFreqsEsp32c2[] = {{"60m", 0xF}, {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2}};
constexpr FlashCode kFreqsEsp32c5[] = {{"80m", 0xF}, {"40m", 0x0}, {"20m", 0x2}};
// esptool writes 0 for 80m too: a workaround for the ROM's flash clock divider.
constexpr FlashCode kFreqsEsp32c6[] = {{"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2}};
constexpr FlashCode kFreqsEsp32h2[] = {{"48m", 0xF}, {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2}};

// --- Memory maps (notes 8): esptool's MEMORY_MAP tables without its bookkeeping entries (PADDING,
// BYTE_ACCESSIBLE, MEM_INTERNAL, DIRAM_*, MEM_INTERNAL2), mask ROM ranges (IROM_MASK, DROM_MASK and ESP32's
// 0x40000000 "IROM") called ROM so that "IROM" only ever means flash-mapped code. Sorted by start. ---
constexpr MemoryRange kMapEsp8266[] = {
    {0x3FFE8000, 0x40000000, "DRAM"},
    {0x40100000, 0x40108000, "IRAM"},
    {0x40201010, 0x402E1010, "IROM"},
};

constexpr MemoryRange kMapEsp32[] = {
    {0x3F400000, 0x3F800000, "DROM"},      {0x3F800000, 0x3FC00000, "EXTRAM_DATA"},
    {0x3FF80000, 0x3FF82000, "RTC_DRAM"},  {0x3FFAE000, 0x40000000, "DRAM"},
    {0x40000000, 0x40070000, "ROM"},       {0x40070000, 0x40078000, "CACHE_PRO"},
    {0x40078000, 0x40080000, "CACHE_APP"}, {0x40080000, 0x400BFFFC, "IRAM"},
    {0x400C0000, 0x400C2000, "RTC_IRAM"},  {0x400D0000, 0x40400000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
};

// EXTRAM_DATA lies inside DROM's range, as in esptool's table.
constexpr MemoryRange kMapEsp32s2[] = {
    {0x3F000000, 0x3FF80000, "DROM"},     {0x3F500000, 0x3FF80000, "EXTRAM_DATA"}, {0x3FF9E000, 0x3FFA0000, "RTC_DRAM"},
    {0x3FFB0000, 0x40000000, "DRAM"},     {0x40000000, 0x4001A100, "ROM"},         {0x40020000, 0x40070000, "IRAM"},
    {0x40070000, 0x40072000, "RTC_IRAM"}, {0x40080000, 0x40800000, "IROM"},        {0x50000000, 0x50002000, "RTC_DATA"},
};

constexpr MemoryRange kMapEsp32s3[] = {
    {0x3C000000, 0x3D000000, "DROM"},     {0x3D000000, 0x3E000000, "EXTRAM_DATA"}, {0x3FC88000, 0x3FD00000, "DRAM"},
    {0x40000000, 0x4001A100, "ROM"},      {0x40370000, 0x403E0000, "IRAM"},        {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"}, {0x600FE000, 0x60100000, "RTC_DRAM"},    {0x600FE000, 0x60100000, "RTC_IRAM"},
};

constexpr MemoryRange kMapEsp32c2[] = {
    {0x3C000000, 0x3C400000, "DROM"}, {0x3FCA0000, 0x3FCE0000, "DRAM"}, {0x3FF00000, 0x3FF50000, "ROM"},
    {0x40000000, 0x40090000, "ROM"},  {0x4037C000, 0x403C0000, "IRAM"}, {0x42000000, 0x42400000, "IROM"},
};

constexpr MemoryRange kMapEsp32c3[] = {
    {0x3C000000, 0x3C800000, "DROM"},     {0x3FC80000, 0x3FCE0000, "DRAM"},     {0x3FF00000, 0x3FF20000, "ROM"},
    {0x40000000, 0x40060000, "ROM"},      {0x4037C000, 0x403E0000, "IRAM"},     {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_IRAM"}, {0x50000000, 0x50002000, "RTC_DRAM"},
};

// Flash-mapped data and code share one window on ESP32-C5, as do DRAM and IRAM.
constexpr MemoryRange kMapEsp32c5[] = {
    {0x40000000, 0x40040000, "ROM"},      {0x40800000, 0x40860000, "DRAM"}, {0x40800000, 0x40860000, "IRAM"},
    {0x42000000, 0x44000000, "DROM"},     {0x42000000, 0x44000000, "IROM"}, {0x50000000, 0x50004000, "RTC_IRAM"},
    {0x50000000, 0x50004000, "RTC_DRAM"},
};

// ESP32-H2 has no table of its own in esptool; it inherits ESP32-C6's.
constexpr MemoryRange kMapEsp32c6[] = {
    {0x40000000, 0x40050000, "ROM"},      {0x40800000, 0x40880000, "DRAM"}, {0x40800000, 0x40880000, "IRAM"},
    {0x42000000, 0x42800000, "IROM"},     {0x42800000, 0x43000000, "DROM"}, {0x50000000, 0x50004000, "RTC_IRAM"},
    {0x50000000, 0x50004000, "RTC_DRAM"},
};

constexpr MemoryRange kMapEsp32p4[] = {
    {0x40000000, 0x4C000000, "DROM"},     {0x40000000, 0x4C000000, "IROM"}, {0x4FC00000, 0x4FC20000, "ROM"},
    {0x4FF00000, 0x4FFA0000, "DRAM"},     {0x4FF00000, 0x4FFA0000, "IRAM"}, {0x50108000, 0x50110000, "RTC_IRAM"},
    {0x50108000, 0x50110000, "RTC_DRAM"},
};

// --- What the ROM prints at reset (notes 9.3). The ESP32-family ROMs since the S2 print an
// "ESP-ROM:<build>" header and short reset names; the ESP32 prints the "ets" banner and long names. Boot
// values are what a devkit with the usual straps shows; the dates are those of the production ROMs. ---
constexpr std::string_view kRstWatchdog = "rst:0x10 (RTCWDT_RTC_RST),";

// The rows. Fields without a group constant above: chip_id and image_chip_id (notes 3.2), bootloader_offset
// (notes 4.1), rom_status_len (notes 2.2), flash_begin_encrypted_word (notes 2.7), baud (notes 6.2),
// usb_jtag_serial and usb_otg (notes 2.6, 9.1), synth and isa (notes 8.1), cpu_cores and example_oui
// (notes 9.3).
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
        .mac = {MacRule::esp8266_otp, 0x3FF00050, {0x3FF00050, 0x3FF00054, 0x3FF0005C}, 3, {0x18FE34, 0xACD074}},
        .baud = {},
        .xtal = {.mhz = 26, .candidates_mhz = {26, 40}, .uart_clkdiv_reg = 0x60000014, .divider = 2},
        .spi = kSpiEsp8266,
        .usb_jtag_serial = false,
        .usb_otg = false,
        .rtc_watchdog = std::nullopt,
        .flash_codes = {kSizesEsp8266, kFreqsEsp32},
        .memory_map = kMapEsp8266,
        .isa = Isa::xtensa,
        .cpu_cores = 1,
        .synth = std::nullopt, // no ESP-IDF app image format
        .boot_text = {.baud = 74880,
                      .banner = "\r\n ets Jan  8 2013,",
                      .rst_poweron = "rst cause:1, ",
                      .rst_external = "rst cause:2, ",
                      .rst_software = "rst cause:2, ",
                      .rst_watchdog = {},
                      .boot_download = "boot mode:(1,7)",
                      .boot_flash = "boot mode:(3,6)",
                      .blank_line = true,
                      .waiting_for_download = false,
                      .flash_preamble = {}},
        .example_oui = 0x18FE34,
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
        .xtal = {.mhz = 40, .candidates_mhz = {26, 40}, .uart_clkdiv_reg = 0x3FF40014, .divider = 1},
        .spi = kSpiEsp32,
        .usb_jtag_serial = false,
        .usb_otg = false,
        .rtc_watchdog = std::nullopt,
        .flash_codes = {kSizesEsp32, kFreqsEsp32},
        .memory_map = kMapEsp32,
        .isa = Isa::xtensa,
        .cpu_cores = 2,
        .synth = SynthLayout{.drom = 0x3F400000, .dram = 0x3FFB0000, .iram = 0x40080000, .irom = 0x400D0000},
        .boot_text = {.baud = 115200,
                      .banner = "ets Jun  8 2016 00:22:57\r\n\r\n",
                      .rst_poweron = "rst:0x1 (POWERON_RESET),",
                      .rst_external = "rst:0x1 (POWERON_RESET),",
                      .rst_software = "rst:0xc (SW_CPU_RESET),",
                      .rst_watchdog = {},
                      .boot_download = "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))",
                      .boot_flash = "boot:0x13 (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = "configsip: 0, SPIWP:0xee\r\n"},
        .example_oui = 0x240AC4,
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
        .xtal = fixed_crystal(40, 0x3F400000),
        .spi = spimem(0x3F402000),
        .usb_jtag_serial = false,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x3F408000, 0x94, 0x98, 0xAC),
        .flash_codes = {kSizesEsp32, kFreqsEsp32},
        .memory_map = kMapEsp32s2,
        .isa = Isa::xtensa,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x3F000000, .dram = 0x3FFB0000, .iram = 0x40020000, .irom = 0x40080000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0x3 (RTC_SW_SYS_RST),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x0 (DOWNLOAD(USB/UART0/1))",
                      .boot_flash = "boot:0x8 (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x7CDFA1,
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
        .xtal = fixed_crystal(40, 0x60000000),
        .spi = spimem(0x60002000),
        .usb_jtag_serial = true,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x98, 0x9C, 0xB0),
        .flash_codes = {kSizesEsp32, kFreqsEsp32},
        .memory_map = kMapEsp32s3,
        .isa = Isa::xtensa,
        .cpu_cores = 2,
        .synth = SynthLayout{.drom = 0x3C000000, .dram = 0x3FC88000, .iram = 0x40370000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (RTC_SW_CPU_RST),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x0 (DOWNLOAD(USB/UART0))",
                      .boot_flash = "boot:0x8 (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x7CDFA1,
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
        .xtal = {.mhz = 40, .candidates_mhz = {26, 40}, .uart_clkdiv_reg = 0x60000014, .divider = 1},
        .spi = spimem(0x60002000),
        .usb_jtag_serial = false,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x84, 0x88, 0x9C),
        .flash_codes = {kSizesEsp32, kFreqsEsp32c2},
        .memory_map = kMapEsp32c2,
        .isa = Isa::riscv,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x3C000000, .dram = 0x3FCA0000, .iram = 0x4037C000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (RTC_SW_CPU_RST),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x4 (DOWNLOAD(UART0))",
                      .boot_flash = "boot:0xc (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x08B61F,
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
        .xtal = fixed_crystal(40, 0x60000000),
        .spi = spimem(0x60002000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x60008000, 0x90, 0x94, 0xA8),
        .flash_codes = {kSizesEsp32, kFreqsEsp32},
        .memory_map = kMapEsp32c3,
        .isa = Isa::riscv,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x3C000000, .dram = 0x3FC80000, .iram = 0x4037C000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (RTC_SW_CPU_RST),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x5 (DOWNLOAD(USB/UART0/1))",
                      .boot_flash = "boot:0xc (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x58CF79,
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
        .xtal = {.mhz = 40, .candidates_mhz = {40, 48}, .uart_clkdiv_reg = 0x60000014, .divider = 1},
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = rtc_wdt(0x600B1C00, 0x00, 0x04, 0x18),
        .flash_codes = {kSizesEsp32, kFreqsEsp32c5},
        .memory_map = kMapEsp32c5,
        .isa = Isa::riscv,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x42000000, .dram = 0x40810000, .iram = 0x40800000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32c5-eco2-20250121\r\nBuild:Jan 21 2025\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (SW_CPU_RESET),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))",
                      .boot_flash = "boot:0x18 (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x3C8427,
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
        .xtal = fixed_crystal(40, 0x60000000),
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = std::nullopt,
        .flash_codes = {kSizesEsp32, kFreqsEsp32c6},
        .memory_map = kMapEsp32c6,
        .isa = Isa::riscv,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x42800000, .dram = 0x40810000, .iram = 0x40800000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (SW_CPU_RESET),",
                      .rst_watchdog = {},
                      .boot_download = "boot:0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))",
                      .boot_flash = "boot:0xc (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x404CCA,
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
        .xtal = fixed_crystal(32, 0x60000000),
        .spi = spimem(0x60003000),
        .usb_jtag_serial = true,
        .usb_otg = false,
        .rtc_watchdog = std::nullopt,
        .flash_codes = {kSizesEsp32, kFreqsEsp32h2},
        .memory_map = kMapEsp32c6,
        .isa = Isa::riscv,
        .cpu_cores = 1,
        .synth = SynthLayout{.drom = 0x42800000, .dram = 0x40810000, .iram = 0x40800000, .irom = 0x42000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32h2-20221101\r\nBuild:Nov  1 2022\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (SW_CPU_RESET),",
                      .rst_watchdog = {},
                      .boot_download = "boot:0x4 (DOWNLOAD(USB/UART0))",
                      .boot_flash = "boot:0xc (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x744DBD,
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
        .xtal = fixed_crystal(40, 0x500CA000),
        .spi = spimem(0x5008D000), // SPIMEM1
        .usb_jtag_serial = true,
        .usb_otg = true,
        .rtc_watchdog = rtc_wdt(0x50116000, 0x00, 0x04, 0x18),
        .flash_codes = {kSizesEsp32, kFreqsEsp32},
        .memory_map = kMapEsp32p4,
        .isa = Isa::riscv,
        .cpu_cores = 2,
        .synth = SynthLayout{.drom = 0x40000000, .dram = 0x4FF10000, .iram = 0x4FF00000, .irom = 0x40000000},
        .boot_text = {.baud = 115200,
                      .banner = "ESP-ROM:esp32p4-eco2-20240710\r\nBuild:Jul 10 2024\r\n",
                      .rst_poweron = "rst:0x1 (POWERON),",
                      .rst_external = "rst:0x1 (POWERON),",
                      .rst_software = "rst:0xc (SW_CPU_RESET),",
                      .rst_watchdog = kRstWatchdog,
                      .boot_download = "boot:0x4 (DOWNLOAD(USB/UART0/SPI))",
                      .boot_flash = "boot:0x30f (SPI_FAST_FLASH_BOOT)",
                      .blank_line = false,
                      .waiting_for_download = true,
                      .flash_preamble = {}},
        .example_oui = 0x30EDA0,
    },
};

} // namespace

std::span<const ChipInfo> all_chips() { return kChips; }

const FlashEncoding& unknown_chip_flash_codes() {
    static constexpr FlashEncoding kEsptoolBaseCodes{kSizesEsp32, kFreqsEsp32};
    return kEsptoolBaseCodes;
}

} // namespace vesper::esp
