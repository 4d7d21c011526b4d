#include "vesper/station/events.hpp"

#include "vesper/core/text.hpp"

namespace vesper::station {

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

nlohmann::json to_json(const Event& e) {
    nlohmann::json j = {{"time", utc_iso8601_ms(e.at)},
                        {"event", to_string(e.kind)},
                        {"station", e.station},
                        {"port", e.port},
                        {"serial", e.serial.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.serial)},
                        {"mac", e.mac.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.mac)},
                        {"step", e.step.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.step)},
                        {"phase", e.phase},
                        {"attempt", e.attempt}};
    if (e.total > 0 || e.kind == EventKind::progress) {
        j["done"] = e.done;
        j["total"] = e.total;
        if (!e.unit.empty()) j["unit"] = e.unit;
    }
    // Byte rates keep their name from before steps had units.
    if (e.per_s > 0) j[e.unit == "bytes" ? "bytes_per_s" : "per_s"] = e.per_s;
    if (!e.activity.empty()) j["activity"] = e.activity;
    if (e.kind == EventKind::result) {
        j["result"] = to_string(e.result);
        j["cause"] = e.cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.cause);
        if (!e.code.empty()) j["code"] = e.code;
        j["seconds"] = e.seconds;
    }
    if (!e.message.empty()) j["message"] = e.message;
    return j;
}

} // namespace vesper::station
