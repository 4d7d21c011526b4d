#pragma once
// Counters for GET /v1/_stats: requests, answers by status, faults injected by kind. The registry
// counts what happened to records (created, replays, mismatches, ...).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace vesper::backend {

class Stats {
public:
    void request();
    void answered(int status);
    void fault(const std::string& kind);
    // {"requests", "by_status": {"200": n}, "faults": {"fail": n, ...}}
    nlohmann::json to_json() const;

private:
    mutable std::mutex mutex_;
    std::uint64_t requests_ = 0;
    std::map<std::string, std::uint64_t> by_status_;
    std::map<std::string, std::uint64_t> faults_{
        {"outage", 0}, {"drop", 0}, {"fail", 0}, {"throttle", 0}, {"latency", 0}, {"slow", 0}, {"drop_after_write", 0}};
};

} // namespace vesper::backend
