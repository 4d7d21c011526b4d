#include "devsim/register_file.hpp"

#include <bit>

namespace vesper::devsim {

namespace {

constexpr std::uint32_t kSpiCmdUsr = 1u << 18;    // CMD register: start a user command; hardware clears it
constexpr std::uint8_t kSpiReadStatus = 0x05;     // RDSR: 0 = not busy, not write-enabled
constexpr std::uint8_t kSpiReadStatus2 = 0x35;    // RDSR2
constexpr std::uint32_t kRtcWdtEnable = 1u << 31; // RTC_CNTL_WDT_EN
constexpr std::uint32_t kCk8mEfuseValue = 160;    // EFUSE_RD_CK8M_FREQ byte chosen so the ROM's estimate is exact

} // namespace

RegisterFile::RegisterFile(const esp::ChipInfo& chip, const Mac& mac, std::uint32_t flash_size)
    : xtal_(chip.xtal), spi_(chip.spi), rtc_wdt_(chip.rtc_watchdog) {
    if (!chip.magic_values.empty()) fixed_[esp::kChipDetectMagicAddr] = chip.magic_values.front();
    if (chip.detect_register) {
        const auto& m = *chip.detect_register;
        fixed_[m.address] = m.value & m.mask;
    }
    for (const auto& [address, value] : mac_words(chip, mac))
        fixed_[address] = value;

    // ESP32: the ROM derives its UART clock from the CK_8M calibration; choose register values whose
    // product gives exactly the fitted crystal, so esptool's baud correction is the identity.
    if (chip.baud.rule == esp::BaudRule::esp32_ck8m) {
        const std::uint64_t xtal_hz = std::uint64_t{xtal_.mhz} * 1000000;
        const std::uint64_t cali = xtal_hz * 40 / (15625 * kCk8mEfuseValue);
        fixed_[chip.baud.cali_reg] = static_cast<std::uint32_t>((cali & chip.baud.cali_mask) << chip.baud.cali_shift);
        fixed_[chip.baud.ck8m_efuse_reg] = kCk8mEfuseValue;
    }
    if (chip.baud.rule == esp::BaudRule::xtal_mismatch && chip.baud.rom_xtal_reg != 0)
        fixed_[chip.baud.rom_xtal_reg] = (xtal_.mhz << chip.baud.rom_xtal_shift) & chip.baud.rom_xtal_mask;

    // JEDEC capacity byte = log2(size) for W25Q parts (0x16 = 4 MB).
    const auto capacity = static_cast<std::uint32_t>(std::bit_width(flash_size) - 1);
    jedec_ = kJedecManufacturer | std::uint32_t{kJedecMemoryType} << 8 | capacity << 16;
}

std::uint32_t RegisterFile::read(std::uint32_t address, std::uint32_t uart_baud) const {
    if (auto it = fixed_.find(address); it != fixed_.end()) return it->second;
    if (address == xtal_.uart_clkdiv_reg && uart_baud != 0) {
        // What the ROM programmed while autobauding: UART clock / baud, integer part in bits 19..0.
        const std::uint64_t uart_clk = std::uint64_t{xtal_.mhz} * 1000000 * xtal_.divider;
        return static_cast<std::uint32_t>((uart_clk + uart_baud / 2) / uart_baud) & 0xFFFFF;
    }
    if (auto it = written_.find(address); it != written_.end()) return it->second;
    return 0;
}

void RegisterFile::write(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
    std::uint32_t& reg = written_[address];
    reg = (reg & ~mask) | (value & mask);
    if (rtc_wdt_ && address == rtc_wdt_->config0 && (reg & kRtcWdtEnable) != 0 &&
        written_[rtc_wdt_->wprotect] == rtc_wdt_->key)
        watchdog_ = written_[rtc_wdt_->config1];
    if (address == spi_.base && (reg & kSpiCmdUsr)) {
        run_spi_user_command();
        written_[spi_.base] &= ~kSpiCmdUsr;
    }
}

void RegisterFile::run_spi_user_command() {
    const std::uint32_t usr2 = written_[spi_.base + spi_.usr2];
    const auto command = static_cast<std::uint8_t>(usr2 & 0xFF);
    std::uint32_t& w0 = written_[spi_.base + spi_.w0];
    switch (command) {
    case esp::kSpiFlashReadId: w0 = jedec_; break;
    case kSpiReadStatus:
    case kSpiReadStatus2: w0 = 0; break;
    default: break; // other commands (write enable, unlock...) change nothing the host can see
    }
}

} // namespace vesper::devsim
