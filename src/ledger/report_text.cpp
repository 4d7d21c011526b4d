#include "vesper/ledger/report_text.hpp"

#include <cstdio>
#include <sstream>

#include "vesper/core/json_text.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/ledger/ledger_json.hpp"

namespace vesper::ledger {

namespace {

std::string cell_of(const nlohmann::json& v) {
    return v.is_null() ? "" : v.is_string() ? v.get<std::string>() : json_text(v);
}

// A header line of column names, then one line per row with each row's value under each column.
std::string csv_of(const std::vector<std::string>& columns, const std::vector<nlohmann::json>& rows) {
    std::ostringstream out;
    for (std::size_t i = 0; i < columns.size(); ++i)
        out << (i ? "," : "") << columns[i];
    out << "\n";
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i)
            out << (i ? "," : "") << csv_field(row.contains(columns[i]) ? cell_of(row.at(columns[i])) : "");
        out << "\n";
    }
    return out.str();
}

// The export's CSV columns: the device's scalar fields, in a stable order (new ones only at the end).
const std::vector<std::string> kExportColumns = {
    "serial_number", "hw_type",    "hw_version", "status",     "subscription_plan", "available_outputs",
    "created_at",    "mac",        "batch_id",   "updated_at", "flashed_at",        "tested_at",
    "registered_at", "last_error", "station",    "port",       "firmware_version",  "claim_code_hash",
};

const std::vector<std::string> kReportColumns = {
    "serial",         "status",        "mac",           "station",    "port",   "firmware_version",
    "flash_attempts", "flash_seconds", "failure_cause", "last_error", "phases", "test_attempts"};

std::string fixed(double v, int decimals) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(decimals);
    out << v;
    return out.str();
}

} // namespace

std::string batch_line(const Batch& b) {
    return "batch " + std::to_string(b.id) + ": " + std::to_string(b.quantity) + " x " + b.board_type + " rev " +
           b.revision + ", plan " + b.subscription_plan + ", " + std::to_string(b.available_outputs) + " outputs";
}

std::string status_line(const std::map<DeviceStatus, int>& counts) {
    std::string s = "status:";
    for (const auto& [status, n] : counts)
        s += " " + std::string(to_string(status)) + "=" + std::to_string(n);
    return s;
}

std::string backend_queue_line(int queued, int waiting, std::optional<int> registered, std::optional<int> refused) {
    std::string text = "backend: " + std::to_string(queued) + " queued";
    if (waiting > 0) text += " (" + std::to_string(waiting) + " waiting to retry)";
    if (registered) text += ", " + std::to_string(*registered) + " registered";
    if (refused) text += ", " + std::to_string(*refused) + " refused";
    return text;
}

std::string export_csv(const std::vector<Device>& devices) {
    std::vector<nlohmann::json> rows;
    for (const auto& d : devices)
        rows.push_back(device_json(d));
    return csv_of(kExportColumns, rows);
}

std::string report_csv(const BatchReport& r) {
    std::vector<nlohmann::json> rows;
    for (const auto& row : r.devices)
        rows.push_back(report_device_json(row));
    return csv_of(kReportColumns, rows);
}

std::string report_text(const BatchReport& r) {
    std::ostringstream out;
    out << batch_line(r.batch) << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : r.devices) {
        const auto& d = row.device;
        rows.push_back({d.serial, to_string(d.status), or_dash(d.mac), or_dash(d.station), or_dash(d.port),
                        or_dash(d.firmware_version), std::to_string(row.flash_attempts),
                        row.flash_seconds > 0 ? fixed(row.flash_seconds, 1) : "-", std::to_string(row.test_attempts),
                        or_dash(row.failure_cause)});
    }
    print_table(out,
                {"SERIAL", "STATUS", "MAC", "STATION", "PORT", "FIRMWARE", "FLASHES", "SECONDS", "TESTS", "FAILURE"},
                rows);

    out << "\n" << status_line(r.counts) << "\nattempts: " << r.attempts << "\n";
    if (r.p50_seconds)
        out << "board time: p50 " << fixed(*r.p50_seconds, 1) << " s, p95 " << fixed(*r.p95_seconds, 1) << " s\n";
    else
        out << "board time: no passed flash yet\n";
    auto causes_text = [](const std::map<std::string, int>& by_cause) {
        std::string t;
        for (const auto& [cause, n] : by_cause)
            t += (t.empty() ? "" : " ") + cause + "=" + std::to_string(n);
        return t;
    };
    out << "failures: " << (r.failures_by_cause.empty() ? "none" : causes_text(r.failures_by_cause)) << "\n";
    const auto& reg = r.registration;
    out << backend_queue_line(reg.queued, reg.waiting, std::nullopt, static_cast<int>(reg.dead_letters.size())) << "\n";
    if (!reg.dead_letters.empty()) {
        // The backend's word on each: these need a person (vesperctl register --failed, --retry-failed).
        out << "\nrefused by the backend:\n";
        std::vector<std::vector<std::string>> d_rows;
        for (const auto& e : reg.dead_letters)
            d_rows.push_back({e.serial, std::to_string(e.attempts), e.last_error});
        print_table(out, {"SERIAL", "TRIES", "ERROR"}, d_rows);
    }
    if (!r.unbound_failures.empty()) {
        // No device row shows these: the boards never got a serial.
        out << "\nfailures before a board was bound to a serial:\n";
        std::vector<std::vector<std::string>> u_rows;
        for (const auto& u : r.unbound_failures)
            u_rows.push_back({or_dash(u.station), or_dash(u.port), std::to_string(u.failed), causes_text(u.by_cause)});
        print_table(out, {"STATION", "PORT", "FAILED", "CAUSES"}, u_rows);
    }
    if (!r.steps.empty()) {
        out << "\n";
        std::vector<std::vector<std::string>> step_rows;
        for (const auto& st : r.steps)
            step_rows.push_back({st.step, std::to_string(st.passed), std::to_string(st.failed),
                                 st.first_pass_yield ? fixed(*st.first_pass_yield * 100, 1) + "%" : std::string("-"),
                                 st.p50_seconds ? fixed(*st.p50_seconds, 1) : std::string("-"),
                                 st.p95_seconds ? fixed(*st.p95_seconds, 1) : std::string("-"),
                                 st.failures_by_cause.empty() ? std::string("-") : causes_text(st.failures_by_cause)});
        print_table(out, {"STEP", "PASSED", "FAILED", "FIRST-PASS", "P50 S", "P95 S", "FAILURES"}, step_rows);
    }
    if (!r.tests.empty()) {
        out << "\n";
        std::vector<std::vector<std::string>> test_rows;
        for (const auto& t : r.tests)
            test_rows.push_back({t.name, std::to_string(t.runs), std::to_string(t.passed), std::to_string(t.failed),
                                 std::to_string(t.skipped), std::to_string(t.devices_failed),
                                 t.p50_seconds ? fixed(*t.p50_seconds, 2) : std::string("-")});
        print_table(out, {"TEST", "RUNS", "PASSED", "FAILED", "SKIPPED", "FAILING DEVICES", "P50 S"}, test_rows);
    }
    if (!r.stations.empty()) {
        out << "\n";
        std::vector<std::vector<std::string>> st_rows;
        bool no_rate = false;
        for (const auto& st : r.stations) {
            st_rows.push_back({or_dash(st.station), std::to_string(st.passed), std::to_string(st.failed),
                               fixed(st.span_seconds, 1),
                               st.boards_per_hour ? fixed(*st.boards_per_hour, 1) : std::string("n/a")});
            no_rate = no_rate || !st.boards_per_hour;
        }
        print_table(out, {"STATION", "PASSED", "FAILED", "SPAN S", "BOARDS/H"}, st_rows);
        if (no_rate) {
            char min[16];
            std::snprintf(min, sizeof min, "%.0f", kMinRateSpanSeconds);
            out << "n/a: no rate from a span under " << min << " s (too short to tell a throughput)\n";
        }
    }
    return out.str();
}

} // namespace vesper::ledger
