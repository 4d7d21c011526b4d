#include "vesper/ledger/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "vesper/core/text.hpp"

namespace vesper::ledger {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-days method).
std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

// Seconds since the epoch of a ledger timestamp ("2026-11-21T09:30:00Z", fractions allowed).
std::optional<double> epoch_seconds(const std::string& ts) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    double s = 0;
    if (std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%lfZ", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    return static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + s;
}

// Nearest-rank percentile of sorted values: the smallest value with at least p% of them at or below it.
std::optional<double> percentile(const std::vector<double>& sorted, int p) {
    if (sorted.empty()) return std::nullopt;
    std::size_t rank = (static_cast<std::size_t>(p) * sorted.size() + 99) / 100;
    return sorted[std::max<std::size_t>(rank, 1) - 1];
}

struct StationSpan {
    StationReport report;
    std::optional<double> first_start;
    std::optional<double> last_finish;
};

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}

// The rate, or why there is none.
void set_rate(StationReport& st) {
    if (st.span_seconds >= kMinRateSpanSeconds) {
        st.boards_per_hour = st.passed * 3600.0 / st.span_seconds;
        return;
    }
    char min[16];
    std::snprintf(min, sizeof min, "%.0f", kMinRateSpanSeconds);
    st.no_rate = "span " + seconds_text(st.span_seconds) + " s is under " + min + " s, too short for a rate";
}

// Per step, in order of each step's first attempt.
std::vector<StepReport> step_reports(const std::vector<Attempt>& attempts) {
    struct Acc {
        StepReport report;
        std::map<std::string, bool> first_result; // serial -> did its first attempt of the step pass
        std::vector<double> seconds;
    };
    std::vector<std::string> order;
    std::map<std::string, Acc> acc;
    for (const auto& a : attempts) {
        if (a.result == AttemptResult::running) continue;
        auto [it, fresh] = acc.try_emplace(a.step);
        if (fresh) order.push_back(a.step);
        Acc& s = it->second;
        ++s.report.attempts;
        if (a.result == AttemptResult::passed) {
            ++s.report.passed;
            s.seconds.push_back(a.seconds);
        } else {
            ++s.report.failed;
            ++s.report.failures_by_cause[a.cause];
        }
        if (!a.serial.empty()) s.first_result.try_emplace(a.serial, a.result == AttemptResult::passed);
    }
    std::vector<StepReport> out;
    for (const auto& name : order) {
        Acc& s = acc[name];
        s.report.step = name;
        s.report.devices = static_cast<int>(s.first_result.size());
        for (const auto& [serial, passed] : s.first_result)
            s.report.first_pass += passed ? 1 : 0;
        if (s.report.devices > 0)
            s.report.first_pass_yield = static_cast<double>(s.report.first_pass) / s.report.devices;
        std::sort(s.seconds.begin(), s.seconds.end());
        s.report.p50_seconds = percentile(s.seconds, 50);
        s.report.p95_seconds = percentile(s.seconds, 95);
        out.push_back(std::move(s.report));
    }
    return out;
}

// Per test name, in order of first appearance (results come oldest attempt first, in plan order).
std::vector<TestItemReport> test_reports(const std::vector<TestResultRow>& results) {
    struct Acc {
        TestItemReport report;
        std::map<std::string, std::string> latest; // serial -> verdict of its latest run
        std::vector<double> seconds;
    };
    std::vector<std::string> order;
    std::map<std::string, Acc> acc;
    for (const auto& row : results) {
        const TestRecord& t = row.test;
        auto [it, fresh] = acc.try_emplace(t.name);
        if (fresh) order.push_back(t.name);
        Acc& s = it->second;
        ++s.report.runs;
        if (t.verdict == "pass") {
            ++s.report.passed;
            s.seconds.push_back(t.seconds);
        } else if (t.verdict == "skip") {
            ++s.report.skipped;
        } else {
            ++s.report.failed; // fail or error
        }
        s.latest[row.serial] = t.verdict;
    }
    std::vector<TestItemReport> out;
    for (const auto& name : order) {
        Acc& s = acc[name];
        s.report.name = name;
        for (const auto& [serial, verdict] : s.latest)
            s.report.devices_failed += verdict == "fail" || verdict == "error" ? 1 : 0;
        std::sort(s.seconds.begin(), s.seconds.end());
        s.report.p50_seconds = percentile(s.seconds, 50);
        out.push_back(std::move(s.report));
    }
    return out;
}

} // namespace

BatchReport batch_report(const Ledger& ledger, std::int64_t batch_id) {
    BatchReport r;
    std::vector<Attempt> attempts;
    std::vector<TestResultRow> test_results;
    ledger.read_snapshot([&] {
        r.batch = ledger.get_batch(batch_id);
        for (auto& d : ledger.devices_of_batch(batch_id)) {
            DeviceReportRow row;
            row.device = std::move(d);
            r.devices.push_back(std::move(row));
        }
        r.counts = ledger.status_counts(batch_id);
        attempts = ledger.attempts_of_batch(batch_id);
        test_results = ledger.test_results_of_batch(batch_id);
        const auto depth = ledger.outbox_depth(batch_id, utc_iso8601_ms(std::chrono::system_clock::now()));
        r.registration.queued = depth.pending;
        r.registration.waiting = depth.waiting;
        r.registration.dead_letters = ledger.dead_outbox(batch_id);
    });
    std::sort(r.devices.begin(), r.devices.end(),
              [](const DeviceReportRow& a, const DeviceReportRow& b) { return a.device.serial < b.device.serial; });
    std::map<std::string, DeviceReportRow*> by_serial;
    for (auto& row : r.devices)
        by_serial[row.device.serial] = &row;

    std::map<std::string, std::string> last_failure; // serial -> cause of its last failed attempt
    std::map<std::string, StationSpan> stations;
    std::map<std::pair<std::string, std::string>, UnboundFailures> unbound; // (station, port) ->
    std::vector<double> board_seconds;
    for (const auto& a : attempts) { // oldest first, so later attempts overwrite earlier ones
        ++r.attempts;
        const bool failed = a.result == AttemptResult::failed || a.result == AttemptResult::interrupted;
        if (failed) ++r.failures_by_cause[a.cause];
        if (a.result == AttemptResult::failed && !a.serial.empty()) last_failure[a.serial] = a.cause;
        if (failed && a.serial.empty()) {
            auto& u = unbound[{a.station, a.port}];
            u.station = a.station;
            u.port = a.port;
            ++u.failed;
            ++u.by_cause[a.cause];
        }
        DeviceReportRow* row = by_serial.count(a.serial) ? by_serial[a.serial] : nullptr;
        if (row && a.step == kTestStep) ++row->test_attempts;
        // Device rows and station throughput are about writing boards: the flash step's attempts (every
        // step, flash included, has its own figures in r.steps).
        if (a.step != "flash") continue;
        if (row) ++row->flash_attempts;
        auto& st = stations[a.station];
        st.report.station = a.station;
        if (a.result == AttemptResult::passed) {
            ++st.report.passed;
            board_seconds.push_back(a.seconds);
            if (row) {
                row->flash_seconds = a.seconds;
                row->phases = a.phases;
            }
        } else if (failed) {
            ++st.report.failed;
            if (a.serial.empty()) ++st.report.unbound_failed;
        }
        if (auto t = epoch_seconds(a.started_at)) st.first_start = std::min(st.first_start.value_or(*t), *t);
        if (auto t = epoch_seconds(a.finished_at)) st.last_finish = std::max(st.last_finish.value_or(*t), *t);
    }
    for (auto& row : r.devices)
        if (row.device.status == DeviceStatus::failed) {
            auto it = last_failure.find(row.device.serial);
            if (it != last_failure.end()) row.failure_cause = it->second;
        }
    for (auto& [name, st] : stations) {
        if (st.first_start && st.last_finish && *st.last_finish > *st.first_start)
            st.report.span_seconds = *st.last_finish - *st.first_start;
        set_rate(st.report);
        r.stations.push_back(st.report);
    }
    for (auto& [key, u] : unbound)
        r.unbound_failures.push_back(std::move(u));
    r.steps = step_reports(attempts);
    r.tests = test_reports(test_results);
    std::sort(board_seconds.begin(), board_seconds.end());
    r.p50_seconds = percentile(board_seconds, 50);
    r.p95_seconds = percentile(board_seconds, 95);
    return r;
}

} // namespace vesper::ledger
