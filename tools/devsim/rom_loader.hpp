#pragma once
// The ROM serial bootloader's command handling: one SLIP frame in, the reply frames out, with the
// flash, registers and timing updated. No I/O and no clock: the Device decides when bytes move.
//
// ROM behaviours modelled (sources in docs/devsim.md):
//  - status bytes per chip row (4 on ESP32-family ROMs, 2 on the ESP8266);
//  - SYNC is answered 8 times with value 0x20120707 (the first word of the SYNC payload);
//  - the `value` field of every reply is whatever the ROM last loaded into it (READ_REG result or
//    the SYNC word), not 0, as traces of real ROMs show;
//  - a command the ROM does not implement (stub-only opcodes, unknown opcodes, capabilities the chip
//    row lacks) gets the previous reply's opcode and value back with status 1 / error 0x05, repeated
//    as often as the previous reply was (8 times right after SYNC). esptool and esptool-js recognise
//    exactly this (opcode mismatch + 0x05) as "unsupported command";
//  - frames that are not well-formed requests are ignored, as the ROM ignores line noise.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devsim/faults.hpp"
#include "devsim/flash_store.hpp"
#include "devsim/inflater.hpp"
#include "devsim/register_file.hpp"
#include "devsim/timing.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/rom/command.hpp"

namespace vesper::devsim {

// Flash size the ROM assumes until SPI_SET_PARAMS tells it otherwise (it cannot read the size).
inline constexpr std::uint32_t kRomDefaultFlashSize = 2 * 1024 * 1024;
// The SYNC reply's value word.
inline constexpr std::uint32_t kSyncReplyValue = 0x20120707;

// ROM error codes the model sends (esptool serial-protocol.rst "ROM Loader Errors" and FatalError table).
enum RomError : std::uint8_t {
    kErrInvalidMessage = 0x05, // parameters or length invalid; also the "unsupported command" reply
    kErrFailedToAct = 0x06,    // e.g. flash range beyond the assumed size, data without begin
    kErrBadChecksum = 0x07,
    kErrFlashWrite = 0x08, // read-back after programming differs
    kErrFlashRead = 0x09,
    kErrReadLength = 0x0A,
    kErrDeflate = 0x0B,
    kErrDeflateAdler = 0x0C,
};

// What the ROM does after sending its reply.
enum class AfterReply {
    stay,    // keep serving commands
    run_app, // FLASH_END/FLASH_DEFL_END "run user code": boot the application from flash
    reboot,  // FLASH_END/FLASH_DEFL_END "reboot": a software reset (straps sampled again)
    run_ram, // MEM_END with an entry point: jump to RAM code, which the simulator cannot run
};

struct RomReply {
    std::uint8_t op = 0;                      // opcode of the request (0 when the frame was junk)
    std::vector<Bytes> frames;                // unescaped reply packets, in sending order
    Duration busy{};                          // modelled time before the first reply byte (erase, program, MD5)
    std::optional<std::uint32_t> switch_baud; // CHANGE_BAUDRATE: UART rate after the reply went out
    AfterReply after = AfterReply::stay;
    // WRITE_REG armed the RTC watchdog: the chip resets this long after the reply (esptool's
    // watchdog_reset), so the next command can still be answered.
    std::optional<Duration> watchdog;
    std::optional<std::uint8_t> error; // ROM error code when the reply is a failure
    std::string result;                // "ok", "error 0x07 (...)", "unsupported", "ignored: ..."
};

class RomLoader {
public:
    RomLoader(const esp::ChipInfo& chip, FlashStore& flash, RegisterFile& regs, const TimingModel& timing,
              FaultState& faults);

    // Power-on or reset: every ROM variable back to its initial value. `baud` is the UART rate.
    void reset(std::uint32_t baud);
    // The host's port speed, when the transport knows it (RFC 2217). Until the first SYNC the ROM is
    // still autobauding and follows it.
    void host_baud(std::uint32_t baud);

    RomReply handle_frame(ByteView frame);
    // The UART now runs at `baud` (after CHANGE_BAUDRATE went out).
    void set_baud(std::uint32_t baud) noexcept { baud_ = baud; }

    std::uint32_t baud() const noexcept { return baud_; }
    std::uint32_t assumed_flash_size() const noexcept { return assumed_size_; }
    bool synced() const noexcept { return synced_; }
    const esp::ChipInfo& chip() const noexcept { return chip_; }

private:
    enum class Write { none, plain, deflate };

    bool rom_has(std::uint8_t op) const;
    RomReply ok(std::uint8_t op, ByteView data = {});
    RomReply error(std::uint8_t op, std::uint8_t code, const std::string& why);
    RomReply unsupported(std::uint8_t op);

    RomReply sync(const esp::Request& r);
    RomReply read_reg(const esp::Request& r);
    RomReply write_reg(const esp::Request& r);
    RomReply flash_begin(const esp::Request& r, Write kind);
    RomReply flash_data(const esp::Request& r);
    RomReply flash_defl_data(const esp::Request& r);
    RomReply flash_end(const esp::Request& r);
    RomReply mem_begin(const esp::Request& r);
    RomReply mem_data(const esp::Request& r);
    RomReply mem_end(const esp::Request& r);
    RomReply spi_set_params(const esp::Request& r);
    RomReply spi_attach(const esp::Request& r);
    RomReply change_baudrate(const esp::Request& r);
    RomReply spi_flash_md5(const esp::Request& r);
    RomReply read_flash_slow(const esp::Request& r);
    RomReply get_security_info(const esp::Request& r);

    // Checks shared by the *_DATA commands; returns the block when the request is acceptable.
    std::optional<ByteView> data_block(const esp::Request& r, RomReply& failure);
    bool flash_ready(std::uint8_t op, RomReply& failure);
    // Flash addressing as the ROM sees it: 24-bit addresses, wrapping at the chip's real size.
    std::uint32_t physical(std::uint64_t address) const;
    void erase_sectors(std::uint32_t first_sector, std::uint32_t count);
    bool program(std::uint64_t address, ByteView data);
    Bytes read(std::uint64_t address, std::uint32_t length) const;
    // Programs a block after the fault check and read-back; fills `failure` on an error.
    bool write_block(std::uint8_t op, std::uint64_t address, ByteView data, RomReply& failure, Duration& busy);

    const esp::ChipInfo& chip_;
    FlashStore& flash_;
    RegisterFile& regs_;
    const TimingModel& timing_;
    FaultState& faults_;
    Inflater inflater_;

    std::uint32_t baud_ = 115200;
    bool synced_ = false;
    std::uint32_t value_ = 0;  // the reply's value field, as last loaded
    std::uint8_t last_op_ = 0; // opcode of the last reply (reused by the unsupported reply)
    int last_repeat_ = 1;      // how often the last reply went out
    bool attached_ = false;
    std::uint32_t assumed_size_ = kRomDefaultFlashSize;

    Write write_ = Write::none;
    std::uint32_t write_offset_ = 0;
    std::uint32_t block_count_ = 0;
    std::uint32_t block_size_ = 0;
    std::uint32_t next_seq_ = 0;
    std::uint64_t defl_pos_ = 0; // next flash address the inflated stream writes to

    bool mem_active_ = false;
    std::uint32_t mem_blocks_ = 0;
    std::uint32_t mem_block_size_ = 0;
    std::uint32_t mem_next_seq_ = 0;
};

} // namespace vesper::devsim
