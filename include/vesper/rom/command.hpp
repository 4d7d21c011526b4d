#pragma once
// Bootloader commands: opcodes with their names, and the request payloads exactly as the ROM loader
// (or the flasher stub, where noted) expects them. Sources: esptool serial-protocol.rst (Commands,
// Checksum, SPI Attach, Writing Data) and the opcode list in esptool's loader. Pure code, no I/O.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

enum class Command : std::uint8_t {
    // ROM loader and stub.
    flash_begin = 0x02,
    flash_data = 0x03,
    flash_end = 0x04,
    mem_begin = 0x05,
    mem_end = 0x06,
    mem_data = 0x07,
    sync = 0x08,
    write_reg = 0x09,
    read_reg = 0x0A,
    spi_set_params = 0x0B,  // not in the ESP8266 ROM
    spi_attach = 0x0D,      // not in the ESP8266 ROM
    read_flash_slow = 0x0E, // ROM only (ESP32 and later), 64 bytes per command
    change_baudrate = 0x0F, // not in the ESP8266 ROM
    flash_defl_begin = 0x10,
    flash_defl_data = 0x11,
    flash_defl_end = 0x12,
    spi_flash_md5 = 0x13,
    get_security_info = 0x14, // ESP32-S2 and later ROMs
    // Stub only.
    erase_flash = 0xD0,
    erase_region = 0xD1,
    read_flash = 0xD2,
    run_user_code = 0xD3,
    flash_encrypt_data = 0xD4,
};

// "FLASH_DATA"; for an opcode we do not know, "0x42".
std::string command_name(std::uint8_t op);
inline std::string command_name(Command op) { return command_name(static_cast<std::uint8_t>(op)); }
// True for the opcodes listed above.
bool is_known_command(std::uint8_t op) noexcept;
// Only the stub answers these; the ROM rejects them.
bool is_stub_only(Command op) noexcept;
// MEM_DATA, FLASH_DATA, FLASH_DEFL_DATA, FLASH_ENCRYPT_DATA carry the data checksum in the header.
bool uses_data_checksum(Command op) noexcept;

// "0x10400": how addresses and values appear in messages (core/bytes.hpp; here so esp::hex32 keeps working).
using vesper::hex32;

// XOR of `data` starting from 0xEF: the checksum of the "data to write" part of a *_DATA command.
std::uint8_t data_checksum(ByteView data) noexcept;

// A request before packet encoding: opcode, payload, and the header's checksum/value word.
struct Request {
    Command op{};
    Bytes data;
    std::uint32_t checksum = 0; // ignored by the loader except for the *_DATA commands
};

// --- Payload builders. Each returns a complete Request. Arguments that would not fit the packet throw
// Error(input) naming the command.

// SYNC: 07 07 12 20 followed by 32 x 55.
Request sync_request();
// How many replies a ROM sends to one SYNC (docs/esp-rom-notes.md 2.1).
inline constexpr int kRomSyncReplies = 8;
Request read_reg_request(std::uint32_t address);
// WRITE_REG: address, value, mask, delay in microseconds.
Request write_reg_request(std::uint32_t address, std::uint32_t value, std::uint32_t mask = 0xFFFFFFFF,
                          std::uint32_t delay_us = 0);

// FLASH_BEGIN / FLASH_DEFL_BEGIN / MEM_BEGIN parameters. For FLASH_DEFL_BEGIN, `size` is the exact
// uncompressed size for the stub but must be rounded up to whole blocks for the ROM (see
// deflate_begin_size); for ESP8266 ROM FLASH_BEGIN it is the erase size from the chip's quirk rule.
struct BeginParams {
    std::uint32_t size = 0;       // bytes to erase / write (see above)
    std::uint32_t blocks = 0;     // number of *_DATA packets that follow
    std::uint32_t block_size = 0; // data bytes per packet
    std::uint32_t offset = 0;     // flash offset (or RAM address for MEM_BEGIN)
};
// Whether to send the 5th `encrypted` word: ESP32 and ESP8266 ROMs reject it, newer ROMs expect it.
enum class EncryptedWord { omit, plain, encrypted };

Request flash_begin_request(const BeginParams& p, EncryptedWord word5);
Request flash_defl_begin_request(const BeginParams& p, EncryptedWord word5);
Request mem_begin_request(const BeginParams& p);

// ROM FLASH_DEFL_BEGIN wants the uncompressed size rounded up to whole blocks of `block_size`.
std::uint32_t deflate_begin_size(std::uint32_t uncompressed, std::uint32_t block_size, bool stub);

// *_DATA: header (data size, sequence, 0, 0) + data, checksum over the data only.
// FLASH_DATA pads a short (last) block with 0xFF up to `block_size` (the size word and the checksum
// then cover the padded bytes); pass 0 to send the block as is. Compressed and RAM blocks are never padded.
Request flash_data_request(ByteView block, std::uint32_t seq, std::uint32_t block_size);
Request flash_defl_data_request(ByteView block, std::uint32_t seq);
Request mem_data_request(ByteView block, std::uint32_t seq);
// Stub only: data written through the flash encryption engine; same layout as FLASH_DATA.
Request flash_encrypt_data_request(ByteView block, std::uint32_t seq, std::uint32_t block_size);

// FLASH_END / FLASH_DEFL_END word. Note: the ROM leaves the loader on FLASH_END; do not send it to
// the ROM while more work follows.
enum class FlashEndAction : std::uint32_t { reboot = 0, run_user_code = 1 };
Request flash_end_request(FlashEndAction action);
Request flash_defl_end_request(FlashEndAction action);
// MEM_END: with an entry point the loader jumps there (word 0 = 0); without one it stays (word 0 = 1).
Request mem_end_request(std::optional<std::uint32_t> entry);

// SPI_ATTACH: the ROM takes the config word plus 4 zero bytes (8 bytes); the stub takes only the word.
// config 0 = default SPI flash pins from eFuse; otherwise packed pin numbers.
enum class LoaderKind { rom, stub };
Request spi_attach_request(std::uint32_t config, LoaderKind to);

// SPI_SET_PARAMS: six words; only total_size matters to the loaders, the rest are the usual geometry.
struct SpiFlashParams {
    std::uint32_t id = 0;
    std::uint32_t total_size = 0;
    std::uint32_t block_size = 64 * 1024;
    std::uint32_t sector_size = 4 * 1024;
    std::uint32_t page_size = 256;
    std::uint32_t status_mask = 0xFFFF;
};
Request spi_set_params_request(const SpiFlashParams& p);

// CHANGE_BAUDRATE: new baud (after any chip correction, see chip.hpp) and the old baud, which must be
// 0 when talking to the ROM and the current baud when talking to the stub.
Request change_baudrate_request(std::uint32_t new_baud, std::uint32_t old_baud);

// SPI_FLASH_MD5: address, size, 0, 0.
Request spi_flash_md5_request(std::uint32_t address, std::uint32_t size);

// READ_FLASH_SLOW (ROM): address, length; the ROM reads at most 64 bytes per command.
inline constexpr std::uint32_t kReadFlashSlowMax = 64;
Request read_flash_slow_request(std::uint32_t address, std::uint32_t length);

Request get_security_info_request();

// Stub only.
Request erase_flash_request();
Request erase_region_request(std::uint32_t offset, std::uint32_t size);
// READ_FLASH: offset, length, packet size, max packets in flight before an ACK.
Request read_flash_request(std::uint32_t offset, std::uint32_t length, std::uint32_t packet_size,
                           std::uint32_t max_in_flight);
Request run_user_code_request();

// --- Reply payload parsers (the data before the status bytes).

// GET_SECURITY_INFO: 20 bytes (flags u32, flash_crypt_cnt u8, 7 key purposes, chip_id u32, eco u32),
// or 12 bytes on ESP32-S2, which has no chip_id/eco fields. Anything else throws Error(device).
struct SecurityInfo {
    std::uint32_t flags = 0;
    std::uint8_t flash_crypt_cnt = 0;
    std::array<std::uint8_t, 7> key_purposes{};
    std::optional<std::uint32_t> chip_id;
    std::optional<std::uint32_t> eco_version;

    bool secure_boot() const noexcept { return flags & (1u << 0); }
    bool secure_download_mode() const noexcept { return flags & (1u << 2); }
};
SecurityInfo parse_security_info(ByteView data);

// SPI_FLASH_MD5 reply: the ROM sends 32 ASCII hex digits, the stub 16 raw bytes. Throws Error(device)
// for any other length or a non-hex digit.
std::array<std::uint8_t, 16> parse_md5_reply(ByteView data);

} // namespace vesper::esp
