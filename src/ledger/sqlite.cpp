#include "sqlite.hpp"

#include "vesper/core/error.hpp"

namespace vesper::ledger::sql {

void fail_sqlite(sqlite3* db, const std::string& what) {
    const char* file = sqlite3_db_filename(db, "main");
    int code = sqlite3_extended_errcode(db);
    ErrorKind kind = (code & 0xFF) == SQLITE_CONSTRAINT ? ErrorKind::conflict : ErrorKind::io;
    fail(kind, std::string("ledger ") + (file && *file ? file : "(memory)") + ": " + what + ": " + sqlite3_errmsg(db));
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
        fail_sqlite(db, "cannot prepare statement");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::string_view v) {
    if (sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        fail_sqlite(db_, "cannot bind parameter");
    return *this;
}

Stmt& Stmt::bind(int index, std::int64_t v) {
    if (sqlite3_bind_int64(stmt_, index, v) != SQLITE_OK) fail_sqlite(db_, "cannot bind parameter");
    return *this;
}

Stmt& Stmt::bind_null(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail_sqlite(db_, "cannot bind parameter");
    return *this;
}

Stmt& Stmt::bind_real(int index, double v) {
    if (sqlite3_bind_double(stmt_, index, v) != SQLITE_OK) fail_sqlite(db_, "cannot bind parameter");
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail_sqlite(db_, std::string("statement failed: ") + sqlite3_sql(stmt_));
}

void Stmt::run() {
    while (step()) {
    }
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

std::int64_t Stmt::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

double Stmt::real(int col) const { return sqlite3_column_double(stmt_, col); }

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        const char* file = sqlite3_db_filename(db, "main");
        fail(ErrorKind::io, std::string("ledger ") + (file ? file : "") + ": " + msg);
    }
}

Transaction::Transaction(sqlite3* db, Mode mode) : db_(db) {
    exec(db, mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    exec(db_, "COMMIT");
    done_ = true;
}

} // namespace vesper::ledger::sql
