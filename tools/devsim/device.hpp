#pragma once
// One simulated board: the chip's reset and strapping logic, its UART (paced at the current baud when
// timing is realistic), the ROM loader in download mode and the app (with the factory console)
// otherwise, with the fault plan applied to what goes back to the host. Driven by the server with the current time; it
// never blocks and never reads a clock itself, so tests can drive it step by step.
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "devsim/app.hpp"
#include "devsim/command_log.hpp"
#include "devsim/faults.hpp"
#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "devsim/register_file.hpp"
#include "devsim/rom_loader.hpp"
#include "devsim/timing.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/rom/slip.hpp"

namespace vesper::devsim {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class BootMode { download, app };
BootMode parse_boot_mode(std::string_view text); // "download" | "app"; Error(input) otherwise

// How the USB-UART's DTR and RTS reach the chip (RFC 2217 ports; other ports have no lines).
enum class ResetCircuit {
    auto_reset, // the usual two transistors: EN low for RTS without DTR, IO0 low for DTR without RTS
    en_only,    // RTS pulls EN low, DTR is not wired, IO0 is the board's strap (--boot): some cheap
                // adapters and custom boards wire only this, so a reset reboots into whatever IO0 says
};
ResetCircuit parse_reset_circuit(std::string_view text); // "auto" | "en-only"; Error(input) otherwise

// How long EN must stay high before the chip leaves reset. Devkits put an RC on EN (10 kOhm, 1 uF);
// the delay is what lets esptool's two separate DTR and RTS writes pass through the state where both
// are asserted (EN high, IO0 high) without booting the app.
inline constexpr std::chrono::milliseconds kResetReleaseDelay{10};

struct DeviceConfig {
    int index = 0;
    const esp::ChipInfo* chip = nullptr;
    Mac mac{};
    // Power-on boot mode, and the IO0 strap of a port without control lines (tcp, pty): "download"
    // models a board whose BOOT strap is held low.
    BootMode boot = BootMode::download;
    ResetCircuit reset_circuit = ResetCircuit::auto_reset;
    TimingModel timing;
    FaultPlan faults;
};

class Device {
public:
    enum class State {
        reset_held, // EN low
        download,   // ROM serial loader running
        app,        // application running
        halted,     // jumped to RAM code (MEM_END with an entry point): silent until reset
    };
    enum class ResetCause { power_on, external, software, watchdog, panic };

    Device(DeviceConfig config, FlashStore flash, CommandLog* log = nullptr,
           std::function<void(const std::string&)> note = {});

    void power_on(TimePoint now);
    // A host is (not) listening: while none is, output is lost as on an unconnected UART.
    void attach_host(TimePoint now);
    void detach_host();
    void receive(ByteView bytes, TimePoint now);
    // DTR/RTS through the configured reset circuit (RFC 2217 only); nullopt = unchanged.
    void set_lines(std::optional<bool> dtr, std::optional<bool> rts, TimePoint now);
    // The host port's baud rate, when the transport reports it.
    void set_host_baud(std::uint32_t baud);

    // Time-driven work: leaving reset. Call when now >= next_event().
    void tick(TimePoint now);
    std::optional<TimePoint> next_event() const;

    struct Output {
        Bytes bytes;
        bool hang_up = false; // a disconnect fault fired: close the connection after these bytes
    };
    // Bytes due by `now`, in order.
    Output take_output(TimePoint now);

    State state() const noexcept { return state_; }
    std::uint32_t uart_baud() const noexcept { return uart_baud_; }
    const DeviceConfig& config() const noexcept { return config_; }
    FlashStore& flash() noexcept { return flash_; }
    RomLoader& loader() noexcept { return loader_; }
    const FaultState& faults() const noexcept { return faults_; }
    const App& app() const noexcept { return app_; }
    bool line_dtr() const noexcept { return dtr_; }
    bool line_rts() const noexcept { return rts_; }

private:
    struct Pending {
        TimePoint due;
        Bytes bytes;
        bool hang_up = false;
    };

    bool io0_low() const;
    void boot(TimePoint now, ResetCause cause, bool download, bool keep_output);
    void start_app(TimePoint at, AppStart how);
    void app_input(ByteView bytes, TimePoint arrival);
    void handle_frame(const Bytes& frame, TimePoint arrival);
    void emit(ByteView wire, TimePoint earliest, std::uint32_t baud);
    void emit_text(const std::string& text, TimePoint earliest, std::uint32_t baud);
    void note(const std::string& text) const;

    DeviceConfig config_;
    const esp::ChipInfo& chip_;
    FlashStore flash_;
    RegisterFile regs_;
    FaultState faults_;
    RomLoader loader_;
    App app_;
    CommandLog* log_;
    std::function<void(const std::string&)> note_;

    State state_ = State::reset_held;
    esp::SlipDecoder decoder_;
    std::uint32_t uart_baud_ = 115200;
    bool host_attached_ = false;
    bool lines_driven_ = false; // a host has set DTR/RTS: the reset circuit decides EN (and IO0)
    bool dtr_ = false, rts_ = false;
    std::optional<TimePoint> release_at_;
    std::optional<TimePoint> watchdog_at_; // the armed RTC watchdog fires then
    TimePoint rx_free_{}, tx_free_{};
    std::deque<Pending> queue_;
};

} // namespace vesper::devsim
