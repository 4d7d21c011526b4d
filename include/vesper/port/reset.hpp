#pragma once
// Getting a board into its ROM download mode (and back to the app) with DTR and RTS.
//
// On the usual dev-board circuit DTR drives IO0 and RTS drives EN, both through a transistor pair
// that only pulls EN low for RTS without DTR, and IO0 low for DTR without RTS. Download mode = EN
// released while IO0 is low. Sequences and delays follow esptool (docs/esp-rom-notes.md 9.1):
//   classic        D0 R1 W100 D1 R0 W50  D0          (one line per call)
//   classic extra  same with W550
//   unix tight     U00 U11 U01 W100 U10 W50 U00 D0   (both lines per call, one TIOCMSET)
//   tight extra    same with W550
//   USB-JTAG-Serial R0 D0 W100 D1 R0 W100 R1 D0 R1 W100 D0 R0
//   hard reset     D0 R1 W100 R0  (USB-JTAG-Serial: W200 each, so the chip can take the next change)
// Every sequence is data (LineStep lists) and the sleep is injectable, so tests observe exactly
// which line states a transport was asked for, and in what order.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/port/transport.hpp"

namespace vesper::esp {

// --before: how the connect begins (esptool's modes).
enum class BeforeConnect {
    reset,            // default-reset: DTR/RTS into download mode before each attempt (strategies rotate)
    usb_reset,        // usb-reset: only the USB-Serial/JTAG sequence, for boards on the chip's own USB
    no_reset,         // no-reset: no line changes, SYNC only (the board is already in download mode)
    no_reset_no_sync, // no-reset-no-sync: neither reset nor SYNC (the loader is already synced, e.g. by
                      // an earlier run with --after no-reset): straight to the first command
};

// --after: how the work ends (esptool's modes; no stub is ever run, so "stay" is the ROM loader).
enum class AfterFlash {
    hard_reset,     // hard-reset: RTS pulse into the app (ROM "run user code" where the port has no lines)
    soft_reset,     // soft-reset: the ROM's own way into the app, FLASH_BEGIN 0 + FLASH_END "run user code"
    watchdog_reset, // watchdog-reset: WRITE_REGs arming the RTC watchdog, which resets the chip (rows
                    // with ChipInfo::rtc_watchdog only); works where DTR/RTS cannot reset (USB-OTG)
    stay,           // no-reset (also no-reset-stub): leave the ROM loader running
};

// One accepted spelling of a mode. The first row of each mode is its canonical name (to_string);
// esptool's underscore spellings are accepted for every row ('_' and '-' are the same, case ignored).
template <class Mode> struct ModeName {
    std::string_view name;
    Mode mode;
    std::string_view help; // empty on alias rows
};
std::span<const ModeName<BeforeConnect>> before_mode_names();
std::span<const ModeName<AfterFlash>> after_mode_names();
std::string_view to_string(BeforeConnect mode);
std::string_view to_string(AfterFlash mode);
// nullopt for a name no row has.
std::optional<BeforeConnect> before_mode_from_name(std::string_view name);
std::optional<AfterFlash> after_mode_from_name(std::string_view name);
// Like the above, but Error(input) naming `option`, the value and the accepted names.
BeforeConnect parse_before_mode(std::string_view name, std::string_view option = "--before");
AfterFlash parse_after_mode(std::string_view name, std::string_view option = "--after");
// The canonical names, "default-reset, usb-reset, ..." (for help texts and messages).
std::string before_mode_list();
std::string after_mode_list();

enum class ResetKind {
    none,             // no line changes: the board is already in download mode (or has no lines)
    classic,          // DTR and RTS set one after the other, 50 ms hold of IO0
    classic_extra,    // same, 550 ms hold: boards with a large EN capacitor
    unix_tight,       // both lines in one call, 50 ms
    unix_tight_extra, // both lines in one call, 550 ms
    usb_jtag_serial,  // the ESP32-C3/S3/C6/H2... built-in USB-Serial/JTAG controller
};

inline constexpr std::chrono::milliseconds kResetDelay{50};       // esptool DEFAULT_RESET_DELAY
inline constexpr std::chrono::milliseconds kResetExtraDelay{550}; // esptool: default + 500 ms
inline constexpr std::uint16_t kEspressifUsbVid = 0x303A;
inline constexpr std::uint16_t kUsbJtagSerialPid = 0x1001;

// Set the given lines in ONE set_lines() call (nullopt leaves a line alone), then wait.
struct LineStep {
    std::optional<bool> dtr;
    std::optional<bool> rts;
    std::chrono::milliseconds wait{0};
    bool operator==(const LineStep&) const = default;
};

using SleepFn = std::function<void(std::chrono::milliseconds)>;
// std::this_thread::sleep_for.
void real_sleep(std::chrono::milliseconds d);

std::vector<LineStep> reset_steps(ResetKind kind);
std::vector<LineStep> hard_reset_steps(bool usb_jtag_serial);
// esptool's custom-reset notation, for logs and tests: "D0|R1|W0.1|D1|R0|W0.05|D0", "U1,0" for both.
std::string describe(const std::vector<LineStep>& steps);

std::string_view to_string(ResetKind kind);
// Accepts to_string() names and '-' for '_' ("classic-extra"); nullopt for anything else.
std::optional<ResetKind> reset_kind_from_name(std::string_view name);

// The local port is an Espressif USB-Serial/JTAG controller (VID 0x303A, PID 0x1001).
bool is_usb_jtag_serial(const Transport& t);

// Strategies to rotate through across connect attempts, like esptool:
//   no control lines (socket://, a pty) -> none (only SYNC)
//   USB-Serial/JTAG                     -> usb_jtag_serial, then the ones below
//   lines set atomically (local port)   -> unix_tight, unix_tight_extra, classic, classic_extra
//   otherwise (rfc2217://)              -> classic, classic_extra
//   --before usb-reset                  -> usb_jtag_serial only; no-reset(-no-sync) -> nothing
std::vector<ResetKind> connect_reset_strategies(const Transport& t, BeforeConnect before = BeforeConnect::reset);
ResetKind connect_reset_strategy(const Transport& t, unsigned attempt, BeforeConnect before = BeforeConnect::reset);
// The connect resets the board before its attempts (a mode with a sequence, on a port with lines).
bool resets_before_connect(const Transport& t, BeforeConnect before);

// Plays `steps` on the transport. A transport without lines ignores them but still sleeps, so the
// timing seen by the board side does not depend on the link type.
void run_line_steps(Transport& t, const std::vector<LineStep>& steps, const SleepFn& sleep = real_sleep);
void run_reset(Transport& t, ResetKind kind, const SleepFn& sleep = real_sleep);
// Runs the strategy for connect attempt `attempt` (0-based) and returns which one it was.
ResetKind connect_reset_sequence(Transport& t, unsigned attempt, const SleepFn& sleep = real_sleep,
                                 BeforeConnect before = BeforeConnect::reset);
// Pulses RTS with DTR deasserted: the chip restarts and boots the app. Returns false (and does
// nothing) when the transport has no control lines: then only a command (watchdog reset) can do it.
bool hard_reset(Transport& t, const SleepFn& sleep = real_sleep);

} // namespace vesper::esp
