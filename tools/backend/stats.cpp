#include "backend/stats.hpp"

namespace vesper::backend {

void Stats::request() {
    std::lock_guard lock(mutex_);
    ++requests_;
}

void Stats::answered(int status) {
    std::lock_guard lock(mutex_);
    ++by_status_[std::to_string(status)];
}

void Stats::fault(const std::string& kind) {
    std::lock_guard lock(mutex_);
    ++faults_[kind];
}

nlohmann::json Stats::to_json() const {
    std::lock_guard lock(mutex_);
    return {{"requests", requests_}, {"by_status", by_status_}, {"faults", faults_}};
}

} // namespace vesper::backend
