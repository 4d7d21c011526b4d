#pragma once
// Chips as data: one ChipInfo row per supported chip, holding every per-chip fact the code and the
// simulator (tools/devsim) use: detection, ROM loader behaviour, eFuse MAC, crystal and UART, SPI
// registers, image header codes, memory map, synthetic-image layout and what the ROM prints at reset.
// The rows are in chip_table.cpp; docs/esp-rom-notes.md says where each fact comes from. Code asks the
// row ("does this ROM take the 5th FLASH_BEGIN word?") instead of testing which chip it is; adding a
// chip is adding a row and its tests.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

enum class Chip { esp8266, esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c5, esp32c6, esp32h2, esp32p4 };

// The address the loader reads (READ_REG) to tell chips apart when GET_SECURITY_INFO is unavailable.
inline constexpr std::uint32_t kChipDetectMagicAddr = 0x40001000;
// Bootloader protocol constants shared by every chip.
inline constexpr std::uint32_t kRomFlashBlock = 0x400;   // ROM FLASH_DATA block
inline constexpr std::uint32_t kStubFlashBlock = 0x4000; // stub FLASH_(DEFL_)DATA block
inline constexpr std::uint32_t kRamBlock = 0x1800;       // MEM_DATA block
inline constexpr std::uint32_t kUsbOtgBlock = 0x800;     // RAM and stub flash block over USB-OTG
inline constexpr std::uint32_t kFlashSectorSize = 0x1000;
inline constexpr std::uint32_t kRomMaxFlashAddress = 16 * 1024 * 1024; // ROM flash commands are 24-bit

// What the ROM loader (not the stub) supports.
struct RomCapabilities {
    bool deflate = false;         // FLASH_DEFL_BEGIN/DATA/END
    bool md5 = false;             // SPI_FLASH_MD5
    bool change_baud = false;     // CHANGE_BAUDRATE
    bool spi_attach = false;      // SPI_ATTACH
    bool spi_set_params = false;  // SPI_SET_PARAMS
    bool security_info = false;   // GET_SECURITY_INFO
    bool read_flash_slow = false; // READ_FLASH_SLOW
    bool erase_size_bug = false;  // FLASH_BEGIN erase size must go through rom_erase_size()
};

// How the 6 MAC bytes are put together from the 32-bit words read at MacLocation::words.
enum class MacRule {
    // words[0] = low word: MAC bytes 2..5, most significant byte first;
    // words[1] = high word: MAC bytes 0..1 in bits 15..0 (upper bits hold CRC/extension, ignored).
    efuse_low_high,
    // ESP8266 OTP: words = OTP_MAC0, OTP_MAC1, OTP_MAC3. Bytes 3..5 are MAC1[15:8], MAC1[7:0],
    // MAC0[31:24]. The OUI is MAC3[23:0] when MAC3 != 0, else MacLocation::selector_ouis[MAC1[23:16]]
    // (18:FE:34 for 0, AC:D0:74 for 1), otherwise unknown.
    esp8266_otp,
};

struct MacLocation {
    MacRule rule = MacRule::efuse_low_high;
    std::uint32_t efuse_base = 0;         // eFuse controller base (OTP base on ESP8266)
    std::array<std::uint32_t, 3> words{}; // addresses to READ_REG, in the order extract_mac expects
    std::uint8_t word_count = 2;
    // esp8266_otp: the OUIs that MAC1[23:16] selects when MAC3 is blank (older parts), by selector.
    std::array<std::uint32_t, 2> selector_ouis{};

    std::span<const std::uint32_t> addresses() const { return {words.data(), word_count}; }
};

// How CHANGE_BAUDRATE's first word must be adjusted for the ROM (the stub needs no correction).
enum class BaudRule {
    plain,         // send the baud as is
    esp32_ck8m,    // ESP32: ROM derives its UART clock from a drifting CK_8M calibration
    xtal_mismatch, // ROM programs the UART for `rom_xtal_mhz` (or the value in rom_xtal_reg) whatever
                   // crystal is fitted: send baud * rom_xtal / actual_xtal
};

struct BaudCorrection {
    BaudRule rule = BaudRule::plain;
    // esp32_ck8m: rom_xtal_hz = ((read(cali_reg) >> cali_shift) & cali_mask) * 15625 * (read(ck8m_efuse_reg) & 0xFF) /
    // 40, valid_hz = rom_xtal_hz > 33 MHz ? 40 MHz : 26 MHz, send baud * rom_xtal_hz / valid_hz.
    std::uint32_t cali_reg = 0;
    std::uint8_t cali_shift = 0;
    std::uint32_t cali_mask = 0;
    std::uint32_t ck8m_efuse_reg = 0;
    // xtal_mismatch: the crystal the ROM assumes, fixed (rom_xtal_mhz) or read from a register field.
    std::uint32_t rom_xtal_mhz = 0;
    std::uint32_t rom_xtal_reg = 0;
    std::uint32_t rom_xtal_mask = 0;
    std::uint8_t rom_xtal_shift = 0;
};

// The crystal and the UART clock the ROM derives from it (docs/esp-rom-notes.md 6.1). While autobauding
// the ROM sets the UART divider to uart_clock / baud, so the host can estimate the crystal as
// baud * (clkdiv & 0xFFFFF) / 1e6 / divider and snap it to the nearest candidate.
struct Crystal {
    // The crystal boards carry: the only one where it is fixed, else the usual one (what devsim fits).
    std::uint32_t mhz = 0;
    // Where boards differ, the crystals the chip can run from, ascending; {0, 0} when the crystal is
    // fixed (nothing to measure: estimate_xtal_mhz gives 0).
    std::array<std::uint32_t, 2> candidates_mhz{};
    std::uint32_t uart_clkdiv_reg = 0; // UART0 clock divider register (every chip)
    std::uint32_t divider = 1;         // UART clock / crystal (esptool's XTAL_CLK_DIVIDER; ESP8266 APB = 2x)

    bool measured() const { return candidates_mhz[0] != 0; }
};

// Extra detection for chips whose magic word is unusable (ESP32-P4): (read(address) & mask) == value.
struct RegisterMatch {
    std::uint32_t address = 0;
    std::uint32_t mask = 0;
    std::uint32_t value = 0;
};

// The SPI controller registers the ROM uses for flash (SPI0, SPI1 or SPIMEM1 depending on the chip).
// The ROM has no "read flash id" command, so the host runs RDID itself through these with
// READ_REG/WRITE_REG (see spi_flash.hpp).
struct SpiUserCommandRegs {
    std::uint32_t base = 0;                           // controller base; also its CMD register
    std::uint8_t usr = 0, usr1 = 0, usr2 = 0, w0 = 0; // offsets from base
    // ESP32 and later have separate MOSI/MISO bit-length registers; the ESP8266 has neither and packs
    // the MISO bit length into USR1 at usr1_miso_bitlen_shift instead.
    std::optional<std::uint8_t> mosi_dlen, miso_dlen;
    std::uint8_t usr1_miso_bitlen_shift = 0;
};

// esptool's watchdog_reset: the RTC (LP on newer chips) watchdog, armed through WRITE_REG, resets the
// whole chip, which then boots as its straps say. Write order: unlock (wprotect = key), timeout
// (config1), enable (config0), lock (wprotect = 0). Values from esptool targets/*.py (RTC_CNTL_WDT*).
struct RtcWatchdog {
    std::uint32_t config0 = 0;  // RTC_CNTL_WDTCONFIG0_REG (LP_WDT_RWDT_CONFIG0_REG)
    std::uint32_t config1 = 0;  // RTC_CNTL_WDTCONFIG1_REG: stage 0 timeout in slow-clock cycles
    std::uint32_t wprotect = 0; // RTC_CNTL_WDTWPROTECT_REG
    std::uint32_t key = 0x50D83AA1;
    std::uint32_t timeout = 2000; // slow-clock cycles, about 13 ms
    // enable (bit 31), stage 0 action 5 = reset the whole chip incl. RTC (bits 30:28), the flash-boot
    // protection bit 8, and the CPU reset length 2 (bits 2:0).
    std::uint32_t enable = (1u << 31) | (5u << 28) | (1u << 8) | 2u;
};

// The CPU's instruction set (synthetic images put a jump-to-self of this ISA at the entry point).
enum class Isa { xtensa, riscv };

// One range of the chip's address space a segment can load into (docs/esp-rom-notes.md 8). Names: DROM,
// IROM (flash-mapped data and code), DRAM, IRAM, RTC_DRAM, RTC_IRAM, RTC_DATA, EXTRAM_DATA, CACHE_PRO,
// CACHE_APP, ROM (mask ROM).
struct MemoryRange {
    std::uint32_t start = 0;
    std::uint32_t end = 0; // exclusive
    std::string_view name;
};

// One named value of an image header field (docs/esp-rom-notes.md 7.2).
struct FlashCode {
    std::string_view name; // "4MB", "80m", "dio"
    std::uint8_t code;     // size and frequency codes are nibbles (0-15)
};

// The flash size and frequency codes of image header byte 3 (size in the high nibble, frequency in the
// low) for one chip. The SPI mode codes of byte 2 are the same on every chip (flash_modes()).
struct FlashEncoding {
    std::span<const FlashCode> sizes;
    std::span<const FlashCode> freqs;
};

// Load addresses of a synthetic app's four segments (image_synth.hpp), each inside the memory map
// range of that name. Where DRAM and IRAM alias (one window) they are 64 KiB apart; where DROM and
// IROM share a flash window, IROM follows DROM in it.
struct SynthLayout {
    std::uint32_t drom = 0, dram = 0, iram = 0, irom = 0;
};

// What the ROM prints on UART0 at reset, before the loader or the 2nd stage bootloader runs
// (docs/esp-rom-notes.md 9.3). Only the simulator prints it; vesperctl reads boot lines by their
// shape (boot_log.hpp).
struct RomBootText {
    std::uint32_t baud = 115200;      // rate of these messages (the ESP8266 ROM with a 26 MHz crystal: 74880)
    std::string_view banner;          // lines before the reset cause ("ets Jun  8 2016 00:22:57", "ESP-ROM:...")
    std::string_view rst_poweron;     // "rst:0x1 (POWERON_RESET)," at power-on
    std::string_view rst_external;    // after a reset through the EN pin
    std::string_view rst_software;    // after FLASH_END "reboot" (a software reset)
    std::string_view rst_watchdog;    // after the RTC watchdog fired (chips with rtc_watchdog; else empty)
    std::string_view boot_download;   // "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"
    std::string_view boot_flash;      // "boot:0x13 (SPI_FAST_FLASH_BOOT)"
    bool blank_line = false;          // an empty line follows the boot line (ESP8266)
    bool waiting_for_download = true; // "waiting for download" in download mode (not the ESP8266)
    std::string_view flash_preamble;  // before loading the 2nd stage ("configsip: 0, SPIWP:0xee" on ESP32)
};

struct ChipInfo {
    Chip chip;
    std::string_view name;         // "esp32s3"
    std::string_view display_name; // "ESP32-S3"

    // Detection (docs/esp-rom-notes.md 3). chip_id is what GET_SECURITY_INFO reports (nullopt where the
    // ROM lacks the command or the field: ESP8266, ESP32, ESP32-S2). Magic values are read at
    // kChipDetectMagicAddr.
    std::optional<std::uint32_t> chip_id;
    std::span<const std::uint32_t> magic_values;
    std::optional<RegisterMatch> detect_register;

    // The ROM loader (docs/esp-rom-notes.md 2 and 4; image_chip_id 3.2).
    std::optional<std::uint16_t> image_chip_id; // chip id in the app image extended header (none on ESP8266)
    std::uint32_t bootloader_offset;
    std::uint8_t rom_status_len;     // 2 or 4 (the stub always sends 2)
    bool flash_begin_encrypted_word; // ROM FLASH_(DEFL_)BEGIN takes the 5th `encrypted` word
    RomCapabilities rom;
    MacLocation mac;        // docs/esp-rom-notes.md 5
    BaudCorrection baud;    // docs/esp-rom-notes.md 6.2
    Crystal xtal;           // docs/esp-rom-notes.md 6.1
    SpiUserCommandRegs spi; // for flash commands the ROM has no opcode for (RDID)
    bool usb_jtag_serial;   // has the USB-Serial/JTAG controller (VID 0x303A PID 0x1001)
    bool usb_otg;           // ROM can talk over USB-OTG CDC (smaller blocks, see kUsbOtgBlock)
    std::uint32_t max_rom_flash_address = kRomMaxFlashAddress;
    // Where --after watchdog-reset works (esptool: S2, S3, C2, C3, C5, P4; not the ESP8266 and ESP32,
    // which have no such method, nor the C6 and H2, whose USB-Serial/JTAG port can vanish on it).
    std::optional<RtcWatchdog> rtc_watchdog;

    // Images (docs/esp-rom-notes.md 7 and 8).
    FlashEncoding flash_codes; // header byte 3 (flash_encoding() in image_patch.hpp)
    std::span<const MemoryRange> memory_map;
    Isa isa;
    std::uint8_t cpu_cores;           // the 2nd stage bootloader says "Multicore bootloader" when > 1
    std::optional<SynthLayout> synth; // nullopt: no ESP-IDF app image format (ESP8266)

    // Boards (docs/esp-rom-notes.md 9.3): what the ROM prints, and an Espressif OUI seen on boards with
    // this chip (the simulator's default MAC prefix; a real board's MAC comes from its eFuse).
    RomBootText boot_text;
    std::uint32_t example_oui;
};

// Every row, in a fixed order.
std::span<const ChipInfo> all_chips();
const ChipInfo& chip_info(Chip chip);

// "esp32s3", "ESP32-S3", "esp32-s3", "Esp32_S3" all find ESP32-S3 (case, '-' and '_' ignored).
const ChipInfo* find_chip_by_name(std::string_view name);
const ChipInfo* find_chip_by_id(std::uint32_t chip_id); // GET_SECURITY_INFO chip_id
const ChipInfo* find_chip_by_magic(std::uint32_t magic);
const ChipInfo* find_chip_by_image_id(std::uint16_t image_chip_id);
// Like find_chip_by_name, but throws Error(input) listing the known names.
const ChipInfo& chip_by_name(std::string_view name);
// The chip whose images have no extended header (no image_chip_id: the ESP8266 layout), so an image in
// that layout is for it. Throws Error(internal) unless exactly one row has no image_chip_id.
const ChipInfo& chip_without_image_id();

// Names for the header codes of an image whose chip id is unknown: the codes of esptool's ESP32 class,
// which every later chip's class inherits (docs/esp-rom-notes.md 7.2). Never used for a known chip:
// a chip's codes are its row's flash_codes.
const FlashEncoding& unknown_chip_flash_codes();

// Six MAC bytes from the words read at chip.mac.addresses(), in that order. Throws Error(device) with
// the chip name when the word count is wrong, the ESP8266 OUI is unknown, or the result is all 0x00 or
// all 0xFF (blank or unreadable eFuse: binding such a MAC would merge boards).
std::array<std::uint8_t, 6> extract_mac(const ChipInfo& chip, std::span<const std::uint32_t> words);
// "24:0a:c4:12:34:56"
std::string format_mac(const std::array<std::uint8_t, 6>& mac);

// Erase size to put in a ROM FLASH_BEGIN: the real size, or the ESP8266 ROM workaround (its ROM erases
// more than asked in some alignments; esptool's get_erase_size arithmetic).
std::uint32_t rom_erase_size(const ChipInfo& chip, std::uint32_t offset, std::uint32_t size);

// Values the loader read from the chip for the baud correction; unused fields stay 0.
struct BaudInputs {
    std::uint32_t xtal_mhz = 0;           // actual crystal (see estimate_xtal_mhz)
    std::uint32_t cali_reg_value = 0;     // esp32_ck8m: value of baud.cali_reg
    std::uint32_t ck8m_efuse_value = 0;   // esp32_ck8m: value of baud.ck8m_efuse_reg
    std::uint32_t rom_xtal_reg_value = 0; // xtal_mismatch with a register: value of baud.rom_xtal_reg
};
// First word of CHANGE_BAUDRATE for the ROM. Returns `baud` unchanged when the rule needs an input
// that is 0 (nothing to correct with).
std::uint32_t rom_baud_word(const ChipInfo& chip, std::uint32_t baud, const BaudInputs& in);
// Crystal in MHz from the UART divider register value and the baud the host is using; 0 if the chip's
// crystal is fixed (Crystal::measured() is false).
std::uint32_t estimate_xtal_mhz(const ChipInfo& chip, std::uint32_t uart_clkdiv_value, std::uint32_t host_baud);

} // namespace vesper::esp
