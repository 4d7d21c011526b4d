#pragma once
// What a station run reports while it works: one stream of events, each about one port. Workers emit
// them from their own threads; the runner serialises the calls, so a sink never needs a lock. The CLI
// turns them into live TTY lines or JSON lines (docs/cli.md, "station events").
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace vesper::station {

// Where a port is in the pipeline.
enum class Phase {
    waiting, // no board yet (provision), or done and waiting for the next board
    connect, // reset, SYNC, chip, MAC, flash id
    bind,    // MAC -> serial in the ledger
    nvs,     // rendering this device's NVS image
    check,   // does the board already hold a region (MD5)
    erase,
    write,
    verify,
    reset, // into the application
    done,  // result event follows
};
const char* to_string(Phase phase) noexcept;

enum class EventKind {
    phase,    // the port entered a phase
    progress, // bytes moved within the board's flash work
    note,     // a warning or remark worth showing (baud fallback, retry)
    result,   // the board on this port passed, failed or was already done
};
const char* to_string(EventKind kind) noexcept;

enum class BoardResult { passed, failed, skipped };
const char* to_string(BoardResult r) noexcept;

struct Event {
    EventKind kind = EventKind::phase;
    std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
    std::string station;
    std::string port;
    std::string serial; // empty until bound
    std::string mac;    // empty until connected
    Phase phase = Phase::waiting;
    std::uint64_t done = 0;  // bytes of this board's flash work handled so far (all regions)
    std::uint64_t total = 0; // bytes of this board's flash work (all regions), 0 before planning
    double bytes_per_s = 0;  // flash bytes per second in the current phase, when known
    int attempt = 1;         // 1 for the first try at this board, 2 for the first retry...
    // kind == result:
    BoardResult result = BoardResult::passed;
    std::string cause;   // failures: connect, chip_mismatch, bind, nvs, write, verify, too_slow, ...
    double seconds = 0;  // board time
    std::string message; // note text, failure reason, or why a board was skipped
};

// The JSON line for an event: {"time","station","port","serial","mac","event","phase",...}.
nlohmann::json to_json(const Event& event);

using EventSink = std::function<void(const Event&)>;

} // namespace vesper::station
