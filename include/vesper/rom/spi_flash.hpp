#pragma once
// The SPI flash chip behind the ESP: its JEDEC id and size. The ROM loader has no "read flash id"
// command, so (like esptool's flash_id without the stub) the host drives the SPI controller's
// user-command registers through READ_REG/WRITE_REG: command 0x9F (RDID), 24 bits read back from W0.
// The register layout differs per chip family; it is data in each ChipInfo row (ChipInfo::spi).
#include <cstdint>
#include <optional>
#include <string>

#include "vesper/chip/chip.hpp"
#include "vesper/chip/flash_limits.hpp"

namespace vesper::esp {

class Loader;

// Shorthand for chip_info(chip).spi.
inline const SpiUserCommandRegs& spi_user_command_regs(Chip chip) { return chip_info(chip).spi; }

inline constexpr std::uint8_t kSpiFlashReadId = 0x9F; // JEDEC RDID

struct JedecId {
    std::uint32_t raw = 0;          // the 24 bits as read from W0: manufacturer in bits 7..0
    std::uint8_t manufacturer = 0;  // e.g. 0xEF Winbond, 0xC8 GigaDevice, 0x20 XMC
    std::uint16_t device = 0;       // memory type << 8 | capacity byte
    std::uint8_t capacity_byte = 0; // log2 of the size for most vendors

    std::string to_string() const; // "manufacturer 0xEF, device 0x4016"
};
JedecId decode_jedec_id(std::uint32_t raw);

// Size in bytes from the capacity byte (esptool's DETECTED_FLASH_SIZES: 0x12..0x1C = 2^n, 0x20..0x22
// for 64..256 MB parts, 0x32..0x3A for some 1.8 V parts); nullopt when unknown or the id is blank
// (0x000000 / 0xFFFFFF: no flash answered).
std::optional<std::uint32_t> flash_size_from_jedec(const JedecId& id);


// Runs one SPI flash command through the user-command registers and returns W0 (at most 32 bits read).
// Restores the USR/USR2 registers afterwards, as the ROM expects them for its own flash access.
std::uint32_t run_spi_flash_command(Loader& loader, std::uint8_t command, unsigned read_bits);

// RDID through run_spi_flash_command.
JedecId read_jedec_id(Loader& loader);

} // namespace vesper::esp
