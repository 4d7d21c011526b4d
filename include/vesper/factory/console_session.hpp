#pragma once
// A conversation with a board's app console over a byte pipe: the factory protocol's requests and
// answers (docs/factory-protocol.md) in the middle of whatever else the board prints. Bytes are assembled
// into lines; protocol lines are decoded, everything else is kept as the captured log (bounded) and
// watched for signs of a crash. Every wait has a deadline on std::chrono::steady_clock and every read
// of the transport is bounded by what is left of it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vesper/factory/frame.hpp"
#include "vesper/port/transport.hpp"

namespace vesper::factory {

using Millis = std::chrono::milliseconds;

// What the session has seen, for reports and for telling a noisy cable from a quiet board.
struct ConsoleCounters {
    std::uint64_t lines = 0;     // every line received
    std::uint64_t log_lines = 0; // lines without the sentinel (kept in the log)
    std::uint64_t frames = 0;    // valid protocol lines
    std::uint64_t ignored = 0;   // protocol-looking lines dropped: too_long + malformed + bad_crc
    std::uint64_t too_long = 0;
    std::uint64_t malformed = 0;
    std::uint64_t bad_crc = 0;
    std::uint64_t stale = 0;       // answers whose id was not the request in flight
    std::uint64_t unsolicited = 0; // id-0 lines that are not a hello (events this host does not know)
    std::uint64_t requests = 0;    // request lines sent (a retry is another request)
};

// An answer to one request.
struct Answer {
    bool ok = false;     // "ok"; false for "err"
    nlohmann::json body; // the answer's object; for err {"code": ..., "message": ...}
    std::uint32_t id = 0;
    Millis elapsed{0}; // from sending the request to the answer's line
    // For err answers: "code: message" as the board said it.
    std::string error_text() const;
};

// The result of expect_line.
struct LineMatch {
    bool matched = false; // false: a not_matching pattern matched first
    std::string line;     // the line that matched (or was rejected)
    int rejected_by = -1; // index into not_matching when !matched
    Millis elapsed{0};
};

struct ConsoleOptions {
    std::size_t log_capacity = 64 * 1024; // the captured log keeps the newest this many bytes
    // A received "line" longer than this without a line end is cut here (a board printing binary junk
    // must not grow memory); the pieces are then lines like any other.
    std::size_t max_line = 4096;
    // wait_hello: how long to listen for the hello event before asking for it with a `hello` request
    // (a board whose console only starts when a request comes within 3 s of boot needs to be asked;
    // docs/firmware.md), and then again every this long.
    Millis hello_ask_after{1000};
};

class ConsoleSession {
public:
    explicit ConsoleSession(esp::Transport& port, ConsoleOptions options = {});

    // Waits for the board's hello (the id-0 event, or the answer to a `hello` request sent after
    // options.hello_ask_after) and returns its object; returns at once if one was seen already.
    // Error(factory.no_hello) naming the port when none comes within `timeout`; Error(factory.crash)
    // when a panic line is printed meanwhile, or when the ROM resets the chip a second time (a boot loop).
    const nlohmann::json& wait_hello(Millis timeout);
    // The hello object, once seen.
    const std::optional<nlohmann::json>& hello() const { return hello_; }

    // Sends `command` with `args` (an object, or null for {}) under the next id and waits for the answer
    // with that id; answers with other ids are counted stale and skipped. Error(factory.timeout) when no
    // answer comes within `timeout`, Error(factory.crash) on a panic line or (after the hello) a ROM reset
    // line, Error(input.invalid) for a request the board could not take (too long).
    Answer request(std::string_view command, const nlohmann::json& args, Millis timeout);

    // For consoles that do not speak the protocol: sends `send` and a newline (nothing when empty), then
    // waits for a received line in which `match` finds a match; a line in which one of `not_matching`
    // does is returned at once as not matched. The crash lines count as for request().
    // Error(factory.timeout) when no line matches within `timeout`.
    LineMatch expect_line(std::string_view send, const std::regex& match, const std::vector<std::regex>& not_matching,
                          Millis timeout);

    // Tells the session the board is about to restart on purpose (after a `reboot` request): its next ROM
    // reset line and hello are expected, not a crash. wait_hello() then waits for the new hello.
    void expect_restart();

    // The captured log: the newest options.log_capacity bytes of the non-protocol lines, each ended by "\n".
    const std::string& log() const { return log_; }
    // How many bytes of log were dropped from the front to keep it bounded.
    std::uint64_t log_dropped() const { return log_dropped_; }
    const ConsoleCounters& counters() const { return counters_; }
    // The id the next request will use (1..65535; after 65535 comes 1).
    std::uint32_t next_id() const { return next_id_; }
    void set_next_id(std::uint32_t id); // 0 and ids beyond 65535 become 1
    esp::Transport& port() { return port_; }

private:
    using Clock = std::chrono::steady_clock;
    enum class Waiting { hello, answer, line };

    // Reads until a line is complete or `deadline` passes; nullopt at the deadline.
    std::optional<std::string> next_line(Clock::time_point deadline);
    // Watches a log line for a crash; throws Error(factory.crash) when `waiting` makes it one.
    void watch(const std::string& line, Waiting waiting);
    void keep_log(const std::string& line);
    // Decodes and counts; an id-0 hello is taken as the hello. Returns the frame if it is one.
    std::optional<Frame> take(const std::string& line, Waiting waiting);
    std::uint32_t take_id();
    void send(const std::string& line);

    esp::Transport& port_;
    ConsoleOptions options_;
    std::string pending_;            // bytes of the line being assembled
    std::vector<std::string> ready_; // complete lines not yet handed out, oldest first
    std::size_t ready_pos_ = 0;
    std::string log_;
    std::uint64_t log_dropped_ = 0;
    ConsoleCounters counters_;
    std::optional<nlohmann::json> hello_;
    int resets_seen_ = 0; // ROM reset lines since the last expected (re)start, before a hello
    bool restart_expected_ = false;
    std::uint32_t next_id_ = 1;
};

} // namespace vesper::factory
