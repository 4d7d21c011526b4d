#pragma once
// Fault injection for reliability tests. Every fault is counter- or rule-based (no randomness), so the same
// run against the same plan fails in the same place every time. Counters belong to the device and
// survive reconnects. Syntax (one --fault each, several allowed):
//   corrupt-every=N            every Nth byte sent to the host has its lowest bit flipped
//   drop-every=N               every Nth reply frame is not sent (SYNC's 8 replies count one by one)
//   drop-frame=N               the Nth reply frame is not sent (once; counted the same way)
//   stall-after-bytes=N:MS     once N bytes have gone to the host, send nothing for MS milliseconds
//   stall-after-commands=N:MS  the Nth command is answered MS milliseconds late
//   disconnect-after-bytes=N   the connection is closed after N bytes to the host (once)
//   fail-write-at=ADDR         any flash data block reaching ADDR or beyond fails (ROM error 0x08)
//   fail-write-block=N         the Nth flash data block (counting from 1) fails (ROM error 0x08)
//   max-baud=N                 the line cannot carry more than N baud: while the device's UART runs
//                              faster (after CHANGE_BAUDRATE), what it sends arrives garbled and what
//                              the host sends is lost, until a reset brings the UART back to 115200
// App faults (the factory console the simulated board runs after booting its app):
//   stuck-output=I             output I (0-based) always reads back on (repeatable)
//   weak-wifi                  every network the Wi-Fi scan sees is at -88 dBm or weaker
//   no-hello                   the app runs no factory console: boot log, then nothing; input ignored
//   panic-at=COMMAND           the first request for COMMAND makes the app panic (Guru Meditation,
//                              register dump, backtrace) and reboot
//   line-noise=N               before every Nth protocol line the app sends, a line of binary junk and
//                              a copy of the line with a wrong CRC
//   late-answer=COMMAND:MS     the answer to the first request for COMMAND goes out MS ms late
// Any spec may start with a device number and ':' ("6:stuck-output=2"): it then applies only to that
// device (counted from 1, in the order of the ready lines); without one it applies to every device.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devsim/timing.hpp"
#include "vesper/core/bytes.hpp"

namespace vesper::devsim {

struct FaultPlan {
    struct Stall {
        bool after_commands = false; // false: after bytes
        std::uint64_t after = 0;
        std::chrono::milliseconds duration{0};
    };
    std::uint64_t corrupt_every = 0; // 0: off
    std::uint64_t drop_every = 0;
    std::uint64_t drop_frame = 0;
    std::vector<Stall> stalls;
    std::uint64_t disconnect_after = 0;
    std::optional<std::uint32_t> fail_write_at;
    std::uint64_t fail_write_block = 0;
    std::uint32_t max_baud = 0; // 0: any speed gets through

    // The app's faults.
    struct LateAnswer {
        std::string command;
        std::chrono::milliseconds delay{0};
    };
    std::uint32_t stuck_outputs = 0; // bit I: output I reads back on
    bool weak_wifi = false;
    bool no_hello = false;
    std::string panic_at; // a command word; empty: off
    std::uint64_t line_noise = 0;
    std::optional<LateAnswer> late_answer;

    bool empty() const noexcept {
        return corrupt_every == 0 && drop_every == 0 && drop_frame == 0 && stalls.empty() && disconnect_after == 0 &&
               !fail_write_at && fail_write_block == 0 && max_baud == 0 && stuck_outputs == 0 && !weak_wifi &&
               !no_hello && panic_at.empty() && line_noise == 0 && !late_answer;
    }
};

// Outputs the stuck-output fault can name: the factory console tests at most 32.
inline constexpr std::uint32_t kMaxSimOutputs = 32;

// Adds one --fault spec (without a device prefix) to `plan`. Throws Error(input) quoting the spec and
// the accepted forms.
void add_fault(FaultPlan& plan, std::string_view spec);

// A --fault argument split at its optional device prefix: "6:stuck-output=2" is device 6 (1-based),
// spec "stuck-output=2"; "corrupt-every=9" and "stall-after-bytes=5:10" have no prefix.
struct FaultArgument {
    std::optional<int> device; // 1-based; nullopt: every device
    std::string_view spec;
};
// Throws Error(input) for a prefix that is 0 or too large to be a device number.
FaultArgument split_fault_argument(std::string_view argument);

// The plan of device `index` (0-based) of `count` from every --fault argument, in order. Throws
// Error(input) for a bad spec (whichever device it names) and for a device prefix beyond `count`.
FaultPlan fault_plan_for(const std::vector<std::string>& arguments, int index, int count);
// "corrupt-every=100, fail-write-at=0x10000" (for the startup line and logs); "none" when empty.
std::string describe(const FaultPlan& plan);

// Output bytes after the faults: what to send, a pause to insert first, and whether to hang up after.
struct WirePiece {
    Bytes bytes;
    Duration pause_before{};
    bool disconnect_after = false;
};

class FaultState {
public:
    explicit FaultState(FaultPlan plan = {}) : plan_(std::move(plan)) {}
    const FaultPlan& plan() const noexcept { return plan_; }

    // A reply frame is about to be queued: true when it must be dropped.
    bool drop_reply_frame();
    // A command arrived: how late to answer it.
    Duration command_stall();
    // A flash data block of `length` bytes at `address`: true when it must fail.
    bool fail_flash_write(std::uint32_t address, std::size_t length);
    // max-baud: true when the line cannot carry `baud`, so nothing gets through it intact.
    bool line_fails_at(std::uint32_t baud) const noexcept { return plan_.max_baud != 0 && baud > plan_.max_baud; }
    // A byte sent at a speed the line cannot carry, as the host reads it: shifted one bit, as when the
    // receiver samples a smeared edge. Bit 0 always ends up set, so a SLIP END (0xC0) never comes out
    // and no reply frame can complete by accident.
    static std::uint8_t garble(std::uint8_t b) noexcept { return static_cast<std::uint8_t>((b << 1) | 1); }
    // Applies byte faults (garbling above max-baud, corruption, byte stalls, disconnect) to bytes about
    // to go to the host at `baud`.
    std::vector<WirePiece> shape(ByteView wire, std::uint32_t baud);

    std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }

    // App faults, each consulted once per event and counted here so they survive app restarts.
    // A request for `command` arrived: true once, for the first one, when panic-at names it.
    bool panic_now(std::string_view command);
    // How late the answer to a request for `command` goes out (late-answer: the first one only).
    Duration answer_delay(std::string_view command);
    // The app is about to send a protocol line: true when line-noise puts junk before it.
    bool noise_before_line();

private:
    FaultPlan plan_;
    std::uint64_t reply_frames_ = 0;
    std::uint64_t commands_ = 0;
    std::uint64_t flash_blocks_ = 0;
    std::uint64_t bytes_sent_ = 0;
    bool panicked_ = false;
    bool answered_late_ = false;
    std::uint64_t app_lines_ = 0;
};

} // namespace vesper::devsim
