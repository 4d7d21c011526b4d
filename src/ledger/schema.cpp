#include "schema.hpp"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "sqlite.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

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
    // 3: an attempt belongs to a batch and may have no device: a board that failed before it was bound
    // to a serial (it did not connect, was another chip, the batch was full) still counts in reports.
    // SQLite cannot drop NOT NULL from a column, so the table is rebuilt (ids kept).
    R"sql(
CREATE TABLE attempts_v3 (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id         INTEGER NOT NULL REFERENCES batches(id),
  serial           TEXT REFERENCES devices(serial), -- NULL: failed before a device was bound
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
INSERT INTO attempts_v3(id, batch_id, serial, step, station, port, mac, started_at, finished_at, result, cause,
                        error, firmware_version, firmware_sha256, seconds, phases)
  SELECT a.id, d.batch_id, a.serial, a.step, a.station, a.port, a.mac, a.started_at, a.finished_at, a.result,
         a.cause, a.error, a.firmware_version, a.firmware_sha256, a.seconds, a.phases
  FROM attempts a JOIN devices d ON d.serial = a.serial;
DROP TABLE attempts;
ALTER TABLE attempts_v3 RENAME TO attempts;
CREATE INDEX attempts_by_serial ON attempts(serial, step, result);
CREATE INDEX attempts_by_batch ON attempts(batch_id);
)sql",
    // 4: a failed attempt keeps the stable error code of its error (docs/cli.md, "Error codes").
    R"sql(
ALTER TABLE attempts ADD COLUMN code TEXT NOT NULL DEFAULT '';
)sql",
    // 5: factory test results, one row per test of a test step's attempt, in the plan's order. Only an
    // attempt bound to a device carries tests, so serial is never NULL. The UNIQUE index is the index
    // by attempt (its leading column) and keeps one row per plan position.
    R"sql(
CREATE TABLE test_results (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  serial     TEXT NOT NULL REFERENCES devices(serial),
  position   INTEGER NOT NULL CHECK (position >= 0),
  name       TEXT NOT NULL,
  command    TEXT NOT NULL DEFAULT '',
  measured   TEXT NOT NULL DEFAULT 'null',
  limits     TEXT NOT NULL DEFAULT '',
  verdict    TEXT NOT NULL CHECK (verdict IN ('pass','fail','skip','error')),
  required   INTEGER NOT NULL CHECK (required IN (0,1)),
  tries      INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
  seconds    REAL NOT NULL DEFAULT 0 CHECK (seconds >= 0),
  message    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX test_results_by_attempt ON test_results(attempt_id, position);
CREATE INDEX test_results_by_serial ON test_results(serial);
)sql",
    // 6: labels made for devices, and the hash of each device's claim code (never the code).
    R"sql(
ALTER TABLE devices ADD COLUMN claim_code_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE labels (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  serial      TEXT NOT NULL REFERENCES devices(serial),
  attempt_id  INTEGER REFERENCES attempts(id), -- the label step's attempt; NULL for `vesperctl label`
  layout      TEXT NOT NULL,
  format      TEXT NOT NULL CHECK (format IN ('pdf','zpl')),
  destination TEXT NOT NULL,
  copies      INTEGER NOT NULL CHECK (copies BETWEEN 1 AND 100),
  reprint     INTEGER NOT NULL CHECK (reprint IN (0,1)),
  untested    INTEGER NOT NULL CHECK (untested IN (0,1)),
  printed_at  TEXT NOT NULL,
  actor       TEXT NOT NULL
);
CREATE INDEX labels_by_serial ON labels(serial);
)sql",
    // 7: the outbox drain: each entry's state (pending, sent, superseded by a newer record of its device,
    // dead: refused by the backend for good), the backend's answer for a dead one and its record hash
    // for a sent one. Entries sent before keep their sent_at.
    R"sql(
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
  CHECK (state IN ('pending','sent','superseded','dead'));
ALTER TABLE outbox ADD COLUMN response TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN record_sha256 TEXT NOT NULL DEFAULT '';
UPDATE outbox SET state = 'sent' WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_by_serial ON outbox(serial, state, id);
)sql",
    // 8: the drain finds the oldest pending entries through an index instead of reading the whole outbox
    // (every record ever queued stays in it).
    R"sql(
CREATE INDEX outbox_by_state ON outbox(state, id);
)sql",
    // 9: a device has at most one pending entry. Queuing a record supersedes the device's pending one
    // (only the newest was ever sent), so the drain reads each due entry once instead of skipping every
    // older record of every device; the unique index keeps it so. The index of schema 1 on sent_at
    // served no query since schema 7 and cost a write at every confirmation.
    R"sql(
UPDATE outbox SET state = 'superseded' WHERE state = 'pending' AND
  id < (SELECT MAX(p.id) FROM outbox p WHERE p.serial = outbox.serial AND p.state = 'pending');
CREATE UNIQUE INDEX outbox_one_pending ON outbox(serial) WHERE state = 'pending';
DROP INDEX outbox_pending;
)sql",
};

constexpr int kCount = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

// Schema versions that shipped before ledgers carried the application_id.
constexpr int kLastUnmarkedVersion = 2;
// The tables every ledger has had since schema 1.
const char* const kLedgerTables[] = {"batches", "serials", "devices", "audit_log", "outbox"};

std::int64_t pragma(sqlite3* db, const char* name) {
    sql::Stmt st(db, std::string("PRAGMA ") + name);
    st.step();
    return st.integer(0);
}

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string path_of(sqlite3* db) {
    const char* file = sqlite3_db_filename(db, "main");
    return file ? file : "";
}

} // namespace

int schema_version_count() { return kCount; }

FileIdentity identify(sqlite3* db) {
    FileIdentity id;
    id.application_id = static_cast<std::uint32_t>(pragma(db, "application_id"));
    id.version = static_cast<int>(pragma(db, "user_version"));
    std::set<std::string> tables;
    {
        sql::Stmt st(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        while (st.step())
            tables.insert(st.text(0));
    }
    if (id.application_id == kApplicationId) {
        id.kind = FileIdentity::ours;
    } else if (id.application_id != 0) {
        id.kind = FileIdentity::foreign;
        id.why = "a SQLite database of another application (application_id " + hex32(id.application_id) + ")";
    } else if (tables.empty() && id.version == 0) {
        id.kind = FileIdentity::empty;
    } else {
        bool ledger_tables = true;
        for (const char* t : kLedgerTables)
            ledger_tables = ledger_tables && tables.count(t) == 1;
        if (ledger_tables && id.version >= 1 && id.version <= kLastUnmarkedVersion) {
            id.kind = FileIdentity::unmarked;
        } else {
            id.kind = FileIdentity::foreign;
            std::vector<std::string> names(tables.begin(), tables.end());
            if (names.size() > 5) {
                names.resize(5);
                names.push_back("...");
            }
            id.why = "a SQLite database that is not a vesperctl ledger (tables: " +
                     (names.empty() ? std::string("none") : join(names)) + ")";
        }
    }
    return id;
}

void refuse_unless_ledger(const FileIdentity& id, const std::string& path) {
    if (id.kind == FileIdentity::foreign)
        fail(ErrorCode::ledger_not_a_ledger,
             "ledger " + path + ": " + id.why + "; refusing to use it as the ledger (nothing changed)");
    if (id.kind == FileIdentity::ours && id.version > kCount)
        fail(ErrorCode::ledger_too_new, "ledger " + path + ": written by a newer vesperctl (schema " +
                                            std::to_string(id.version) + ", this build knows up to " +
                                            std::to_string(kCount) + ")");
}

bool needs_migration(const FileIdentity& id) {
    return id.kind == FileIdentity::empty || id.kind == FileIdentity::unmarked || id.version < kCount;
}

bool migrate(sqlite3* db) {
    sql::Transaction tx(db);
    // Again under the write lock: the file may have changed since it was first looked at.
    const FileIdentity id = identify(db);
    refuse_unless_ledger(id, path_of(db));
    for (int v = id.version; v < kCount; ++v)
        sql::exec(db, kMigrations[v]);
    if (id.version != kCount) sql::exec(db, ("PRAGMA user_version = " + std::to_string(kCount)).c_str());
    if (id.application_id != kApplicationId)
        sql::exec(db, ("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
    tx.commit();
    return id.kind == FileIdentity::empty;
}

} // namespace vesper::ledger
