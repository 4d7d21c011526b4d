#include "devsim/command_log.hpp"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::devsim {

CommandLog::CommandLog(const std::filesystem::path& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "a");
    if (!file_) fail(ErrorCode::io_write, "cannot open --log file '" + path.string() + "': " + std::strerror(errno));
}

CommandLog::~CommandLog() {
    if (file_) std::fclose(file_);
}

void CommandLog::write(const CommandRecord& r) {
    nlohmann::json j = {
        {"time", now_utc_iso8601()},
        {"device", r.device},
        {"op", r.op},
        {"request_bytes", r.request_bytes},
        {"reply_bytes", r.reply_bytes},
        {"reply_frames", r.reply_frames},
        {"wire_in", r.wire_in},
        {"wire_out", r.wire_out},
        {"baud", r.baud},
        {"modelled_ms", r.modelled_ms},
        {"result", r.result},
    };
    write_line(json_text(j) + "\n");
}

void CommandLog::write(const AppCommandRecord& r) {
    nlohmann::json j = {
        {"time", now_utc_iso8601()},
        {"device", r.device},
        {"layer", "app"},
        {"op", r.command},
        {"id", r.id},
        {"wire_in", r.wire_in},
        {"wire_out", r.wire_out},
        {"baud", r.baud},
        {"firmware_ms", r.firmware_ms},
        {"modelled_ms", r.modelled_ms},
        {"result", r.result},
    };
    write_line(json_text(j) + "\n");
}

void CommandLog::write_line(const std::string& line) {
    // Flushed per line: the log is read while the simulator still runs.
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
        fail(ErrorCode::io_write, "cannot write --log file '" + path_.string() + "': " + std::strerror(errno));
}

} // namespace vesper::devsim
