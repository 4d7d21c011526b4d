#include "records.hpp"

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::ledger::detail {

const char* const kDeviceColumns =
    "serial, batch_id, hw_type, hw_version, status, mac, subscription_plan, available_outputs, created_at, "
    "updated_at, COALESCE(flashed_at,''), COALESCE(tested_at,''), COALESCE(registered_at,''), last_error, "
    "station, port, firmware_version, firmware_sha256, claim_code_hash";

Device read_device(const sql::Stmt& st) {
    Device d;
    d.serial = st.text(0);
    d.batch_id = st.integer(1);
    d.hw_type = st.text(2);
    d.hw_version = st.text(3);
    d.status = parse_status(st.text(4)).value_or(DeviceStatus::failed);
    d.mac = st.text(5);
    d.subscription_plan = st.text(6);
    d.available_outputs = static_cast<int>(st.integer(7));
    d.created_at = st.text(8);
    d.updated_at = st.text(9);
    d.flashed_at = st.text(10);
    d.tested_at = st.text(11);
    d.registered_at = st.text(12);
    d.last_error = st.text(13);
    d.station = st.text(14);
    d.port = st.text(15);
    d.firmware_version = st.text(16);
    d.firmware_sha256 = st.text(17);
    d.claim_code_hash = st.text(18);
    return d;
}

std::optional<Device> device_by_serial(sqlite3* db, std::string_view serial) {
    sql::Stmt st(db, std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE serial = ?");
    st.bind(1, serial);
    if (!st.step()) return std::nullopt;
    return read_device(st);
}

void audit(sqlite3* db, const std::string& actor, std::string_view action, std::string_view subject,
           const nlohmann::json& details) {
    sql::Stmt st(db, "INSERT INTO audit_log(at, actor, action, subject, details) VALUES (?,?,?,?,?)");
    st.bind(1, now_utc_iso8601()).bind(2, actor).bind(3, action).bind(4, subject).bind(5, json_text(details));
    st.run();
}

std::optional<TestSummary> last_test_summary(sqlite3* db, std::string_view serial) {
    // The newest finished attempt of the device that recorded tests (a test step's), and its tests.
    sql::Stmt st(db, "SELECT t.name, t.verdict FROM test_results t WHERE t.attempt_id = "
                     "(SELECT MAX(attempt_id) FROM test_results WHERE serial = ?1) ORDER BY t.position");
    st.bind(1, serial);
    TestSummary summary;
    while (st.step()) {
        ++summary.tests;
        const std::string verdict = st.text(1);
        if (verdict == "fail" || verdict == "error") summary.failed.push_back(st.text(0));
    }
    if (summary.tests == 0) return std::nullopt;
    summary.passed = summary.failed.empty();
    return summary;
}

namespace {

// The new record replaces the device's pending one, which was never going to be sent: the backend
// gets a device's newest record only (schema 9 keeps one pending entry a device).
void insert_outbox(sqlite3* db, const std::string& serial, std::string_view kind, const std::string& payload) {
    {
        sql::Stmt st(db, "UPDATE outbox SET state = 'superseded' WHERE serial = ? AND state = 'pending'");
        st.bind(1, serial);
        st.run();
    }
    sql::Stmt st(db, "INSERT INTO outbox(serial, kind, payload, created_at) VALUES (?,?,?,?)");
    st.bind(1, serial).bind(2, kind).bind(3, payload).bind(4, now_utc_iso8601());
    st.run();
}

} // namespace

void queue_outbox(sqlite3* db, const Device& d, std::string_view kind) {
    insert_outbox(db, d.serial, kind, backend_record_json(d, last_test_summary(db, d.serial)));
}

bool queue_outbox_once(sqlite3* db, const Device& d, std::string_view kind) {
    const std::string payload = backend_record_json(d, last_test_summary(db, d.serial));
    sql::Stmt st(db, "SELECT payload FROM outbox WHERE serial = ? AND state IN ('pending','sent') "
                     "ORDER BY id DESC LIMIT 1");
    st.bind(1, d.serial);
    if (st.step() && st.text(0) == payload) return false;
    insert_outbox(db, d.serial, kind, payload);
    return true;
}

void move_device(sqlite3* db, const std::string& actor, const Device& d, DeviceStatus to, std::string_view error,
                 const nlohmann::json& extra) {
    if (!transition_allowed(d.status, to))
        fail(ErrorCode::ledger_status,
             "device " + d.serial + ": cannot go from " + to_string(d.status) + " to " + to_string(to));
    const std::string now = now_utc_iso8601();
    // The *_at column of the state reached; a failure keeps the timestamps of what was reached before.
    const char* stamp = to == DeviceStatus::flashed      ? ", flashed_at = ?3"
                        : to == DeviceStatus::tested     ? ", tested_at = ?3"
                        : to == DeviceStatus::registered ? ", registered_at = ?3"
                                                         : "";
    Device moved;
    {
        // The device as it now is comes back from the update itself: its record is queued next.
        sql::Stmt st(db, std::string("UPDATE devices SET status = ?1, updated_at = ?3, last_error = ?4") + stamp +
                             " WHERE serial = ?2 RETURNING " + kDeviceColumns);
        st.bind(1, to_string(to)).bind(2, d.serial).bind(3, now).bind(4, to == DeviceStatus::failed ? error : "");
        if (!st.step()) fail(ErrorKind::internal, "device " + d.serial + " vanished while its status changed");
        moved = read_device(st);
        st.run();
    }
    nlohmann::json details{{"from", to_string(d.status)}, {"to", to_string(to)}, {"error", std::string(error)}};
    details.update(extra);
    audit(db, actor, std::string("device.") + to_string(to), d.serial, details);
    queue_outbox(db, moved, "device.upsert");
}

} // namespace vesper::ledger::detail
