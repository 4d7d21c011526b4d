#include "vesper/ledger/ledger_json.hpp"

namespace vesper::ledger {

namespace {

nlohmann::json null_if_empty(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json opt_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

} // namespace

nlohmann::json batch_json(const Batch& b) {
    return {{"id", b.id},
            {"board_type", b.board_type},
            {"revision", b.revision},
            {"quantity", b.quantity},
            {"subscription_plan", b.subscription_plan},
            {"available_outputs", b.available_outputs},
            {"created_at", b.created_at},
            {"operator", b.operator_name}};
}

nlohmann::json counts_json(const std::map<DeviceStatus, int>& counts) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [status, n] : counts)
        j[to_string(status)] = n;
    return j;
}

// A device as `batch show` and `export` give it: the backend record, then where and with what it was
// last flashed (not backend fields; null until flashed).
nlohmann::json device_json(const Device& d) {
    auto j = nlohmann::json::parse(backend_record_json(d));
    j["station"] = null_if_empty(d.station);
    j["port"] = null_if_empty(d.port);
    j["firmware_version"] = null_if_empty(d.firmware_version);
    return j;
}

nlohmann::json report_device_json(const DeviceReportRow& row) {
    const auto& d = row.device;
    auto phases = nlohmann::json::parse(row.phases, nullptr, false); // validated when written
    if (phases.is_discarded()) phases = nlohmann::json::object();
    return {{"serial", d.serial},
            {"status", to_string(d.status)},
            {"mac", null_if_empty(d.mac)},
            {"station", null_if_empty(d.station)},
            {"port", null_if_empty(d.port)},
            {"firmware_version", null_if_empty(d.firmware_version)},
            {"flash_attempts", row.flash_attempts},
            {"flash_seconds", row.flash_seconds},
            {"phases", phases},
            {"failure_cause", null_if_empty(row.failure_cause)},
            {"last_error", null_if_empty(d.last_error)},
            {"test_attempts", row.test_attempts}};
}

nlohmann::json report_json(const BatchReport& r) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& row : r.devices)
        devices.push_back(report_device_json(row));
    nlohmann::json stations = nlohmann::json::array();
    for (const auto& st : r.stations)
        stations.push_back({{"station", st.station},
                            {"passed", st.passed},
                            {"failed", st.failed},
                            {"unbound_failed", st.unbound_failed},
                            {"span_seconds", st.span_seconds},
                            {"boards_per_hour", opt_number(st.boards_per_hour)},
                            {"no_rate", null_if_empty(st.no_rate)}});
    auto causes_json = [](const std::map<std::string, int>& by_cause) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& [cause, n] : by_cause)
            j[cause] = n;
        return j;
    };
    nlohmann::json unbound = nlohmann::json::array();
    for (const auto& u : r.unbound_failures)
        unbound.push_back({{"station", u.station},
                           {"port", u.port},
                           {"failed", u.failed},
                           {"failures_by_cause", causes_json(u.by_cause)}});
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& st : r.steps)
        steps.push_back({{"step", st.step},
                         {"attempts", st.attempts},
                         {"passed", st.passed},
                         {"failed", st.failed},
                         {"devices", st.devices},
                         {"first_pass", st.first_pass},
                         {"first_pass_yield", opt_number(st.first_pass_yield)},
                         {"p50_seconds", opt_number(st.p50_seconds)},
                         {"p95_seconds", opt_number(st.p95_seconds)},
                         {"failures_by_cause", causes_json(st.failures_by_cause)}});
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : r.tests)
        tests.push_back({{"name", t.name},
                         {"runs", t.runs},
                         {"passed", t.passed},
                         {"failed", t.failed},
                         {"skipped", t.skipped},
                         {"devices_failed", t.devices_failed},
                         {"p50_seconds", opt_number(t.p50_seconds)}});
    nlohmann::json dead = nlohmann::json::array();
    for (const auto& e : r.registration.dead_letters)
        dead.push_back(
            {{"serial", e.serial}, {"error", e.last_error}, {"response", e.response}, {"attempts", e.attempts}});
    return {{"batch", batch_json(r.batch)},
            {"devices", devices},
            {"summary",
             {{"counts", counts_json(r.counts)},
              {"stations", stations},
              {"p50_seconds", opt_number(r.p50_seconds)},
              {"p95_seconds", opt_number(r.p95_seconds)},
              {"failures_by_cause", causes_json(r.failures_by_cause)},
              {"unbound_failures", unbound},
              {"steps", steps},
              {"tests", tests},
              {"registration",
               {{"queued", r.registration.queued}, {"waiting", r.registration.waiting}, {"dead_letters", dead}}},
              {"attempts", r.attempts}}}};
}

nlohmann::json export_json(const std::vector<Device>& devices) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : devices)
        arr.push_back(device_json(d));
    return arr;
}

} // namespace vesper::ledger
