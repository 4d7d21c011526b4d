#pragma once
// The application the simulated board runs after booting from flash: the 2nd stage bootloader's log
// (boot_log.hpp), a banner with the board's MAC, and the REAL factory console core of the companion
// firmware (firmware/lib/vesper_factory) on a simulated HAL (sim_hal.hpp). Its firmware name and version
// are the app image's app description. The app faults (faults.hpp) act here: no console (no-hello), a
// panic at a command, junk and bad-CRC lines before protocol lines, a late answer.
//
// Time: the firmware's clock is modelled. millis() is the time since the reset that booted the app;
// with realistic timing a request's answer goes out after the modelled time of the HAL calls it made
// (a Wi-Fi scan, relays settling), and the next request is taken once the firmware is free again.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devsim/faults.hpp"
#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "devsim/sim_hal.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper_factory.hpp"

namespace vesper::devsim {

using AppTime = std::chrono::steady_clock::time_point;

// How the app came to run: after which reset, or the ROM's jump into the flash boot path
// (FLASH_END "run user code", which resets nothing).
enum class AppStart { power_on, external, software, panic, watchdog, jump };

// One answered request, for the command log.
struct AppRequest {
    std::string command;
    std::uint32_t id = 0;
    bool ok = false;     // "ok" answer (else "err")
    Duration firmware{}; // the HAL calls' modelled time
    Duration late{};     // late-answer delay
    std::size_t request_bytes = 0;
    std::size_t answer_bytes = 0; // the answer line (and the hello before it, if this request woke the console)
};

struct AppOutput {
    struct Piece {
        std::string text;
        AppTime at; // not before
    };
    enum class Restart { none, software, panic };
    std::vector<Piece> pieces; // in order
    std::vector<AppRequest> requests;
    Restart restart = Restart::none; // the board restarts once the pieces are out
};

class App {
public:
    App(const esp::ChipInfo& chip, const Mac& mac, FlashStore& flash, std::uint32_t flash_id, FaultState& faults,
        bool realistic);
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Boots from flash at `at`: returns the boot log and, when an app runs, its banner and (unless the
    // factory flag is 1) the console's hello.
    std::string start(AppStart how, AppTime at);
    // Bytes received at `arrival`: what the app sends back, and when.
    AppOutput on_input(ByteView bytes, AppTime arrival);
    // Lets the console end its listening window.
    void poll(AppTime now);
    // When poll() must run next (the end of the listening window), if ever.
    std::optional<AppTime> next_deadline() const;

    // The banner's own line, so scripts can wait for it.
    std::string banner() const;
    bool console_running() const noexcept { return running_; }
    const vesper_factory::Console& console() const noexcept { return console_; }

private:
    std::uint32_t clock_ms(AppTime t) const;
    // The console's output with the line-noise fault applied.
    std::string shaped(const std::string& lines);
    std::string panic_text() const;

    const esp::ChipInfo& chip_;
    Mac mac_;
    FlashStore& flash_;
    FaultState& faults_;
    bool realistic_;
    SimHal hal_;
    vesper_factory::Console console_;
    // A second line assembler on the same bytes, so the app knows which request a line is before
    // the console answers it (panic-at, late-answer, the command log).
    vesper_factory::LineAssembler shadow_;
    vesper_factory::RxCounters shadow_counters_;
    std::string fw_name_, fw_version_; // the console keeps pointers to these
    const char* reset_reason_ = "poweron";
    bool running_ = false;
    std::uint64_t junk_lines_ = 0;
    AppTime boot_at_{};
    AppTime busy_until_{};
};

} // namespace vesper::devsim
