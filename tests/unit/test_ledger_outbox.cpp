// The outbox drain (ledger schema 7): a device's newest pending record is the one sent, confirmation
// supersedes the older ones and registers a tested device, retries wait their turn, refusals are kept
// as dead letters until requeued, idempotency keys are stable, and schema-6 outboxes migrate.
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include <nlohmann/json.hpp>

#include <string>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::DeviceStatus;
using ledger::OutboxState;
using test::count_rows;
using test::TempLedger;

namespace {

const std::string kNow = "2099-01-01T00:00:00.000Z"; // after anything the tests queue
const std::string kEarly = "2000-01-01T00:00:00.000Z";

ledger::AttemptOutcome pass(DeviceStatus s) {
    ledger::AttemptOutcome o;
    o.passed = true;
    o.sets_status = s;
    return o;
}

// A device of the batch bound, flashed and tested: two more records queued after its creation.
std::string tested_device(ledger::Ledger& l, std::int64_t batch, int board) {
    const auto sn = l.bind_mac(batch, test::mac_of(board)).device.serial;
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), pass(DeviceStatus::flashed));
    l.finish_attempt(l.begin_attempt(sn, "test", "A", "p"), pass(DeviceStatus::tested));
    return sn;
}

std::string status_in(const ledger::OutboxEntry& e) { return nlohmann::json::parse(e.payload).at("status"); }

} // namespace

TEST_CASE("ledger outbox: only each device's newest record is due, and confirming it registers a tested device",
          "[ledger][outbox]") {
    TempLedger t;
    auto l = t.open();
    const auto b = l.create_batch(test::batch_spec(3));
    const auto sn = tested_device(l, b.id, 1);
    const auto other_sn = tested_device(l, b.id, 2);
    // The third device was never tested: its records are not for the backend, neither due nor counted.
    const auto due = l.due_outbox(b.id, kNow, 100);
    REQUIRE(due.size() == 2); // one per tested device
    const auto mine = std::find_if(due.begin(), due.end(), [&](const auto& e) { return e.serial == sn; });
    REQUIRE(mine != due.end());
    CHECK(status_in(*mine) == "tested");
    CHECK(l.outbox_depth(b.id, kNow).pending == 2);
    CHECK(l.outbox_entries().size() == 2 * 3 + 1); // every record is kept: 3 of each tested device, 1 of the other
    CHECK(l.pending_outbox().size() == 3);         // but only a device's newest is pending
    CHECK(l.due_outbox(b.id + 1, kNow, 100).empty());
    CHECK(l.due_outbox(std::nullopt, kNow, 1).size() == 1);

    CHECK(l.outbox_confirmed({mine->id, std::string(64, 'a')}));
    CHECK_FALSE(l.outbox_confirmed({mine->id, std::string(64, 'a')})); // a second confirmation changes nothing
    CHECK(l.get_device(sn).status == DeviceStatus::registered);
    // Its older records (manufactured, flashed) were superseded as newer ones were queued; the registered
    // record is queued and due next.
    CHECK(count_rows(t.path,
                     ("SELECT COUNT(*) FROM outbox WHERE serial = '" + sn + "' AND state = 'superseded'").c_str()) ==
          2);
    const auto next = l.due_outbox(b.id, kNow, 100);
    const auto reg = std::find_if(next.begin(), next.end(), [&](const auto& e) { return e.serial == sn; });
    REQUIRE(reg != next.end());
    CHECK(status_in(*reg) == "registered");
    CHECK(l.outbox_confirmed({reg->id, std::string(64, 'b')}));
    CHECK(l.get_device(sn).status == DeviceStatus::registered);
    CHECK(l.outbox_depth(b.id, kNow).pending == 1);
    // A device that fails again before its tested record went: nothing of it is due any more.
    l.set_status(other_sn, DeviceStatus::failed, "retest: outputs");
    CHECK(l.due_outbox(b.id, kNow, 100).empty());
    CHECK(l.outbox_depth(b.id, kNow).pending == 0);
    CHECK_THROWS_AS(l.outbox_confirmed({999999, ""}), Error);
}

TEST_CASE("ledger outbox: a retry waits until it is due, a refusal is a dead letter until requeued",
          "[ledger][outbox]") {
    TempLedger t;
    auto l = t.open();
    const auto b = l.create_batch(test::batch_spec(1));
    tested_device(l, b.id, 1);
    const auto e = l.due_outbox(b.id, kNow, 10).at(0);
    l.outbox_retry_later(e.id, "HTTP 503", "2098-06-01T00:00:00.000Z");
    CHECK(l.due_outbox(b.id, "2098-05-31T23:59:59.999Z", 10).empty());
    auto depth = l.outbox_depth(b.id, "2098-05-31T23:59:59.999Z");
    CHECK(depth.pending == 1);
    CHECK(depth.waiting == 1);
    const auto again = l.due_outbox(b.id, kNow, 10);
    REQUIRE(again.size() == 1);
    CHECK(again[0].attempts == 1);
    CHECK(again[0].last_error == "HTTP 503");
    CHECK(again[0].idempotency_key() == e.idempotency_key()); // stable across retries

    l.outbox_dead(e.id, "HTTP 400 record.invalid", R"({"error":{"code":"record.invalid"}})");
    CHECK(l.due_outbox(b.id, kNow, 10).empty());
    const auto dead = l.dead_outbox(b.id);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].state == OutboxState::dead);
    CHECK(dead[0].response == R"({"error":{"code":"record.invalid"}})");
    CHECK(l.outbox_depth(b.id, kNow).dead == 1);
    CHECK(l.audit_log(e.serial).back().action == "outbox.dead");
    CHECK(l.requeue_dead(b.id) == 1);
    CHECK(l.dead_outbox(b.id).empty());
    CHECK(l.due_outbox(b.id, kEarly, 10).size() == 1); // due at once
    CHECK(l.audit_log(e.serial).back().action == "outbox.requeue");
}

TEST_CASE("ledger outbox: idempotency keys are the serial and the payload's hash", "[ledger][outbox]") {
    ledger::OutboxEntry a, b;
    a.serial = b.serial = "PV-26A18-BC02R-AAAAA";
    a.payload = R"({"status":"tested"})";
    b.payload = R"({"status":"registered"})";
    CHECK(a.idempotency_key().rfind("PV-26A18-BC02R-AAAAA.", 0) == 0);
    CHECK(a.idempotency_key().size() == 20 + 1 + 32);
    CHECK(a.idempotency_key() != b.idempotency_key());
    b.payload = a.payload;
    CHECK(a.idempotency_key() == b.idempotency_key());
}

TEST_CASE("ledger outbox: a schema-6 ledger migrates, its sent entries stay sent", "[ledger][outbox]") {
    TempLedger t;
    test::exec_sql(t.path, std::string(test::kSchema1Sql) + test::kSchema2Sql + test::kSchema3Sql + test::kSchema4Sql +
                               test::kSchema5Sql + test::kSchema6Sql + R"sql(
INSERT INTO batches VALUES (1,'BC','02',1,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,subscription_plan,available_outputs,created_at,updated_at)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','tested','standard',8,'2026-01-18T08:00:00Z','2026-01-18T08:00:00Z');
INSERT INTO outbox(serial,kind,payload,created_at,sent_at) VALUES
  ('PV-26A18-BC02R-AAAAA','device.upsert','{"status":"manufactured"}','2026-01-18T08:00:00Z','2026-01-18T08:01:00Z'),
  ('PV-26A18-BC02R-AAAAA','device.upsert','{"status":"tested"}','2026-01-18T08:02:00Z',NULL);
)sql" + test::kSchema6Marks);
    auto l = t.open();
    CHECK(l.schema_version() == 9);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND id = 1") == 1);
    const auto due = l.due_outbox(1, kNow, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == 2);
    CHECK(l.pending_outbox().size() == 1);
}

TEST_CASE("ledger outbox: schema 9 keeps one pending entry a device, its newest", "[ledger][outbox]") {
    TempLedger t;
    // Schema 6 as shipped, with two unsent records of one device: migrating supersedes the older.
    test::exec_sql(t.path, std::string(test::kSchema1Sql) + test::kSchema2Sql + test::kSchema3Sql + test::kSchema4Sql +
                               test::kSchema5Sql + test::kSchema6Sql + R"sql(
INSERT INTO batches VALUES (1,'BC','02',2,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1),
  ('PV-26A18-BC02R-BBBBB','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,subscription_plan,available_outputs,created_at,updated_at)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','tested','standard',8,'2026-01-18T08:00:00Z','2026-01-18T08:00:00Z'),
  ('PV-26A18-BC02R-BBBBB',1,'BC','02','tested','standard',8,'2026-01-18T08:00:00Z','2026-01-18T08:00:00Z');
INSERT INTO outbox(serial,kind,payload,created_at,sent_at) VALUES
  ('PV-26A18-BC02R-AAAAA','device.upsert','{"status":"manufactured"}','2026-01-18T08:00:00Z',NULL),
  ('PV-26A18-BC02R-BBBBB','device.upsert','{"status":"tested"}','2026-01-18T08:01:00Z',NULL),
  ('PV-26A18-BC02R-AAAAA','device.upsert','{"status":"tested"}','2026-01-18T08:02:00Z',NULL);
)sql" + test::kSchema6Marks);
    auto l = t.open();
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM outbox WHERE id = 1 AND state = 'superseded'") == 1);
    const auto pending = l.pending_outbox();
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == 2);
    CHECK(pending[1].id == 3);
    CHECK(l.outbox_depth(1, kNow).pending == 2);

    // Queuing a device's record supersedes its pending one: the newest is the only one sent.
    l.set_claim_code_hash("PV-26A18-BC02R-AAAAA", std::string(64, 'c'));
    const auto after = l.pending_outbox();
    REQUIRE(after.size() == 2);
    CHECK(after[1].id > 3);
    CHECK(nlohmann::json::parse(after[1].payload).at("claim_code_hash") == std::string(64, 'c'));
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM outbox WHERE id = 3 AND state = 'superseded'") == 1);
    // A confirmation of the superseded record (in flight when it was replaced) changes nothing.
    CHECK_FALSE(l.outbox_confirmed({3, std::string(64, 'a')}));
    CHECK(l.get_device("PV-26A18-BC02R-AAAAA").status == DeviceStatus::tested);

    // The file itself refuses a second pending entry of a device.
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(t.path.c_str(), &h) == SQLITE_OK);
    const int rc = sqlite3_exec(h,
                                "INSERT INTO outbox(serial,kind,payload,created_at) VALUES "
                                "('PV-26A18-BC02R-BBBBB','device.upsert','{}','2026-01-18T09:00:00Z')",
                                nullptr, nullptr, nullptr);
    sqlite3_close(h);
    CHECK(rc == SQLITE_CONSTRAINT);
}
