#pragma once
// Shared by the ledger unit tests and the CLI report tests: a ledger file in a fresh temporary folder, a batch spec,
// and direct SQL on the file (for fixtures and for checking what was stored).
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "temp_dir.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::test {

// The ledger file sits in a folder that does not exist yet (the ledger creates it).
struct TempLedger {
    TempDir tmp;
    std::filesystem::path dir = tmp.path();
    std::filesystem::path path = dir / "sub" / "ledger.db";
    ledger::Ledger open() const { return ledger::Ledger::open(path, "tester"); }
};

inline ledger::BatchSpec batch_spec(int qty) {
    ledger::BatchSpec s;
    s.board_type = "BC";
    s.revision = "02";
    s.quantity = qty;
    s.date = serial::Date{2026, 1, 18};
    return s;
}

// A distinct board MAC per number ("24:0a:c4:00:00:01" for 1), as bind_mac takes it.
inline std::string mac_of(int i) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "24:0a:c4:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    return buf;
}

// The ledger schema as vesperctl shipped it at versions 1 and 2, before ledgers carried an
// application_id: what old ledgers hold, for migration tests. Never edit.
inline constexpr const char* kSchema1Sql = R"sql(
CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, board_type TEXT NOT NULL, revision TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0), subscription_plan TEXT NOT NULL,
  available_outputs INTEGER NOT NULL CHECK (available_outputs BETWEEN 0 AND 255), created_at TEXT NOT NULL,
  operator TEXT NOT NULL);
CREATE TABLE serials (serial TEXT PRIMARY KEY, prefix TEXT NOT NULL, reserved_at TEXT NOT NULL,
  batch_id INTEGER REFERENCES batches(id));
CREATE INDEX serials_by_prefix ON serials(prefix);
CREATE TABLE devices (serial TEXT PRIMARY KEY REFERENCES serials(serial),
  batch_id INTEGER NOT NULL REFERENCES batches(id), hw_type TEXT NOT NULL, hw_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('manufactured','flashed','tested','registered','failed')),
  mac TEXT NOT NULL DEFAULT '', subscription_plan TEXT NOT NULL, available_outputs INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, flashed_at TEXT, tested_at TEXT, registered_at TEXT,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX devices_by_batch ON devices(batch_id);
CREATE UNIQUE INDEX devices_by_mac ON devices(mac) WHERE mac <> '';
CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX audit_by_subject ON audit_log(subject);
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', next_attempt_at TEXT, sent_at TEXT);
CREATE INDEX outbox_pending ON outbox(sent_at, id);
)sql";
inline constexpr const char* kSchema2Sql = R"sql(
ALTER TABLE devices ADD COLUMN station TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN port TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN firmware_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN firmware_sha256 TEXT NOT NULL DEFAULT '';
CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL REFERENCES devices(serial),
  step TEXT NOT NULL, station TEXT NOT NULL DEFAULT '', port TEXT NOT NULL DEFAULT '', mac TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL, finished_at TEXT,
  result TEXT NOT NULL CHECK (result IN ('running','passed','failed','interrupted')),
  cause TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', firmware_version TEXT NOT NULL DEFAULT '',
  firmware_sha256 TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0, phases TEXT NOT NULL DEFAULT '{}');
CREATE INDEX attempts_by_serial ON attempts(serial, step, result);
)sql";

// Schemas 3 and 4 as shipped (ledgers carry the application_id from 3 on): with kSchema1Sql and
// kSchema2Sql and the pragmas of kSchema4Marks, what a ledger made at schema 4 holds. Never edit.
inline constexpr const char* kSchema3Sql = R"sql(
CREATE TABLE attempts_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT, batch_id INTEGER NOT NULL REFERENCES batches(id),
  serial TEXT REFERENCES devices(serial), step TEXT NOT NULL, station TEXT NOT NULL DEFAULT '',
  port TEXT NOT NULL DEFAULT '', mac TEXT NOT NULL DEFAULT '', started_at TEXT NOT NULL, finished_at TEXT,
  result TEXT NOT NULL CHECK (result IN ('running','passed','failed','interrupted')),
  cause TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', firmware_version TEXT NOT NULL DEFAULT '',
  firmware_sha256 TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0, phases TEXT NOT NULL DEFAULT '{}');
INSERT INTO attempts_v3(id, batch_id, serial, step, station, port, mac, started_at, finished_at, result, cause,
                        error, firmware_version, firmware_sha256, seconds, phases)
  SELECT a.id, d.batch_id, a.serial, a.step, a.station, a.port, a.mac, a.started_at, a.finished_at, a.result,
         a.cause, a.error, a.firmware_version, a.firmware_sha256, a.seconds, a.phases
  FROM attempts a JOIN devices d ON d.serial = a.serial;
DROP TABLE attempts;
ALTER TABLE attempts_v3 RENAME TO attempts;
CREATE INDEX attempts_by_serial ON attempts(serial, step, result);
CREATE INDEX attempts_by_batch ON attempts(batch_id);
)sql";
inline constexpr const char* kSchema4Sql = R"sql(
ALTER TABLE attempts ADD COLUMN code TEXT NOT NULL DEFAULT '';
)sql";
inline constexpr const char* kSchema4Marks = R"sql(
PRAGMA application_id = 1448300626;
PRAGMA user_version = 4;
)sql";
// Schema 5 as shipped: kSchema1Sql..kSchema4Sql, this, then kSchema5Marks. Never edit.
inline constexpr const char* kSchema5Sql = R"sql(
CREATE TABLE test_results (id INTEGER PRIMARY KEY AUTOINCREMENT, attempt_id INTEGER NOT NULL REFERENCES attempts(id),
  serial TEXT NOT NULL REFERENCES devices(serial), position INTEGER NOT NULL CHECK (position >= 0),
  name TEXT NOT NULL, command TEXT NOT NULL DEFAULT '', measured TEXT NOT NULL DEFAULT 'null',
  limits TEXT NOT NULL DEFAULT '', verdict TEXT NOT NULL CHECK (verdict IN ('pass','fail','skip','error')),
  required INTEGER NOT NULL CHECK (required IN (0,1)), tries INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
  seconds REAL NOT NULL DEFAULT 0 CHECK (seconds >= 0), message TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX test_results_by_attempt ON test_results(attempt_id, position);
CREATE INDEX test_results_by_serial ON test_results(serial);
)sql";
inline constexpr const char* kSchema5Marks = R"sql(
PRAGMA application_id = 1448300626;
PRAGMA user_version = 5;
)sql";
// Schema 6 as shipped: kSchema1Sql..kSchema5Sql, this, then kSchema6Marks. Never edit.
inline constexpr const char* kSchema6Sql = R"sql(
ALTER TABLE devices ADD COLUMN claim_code_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE labels (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL REFERENCES devices(serial),
  attempt_id INTEGER REFERENCES attempts(id), layout TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('pdf','zpl')), destination TEXT NOT NULL,
  copies INTEGER NOT NULL CHECK (copies BETWEEN 1 AND 100), reprint INTEGER NOT NULL CHECK (reprint IN (0,1)),
  untested INTEGER NOT NULL CHECK (untested IN (0,1)), printed_at TEXT NOT NULL, actor TEXT NOT NULL);
CREATE INDEX labels_by_serial ON labels(serial);
)sql";
inline constexpr const char* kSchema6Marks = R"sql(
PRAGMA application_id = 1448300626;
PRAGMA user_version = 6;
)sql";

// The first column of the first row of a query.
inline std::int64_t count_rows(const std::filesystem::path& db, const char* sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    auto v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

// Runs SQL statements on the file (creating it if needed), as another process would.
inline void exec_sql(const std::filesystem::path& db, const std::string& sql) {
    std::filesystem::create_directories(db.parent_path());
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    sqlite3_busy_timeout(h, 30000);
    char* err = nullptr;
    int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    INFO(msg);
    REQUIRE(rc == SQLITE_OK);
}

} // namespace vesper::test
