#include "backend/store.hpp"

#include <memory>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS devices (
  serial_number TEXT PRIMARY KEY,
  record TEXT NOT NULL,
  record_sha256 TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (scope, key)
);
)";

struct StmtFree {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFree>;

std::string column_text(sqlite3_stmt* s, int i) {
    const unsigned char* t = sqlite3_column_text(s, i);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
}

} // namespace

Store::Store(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error(ErrorCode::io_failed, "database " + path + ": cannot be opened: " + why);
    }
    try {
        exec("PRAGMA journal_mode=WAL;");
        exec("PRAGMA synchronous=NORMAL;");
        exec(kSchema);
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

Store::~Store() {
    if (db_) sqlite3_close(db_);
}

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string why = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw Error(ErrorCode::io_failed, "database " + path_ + ": " + why);
    }
}

// Prepares `sql`; every failure is an io error naming the database.
#define VESPER_PREPARE(name, sql)                                                                                      \
    sqlite3_stmt* name##_raw = nullptr;                                                                                \
    if (sqlite3_prepare_v2(db_, sql, -1, &name##_raw, nullptr) != SQLITE_OK)                                           \
        throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));                           \
    Stmt name(name##_raw)

std::optional<StoredRecord> Store::get(const std::string& serial) const {
    VESPER_PREPARE(s, "SELECT serial_number, record, record_sha256, updated_at, stored_at FROM devices "
                      "WHERE serial_number = ?1");
    sqlite3_bind_text(s.get(), 1, serial.data(), static_cast<int>(serial.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return StoredRecord{column_text(s.get(), 0), column_text(s.get(), 1), column_text(s.get(), 2),
                        column_text(s.get(), 3), column_text(s.get(), 4)};
}

void Store::put(const StoredRecord& r) {
    VESPER_PREPARE(s, "INSERT INTO devices (serial_number, record, record_sha256, updated_at, stored_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(serial_number) DO UPDATE SET "
                      "record = excluded.record, record_sha256 = excluded.record_sha256, "
                      "updated_at = excluded.updated_at, stored_at = excluded.stored_at");
    const std::string* values[] = {&r.serial_number, &r.record, &r.record_sha256, &r.updated_at, &r.stored_at};
    for (int i = 0; i < 5; ++i)
        sqlite3_bind_text(s.get(), i + 1, values[i]->data(), static_cast<int>(values[i]->size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s.get()) != SQLITE_DONE)
        throw Error(ErrorCode::io_write,
                    "database " + path_ + ": storing " + r.serial_number + ": " + sqlite3_errmsg(db_));
}

std::vector<StoredRecord> Store::list(const std::string& after, int limit) const {
    VESPER_PREPARE(s, "SELECT serial_number, record, record_sha256, updated_at, stored_at FROM devices "
                      "WHERE serial_number > ?1 ORDER BY serial_number LIMIT ?2");
    sqlite3_bind_text(s.get(), 1, after.data(), static_cast<int>(after.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(s.get(), 2, limit);
    std::vector<StoredRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
        out.push_back({column_text(s.get(), 0), column_text(s.get(), 1), column_text(s.get(), 2),
                       column_text(s.get(), 3), column_text(s.get(), 4)});
    if (rc != SQLITE_DONE) throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return out;
}

std::int64_t Store::count() const {
    VESPER_PREPARE(s, "SELECT COUNT(*) FROM devices");
    if (sqlite3_step(s.get()) != SQLITE_ROW)
        throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return sqlite3_column_int64(s.get(), 0);
}

std::optional<StoredResponse> Store::response(const std::string& scope, const std::string& key) const {
    VESPER_PREPARE(s, "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = ?1 AND key = ?2");
    sqlite3_bind_text(s.get(), 1, scope.data(), static_cast<int>(scope.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return StoredResponse{column_text(s.get(), 0), sqlite3_column_int(s.get(), 1), column_text(s.get(), 2)};
}

void Store::save_response(const std::string& scope, const std::string& key, const StoredResponse& r) {
    VESPER_PREPARE(s, "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    const std::string now = now_utc_iso8601();
    sqlite3_bind_text(s.get(), 1, scope.data(), static_cast<int>(scope.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 3, r.fingerprint.data(), static_cast<int>(r.fingerprint.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(s.get(), 4, r.status);
    sqlite3_bind_text(s.get(), 5, r.body.data(), static_cast<int>(r.body.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 6, now.data(), static_cast<int>(now.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s.get()) != SQLITE_DONE)
        throw Error(ErrorCode::io_write, "database " + path_ + ": storing an idempotency key: " + sqlite3_errmsg(db_));
}

void Store::begin() { exec("BEGIN IMMEDIATE"); }
void Store::commit() { exec("COMMIT"); }
void Store::rollback() noexcept { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

} // namespace vesper::backend
