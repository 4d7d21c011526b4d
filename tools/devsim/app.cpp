#include "devsim/app.hpp"

#include <algorithm>

#include "devsim/boot_log.hpp"

namespace vesper::devsim {

namespace {

// What an ESP-IDF panic prints for a load from an invalid address, per instruction set: the exception's
// name, one register dump line and a backtrace (addresses are plausible for a small app, not real).
struct PanicText {
    esp::Isa isa;
    std::string_view exception;
    std::string_view registers;
    std::string_view backtrace;
};
constexpr PanicText kPanics[] = {
    {esp::Isa::xtensa, "LoadProhibited",
     "PC      : 0x400d2c3e  PS      : 0x00060730  A0      : 0x800d1f5c  A1      : 0x3ffb2270  ",
     "0x400d2c3b:0x3ffb2270 0x400d1f59:0x3ffb2290 0x40088e4d:0x3ffb22b0"},
    {esp::Isa::riscv, "Load access fault",
     "MEPC    : 0x42000a1e  RA      : 0x42000a1a  SP      : 0x3fc8f5e0  GP      : 0x3fc8a800  ",
     "0x42000a1e:0x3fc8f5e0 0x42002c75:0x3fc8f600 0x40385a2f:0x3fc8f620"},
};

// Binary junk for the line-noise fault: no line end inside, deterministic per occurrence.
std::string junk_line(std::uint64_t n) {
    std::string junk;
    for (std::uint64_t i = 0; i < 12; ++i) {
        auto b = static_cast<std::uint8_t>(0x80 + (n * 37 + i * 101) % 0x80);
        junk.push_back(static_cast<char>(b));
    }
    junk.insert(junk.begin() + 4, '\0');
    return junk + "\r\n";
}

// The same line with its CRC's last hex digit changed.
std::string bad_crc_copy(std::string line) {
    // "... <8 hex digits>\n": the last digit sits before the newline.
    const std::size_t at = line.size() >= 2 ? line.size() - 2 : 0;
    if (!line.empty()) line[at] = line[at] == '0' ? '1' : '0';
    return line;
}

} // namespace

App::App(const esp::ChipInfo& chip, const Mac& mac, FlashStore& flash, std::uint32_t flash_id, FaultState& faults,
         bool realistic)
    : chip_(chip), mac_(mac), flash_(flash), faults_(faults), realistic_(realistic),
      hal_(chip, mac, flash, flash_id, faults) {}

std::string App::banner() const {
    return "vesper-devsim app ready: chip " + std::string(chip_.name) + ", MAC " + esp::format_mac(mac_) + "\r\n";
}

std::uint32_t App::clock_ms(AppTime t) const {
    if (t <= boot_at_) return 0;
    return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t - boot_at_).count());
}

std::string App::start(AppStart how, AppTime at) {
    // esp_reset_reason() after each way in. An EN reset is a power-on reset where the ROM says so
    // (every ESP32-family ROM prints POWERON for it); the ROM's jump keeps the last reset's reason.
    const esp::RomBootText& rom = chip_.boot_text;
    switch (how) {
    case AppStart::power_on: reset_reason_ = "poweron"; break;
    case AppStart::external: reset_reason_ = rom.rst_external == rom.rst_poweron ? "poweron" : "ext"; break;
    case AppStart::software: reset_reason_ = "sw"; break;
    case AppStart::panic: reset_reason_ = "panic"; break;
    case AppStart::watchdog: reset_reason_ = "wdt"; break;
    case AppStart::jump: break;
    }
    boot_at_ = busy_until_ = at;
    running_ = false;
    shadow_.reset();

    const BootLog boot = boot_from_flash(chip_, flash_);
    std::string out = boot.text;
    if (!boot.app) return out;
    out += log_line('I', boot.ms, "app", "vesper devsim app, MAC " + esp::format_mac(mac_));
    out += banner();
    if (faults_.plan().no_hello) return out; // a product firmware without the factory console
    fw_name_ = boot.app->project_name;
    fw_version_ = boot.app->version;
    hal_.boot(reset_reason_, boot.app->sha256);
    hal_.set_clock(0); // millis() counts from the reset (boot_at_)
    console_.begin(hal_, fw_name_.c_str(), fw_version_.c_str());
    running_ = true;
    out += shaped(hal_.take_output());
    return out;
}

AppOutput App::on_input(ByteView bytes, AppTime arrival) {
    AppOutput out;
    if (!running_) return out;
    // The firmware reads the UART once it is done with the previous request.
    AppTime t = realistic_ ? std::max(arrival, busy_until_) : arrival;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const std::uint8_t byte = bytes[i];
        std::optional<vesper_factory::Request> request;
        if (shadow_.feed(byte, shadow_counters_)) {
            vesper_factory::Request r;
            if (vesper_factory::parse_request(shadow_.line(), shadow_.size(), r) == vesper_factory::ParseResult::ok)
                request = r;
        }
        hal_.set_clock(clock_ms(t));
        console_.poll();
        if (request && console_.state() != vesper_factory::Console::State::off && faults_.panic_now(request->word)) {
            out.pieces.push_back({panic_text(), t});
            out.restart = AppOutput::Restart::panic;
            running_ = false;
            return out;
        }
        const std::uint32_t answered = console_.answered();
        const std::size_t request_bytes = request ? shadow_.size() + 1 : 0;
        console_.feed(&byte, 1);
        const std::string text = hal_.take_output();
        if (!text.empty()) {
            const Duration busy = hal_.busy();
            const bool answer = request && console_.answered() != answered;
            const Duration late = answer ? faults_.answer_delay(request->word) : Duration::zero();
            if (realistic_) t += busy;
            out.pieces.push_back({shaped(text), t + late});
            if (answer) {
                AppRequest rec;
                rec.command = request->word;
                rec.id = request->id;
                // The answer is the last line written: "~VF1 <id> ok ..." or "~VF1 <id> err ...".
                const std::size_t last = text.rfind('\n', text.size() - 2);
                const std::string line = text.substr(last == std::string::npos ? 0 : last + 1);
                rec.ok = line.find(" ok {") != std::string::npos;
                rec.firmware = busy;
                rec.late = late;
                rec.request_bytes = request_bytes;
                rec.answer_bytes = out.pieces.back().text.size();
                out.requests.push_back(std::move(rec));
            }
        }
        if (hal_.take_reboot()) {
            out.restart = AppOutput::Restart::software;
            running_ = false;
            break; // what follows reaches a chip that is restarting
        }
    }
    busy_until_ = t;
    return out;
}

void App::poll(AppTime now) {
    if (!running_) return;
    hal_.set_clock(clock_ms(now));
    console_.poll();
}

std::optional<AppTime> App::next_deadline() const {
    if (!running_ || console_.state() != vesper_factory::Console::State::listening) return std::nullopt;
    return boot_at_ + std::chrono::milliseconds(vesper_factory::Console::kListenWindowMs);
}

std::string App::shaped(const std::string& lines) {
    std::string out;
    for (std::size_t at = 0; at < lines.size();) {
        const std::size_t end = lines.find('\n', at);
        const std::size_t next = end == std::string::npos ? lines.size() : end + 1;
        const std::string_view line = std::string_view(lines).substr(at, next - at);
        // Every line counts, so "every Nth line" means the same with and without the fault's output.
        if (faults_.noise_before_line()) out += junk_line(++junk_lines_) + bad_crc_copy(std::string(line));
        out += line;
        at = next;
    }
    return out;
}

std::string App::panic_text() const {
    const PanicText* p = &kPanics[0];
    for (const PanicText& row : kPanics)
        if (row.isa == chip_.isa) p = &row;
    std::string out =
        "Guru Meditation Error: Core  0 panic'ed (" + std::string(p->exception) + "). Exception was unhandled.\r\n\r\n";
    out += "Core  0 register dump:\r\n" + std::string(p->registers) + "\r\n\r\n";
    out += "Backtrace: " + std::string(p->backtrace) + "\r\n\r\n";
    out += "Rebooting...\r\n";
    return out;
}

} // namespace vesper::devsim
