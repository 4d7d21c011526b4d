// Step attempts: every run of a pipeline step on a board, and the device move it causes.
#include <cmath>

#include "records.hpp"
#include "sqlite.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger {

namespace {

const char* const kAttemptColumns =
    "id, serial, step, station, port, mac, started_at, COALESCE(finished_at,''), result, cause, error, "
    "firmware_version, firmware_sha256, seconds, phases";

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
    return a;
}

void validate_step(std::string_view step) {
    bool ok = !step.empty() && step.size() <= 32;
    for (char c : step)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    if (!ok)
        fail(ErrorKind::input,
             "step '" + std::string(step) + "': must be 1-32 lowercase letters, digits, '-' or '_' (e.g. flash)");
}

void validate_outcome(std::int64_t id, const AttemptOutcome& o) {
    const std::string what = "attempt " + std::to_string(id);
    if (!std::isfinite(o.seconds) || o.seconds < 0)
        fail(ErrorKind::input, what + ": seconds " + std::to_string(o.seconds) + ": must be a finite number >= 0");
    auto phases = nlohmann::json::parse(o.phases, nullptr, false);
    if (phases.is_discarded() || !phases.is_object())
        fail(ErrorKind::input, what + ": phases '" + o.phases + "': must be a JSON object of phase name -> seconds");
}

} // namespace

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
    sql::Stmt st(db_, "INSERT INTO attempts(serial, step, station, port, mac, started_at, result) "
                      "VALUES (?,?,?,?,?,?,'running')");
    st.bind(1, d.serial).bind(2, step).bind(3, station).bind(4, port).bind(5, d.mac).bind(6, now_utc_iso8601());
    st.run();
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    tx.commit();
    return id;
}

void Ledger::finish_attempt(std::int64_t attempt_id, const AttemptOutcome& outcome) {
    validate_outcome(attempt_id, outcome);
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
    {
        sql::Stmt st(db_, "UPDATE attempts SET finished_at = ?, result = ?, cause = ?, error = ?, "
                          "firmware_version = ?, firmware_sha256 = ?, seconds = ?, phases = ? WHERE id = ?");
        st.bind(1, now_utc_iso8601()).bind(2, outcome.passed ? "passed" : "failed").bind(3, cause).bind(4, error);
        st.bind(5, outcome.firmware_version).bind(6, outcome.firmware_sha256).bind_real(7, outcome.seconds);
        st.bind(8, outcome.phases).bind(9, a.id);
        st.run();
    }
    // Only the flash step moves devices so far; other steps' attempts are recorded as they are.
    if (a.step == "flash") {
        const Device d = get_device(a.serial);
        nlohmann::json extra{{"attempt", a.id}, {"station", a.station}, {"port", a.port}};
        if (outcome.passed) {
            // A refused move (a registered device) throws below and rolls this back with it.
            sql::Stmt st(db_, "UPDATE devices SET station = ?, port = ?, firmware_version = ?, firmware_sha256 = ? "
                              "WHERE serial = ?");
            st.bind(1, a.station).bind(2, a.port).bind(3, outcome.firmware_version);
            st.bind(4, outcome.firmware_sha256).bind(5, d.serial);
            st.run();
            extra["firmware_version"] = outcome.firmware_version;
            extra["firmware_sha256"] = outcome.firmware_sha256;
            detail::move_device(db_, actor_, d, DeviceStatus::flashed, "", extra);
        } else {
            extra["cause"] = cause;
            detail::move_device(db_, actor_, d, DeviceStatus::failed, error, extra);
        }
    }
    tx.commit();
}

std::vector<Attempt> Ledger::attempts_of(std::string_view serial) const {
    sql::Stmt st(db_, std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE serial = ? ORDER BY id");
    st.bind(1, serial);
    std::vector<Attempt> out;
    while (st.step())
        out.push_back(read_attempt(st));
    return out;
}

std::vector<Attempt> Ledger::attempts_of_batch(std::int64_t batch_id) const {
    sql::Stmt st(db_, std::string("SELECT ") + kAttemptColumns +
                          " FROM attempts WHERE serial IN (SELECT serial FROM devices WHERE batch_id = ?) ORDER BY id");
    st.bind(1, batch_id);
    std::vector<Attempt> out;
    while (st.step())
        out.push_back(read_attempt(st));
    return out;
}

} // namespace vesper::ledger
