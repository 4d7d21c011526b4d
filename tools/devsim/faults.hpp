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

    bool empty() const noexcept {
        return corrupt_every == 0 && drop_every == 0 && drop_frame == 0 && stalls.empty() && disconnect_after == 0 &&
               !fail_write_at && fail_write_block == 0 && max_baud == 0;
    }
};

// Adds one --fault spec to `plan`. Throws Error(input) quoting the spec and the accepted forms.
void add_fault(FaultPlan& plan, std::string_view spec);
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

private:
    FaultPlan plan_;
    std::uint64_t reply_frames_ = 0;
    std::uint64_t commands_ = 0;
    std::uint64_t flash_blocks_ = 0;
    std::uint64_t bytes_sent_ = 0;
};

} // namespace vesper::devsim
