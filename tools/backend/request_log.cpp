#include "backend/request_log.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

RequestLog::RequestLog(const std::string& path) {
    if (path.empty()) return;
    file_ = std::fopen(path.c_str(), "a");
    if (!file_) throw Error(ErrorCode::io_write, "log " + path + ": cannot be opened for appending");
}

RequestLog::~RequestLog() {
    if (file_) std::fclose(file_);
}

void RequestLog::write(const LogEntry& e) {
    if (!file_) return;
    const nlohmann::json j{{"time", utc_iso8601_ms(std::chrono::system_clock::now())},
                           {"method", e.method},
                           {"path", e.path},
                           {"status", e.status == 0 ? nlohmann::json(nullptr) : nlohmann::json(e.status)},
                           {"key", e.key.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.key)},
                           {"fault", e.fault},
                           {"ms", static_cast<double>(static_cast<long long>(e.ms * 10)) / 10},
                           {"replayed", e.replayed}};
    const std::string line = json_text(j) + "\n";
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
}

} // namespace vesper::backend
