#pragma once
// --log FILE: one JSON object per line for every frame the ROM handled, so a run can be replayed in a
// spreadsheet or checked by a test (what was asked, what came back, how long it took on a real line).
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

class CommandLog {
public:
    // Appends to `path` (created if missing). Throws Error(io) naming it.
    explicit CommandLog(const std::filesystem::path& path);
    ~CommandLog();
    CommandLog(const CommandLog&) = delete;
    CommandLog& operator=(const CommandLog&) = delete;

    void write(const CommandRecord& record);

private:
    std::FILE* file_ = nullptr;
    std::filesystem::path path_;
};

} // namespace vesper::devsim
