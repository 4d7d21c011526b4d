// Step attempts: every run of a pipeline step on a board, and the device move it causes.
#include <chrono>
#include <cmath>

#include "labels.hpp"
#include "records.hpp"
#include "sqlite.hpp"
#include "test_results.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger {

namespace {

const char* const kAttemptColumns =
    "id, COALESCE(serial,''), step, station, port, mac, started_at, COALESCE(finished_at,''), result, cause, error, "
    "firmware_version, firmware_sha256, seconds, phases, batch_id, code";

// Attempt times carry milliseconds: a board's steps, and a short run, are often under a second.
std::string now_ms() { return utc_iso8601_ms(std::chrono::system_clock::now()); }

std::optional<AttemptResult> parse_result(std::string_view s) {
    for (auto r : {AttemptResult::running, AttemptResult::passed, AttemptResult::failed, AttemptResult::interrupted})
        if (s == to_string(r)) return r;
    return std::nullopt;
}

Attempt read_attempt(const sql::Stmt& st) {
    Attempt a;
    a.id = st.integer(0);
    a.serial = st.text(1);
    a.step = st.text(2);
    a.station = st.text(3);
    a.port = st.text(4);
    a.mac = st.text(5);
    a.started_at = st.text(6);
    a.finished_at = st.text(7);
    a.result = parse_result(st.text(8)).value_or(AttemptResult::interrupted);
    a.cause = st.text(9);
    a.error = st.text(10);
    a.firmware_version = st.text(11);
    a.firmware_sha256 = st.text(12);
    a.seconds = st.real(13);
    a.phases = st.text(14);
    a.batch_id = st.integer(15);
    a.code = st.text(16);
    return a;
}

void validate_step(std::string_view step) {
    if (!is_step_name(step))
        fail(ErrorKind::input,
             "step '" + std::string(step) + "': must be 1-32 lowercase letters, digits, '-' or '_' (e.g. flash)");
}

void validate_outcome(const std::string& what, const AttemptOutcome& o) {
    if (!std::isfinite(o.seconds) || o.seconds < 0)
        fail(ErrorKind::input, what + ": seconds " + std::to_string(o.seconds) + ": must be a finite number >= 0");
    auto phases = nlohmann::json::parse(o.phases, nullptr, false);
    if (phases.is_discarded() || !phases.is_object())
        fail(ErrorKind::input, what + ": phases '" + o.phases + "': must be a JSON object of phase name -> seconds");
}

} // namespace

bool is_step_name(std::string_view step) {
    if (step.empty() || step.size() > 32) return false;
    for (char c : step)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

const char* to_string(AttemptResult r) {
    switch (r) {
    case AttemptResult::running: return "running";
    case AttemptResult::passed: return "passed";
    case AttemptResult::failed: return "failed";
    case AttemptResult::interrupted: return "interrupted";
    }
    return "interrupted";
}

std::int64_t Ledger::begin_attempt(std::string_view serial, std::string_view step, std::string_view station,
                                   std::string_view port) {
    validate_step(step);
    sql::Transaction tx(db_);
    const Device d = get_device(serial);
    {
        // Only a process that died mid-step leaves an attempt running. When it stopped is unknown, so
        // finished_at stays empty.
        sql::Stmt st(db_, "UPDATE attempts SET result = 'interrupted', cause = 'interrupted', "
                          "error = 'the run stopped before this attempt finished' "
                          "WHERE serial = ? AND step = ? AND result = 'running'");
        st.bind(1, d.serial).bind(2, step);
        st.run();
    }
    sql::Stmt st(db_, "INSERT INTO attempts(batch_id, serial, step, station, port, mac, started_at, result) "
                      "VALUES (?,?,?,?,?,?,?,'running')");
    st.bind(1, d.batch_id).bind(2, d.serial).bind(3, step).bind(4, station).bind(5, port).bind(6, d.mac);
    st.bind(7, now_ms());
    st.run();
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    tx.commit();
    return id;
}

void Ledger::finish_attempt(std::int64_t attempt_id, const AttemptOutcome& outcome) {
    const std::string what = "attempt " + std::to_string(attempt_id);
    validate_outcome(what, outcome);
    detail::validate_tests(what, outcome);
    detail::validate_labels(what, outcome.labels);
    if (!outcome.claim_code_hash.empty()) detail::validate_claim_code_hash(what, outcome.claim_code_hash);
    sql::Transaction tx(db_);
    Attempt a;
    {
        sql::Stmt st(db_, std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE id = ?");
        st.bind(1, attempt_id);
        if (!st.step())
            fail(ErrorKind::not_found,
                 "attempt " + std::to_string(attempt_id) + " not found in ledger " + path_.string());
        a = read_attempt(st);
    }
    if (a.result != AttemptResult::running)
        fail(ErrorKind::conflict, "attempt " + std::to_string(a.id) + " (" + a.step + " of " + a.serial +
                                      ") is already " + to_string(a.result));
    // A failure always has a cause to count in reports, and a message for the device's last_error.
    const std::string cause = outcome.passed ? "" : outcome.cause.empty() ? "unknown" : outcome.cause;
    const std::string error = outcome.passed ? "" : outcome.error.empty() ? cause : outcome.error;
    const std::string code = outcome.passed ? "" : outcome.code;
    {
        sql::Stmt st(db_, "UPDATE attempts SET finished_at = ?, result = ?, cause = ?, error = ?, code = ?, "
                          "firmware_version = ?, firmware_sha256 = ?, seconds = ?, phases = ? WHERE id = ?");
        st.bind(1, now_ms()).bind(2, outcome.passed ? "passed" : "failed").bind(3, cause).bind(4, error);
        st.bind(5, code).bind(6, outcome.firmware_version).bind(7, outcome.firmware_sha256);
        st.bind_real(8, outcome.seconds).bind(9, outcome.phases).bind(10, a.id);
        st.run();
    }
    detail::write_tests(db_, a.id, a.serial, outcome.tests);
    if (!outcome.labels.empty()) {
        auto labels = outcome.labels;
        for (auto& l : labels)
            l.serial = a.serial;
        detail::write_labels(db_, actor_, a.id, labels);
    }
    // A status move below queues the device's record anyway: one record for the whole change.
    if (!outcome.claim_code_hash.empty())
        detail::store_claim_code_hash(db_, actor_, a.serial, outcome.claim_code_hash, !outcome.sets_status);
    // The step says what its pass makes of the device; a step that sets nothing is only recorded.
    if (outcome.sets_status) {
        const Device d = get_device(a.serial);
        nlohmann::json extra{{"attempt", a.id}, {"step", a.step}, {"station", a.station}, {"port", a.port}};
        if (outcome.passed) {
            // A refused move (a registered device) throws below and rolls this back with it.
            if (!outcome.firmware_sha256.empty()) {
                sql::Stmt st(db_, "UPDATE devices SET station = ?, port = ?, firmware_version = ?, "
                                  "firmware_sha256 = ? WHERE serial = ?");
                st.bind(1, a.station).bind(2, a.port).bind(3, outcome.firmware_version);
                st.bind(4, outcome.firmware_sha256).bind(5, d.serial);
                st.run();
                extra["firmware_version"] = outcome.firmware_version;
                extra["firmware_sha256"] = outcome.firmware_sha256;
            }
            detail::move_device(db_, actor_, d, *outcome.sets_status, "", extra);
        } else {
            extra["cause"] = cause;
            if (!code.empty()) extra["code"] = code;
            detail::move_device(db_, actor_, d, DeviceStatus::failed, error, extra);
        }
    } else if (outcome.passed && outcome.queue_record) {
        detail::queue_outbox_once(db_, get_device(a.serial), "device.upsert");
    }
    tx.commit();
}

std::int64_t Ledger::record_unbound_failure(std::int64_t batch_id, std::string_view step, std::string_view station,
                                            std::string_view port, std::string_view mac,
                                            const AttemptOutcome& outcome) {
    validate_step(step);
    if (outcome.passed)
        fail(ErrorKind::input, "a step that passed on port " + std::string(port) +
                                   " had a board bound: record it "
                                   "with begin_attempt/finish_attempt");
    // A test result belongs to a device, and tests run only on a bound board: tests here are a bug.
    if (!outcome.tests.empty())
        fail(ErrorKind::input, "a failure on port " + std::string(port) + " before a board was bound carries " +
                                   std::to_string(outcome.tests.size()) +
                                   " test(s): tests are recorded only with a bound board's attempt");
    if (!outcome.labels.empty())
        fail(ErrorKind::input, "a failure on port " + std::string(port) +
                                   " before a board was bound carries labels: a label belongs to a device");
    validate_outcome("failure on port " + std::string(port), outcome);
    sql::Transaction tx(db_);
    get_batch(batch_id);
    const auto finished = std::chrono::system_clock::now();
    const auto started = finished - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                        std::chrono::duration<double>(outcome.seconds));
    const std::string cause = outcome.cause.empty() ? "unknown" : outcome.cause;
    sql::Stmt st(db_, "INSERT INTO attempts(batch_id, serial, step, station, port, mac, started_at, finished_at, "
                      "result, cause, error, code, seconds, phases) VALUES (?,NULL,?,?,?,?,?,?,'failed',?,?,?,?,?)");
    st.bind(1, batch_id).bind(2, step).bind(3, station).bind(4, port).bind(5, mac);
    st.bind(6, utc_iso8601_ms(started)).bind(7, utc_iso8601_ms(finished)).bind(8, cause);
    st.bind(9, outcome.error.empty() ? cause : outcome.error).bind(10, outcome.code);
    st.bind_real(11, outcome.seconds).bind(12, outcome.phases);
    st.run();
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    tx.commit();
    return id;
}

std::vector<Attempt> Ledger::attempts_of(std::string_view serial) const {
    sql::Stmt st(db_, std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE serial = ? ORDER BY id");
    st.bind(1, serial);
    std::vector<Attempt> out;
    while (st.step())
        out.push_back(read_attempt(st));
    return out;
}

std::set<std::string> Ledger::passed_steps(std::string_view serial) const {
    // Per step, its latest attempt on the device (ids only grow), kept when that one passed.
    sql::Stmt st(db_, "SELECT a.step FROM attempts a WHERE a.serial = ?1 AND a.result = 'passed' AND a.id = "
                      "(SELECT MAX(b.id) FROM attempts b WHERE b.serial = ?1 AND b.step = a.step)");
    st.bind(1, serial);
    std::set<std::string> out;
    while (st.step())
        out.insert(st.text(0));
    return out;
}

std::map<std::string, std::set<std::string>> Ledger::passed_steps_of_batch(std::int64_t batch_id) const {
    // One statement, so one consistent view of devices and attempts.
    sql::Stmt st(db_, "SELECT d.serial, a.step FROM devices d LEFT JOIN attempts a ON a.serial = d.serial "
                      "AND a.result = 'passed' AND a.id = (SELECT MAX(b.id) FROM attempts b "
                      "WHERE b.serial = a.serial AND b.step = a.step) WHERE d.batch_id = ?");
    st.bind(1, batch_id);
    std::map<std::string, std::set<std::string>> out;
    while (st.step()) {
        auto& steps = out[st.text(0)];
        if (!st.is_null(1)) steps.insert(st.text(1));
    }
    return out;
}

std::vector<Attempt> Ledger::attempts_of_batch(std::int64_t batch_id) const {
    sql::Stmt st(db_, std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE batch_id = ? ORDER BY id");
    st.bind(1, batch_id);
    std::vector<Attempt> out;
    while (st.step())
        out.push_back(read_attempt(st));
    return out;
}

} // namespace vesper::ledger
