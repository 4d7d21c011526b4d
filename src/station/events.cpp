#include "vesper/station/events.hpp"

#include <ctime>

namespace vesper::station {

const char* to_string(Phase phase) noexcept {
    switch (phase) {
    case Phase::waiting: return "waiting";
    case Phase::connect: return "connect";
    case Phase::bind: return "bind";
    case Phase::nvs: return "nvs";
    case Phase::check: return "check";
    case Phase::erase: return "erase";
    case Phase::write: return "write";
    case Phase::verify: return "verify";
    case Phase::reset: return "reset";
    case Phase::done: return "done";
    }
    return "?";
}

const char* to_string(EventKind kind) noexcept {
    switch (kind) {
    case EventKind::phase: return "phase";
    case EventKind::progress: return "progress";
    case EventKind::note: return "note";
    case EventKind::result: return "result";
    }
    return "?";
}

const char* to_string(BoardResult r) noexcept {
    switch (r) {
    case BoardResult::passed: return "passed";
    case BoardResult::failed: return "failed";
    case BoardResult::skipped: return "skipped";
    }
    return "?";
}

namespace {

// UTC with milliseconds: events of one board are often less than a second apart.
std::string iso8601_ms(std::chrono::system_clock::time_point at) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
    return buf;
}

} // namespace

nlohmann::json to_json(const Event& e) {
    nlohmann::json j = {{"time", iso8601_ms(e.at)},
                        {"event", to_string(e.kind)},
                        {"station", e.station},
                        {"port", e.port},
                        {"serial", e.serial.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.serial)},
                        {"mac", e.mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.mac)},
                        {"phase", to_string(e.phase)},
                        {"attempt", e.attempt}};
    if (e.total > 0 || e.kind == EventKind::progress) {
        j["done"] = e.done;
        j["total"] = e.total;
    }
    if (e.bytes_per_s > 0) j["bytes_per_s"] = e.bytes_per_s;
    if (e.kind == EventKind::result) {
        j["result"] = to_string(e.result);
        j["cause"] = e.cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.cause);
        j["seconds"] = e.seconds;
    }
    if (!e.message.empty()) j["message"] = e.message;
    return j;
}

} // namespace vesper::station
