#include "devsim/device.hpp"

#include <algorithm>

#include "devsim/sim_hal.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/command.hpp"

namespace vesper::devsim {

namespace {

// Largest frame the ROM's receive buffer takes: a full MEM_DATA block plus headers. Longer frames
// are dropped like any garbage.
constexpr std::size_t kRomMaxFrame = esp::kRamBlock + 64;
// Paced output is released in pieces of this size, so a slow line shows text appearing progressively.
constexpr std::size_t kPaceChunk = 128;
constexpr std::uint32_t kRomBaud = 115200;

} // namespace

BootMode parse_boot_mode(std::string_view text) {
    if (text == "download") return BootMode::download;
    if (text == "app") return BootMode::app;
    fail(ErrorCode::cli_usage, "--boot '" + std::string(text) + "': expected 'download' or 'app'");
}

ResetCircuit parse_reset_circuit(std::string_view text) {
    if (text == "auto") return ResetCircuit::auto_reset;
    if (text == "en-only") return ResetCircuit::en_only;
    fail(ErrorCode::cli_usage, "--reset-circuit '" + std::string(text) + "': expected 'auto' or 'en-only'");
}

Device::Device(DeviceConfig config, FlashStore flash, CommandLog* log, std::function<void(const std::string&)> note)
    : config_(std::move(config)), chip_(*config_.chip), flash_(std::move(flash)),
      regs_(chip_, config_.mac, flash_.size()), faults_(config_.faults),
      loader_(chip_, flash_, regs_, config_.timing, faults_),
      app_(chip_, config_.mac, flash_, jedec_from_rdid(regs_.jedec_id()), faults_, config_.timing.realistic()),
      log_(log), note_(std::move(note)), decoder_(kRomMaxFrame) {}

void Device::note(const std::string& text) const {
    if (note_) note_("devsim[" + std::to_string(config_.index) + "]: " + text);
}

bool Device::io0_low() const {
    if (lines_driven_ && config_.reset_circuit == ResetCircuit::auto_reset) return dtr_ && !rts_;
    return config_.boot == BootMode::download; // the strap: no line reaches IO0
}

void Device::power_on(TimePoint now) {
    rx_free_ = tx_free_ = now;
    boot(now, ResetCause::power_on, config_.boot == BootMode::download, false);
}

void Device::attach_host(TimePoint now) {
    host_attached_ = true;
    rx_free_ = std::max(rx_free_, now);
    tx_free_ = std::max(tx_free_, now);
}

void Device::detach_host() {
    host_attached_ = false;
    queue_.clear(); // bytes still "on the wire" reach nobody
}

void Device::boot(TimePoint now, ResetCause cause, bool download, bool keep_output) {
    if (!keep_output) {
        queue_.clear(); // a reset empties the UART FIFO
        tx_free_ = std::max(tx_free_, now);
    }
    decoder_.resync();
    loader_.reset(kRomBaud);
    watchdog_at_.reset();
    // What the chip's ROM prints (its row's boot_text).
    const esp::RomBootText& rom = chip_.boot_text;
    // A panic restarts the chip with a software reset (esp_restart after the panic handler).
    const std::string_view rst = cause == ResetCause::power_on   ? rom.rst_poweron
                                 : cause == ResetCause::external ? rom.rst_external
                                 : cause == ResetCause::watchdog ? rom.rst_watchdog
                                                                 : rom.rst_software;
    std::string text(rom.banner);
    text += rst;
    text += download ? rom.boot_download : rom.boot_flash;
    text += "\r\n";
    if (rom.blank_line) text += "\r\n";
    if (download && rom.waiting_for_download) text += "waiting for download\r\n";
    uart_baud_ = rom.baud;
    emit_text(text, now, rom.baud);
    if (download) {
        state_ = State::download;
        uart_baud_ = kRomBaud;
        note(std::string("reset into download mode (") + std::string(chip_.display_name) + " ROM loader)");
    } else {
        const AppStart how = cause == ResetCause::power_on   ? AppStart::power_on
                             : cause == ResetCause::external ? AppStart::external
                             : cause == ResetCause::watchdog ? AppStart::watchdog
                             : cause == ResetCause::panic    ? AppStart::panic
                                                             : AppStart::software;
        start_app(now, how);
    }
}

void Device::start_app(TimePoint at, AppStart how) {
    state_ = State::app;
    uart_baud_ = chip_.boot_text.baud;
    emit_text(app_.start(how, at), at, uart_baud_);
    note(app_.console_running()
             ? "running the app (factory console " +
                   std::string(app_.console().state() == vesper_factory::Console::State::active ? "active)"
                                                                                                : "listening)")
             : "running the app (no factory console)");
}

void Device::app_input(ByteView bytes, TimePoint arrival) {
    const std::uint32_t baud = uart_baud_;
    AppOutput out = app_.on_input(bytes, arrival);
    for (const AppOutput::Piece& p : out.pieces)
        emit_text(p.text, p.at, baud);
    if (log_) {
        for (const AppRequest& r : out.requests) {
            AppCommandRecord rec;
            rec.device = config_.index;
            rec.command = r.command;
            rec.id = r.id;
            rec.result = r.ok ? "ok" : "err";
            rec.wire_in = r.request_bytes;
            rec.wire_out = r.answer_bytes;
            rec.baud = baud;
            const auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
            rec.firmware_ms = ms(r.firmware);
            rec.modelled_ms = ms(TimingModel::uart(r.request_bytes, baud) + r.firmware + r.late +
                                 TimingModel::uart(r.answer_bytes, baud));
            log_->write(rec);
        }
    }
    switch (out.restart) {
    case AppOutput::Restart::none: break;
    case AppOutput::Restart::software:
        note("the app restarts (reboot command)");
        boot(tx_free_, ResetCause::software, false, true);
        break;
    case AppOutput::Restart::panic:
        note("the app panicked (panic-at fault) and restarts");
        boot(tx_free_, ResetCause::panic, false, true);
        break;
    }
}

void Device::receive(ByteView bytes, TimePoint now) {
    if (bytes.empty()) return;
    TimePoint arrival = now;
    if (config_.timing.realistic()) {
        rx_free_ = std::max(rx_free_, now) + TimingModel::uart(bytes.size(), uart_baud_);
        arrival = rx_free_;
    }
    // Too fast for the line (max-baud): what arrives is no byte the UART can frame.
    if (faults_.line_fails_at(uart_baud_)) return;
    switch (state_) {
    case State::download: {
        decoder_.feed(bytes);
        decoder_.take_noise(); // line noise between frames: the ROM ignores it
        decoder_.take_faults();
        while (auto frame = decoder_.pop_frame()) {
            handle_frame(*frame, arrival);
            if (state_ != State::download) {
                // The loader is gone (FLASH_END, MEM_END): frames queued behind it reach nobody.
                while (decoder_.pop_frame()) {
                }
                break;
            }
        }
        break;
    }
    case State::app: app_input(bytes, arrival); break;
    case State::reset_held:
    case State::halted: break; // nobody reads the UART
    }
}

void Device::handle_frame(const Bytes& frame, TimePoint arrival) {
    const Duration stall = faults_.command_stall();
    const std::uint32_t baud = uart_baud_;
    RomReply reply = loader_.handle_frame(frame);
    TimePoint earliest = arrival + stall;
    if (config_.timing.realistic()) earliest += reply.busy;

    std::size_t reply_bytes = 0, wire_out = 0, sent_frames = 0;
    for (const Bytes& f : reply.frames) {
        reply_bytes += f.size();
        if (faults_.drop_reply_frame()) continue;
        const Bytes wire = esp::slip_encode(f);
        wire_out += wire.size();
        ++sent_frames;
        emit(wire, earliest, baud);
    }

    if (log_) {
        CommandRecord rec;
        rec.device = config_.index;
        rec.op = frame.size() >= 2 ? esp::command_name(frame[1]) : "-";
        rec.request_bytes = frame.size();
        rec.reply_bytes = reply_bytes;
        rec.reply_frames = sent_frames;
        rec.wire_in = esp::slip_encode(frame).size();
        rec.wire_out = wire_out;
        rec.baud = baud;
        const Duration total =
            TimingModel::uart(rec.wire_in, baud) + reply.busy + stall + TimingModel::uart(wire_out, baud);
        rec.modelled_ms = std::chrono::duration<double, std::milli>(total).count();
        rec.result = reply.result;
        log_->write(rec);
    }

    if (reply.watchdog) {
        watchdog_at_ = tx_free_ + *reply.watchdog;
        note("RTC watchdog armed");
    }
    if (reply.switch_baud) {
        uart_baud_ = *reply.switch_baud;
        loader_.set_baud(uart_baud_);
        if (faults_.line_fails_at(uart_baud_))
            note("UART now at " + std::to_string(uart_baud_) + " baud, above max-baud=" +
                 std::to_string(faults_.plan().max_baud) + ": the line garbles everything until a reset");
    }
    switch (reply.after) {
    case AfterReply::stay: break;
    case AfterReply::run_app:
        // "Run user code": the ROM jumps into the flash boot path, no reset line is printed.
        start_app(tx_free_, AppStart::jump);
        break;
    case AfterReply::reboot: boot(tx_free_, ResetCause::software, io0_low(), true); break;
    case AfterReply::run_ram:
        state_ = State::halted;
        note("MEM_END jumped to RAM code; the simulator cannot run it (no stub support), silent until reset");
        break;
    }
}

void Device::emit_text(const std::string& text, TimePoint earliest, std::uint32_t baud) {
    emit(as_bytes(text), earliest, baud);
}

void Device::emit(ByteView wire, TimePoint earliest, std::uint32_t baud) {
    if (!host_attached_ || wire.empty()) return;
    const bool paced = config_.timing.realistic();
    TimePoint t = std::max(earliest, tx_free_);
    for (WirePiece& piece : faults_.shape(wire, baud)) {
        t += piece.pause_before;
        std::size_t at = 0;
        do {
            const std::size_t n = paced ? std::min(kPaceChunk, piece.bytes.size() - at) : piece.bytes.size() - at;
            if (paced) t += TimingModel::uart(n, baud);
            Pending p{t,
                      Bytes(piece.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                            piece.bytes.begin() + static_cast<std::ptrdiff_t>(at + n)),
                      false};
            at += n;
            p.hang_up = piece.disconnect_after && at == piece.bytes.size();
            queue_.push_back(std::move(p));
        } while (at < piece.bytes.size());
    }
    tx_free_ = t;
}

void Device::set_lines(std::optional<bool> dtr, std::optional<bool> rts, TimePoint now) {
    lines_driven_ = true;
    if (dtr) dtr_ = *dtr;
    if (rts) rts_ = *rts;
    const bool en_only = config_.reset_circuit == ResetCircuit::en_only;
    const bool en_low = en_only ? rts_ : rts_ && !dtr_;
    if (en_low) {
        release_at_.reset();
        watchdog_at_.reset(); // held in reset: the watchdog's reset changes nothing
        if (state_ != State::reset_held) {
            state_ = State::reset_held;
            queue_.clear();
            note(en_only ? "EN low (RTS asserted): chip held in reset"
                         : "EN low (RTS asserted, DTR not): chip held in reset");
        }
    } else if (state_ == State::reset_held && !release_at_) {
        release_at_ = now + kResetReleaseDelay;
    }
}

void Device::set_host_baud(std::uint32_t baud) {
    loader_.host_baud(baud);
    // Until the first SYNC the ROM autobauds to whatever the host uses.
    if (state_ == State::download && !loader_.synced() && baud != 0) uart_baud_ = baud;
}

void Device::tick(TimePoint now) {
    if (state_ == State::app) app_.poll(now);
    if (watchdog_at_ && now >= *watchdog_at_) {
        watchdog_at_.reset();
        const bool download = io0_low();
        note(std::string("RTC watchdog reset, IO0 ") + (download ? "low" : "high"));
        boot(now, ResetCause::watchdog, download, false);
    }
    if (release_at_ && now >= *release_at_) {
        release_at_.reset();
        const bool download = io0_low();
        note(std::string("EN released, IO0 ") + (download ? "low" : "high"));
        boot(now, ResetCause::external, download, false);
    }
}

std::optional<TimePoint> Device::next_event() const {
    std::optional<TimePoint> t = release_at_;
    if (watchdog_at_ && (!t || *watchdog_at_ < *t)) t = watchdog_at_;
    if (const auto app = state_ == State::app ? app_.next_deadline() : std::nullopt; app && (!t || *app < *t)) t = app;
    if (!queue_.empty() && (!t || queue_.front().due < *t)) t = queue_.front().due;
    return t;
}

Device::Output Device::take_output(TimePoint now) {
    Output out;
    while (!queue_.empty() && queue_.front().due <= now) {
        Pending& p = queue_.front();
        out.bytes.insert(out.bytes.end(), p.bytes.begin(), p.bytes.end());
        if (p.hang_up) {
            out.hang_up = true;
            queue_.clear();
            break;
        }
        queue_.pop_front();
    }
    return out;
}

} // namespace vesper::devsim
