#include "vesper/rom/spi_flash.hpp"

#include "vesper/core/error.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::esp {

namespace {

// SPI controller bits used for a user command: the same on every chip; the register addresses are
// per chip (ChipInfo::spi).
constexpr std::uint32_t kUsrCommand = 1u << 31;
constexpr std::uint32_t kUsrMiso = 1u << 28;
constexpr std::uint32_t kCmdUsr = 1u << 18; // in the CMD register: start, cleared by hardware when done
constexpr unsigned kUsr2CommandLenShift = 28;

} // namespace

std::string JedecId::to_string() const {
    return "manufacturer " + hex_u(manufacturer, 2) + ", device " + hex_u(device, 4);
}

JedecId decode_jedec_id(std::uint32_t raw) {
    JedecId id;
    id.raw = raw & 0xFFFFFF;
    id.manufacturer = static_cast<std::uint8_t>(raw);
    id.capacity_byte = static_cast<std::uint8_t>(raw >> 16);
    id.device = static_cast<std::uint16_t>(((raw >> 8) & 0xFF) << 8 | id.capacity_byte);
    return id;
}

std::optional<std::uint32_t> flash_size_from_jedec(const JedecId& id) {
    if (id.raw == 0 || id.raw == 0xFFFFFF) return std::nullopt;
    const unsigned c = id.capacity_byte;
    unsigned log2 = 0;
    if (c >= 0x12 && c <= 0x1C)
        log2 = c;
    else if (c >= 0x20 && c <= 0x22)
        log2 = c - 0x20 + 26; // 64, 128, 256 MB
    else if (c >= 0x32 && c <= 0x3A)
        log2 = c - 0x20;
    else
        return std::nullopt;
    if (log2 > 31) return std::nullopt; // 4 GiB and up does not fit the 32-bit flash address space
    return 1u << log2;
}

std::uint32_t run_spi_flash_command(Loader& loader, std::uint8_t command, unsigned read_bits) {
    if (read_bits > 32)
        fail(ErrorKind::internal, "SPI flash command " + hex_u(command, 2) + ": at most 32 bits can be read back");
    const SpiUserCommandRegs& r = loader.chip().spi;
    const std::uint32_t cmd_reg = r.base;
    const std::uint32_t usr_reg = r.base + r.usr, usr1_reg = r.base + r.usr1, usr2_reg = r.base + r.usr2;
    const std::uint32_t w0_reg = r.base + r.w0;

    // Stable reads: these values go back into the controller, and the id identifies the flash.
    const std::uint32_t old_usr = loader.read_reg_stable(usr_reg);
    const std::uint32_t old_usr2 = loader.read_reg_stable(usr2_reg);
    if (r.miso_dlen) {
        if (read_bits > 0) loader.write_reg(r.base + *r.miso_dlen, read_bits - 1);
    } else {
        const std::uint32_t miso = read_bits > 0 ? read_bits - 1 : 0;
        loader.write_reg(usr1_reg, miso << r.usr1_miso_bitlen_shift);
    }
    loader.write_reg(usr_reg, kUsrCommand | (read_bits > 0 ? kUsrMiso : 0));
    loader.write_reg(usr2_reg, (7u << kUsr2CommandLenShift) | command); // 8-bit command phase
    loader.write_reg(w0_reg, 0);                                        // so a silent flash reads as 0
    loader.write_reg(cmd_reg, kCmdUsr);
    bool done = false;
    for (int i = 0; i < 10 && !done; ++i)
        done = (loader.read_reg(cmd_reg) & kCmdUsr) == 0;
    if (!done)
        fail(ErrorKind::device, loader.port() + ": SPI flash command " + hex_u(command, 2) +
                                    " did not complete (SPI_CMD_USR still set after 10 polls of " + hex32(cmd_reg) +
                                    ")");
    const std::uint32_t value = loader.read_reg_stable(w0_reg);
    loader.write_reg(usr_reg, old_usr);
    loader.write_reg(usr2_reg, old_usr2);
    return value;
}

JedecId read_jedec_id(Loader& loader) { return decode_jedec_id(run_spi_flash_command(loader, kSpiFlashReadId, 24)); }

} // namespace vesper::esp
