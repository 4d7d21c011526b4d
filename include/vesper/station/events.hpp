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

// Where a port is: the worker's own phases around the steps', and each step's phases by name
// (Step::phases(), e.g. flash's "nvs", "check", "erase", "write", "verify", "reset").
namespace phase {
inline constexpr const char* waiting = "waiting"; // no board yet (provision), or done and waiting for the next
inline constexpr const char* connect = "connect"; // reset, SYNC, chip, MAC, flash id
inline constexpr const char* bind = "bind";       // MAC -> serial in the ledger
inline constexpr const char* done = "done";       // result event follows
} // namespace phase

enum class EventKind {
    phase,    // the port entered a phase
    progress, // work done within the step (done/total of the step's unit)
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
    std::string serial;                 // empty until bound
    std::string mac;                    // empty until connected
    std::string step;                   // the step running, empty outside one (connect, bind, waiting)
    std::string phase = phase::waiting; // the worker's phase or the step's
    std::uint64_t done = 0;             // of the step's work so far, in `unit`
    std::uint64_t total = 0;            // the step's work, 0 while unknown
    std::string unit;                   // what done/total count ("bytes"), from the step
    double per_s = 0;                   // units per second in the current phase, when known
    std::string activity;               // what the step is busy with in its phase (the test running)
    int attempt = 1;                    // 1 for the first try at this board, 2 for the first retry...
    // kind == result:
    BoardResult result = BoardResult::passed;
    std::string cause;   // failures: connect, chip_mismatch, bind, nvs, write, verify, too_slow, ...
    std::string code;    // failures: the error's stable code (esp.no_sync, flash.verify, ...)
    double seconds = 0;  // board time
    std::string message; // note text, failure reason, or why a board was skipped
};

// The JSON line for an event: {"time","station","port","serial","mac","event","phase",...}.
nlohmann::json to_json(const Event& event);

using EventSink = std::function<void(const Event&)>;

} // namespace vesper::station
