#pragma once
// --log FILE: one JSON object per line for every frame the ROM handled and every request the app's
// factory console answered, so a run can be replayed in a spreadsheet or checked by a test (what was
// asked, what came back, how long it took on a real line and in the firmware).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace vesper::devsim {

struct CommandRecord {
    int device = 0;
    std::string op;                // "FLASH_DATA", or "0x42" for an unknown opcode, "-" for junk
    std::size_t request_bytes = 0; // packet (header + data) before SLIP
    std::size_t reply_bytes = 0;   // all reply packets before SLIP
    std::size_t reply_frames = 0;
    std::size_t wire_in = 0;  // SLIP-framed request bytes
    std::size_t wire_out = 0; // SLIP-framed reply bytes
    std::uint32_t baud = 0;
    double modelled_ms = 0; // UART in + processing + UART out at `baud`
    std::string result;
};

// A request the app's factory console answered.
struct AppCommandRecord {
    int device = 0;
    std::string command; // the request's word: "wifi_scan"
    std::uint32_t id = 0;
    std::string result;       // "ok" or "err"
    std::size_t wire_in = 0;  // the request line's bytes
    std::size_t wire_out = 0; // the answer's bytes (with the hello it woke, and any line noise)
    std::uint32_t baud = 0;   // the app's UART
    double firmware_ms = 0;   // the HAL calls' modelled time (the benchmark subtracts it from wall time)
    double modelled_ms = 0;   // UART in + firmware + any late-answer delay + UART out
};

class CommandLog {
public:
    // Appends to `path` (created if missing). Throws Error(io) naming it.
    explicit CommandLog(const std::filesystem::path& path);
    ~CommandLog();
    CommandLog(const CommandLog&) = delete;
    CommandLog& operator=(const CommandLog&) = delete;

    void write(const CommandRecord& record);
    void write(const AppCommandRecord& record);

private:
    void write_line(const std::string& line);

    std::FILE* file_ = nullptr;
    std::filesystem::path path_;
};

} // namespace vesper::devsim
