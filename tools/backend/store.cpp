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

constexpr const char* kGet = "SELECT serial_number, record, record_sha256, updated_at, stored_at FROM devices "
                             "WHERE serial_number = ?1";
constexpr const char* kPut = "INSERT INTO devices (serial_number, record, record_sha256, updated_at, stored_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(serial_number) DO UPDATE SET "
                             "record = excluded.record, record_sha256 = excluded.record_sha256, "
                             "updated_at = excluded.updated_at, stored_at = excluded.stored_at";
constexpr const char* kList = "SELECT serial_number, record, record_sha256, updated_at, stored_at FROM devices "
                              "WHERE serial_number > ?1 ORDER BY serial_number LIMIT ?2";
constexpr const char* kCount = "SELECT COUNT(*) FROM devices";
constexpr const char* kResponse =
    "SELECT fingerprint, status, body FROM idempotency_keys WHERE scope = ?1 AND key = ?2";
constexpr const char* kSaveResponse =
    "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// A prepared statement of the store's, reset (bindings cleared) when this use of it ends.
class Use {
public:
    explicit Use(sqlite3_stmt* s) : s_(s) {}
    ~Use() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    sqlite3_stmt* get() const { return s_; }

private:
    sqlite3_stmt* s_;
};

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
        // Prepared once: parsing a statement costs more than running it, and a bulk runs four a record.
        for (auto& [slot, sql] :
             std::initializer_list<std::pair<sqlite3_stmt**, const char*>>{{&get_, kGet},
                                                                           {&put_, kPut},
                                                                           {&list_, kList},
                                                                           {&count_, kCount},
                                                                           {&response_, kResponse},
                                                                           {&save_response_, kSaveResponse}})
            if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, nullptr) != SQLITE_OK)
                throw Error(ErrorCode::io_failed, "database " + path + ": " + sqlite3_errmsg(db_));
    } catch (...) {
        close();
        throw;
    }
}

Store::~Store() { close(); }

void Store::close() noexcept {
    for (sqlite3_stmt* st : {get_, put_, list_, count_, response_, save_response_})
        sqlite3_finalize(st);
    get_ = put_ = list_ = count_ = response_ = save_response_ = nullptr;
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
}

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string why = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw Error(ErrorCode::io_failed, "database " + path_ + ": " + why);
    }
}

std::optional<StoredRecord> Store::get(const std::string& serial) const {
    const Use s(get_);
    sqlite3_bind_text(s.get(), 1, serial.data(), static_cast<int>(serial.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return StoredRecord{column_text(s.get(), 0), column_text(s.get(), 1), column_text(s.get(), 2),
                        column_text(s.get(), 3), column_text(s.get(), 4)};
}

void Store::put(const StoredRecord& r) {
    const Use s(put_);
    const std::string* values[] = {&r.serial_number, &r.record, &r.record_sha256, &r.updated_at, &r.stored_at};
    for (int i = 0; i < 5; ++i)
        sqlite3_bind_text(s.get(), i + 1, values[i]->data(), static_cast<int>(values[i]->size()), SQLITE_TRANSIENT);
    if (sqlite3_step(s.get()) != SQLITE_DONE)
        throw Error(ErrorCode::io_write,
                    "database " + path_ + ": storing " + r.serial_number + ": " + sqlite3_errmsg(db_));
}

std::vector<StoredRecord> Store::list(const std::string& after, int limit) const {
    const Use s(list_);
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
    const Use s(count_);
    if (sqlite3_step(s.get()) != SQLITE_ROW)
        throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return sqlite3_column_int64(s.get(), 0);
}

std::optional<StoredResponse> Store::response(const std::string& scope, const std::string& key) const {
    const Use s(response_);
    sqlite3_bind_text(s.get(), 1, scope.data(), static_cast<int>(scope.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(s.get(), 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw Error(ErrorCode::io_failed, "database " + path_ + ": " + sqlite3_errmsg(db_));
    return StoredResponse{column_text(s.get(), 0), sqlite3_column_int(s.get(), 1), column_text(s.get(), 2)};
}

void Store::save_response(const std::string& scope, const std::string& key, const StoredResponse& r) {
    const Use s(save_response_);
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
