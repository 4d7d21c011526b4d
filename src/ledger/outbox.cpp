// The outbox drain (schema 7): which entries to send, and what the backend's answers make of them.
#include <nlohmann/json.hpp>

#include "records.hpp"
#include "sqlite.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger {

namespace {

// Which devices the backend gets: those that passed their test. A device only exists there once it is
// registered (and stays registered), so a board that failed or was never tested has no record to send;
// its entries stay in the outbox as history, neither due nor counted.
constexpr const char* kForBackend = "d.status IN ('tested','registered')";

constexpr const char* kColumns = "o.id, o.serial, o.kind, o.payload, o.created_at, o.attempts, o.last_error, "
                                 "COALESCE(o.sent_at,''), o.state, COALESCE(o.next_attempt_at,''), o.response, "
                                 "o.record_sha256, d.batch_id";

// A device's newest entry that is not superseded: what the backend should hold of it.
constexpr const char* kNewestLive = "o.id = (SELECT MAX(p.id) FROM outbox p WHERE p.serial = o.serial AND "
                                    "p.state <> 'superseded')";

OutboxState parse_state(const std::string& s) {
    return s == "sent"         ? OutboxState::sent
           : s == "superseded" ? OutboxState::superseded
           : s == "dead"       ? OutboxState::dead
                               : OutboxState::pending;
}

OutboxEntry read_entry(const sql::Stmt& st) {
    OutboxEntry e;
    e.id = st.integer(0);
    e.serial = st.text(1);
    e.kind = st.text(2);
    e.payload = st.text(3);
    e.created_at = st.text(4);
    e.attempts = static_cast<int>(st.integer(5));
    e.last_error = st.text(6);
    e.sent_at = st.text(7);
    e.state = parse_state(st.text(8));
    e.next_attempt_at = st.text(9);
    e.response = st.text(10);
    e.record_sha256 = st.text(11);
    e.batch_id = st.integer(12);
    return e;
}

void bind_batch(sql::Stmt& st, int index, std::optional<std::int64_t> batch) {
    if (batch)
        st.bind(index, *batch);
    else
        st.bind_null(index);
}

OutboxEntry entry_by_id(sqlite3* db, std::int64_t id) {
    sql::Stmt st(db, std::string("SELECT ") + kColumns +
                         " FROM outbox o JOIN devices d ON d.serial = o.serial "
                         "WHERE o.id = ?");
    st.bind(1, id);
    if (!st.step()) fail(ErrorKind::not_found, "outbox entry " + std::to_string(id) + " not found");
    return read_entry(st);
}

} // namespace

const char* to_string(OutboxState s) {
    switch (s) {
    case OutboxState::pending: return "pending";
    case OutboxState::sent: return "sent";
    case OutboxState::superseded: return "superseded";
    case OutboxState::dead: return "dead";
    }
    return "?";
}

std::string OutboxEntry::idempotency_key() const {
    const auto digest = sha256(as_bytes(payload));
    return serial + "." + to_hex(ByteView(digest.data(), 16));
}

std::vector<OutboxEntry> Ledger::pending_outbox() const {
    sql::Stmt st(db_,
                 std::string("SELECT ") + kColumns +
                     " FROM outbox o JOIN devices d ON d.serial = o.serial WHERE o.state = 'pending' ORDER BY o.id");
    std::vector<OutboxEntry> out;
    while (st.step())
        out.push_back(read_entry(st));
    return out;
}

std::vector<OutboxEntry> Ledger::outbox_entries() const {
    sql::Stmt st(db_, std::string("SELECT ") + kColumns +
                          " FROM outbox o JOIN devices d ON d.serial = o.serial ORDER BY o.id");
    std::vector<OutboxEntry> out;
    while (st.step())
        out.push_back(read_entry(st));
    return out;
}

std::vector<OutboxEntry> Ledger::due_outbox(std::optional<std::int64_t> batch, const std::string& now,
                                            std::size_t limit, std::int64_t after_id) const {
    sql::Stmt st(db_,
                 std::string("SELECT ") + kColumns +
                     " FROM outbox o JOIN devices d ON d.serial = o.serial WHERE o.state = 'pending' AND " +
                     std::string(kForBackend) +
                     " AND (?1 IS NULL OR d.batch_id = ?1) AND "
                     "(o.next_attempt_at IS NULL OR o.next_attempt_at <= ?2) AND o.id > ?4 ORDER BY o.id LIMIT ?3");
    bind_batch(st, 1, batch);
    st.bind(2, now).bind(3, static_cast<std::int64_t>(limit)).bind(4, after_id);
    std::vector<OutboxEntry> out;
    while (st.step())
        out.push_back(read_entry(st));
    return out;
}

Ledger::OutboxDepth Ledger::outbox_depth(std::optional<std::int64_t> batch, const std::string& now) const {
    OutboxDepth depth;
    read_snapshot([&] {
        sql::Stmt st(db_,
                     "SELECT COUNT(*), COALESCE(SUM(o.next_attempt_at IS NOT NULL AND o.next_attempt_at > ?2), 0), "
                     "COALESCE(MIN(CASE WHEN o.next_attempt_at > ?2 THEN o.next_attempt_at END), '') "
                     "FROM outbox o JOIN devices d ON d.serial = o.serial WHERE o.state = 'pending' AND " +
                         std::string(kForBackend) + " AND (?1 IS NULL OR d.batch_id = ?1)");
        bind_batch(st, 1, batch);
        st.bind(2, now);
        st.step();
        depth.pending = static_cast<int>(st.integer(0));
        depth.waiting = static_cast<int>(st.integer(1));
        depth.next_retry_at = st.text(2);
        depth.dead = static_cast<int>(dead_outbox(batch).size());
    });
    return depth;
}

bool Ledger::outbox_confirmed(const OutboxDelivery& delivery) {
    sql::Transaction tx(db_);
    std::string serial, payload;
    {
        // Only a pending entry: another drainer's confirmation may have come first, or a newer record of
        // the device superseded this one while it was on its way (that one goes next).
        sql::Stmt st(db_, "UPDATE outbox SET state = 'sent', sent_at = ?, record_sha256 = ?, attempts = attempts + 1, "
                          "next_attempt_at = NULL WHERE id = ? AND state = 'pending' RETURNING serial, payload");
        st.bind(1, now_utc_iso8601()).bind(2, delivery.record_sha256).bind(3, delivery.id);
        if (!st.step()) {
            entry_by_id(db_, delivery.id); // an entry that does not exist is an error, not a late answer
            return false;
        }
        serial = st.text(0);
        payload = st.text(1);
        st.run(); // to its end, where the statement is done
    }
    // Registered means the backend holds the tested record; the device's own status says so next.
    const auto sent = nlohmann::json::parse(payload, nullptr, false);
    const auto d = detail::device_by_serial(db_, serial);
    if (d && d->status == DeviceStatus::tested && sent.is_object() && sent.value("status", "") == "tested")
        detail::move_device(db_, actor_, *d, DeviceStatus::registered, "", {{"outbox", delivery.id}});
    tx.commit();
    return true;
}

void Ledger::outbox_retry_later(std::int64_t id, const std::string& error, const std::string& next_attempt_at) {
    sql::Transaction tx(db_);
    const OutboxEntry e = entry_by_id(db_, id);
    if (e.state != OutboxState::pending) return;
    sql::Stmt st(db_, "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?");
    st.bind(1, error).bind(2, next_attempt_at).bind(3, id);
    st.run();
    tx.commit();
}

void Ledger::outbox_dead(std::int64_t id, const std::string& error, const std::string& response) {
    sql::Transaction tx(db_);
    const OutboxEntry e = entry_by_id(db_, id);
    if (e.state != OutboxState::pending) return;
    {
        sql::Stmt st(db_, "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, response = ?, "
                          "next_attempt_at = NULL WHERE id = ?");
        st.bind(1, error).bind(2, response).bind(3, id);
        st.run();
    }
    detail::audit(db_, actor_, "outbox.dead", e.serial, {{"outbox", e.id}, {"error", error}});
    tx.commit();
}

std::vector<OutboxEntry> Ledger::dead_outbox(std::optional<std::int64_t> batch) const {
    sql::Stmt st(db_, std::string("SELECT ") + kColumns +
                          " FROM outbox o JOIN devices d ON d.serial = o.serial WHERE o.state = 'dead' AND " +
                          kNewestLive + " AND (?1 IS NULL OR d.batch_id = ?1) ORDER BY o.id");
    bind_batch(st, 1, batch);
    std::vector<OutboxEntry> out;
    while (st.step())
        out.push_back(read_entry(st));
    return out;
}

std::vector<OutboxEntry> Ledger::sent_outbox(std::optional<std::int64_t> batch) const {
    sql::Stmt st(db_, std::string("SELECT ") + kColumns +
                          " FROM outbox o JOIN devices d ON d.serial = o.serial WHERE o.state = 'sent' AND "
                          "o.id = (SELECT MAX(p.id) FROM outbox p WHERE p.serial = o.serial AND p.state = 'sent') "
                          "AND (?1 IS NULL OR d.batch_id = ?1) ORDER BY o.serial");
    bind_batch(st, 1, batch);
    std::vector<OutboxEntry> out;
    while (st.step())
        out.push_back(read_entry(st));
    return out;
}

int Ledger::requeue_dead(std::optional<std::int64_t> batch) {
    sql::Transaction tx(db_);
    const auto dead = dead_outbox(batch);
    for (const auto& e : dead) {
        sql::Stmt st(db_, "UPDATE outbox SET state = 'pending', next_attempt_at = NULL WHERE id = ?");
        st.bind(1, e.id);
        st.run();
        detail::audit(db_, actor_, "outbox.requeue", e.serial, {{"outbox", e.id}, {"last_error", e.last_error}});
    }
    tx.commit();
    return static_cast<int>(dead.size());
}

} // namespace vesper::ledger
