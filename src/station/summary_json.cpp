#include "vesper/station/runner.hpp"

namespace vesper::station {

namespace {

nlohmann::json or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

} // namespace

nlohmann::json summary_json(const RunSummary& s) {
    nlohmann::json boards = nlohmann::json::array();
    for (const auto& b : s.boards)
        boards.push_back({{"port", b.port},
                          {"serial", or_null(b.serial)},
                          {"mac", or_null(b.mac)},
                          {"result", to_string(b.result)},
                          {"cause", or_null(b.cause)},
                          {"error", or_null(b.error)},
                          {"seconds", b.seconds},
                          {"attempts", b.attempts}});
    return {{"event", "summary"},
            {"passed", s.count(BoardResult::passed)},
            {"failed", s.count(BoardResult::failed)},
            {"skipped", s.count(BoardResult::skipped)},
            {"stopped", s.stopped},
            {"batch_complete", s.batch_complete},
            {"boards", boards},
            {"failed_ports", s.failed_ports()}};
}

} // namespace vesper::station
