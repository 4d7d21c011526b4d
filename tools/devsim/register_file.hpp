#pragma once
// The registers a host reads and writes through READ_REG/WRITE_REG: the chip-detect magic word, the
// eFuse/OTP words holding the MAC, the UART divider and ESP32 clock-calibration values esptool uses to
// work out the crystal, and the SPI controller's user-command registers, enough to answer a JEDEC
// RDID (0x9F) the way esptool's flash_id drives it. Everything else reads as what was last written,
// or 0.
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "devsim/mac.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::devsim {

// The flash part the simulator reports: Winbond W25Q-series ids (manufacturer 0xEF, type 0x40).
inline constexpr std::uint8_t kJedecManufacturer = 0xEF;
inline constexpr std::uint8_t kJedecMemoryType = 0x40;

class RegisterFile {
public:
    RegisterFile(const esp::ChipInfo& chip, const Mac& mac, std::uint32_t flash_size);

    // `uart_baud` is the rate the ROM's UART runs at: the divider register follows it.
    std::uint32_t read(std::uint32_t address, std::uint32_t uart_baud) const;
    // ROM WRITE_REG semantics: new = (old & ~mask) | (value & mask). Writing the SPI command register
    // with the USR bit runs the user command at once (the simulated controller is never busy).
    void write(std::uint32_t address, std::uint32_t value, std::uint32_t mask);
    // A chip reset forgets every written value (and a watchdog armed but not yet fired).
    void reset() {
        written_.clear();
        watchdog_.reset();
    }
    // esptool's watchdog_reset: config0 written with its enable bit while the write protection holds the
    // key (chips whose row has an RtcWatchdog) arms the RTC watchdog. Returns its stage-0 timeout in
    // slow-clock cycles (config1) once, then nullopt until it is armed again.
    std::optional<std::uint32_t> take_watchdog() { return std::exchange(watchdog_, std::nullopt); }

    std::uint32_t jedec_id() const noexcept { return jedec_; }

private:
    void run_spi_user_command();

    const esp::Crystal xtal_;                      // the row's crystal: the board carries xtal_.mhz
    std::map<std::uint32_t, std::uint32_t> fixed_; // read-only: magic word, eFuse, calibration
    std::map<std::uint32_t, std::uint32_t> written_;
    esp::SpiUserCommandRegs spi_{};
    std::uint32_t jedec_ = 0;
    std::optional<esp::RtcWatchdog> rtc_wdt_;
    std::optional<std::uint32_t> watchdog_;
};

} // namespace vesper::devsim
