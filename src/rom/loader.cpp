#include "vesper/rom/loader.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/rom/boot_log.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/rom/rom_error.hpp"
#include "vesper/rom/timeouts.hpp"

namespace vesper::esp {

namespace {

EncryptedWord word5(const ChipInfo& chip) {
    return chip.flash_begin_encrypted_word ? EncryptedWord::plain : EncryptedWord::omit;
}

std::string size_text(std::uint64_t n) { return std::to_string(n) + " bytes"; }

} // namespace

std::string chip_mismatch_message(const ChipInfo& expected, const ChipInfo& found, std::string_view port,
                                  std::string_view detected_by) {
    return "--chip " + std::string(expected.name) + " was given, but the board on " + std::string(port) + " is an " +
           std::string(found.display_name) + " (" + std::string(found.name) + ", detected by " +
           std::string(detected_by) + "); use --chip " + std::string(found.name) + " or --chip auto";
}

Loader::Loader(Transport& transport) : conn_(transport) {}

const ChipInfo& Loader::chip() const {
    if (!info_.chip) fail(ErrorKind::internal, "loader on " + port() + ": chip used before connect()");
    return *info_.chip;
}

void Loader::note(std::string_view text) {
    if (options_.note) options_.note(text);
}

Response Loader::command(const Request& request, Millis timeout, std::string_view context, int attempts,
                         std::size_t expected_data) {
    Connection::Exchange ex;
    int attempt = 1, timeouts = 0;
    for (;; ++attempt) {
        ex = conn_.exchange(request, timeout, expected_data, context);
        if (ex.outcome == Connection::Outcome::reply && ex.response.ok()) return std::move(ex.response);
        // Commands sent through here are safe to repeat; a failure may be a reply damaged on the line.
        // Not worth repeating: a command the loader lacks, or a board silent twice in a row.
        timeouts = ex.outcome == Connection::Outcome::timeout ? timeouts + 1 : 0;
        if (ex.unsupported || timeouts >= kMaxSilentAttempts || attempt >= attempts) break;
    }
    std::string msg = conn_.describe_failure(ex, context, timeout);
    if (attempt > 1) msg += " (tried " + std::to_string(attempt) + " times)";
    throw Connection::failure_error(ex, msg);
}

std::uint32_t Loader::read_reg(std::uint32_t address) {
    return command(read_reg_request(address), kDefaultTimeout, "READ_REG " + hex32(address)).value;
}

std::uint32_t Loader::read_reg_stable(std::uint32_t address) {
    std::uint32_t prev = read_reg(address);
    for (int i = 0; i < 4; ++i) {
        const std::uint32_t v = read_reg(address);
        if (v == prev) return v;
        prev = v;
    }
    fail(ErrorCode::esp_bad_reply, port() + ": READ_REG " + hex32(address) +
                                       " gives a different value on every read: the line is corrupting replies");
}

void Loader::write_reg(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
    command(write_reg_request(address, value, mask), kDefaultTimeout, "WRITE_REG " + hex32(address));
}

// --- Connect --------------------------------------------------------------------------------------

void Loader::sync(const ConnectOptions& options) {
    Transport& t = transport();
    const bool can_reset = resets_before_connect(t, options.before);
    const int attempts = options.attempts > 0 ? options.attempts : (can_reset ? 7 : 3);
    conn_.set_status_len(0);
    conn_.clear_received();
    // The loader was synced by an earlier run (left there with --after no-reset): the first command
    // goes straight out, and the status length is inferred from its reply.
    if (options.before == BeforeConnect::no_reset_no_sync) return;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (can_reset) {
            connect_reset_sequence(t, static_cast<unsigned>(attempt), real_sleep, options.before);
            conn_.take_pending(); // keeps the boot log for the triage, starts the decoder afresh
        }
        for (int i = 0; i < options.syncs_per_attempt; ++i) {
            conn_.send(sync_request());
            const auto ex = conn_.wait_reply(Command::sync, kSyncTimeout);
            if (ex.outcome != Connection::Outcome::reply || !ex.response.ok()) continue;
            // A ROM SYNC reply carries no payload, so its size is the loader's status length.
            conn_.set_status_len(ex.status_len);
            // The ROM answers one SYNC up to 8 times: let the extra replies arrive and drop them.
            conn_.drain_sync_replies();
            return;
        }
    }
    const BootTriage triage = triage_boot_log(conn_.received());
    std::string reason = describe_boot_triage(triage);
    // A normal boot log after our own resets means RTS reaches EN but nothing pulled GPIO0 low.
    if (can_reset && triage.state == BootState::normal_boot)
        reason += ": the reset restarts the board but GPIO0 stays high, as when only RTS is wired to EN";
    const std::string tries = std::to_string(attempts) + " times, " + std::to_string(options.syncs_per_attempt) +
                              " SYNCs each, " + (can_reset ? "after a DTR/RTS reset each time" : "without reset");
    const std::string message = "cannot connect to " + port() + ": " + reason + ". Tried " + tries + ".";
    // A board that booted its app was reached but not put into the ROM loader: a different fix.
    if (triage.state == BootState::normal_boot) {
        Error e(ErrorCode::esp_not_in_download_mode, message);
        e.with_hint(can_reset ? "the reset reaches EN but not GPIO0: check the DTR/RTS auto-reset circuit, or hold "
                                "BOOT while connecting"
                              : "hold BOOT (GPIO0 low) and press RESET (EN), then connect again");
        throw e;
    }
    fail(ErrorCode::esp_no_sync, message);
}

const ChipInfo& Loader::detect_chip() {
    info_.security.reset();
    info_.chip = nullptr;
    // GET_SECURITY_INFO first: it names the chip on newer ROMs and works where the magic read does not.
    // Older ROMs (ESP8266, ESP32) answer it with an error, which is expected here.
    const auto ex = conn_.exchange(get_security_info_request(), kDefaultTimeout, 20);
    if (ex.outcome == Connection::Outcome::reply && ex.response.ok()) {
        try {
            info_.security = parse_security_info(ex.response.data);
        } catch (const Error& e) {
            note("ignoring GET_SECURITY_INFO reply: " + std::string(e.what()));
        }
        if (info_.security && info_.security->chip_id) {
            const std::uint32_t id = *info_.security->chip_id;
            if (const ChipInfo* c = find_chip_by_id(id)) {
                info_.chip = c;
                info_.detected_by = "chip id " + std::to_string(id);
            } else {
                fail(ErrorCode::esp_unsupported_chip, port() + ": the board reports chip id " + std::to_string(id) +
                                                          ", which no chip row knows (unsupported chip)");
            }
        }
    }
    if (!info_.chip) {
        const std::uint32_t magic = read_reg_stable(kChipDetectMagicAddr);
        if (const ChipInfo* c = find_chip_by_magic(magic)) {
            info_.chip = c;
            info_.detected_by = "magic " + hex32(magic);
        } else {
            for (const ChipInfo& c : all_chips()) {
                if (!c.detect_register) continue;
                const auto& m = *c.detect_register;
                if ((read_reg_stable(m.address) & m.mask) == m.value) {
                    info_.chip = &c;
                    info_.detected_by = "register " + hex32(m.address);
                    break;
                }
            }
        }
        if (!info_.chip)
            fail(ErrorCode::esp_unsupported_chip, port() + ": unknown chip: magic word " + hex32(magic) + " at " +
                                                      hex32(kChipDetectMagicAddr) + " matches no chip row");
    }
    if (conn_.status_len() != info_.chip->rom_status_len) {
        if (conn_.status_len() != 0)
            note("the loader's replies carry " + std::to_string(conn_.status_len()) + " status bytes where the " +
                 std::string(info_.chip->display_name) + " ROM row says " + std::to_string(info_.chip->rom_status_len) +
                 "; using the row");
        conn_.set_status_len(info_.chip->rom_status_len);
    }
    return *info_.chip;
}

std::array<std::uint8_t, 6> Loader::read_mac() {
    const ChipInfo& c = chip();
    std::vector<std::uint32_t> words;
    for (std::uint32_t address : c.mac.addresses())
        words.push_back(read_reg_stable(address)); // a MAC read wrong would bind the wrong board
    return extract_mac(c, words);
}

void Loader::change_baud(std::uint32_t baud) {
    const ChipInfo& c = chip();
    Transport& t = transport();
    if (baud == t.baud()) return;
    if (!c.rom.change_baud) {
        const std::string w = "the " + std::string(c.display_name) + " ROM cannot change the baud rate; staying at " +
                              std::to_string(t.baud());
        info_.warnings.push_back(w);
        note(w);
        return;
    }
    BaudInputs in;
    switch (c.baud.rule) {
    case BaudRule::plain: break;
    case BaudRule::esp32_ck8m:
        in.cali_reg_value = read_reg_stable(c.baud.cali_reg);
        in.ck8m_efuse_value = read_reg_stable(c.baud.ck8m_efuse_reg);
        break;
    case BaudRule::xtal_mismatch:
        if (c.xtal.measured()) in.xtal_mhz = estimate_xtal_mhz(c, read_reg_stable(c.xtal.uart_clkdiv_reg), t.baud());
        if (c.baud.rom_xtal_reg != 0) in.rom_xtal_reg_value = read_reg_stable(c.baud.rom_xtal_reg);
        break;
    }
    const std::uint32_t word = rom_baud_word(c, baud, in);
    const std::string context =
        "CHANGE_BAUDRATE to " + std::to_string(baud) + " (ROM word " + std::to_string(word) + ")";
    // A refusal (a failure with an error code) is asked once more, then final. A lost or damaged reply
    // is not a refusal: the ROM may have switched, and the check at the new speed that follows tells.
    for (int attempt = 1;; ++attempt) {
        const auto ex = conn_.exchange(change_baudrate_request(word, 0), kDefaultTimeout, 0, context);
        const bool refused = ex.outcome == Connection::Outcome::reply && !ex.response.ok() && ex.response.error != 0;
        if (!refused) break;
        if (attempt >= 2) throw Connection::failure_error(ex, conn_.describe_failure(ex, context, kDefaultTimeout));
    }
    t.set_baud(baud);
    // The ROM may emit a garbage byte or two while its UART switches; let them pass, then drop them.
    // Short: the ROM switches as soon as its reply is out, and verify_link_at_speed() retries anyway.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    conn_.discard_input();
}

void Loader::verify_link_at_speed(std::uint32_t baud) {
    // One clean reply proves the speed (at a wrong one every reply is garbage); a few tries keep a
    // single damaged byte from sending us back to 115200.
    for (int i = 0; i < 3; ++i) {
        const auto ex = conn_.exchange(read_reg_request(kChipDetectMagicAddr), Millis(500));
        if (ex.outcome == Connection::Outcome::reply && ex.response.ok()) return;
    }
    fail(ErrorCode::esp_baud_failed, port() + ": no clean reply at " + std::to_string(baud) + " baud (3 tries)");
}

void Loader::attach_flash() {
    const ChipInfo& c = chip();
    if (c.rom.spi_attach) {
        command(spi_attach_request(0, LoaderKind::rom), kDefaultTimeout, "SPI_ATTACH");
    } else {
        // No SPI_ATTACH in this ROM: an empty FLASH_BEGIN enables the flash instead.
        begin_write(0, 0, 0, false);
    }
}

void Loader::probe_flash() {
    const ChipInfo& c = chip();
    attach_flash();
    try {
        info_.flash_id = read_jedec_id(*this);
        info_.flash_size = flash_size_from_jedec(*info_.flash_id);
    } catch (const Error& e) {
        const std::string w = "could not read the flash JEDEC id: " + std::string(e.what());
        info_.warnings.push_back(w);
        note(w);
    }
    if (!info_.flash_size) {
        const std::string w = "flash size unknown" +
                              (info_.flash_id ? " (JEDEC " + info_.flash_id->to_string() + ")" : std::string()) +
                              ": writes are not checked against the flash size";
        info_.warnings.push_back(w);
        note(w);
        return;
    }
    if (c.rom.spi_set_params) {
        SpiFlashParams p;
        p.total_size = *info_.flash_size;
        command(spi_set_params_request(p), kDefaultTimeout,
                "SPI_SET_PARAMS (flash size " + format_flash_size(*info_.flash_size) + ")");
    }
}

const DeviceInfo& Loader::connect(const ConnectOptions& options) {
    options_ = options;
    info_ = DeviceInfo{};
    Transport& t = transport();
    if (t.baud() != kRomBaud) t.set_baud(kRomBaud);

    sync(options);
    const ChipInfo& c = detect_chip();
    if (options.expect_chip && options.expect_chip != &c)
        fail(ErrorCode::esp_chip_mismatch, chip_mismatch_message(*options.expect_chip, c, port(), info_.detected_by));
    check_after_mode(c, options.after);
    if (info_.security && info_.security->secure_download_mode())
        fail(ErrorCode::esp_secure_download,
             port() + ": the " + std::string(c.display_name) +
                 " is in Secure Download Mode: registers, MD5 and read-back are locked, so "
                 "vesperctl cannot identify or verify it");
    info_.mac = read_mac();

    if (options.baud != t.baud()) {
        const std::uint32_t wanted = options.baud;
        change_baud(wanted);
        if (t.baud() == wanted) {
            try {
                verify_link_at_speed(wanted);
            } catch (const Error& e) {
                const bool can_reset = resets_before_connect(t, options.before);
                if (!can_reset)
                    fail(ErrorCode::esp_baud_failed,
                         std::string(e.what()) +
                             " after CHANGE_BAUDRATE, and the board cannot be reset to fall "
                             "back to 115200 (" +
                             (t.has_control_lines()
                                  ? "--before " + std::string(to_string(options.before)) + " was given"
                                  : std::string("the port has no reset lines")) +
                             "); use a lower --baud");
                const std::string w = "the link failed at " + std::to_string(wanted) +
                                      " baud (no clean reply); the board was reset and the work continues at " +
                                      std::to_string(kRomBaud) + " baud";
                info_.warnings.push_back(w);
                note(w);
                t.set_baud(kRomBaud);
                sync(options);
                detect_chip();
            }
        }
    }
    info_.baud = t.baud();
    if (options.probe_flash) probe_flash();
    return info_;
}

// --- Flash primitives ------------------------------------------------------------------------------

void Loader::begin_write(std::uint32_t offset, std::uint32_t size, std::uint32_t blocks, bool compressed,
                         int attempts) {
    const ChipInfo& c = chip();
    BeginParams p;
    p.blocks = blocks;
    p.block_size = kRomFlashBlock;
    p.offset = offset;
    Request req;
    if (compressed) {
        // The ROM wants the size in whole blocks and erases all of it before it answers.
        p.size = deflate_begin_size(size, kRomFlashBlock, false);
        req = flash_defl_begin_request(p, word5(c));
    } else {
        p.size = rom_erase_size(c, offset, size);
        req = flash_begin_request(p, word5(c));
    }
    const std::string context = command_name(req.op) + " at " + hex32(offset) + " (" + size_text(size) + ")";
    command(req, command_timeout(req.op, std::max(size, p.size)), context, attempts);
}

Millis Loader::block_timeout(bool compressed, std::uint32_t expands_to) {
    return command_timeout(compressed ? Command::flash_defl_data : Command::flash_data, expands_to);
}

Connection::Exchange Loader::write_block(ByteView block, std::uint32_t seq, bool compressed, std::uint32_t expands_to,
                                         std::string_view context) {
    const Request req =
        compressed ? flash_defl_data_request(block, seq) : flash_data_request(block, seq, kRomFlashBlock);
    return conn_.exchange(req, block_timeout(compressed, expands_to), 0, context);
}

std::array<std::uint8_t, 16> Loader::flash_md5(std::uint32_t address, std::uint32_t size) {
    const ChipInfo& c = chip();
    if (!c.rom.md5)
        fail(ErrorCode::esp_rom_unsupported,
             "the " + std::string(c.display_name) +
                 " ROM has no SPI_FLASH_MD5: flash contents cannot be checked without a stub");
    const Response r = command(spi_flash_md5_request(address, size), command_timeout(Command::spi_flash_md5, size),
                               "SPI_FLASH_MD5 at " + hex32(address) + " (" + size_text(size) + ")", 2, 32);
    try {
        return parse_md5_reply(r.data);
    } catch (const Error& e) {
        fail(ErrorCode::esp_bad_reply, port() + ": SPI_FLASH_MD5 at " + hex32(address) + ": " + e.what());
    }
}

Bytes Loader::read_flash(std::uint32_t address, std::uint32_t size,
                         const std::function<void(std::uint32_t done)>& progress) {
    const ChipInfo& c = chip();
    if (!c.rom.read_flash_slow)
        fail(ErrorCode::esp_rom_unsupported,
             "the " + std::string(c.display_name) + " ROM has no READ_FLASH_SLOW: flash cannot be read without a stub");
    Bytes out;
    out.reserve(size);
    while (out.size() < size) {
        const auto at = static_cast<std::uint32_t>(address + out.size());
        const std::uint32_t n =
            std::min<std::uint32_t>(kReadFlashSlowMax, size - static_cast<std::uint32_t>(out.size()));
        const Response r = command(read_flash_slow_request(at, n), kDefaultTimeout, "READ_FLASH_SLOW at " + hex32(at),
                                   3, kReadFlashSlowMax);
        // The ROM always answers with a 64-byte buffer, whatever length was asked for.
        if (r.data.size() < n)
            fail(ErrorCode::esp_bad_reply, port() + ": READ_FLASH_SLOW at " + hex32(at) + " returned " +
                                               std::to_string(r.data.size()) + " bytes, expected " + std::to_string(n));
        out.insert(out.end(), r.data.begin(), r.data.begin() + n);
        if (progress) progress(static_cast<std::uint32_t>(out.size()));
    }
    return out;
}

void Loader::erase(std::uint32_t address, std::uint32_t size) { begin_write(address, size, 0, false); }

void Loader::leave(AfterFlash after) {
    switch (after) {
    case AfterFlash::stay: return;
    case AfterFlash::hard_reset:
        if (hard_reset(transport())) return;
        // No reset lines (socket://): the ROM's own way out.
        return run_user_code();
    case AfterFlash::soft_reset: return run_user_code();
    case AfterFlash::watchdog_reset: return watchdog_reset();
    }
}

void Loader::run_user_code() {
    // FLASH_END with "run user code" is the ROM's soft reset (esptool's soft_reset on a ROM loader). It
    // may not answer once it has left, so a missing reply is not an error.
    begin_write(0, 0, 0, false);
    conn_.send(flash_end_request(FlashEndAction::run_user_code));
    const auto ex = conn_.wait_reply(Command::flash_end, Millis(300));
    if (ex.outcome == Connection::Outcome::reply && !ex.response.ok())
        throw Connection::failure_error(ex, conn_.describe_failure(ex, "FLASH_END (run user code)", Millis(300)));
}

void Loader::watchdog_reset() {
    const ChipInfo& c = chip();
    check_after_mode(c, AfterFlash::watchdog_reset);
    const RtcWatchdog& w = *c.rtc_watchdog;
    write_reg(w.wprotect, w.key);
    write_reg(w.config1, w.timeout);
    write_reg(w.config0, w.enable);
    // Lock again. The watchdog fires about 13 ms after the enable, so this reply may never come.
    conn_.send(write_reg_request(w.wprotect, 0));
    conn_.wait_reply(Command::write_reg, Millis(100));
    // Let the reset happen before the port is closed (esptool waits as long).
    real_sleep(Millis(500));
}

void check_after_mode(const ChipInfo& chip, AfterFlash after) {
    if (after != AfterFlash::watchdog_reset || chip.rtc_watchdog) return;
    std::vector<std::string_view> able;
    for (const ChipInfo& c : all_chips())
        if (c.rtc_watchdog) able.push_back(c.display_name);
    fail(ErrorCode::esp_rom_unsupported, "--after watchdog-reset: the " + std::string(chip.display_name) +
                                             " ROM has no RTC watchdog reset vesperctl can use (only " + join(able) +
                                             "); use hard-reset or soft-reset");
}

ConnectedBoard open_and_connect(const std::string& port, const ConnectOptions& options) {
    return connect_board(open_transport(port, kRomBaud), options);
}

ConnectedBoard connect_board(std::unique_ptr<Transport> transport, const ConnectOptions& options) {
    ConnectedBoard b;
    b.transport = std::move(transport);
    b.loader = std::make_unique<Loader>(*b.transport);
    b.loader->connect(options);
    return b;
}

} // namespace vesper::esp
