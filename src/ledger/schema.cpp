#include "schema.hpp"

#include <string>

#include "sqlite.hpp"
#include "vesper/core/error.hpp"

namespace vesper::ledger {

namespace {

// Never edit a migration that has shipped: add a new one.
const char* const kMigrations[] = {
    // 1: batches, serials, devices, audit log, outbox.
    R"sql(
CREATE TABLE batches (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  board_type        TEXT NOT NULL,
  revision          TEXT NOT NULL,
  quantity          INTEGER NOT NULL CHECK (quantity > 0),
  subscription_plan TEXT NOT NULL,
  available_outputs INTEGER NOT NULL CHECK (available_outputs BETWEEN 0 AND 255),
  created_at        TEXT NOT NULL,
  operator          TEXT NOT NULL
);
-- Every serial ever issued, so that a serial is never issued twice, even one reserved by
-- `serial gen` without a device.
CREATE TABLE serials (
  serial      TEXT PRIMARY KEY,
  prefix      TEXT NOT NULL,
  reserved_at TEXT NOT NULL,
  batch_id    INTEGER REFERENCES batches(id)
);
CREATE INDEX serials_by_prefix ON serials(prefix);
CREATE TABLE devices (
  serial            TEXT PRIMARY KEY REFERENCES serials(serial),
  batch_id          INTEGER NOT NULL REFERENCES batches(id),
  hw_type           TEXT NOT NULL,
  hw_version        TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('manufactured','flashed','tested','registered','failed')),
  mac               TEXT NOT NULL DEFAULT '',
  subscription_plan TEXT NOT NULL,
  available_outputs INTEGER NOT NULL,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  flashed_at        TEXT,
  tested_at         TEXT,
  registered_at     TEXT,
  last_error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devices_by_batch ON devices(batch_id);
-- One board, one serial: a MAC is bound to at most one device.
CREATE UNIQUE INDEX devices_by_mac ON devices(mac) WHERE mac <> '';
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_subject ON audit_log(subject);
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  serial          TEXT NOT NULL,
  kind            TEXT NOT NULL,
  payload         TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  next_attempt_at TEXT,
  sent_at         TEXT
);
CREATE INDEX outbox_pending ON outbox(sent_at, id);
)sql",
    // 2: stations. Where and with what each device was flashed, and every run of a pipeline step.
    R"sql(
ALTER TABLE devices ADD COLUMN station TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN port TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN firmware_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN firmware_sha256 TEXT NOT NULL DEFAULT '';
CREATE TABLE attempts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  serial           TEXT NOT NULL REFERENCES devices(serial),
  step             TEXT NOT NULL,
  station          TEXT NOT NULL DEFAULT '',
  port             TEXT NOT NULL DEFAULT '',
  mac              TEXT NOT NULL DEFAULT '',
  started_at       TEXT NOT NULL,
  finished_at      TEXT,
  result           TEXT NOT NULL CHECK (result IN ('running','passed','failed','interrupted')),
  cause            TEXT NOT NULL DEFAULT '',
  error            TEXT NOT NULL DEFAULT '',
  firmware_version TEXT NOT NULL DEFAULT '',
  firmware_sha256  TEXT NOT NULL DEFAULT '',
  seconds          REAL NOT NULL DEFAULT 0,
  phases           TEXT NOT NULL DEFAULT '{}'
);
-- A device's attempts and its still-running ones of a step (begin_attempt interrupts those). A batch's
-- attempts are found through devices_by_batch, then this index per device.
CREATE INDEX attempts_by_serial ON attempts(serial, step, result);
)sql",
};

constexpr int kCount = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

int read_version(sqlite3* db) {
    sql::Stmt st(db, "PRAGMA user_version");
    st.step();
    return static_cast<int>(st.integer(0));
}

} // namespace

int schema_version_count() { return kCount; }

void migrate(sqlite3* db) {
    sql::Transaction tx(db);
    int version = read_version(db);
    if (version > kCount)
        fail(ErrorKind::conflict, std::string("ledger ") + sqlite3_db_filename(db, "main") +
                                      ": written by a newer vesperctl (schema " + std::to_string(version) +
                                      ", this build knows up to " + std::to_string(kCount) + ")");
    for (int v = version; v < kCount; ++v)
        sql::exec(db, kMigrations[v]);
    if (version != kCount) sql::exec(db, ("PRAGMA user_version = " + std::to_string(kCount)).c_str());
    tx.commit();
}

} // namespace vesper::ledger
