#pragma once
// The ROM serial bootloader, driven from the host: connect (reset into download mode, SYNC), find out
// which chip it is and what is attached to it, and the flash primitives the flasher builds on. ROM only
// (no stub upload), so data goes in 1 KiB FLASH_DATA blocks and every chip difference is read from
// its ChipInfo row.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/connection.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/rom/spi_flash.hpp"
#include "vesper/port/transport.hpp"

namespace vesper::esp {

inline constexpr std::uint32_t kRomBaud = 115200; // every ROM autobauds on SYNC at this rate

// BeforeConnect (--before) and AfterFlash (--after) are in reset.hpp, with their names.

struct ConnectOptions {
    std::uint32_t baud = kRomBaud; // speed for the work after connecting
    BeforeConnect before = BeforeConnect::reset;
    const ChipInfo* expect_chip = nullptr; // --chip; nullptr = auto
    // How the work will end: checked against the detected chip right after detection, so a mode the
    // chip cannot do (watchdog-reset on an ESP32) is refused before any work.
    AfterFlash after = AfterFlash::hard_reset;
    int attempts = 0; // 0: 7 with reset lines, 3 without
    int syncs_per_attempt = 5;
    bool probe_flash = true;                    // attach flash, read JEDEC id, set size
    std::function<void(std::string_view)> note; // warnings and progress notes for the user
};

struct DeviceInfo {
    const ChipInfo* chip = nullptr;
    std::string detected_by; // "chip id 9" or "magic 0x00F01D83"
    std::optional<SecurityInfo> security;
    std::array<std::uint8_t, 6> mac{};
    std::optional<JedecId> flash_id;
    std::optional<std::uint32_t> flash_size; // bytes, from the JEDEC capacity byte
    std::uint32_t baud = kRomBaud;           // speed in use after connect
    std::vector<std::string> warnings;
};

class Loader {
public:
    explicit Loader(Transport& transport);

    Transport& transport() noexcept { return conn_.transport(); }
    Connection& connection() noexcept { return conn_; }
    const std::string& port() const { return conn_.port(); }

    // The whole connect sequence: reset + SYNC (with boot-log triage on failure), chip detection and
    // the --chip check (mismatch: Error(input)), MAC, baud change with a check at speed (falling back
    // to 115200), SPI attach, JEDEC id, SPI_SET_PARAMS. Throws Error(device) saying why it failed.
    const DeviceInfo& connect(const ConnectOptions& options);
    const DeviceInfo& info() const noexcept { return info_; }
    const ChipInfo& chip() const; // Error(internal) before connect

    // --- Single steps (connect() uses them; exposed for tests and other tools).
    void sync(const ConnectOptions& options);
    const ChipInfo& detect_chip();
    std::array<std::uint8_t, 6> read_mac();
    void change_baud(std::uint32_t baud);
    void attach_flash();

    std::uint32_t read_reg(std::uint32_t address);
    // READ_REG until two reads agree (at most 5): for values that must not be taken from a reply
    // damaged on the line, such as MAC words.
    std::uint32_t read_reg_stable(std::uint32_t address);
    void write_reg(std::uint32_t address, std::uint32_t value, std::uint32_t mask = 0xFFFFFFFF);

    // A command that is safe to repeat, sent up to `attempts` times until it succeeds: a timeout, a
    // broken reply or a failure reply (possibly a success damaged on the line) are all retried. Throws
    // Error(device) naming the port, `context` and the ROM's error in words.
    Response command(const Request& request, Millis timeout, std::string_view context, int attempts = 3,
                     std::size_t expected_data = 0);

    // --- Flash primitives (ROM semantics: *_BEGIN erases, no FLASH_END until leave()).
    // FLASH_BEGIN / FLASH_DEFL_BEGIN for `size` uncompressed bytes at `offset` in `blocks` blocks.
    void begin_write(std::uint32_t offset, std::uint32_t size, std::uint32_t blocks, bool compressed, int attempts = 2);
    // One FLASH_DATA (padded to the block size) or FLASH_DEFL_DATA exchange; `expands_to` is the flash
    // bytes it covers (scales the timeout, see block_timeout). Not retried and not thrown on failure:
    // whether resending is safe depends on the stream, so the Flasher decides.
    Connection::Exchange write_block(ByteView block, std::uint32_t seq, bool compressed, std::uint32_t expands_to,
                                     std::string_view context = {});
    static Millis block_timeout(bool compressed, std::uint32_t expands_to);
    // SPI_FLASH_MD5 (the ROM replies in 32 hex digits). Error(input) where the ROM has no MD5.
    std::array<std::uint8_t, 16> flash_md5(std::uint32_t address, std::uint32_t size);
    // READ_FLASH_SLOW, 64 bytes a command. Error(input) where the ROM cannot read flash.
    Bytes read_flash(std::uint32_t address, std::uint32_t size,
                     const std::function<void(std::uint32_t done)>& progress = {});
    // Erase through FLASH_BEGIN with no data (the ROM erases the range before it answers).
    void erase(std::uint32_t address, std::uint32_t size);
    // The very end (AfterFlash in reset.hpp): hard reset into the app (DTR/RTS where the port has lines,
    // else FLASH_BEGIN 0 + FLASH_END run-user-code, the ROM's way out), soft reset (always the latter),
    // watchdog reset (the chip row's RTC watchdog armed with WRITE_REG), or stay in the loader.
    void leave(AfterFlash after);

    bool connected() const noexcept { return info_.chip != nullptr; }

    // A board that misses this many replies in a row has stopped answering: give up instead of
    // spending more full timeouts on it.
    static constexpr int kMaxSilentAttempts = 2;

private:
    void note(std::string_view text);
    void verify_link_at_speed(std::uint32_t baud);
    void probe_flash();
    void run_user_code();
    void watchdog_reset();

    Connection conn_;
    DeviceInfo info_;
    ConnectOptions options_;
};

// A board on its port: the transport, and the loader connected over it (which refers to the transport,
// so the two live and die together).
struct ConnectedBoard {
    std::unique_ptr<Transport> transport;
    std::unique_ptr<Loader> loader;
};
// Opens `port` (a URL, as open_transport takes) at the ROM's 115200 baud and runs Loader::connect.
ConnectedBoard open_and_connect(const std::string& port, const ConnectOptions& options);
// The same on a port already opened (by a caller that tells a port it cannot open from a silent board).
ConnectedBoard connect_board(std::unique_ptr<Transport> transport, const ConnectOptions& options);

// Error(input) naming the chip when it cannot end the way `after` says (watchdog-reset on a chip
// whose row has no RTC watchdog).
void check_after_mode(const ChipInfo& chip, AfterFlash after);

// The exact string the CLI prints for a --chip mismatch; exposed for tests.
std::string chip_mismatch_message(const ChipInfo& expected, const ChipInfo& found, std::string_view port,
                                  std::string_view detected_by);

} // namespace vesper::esp
