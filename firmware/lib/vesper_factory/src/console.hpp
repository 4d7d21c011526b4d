#pragma once
// The factory console: what the product firmware calls. It reads requests from the bytes it is fed,
// answers them through the HAL, and decides whether it may speak at all (docs/firmware.md):
//
//  - factory flag (NVS vesper_fct/factory_ok) not 1: active from begin() on; the hello event goes out
//    at begin();
//  - flag 1: silent. During the first kListenWindowMs after boot it listens; the first valid request
//    whose newline arrives in that window activates it (hello first, then the answer). Otherwise it is
//    off for good until the next boot: it ignores every byte and never writes.
//
// All buffers are members (about 2.6 KB): declare the Console static, not on a stack.
#include <stddef.h>
#include <stdint.h>

#include "dispatcher.hpp"
#include "frame.hpp"
#include "hal.hpp"

namespace vesper_factory {

class Console {
public:
    static constexpr uint32_t kListenWindowMs = 3000;

    enum class State : uint8_t {
        off,       // before begin(), or the listening window passed: never writes
        listening, // factory flag set, inside the window: reads, never writes
        active,    // answers requests
    };

    // Reads the factory flag and starts the console; fw_name/fw_version (kept by pointer: pass string
    // literals) are reported by hello and info.
    void begin(Hal& hal, const char* fw_name, const char* fw_version);

    // Takes bytes received on the console. A complete request is answered before feed() returns, so
    // call it from the loop, not from an interrupt: a command may take seconds (wifi_scan).
    void feed(const uint8_t* data, size_t len);
    void feed(const char* data, size_t len) { feed(reinterpret_cast<const uint8_t*>(data), len); }

    // Call often from the loop; never blocks. Ends the listening window when it has passed.
    void poll();

    State state() const { return state_; }
    // Lines received and not answered (not requests, bad CRC, too long).
    const RxCounters& counters() const { return counters_; }
    // Requests answered since begin().
    uint32_t answered() const { return answered_; }

private:
    bool window_passed();
    void handle_line();
    void write(const char* data, size_t len);

    Hal* hal_ = nullptr;
    State state_ = State::off;
    Dispatcher dispatcher_;
    LineAssembler assembler_;
    RxCounters counters_;
    uint32_t answered_ = 0;
    char out_[kMaxAnswerLine + 1] = {};
};

} // namespace vesper_factory
