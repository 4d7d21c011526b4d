#include "sqlite.hpp"

#include "statement_cache.hpp"

#include <optional>

#include "vesper/core/error.hpp"

namespace vesper::ledger::sql {

namespace {

// The problems a person can do something about, in words; nullopt for the rest (bugs, mostly), which
// keep SQLite's own message after what was attempted.
std::optional<std::string> in_words(int code, const std::string& msg) {
    switch (code & 0xFF) {
    case SQLITE_READONLY:
        return std::string("cannot write the ledger: the file or its folder is read-only here (check its permissions)");
    case SQLITE_NOTADB: return std::string("not a SQLite database, so not a vesperctl ledger");
    case SQLITE_CORRUPT: return "the file is damaged (SQLite: " + msg + "); restore the ledger from a backup";
    case SQLITE_FULL: return std::string("the disk is full");
    case SQLITE_CANTOPEN: return "cannot open the file or its journal files next to it (" + msg + ")";
    case SQLITE_IOERR: return "read or write error on the file (" + msg + ")";
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return std::string("another process kept the ledger locked for more than 30 s");
    case SQLITE_PERM:
    case SQLITE_AUTH: return "permission denied (" + msg + ")";
    }
    return std::nullopt;
}

// SQL text for a message: on one line, shortened.
std::string one_line(std::string_view sql) {
    std::string out;
    for (char c : sql) {
        const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : c;
        if (out.size() > 80) return out.substr(0, 77) + "...";
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

} // namespace

std::string sqlite_problem(int code, const std::string& sqlite_message) {
    return in_words(code, sqlite_message).value_or(sqlite_message);
}

ErrorCode error_code(int code) {
    switch (code & 0xFF) {
    case SQLITE_CONSTRAINT: return ErrorCode::conflict;
    case SQLITE_NOTADB: return ErrorCode::ledger_not_a_ledger; // the file given is not a ledger (input)
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::ledger_busy;
    case SQLITE_READONLY: return ErrorCode::ledger_read_only;
    case SQLITE_CORRUPT: return ErrorCode::ledger_damaged;
    case SQLITE_FULL: return ErrorCode::io_write;
    default: return ErrorCode::io_failed;
    }
}

void fail_sqlite(sqlite3* db, const std::string& what) {
    const char* file = sqlite3_db_filename(db, "main");
    const int code = sqlite3_extended_errcode(db);
    const std::string msg = sqlite3_errmsg(db);
    const auto words = in_words(code, msg);
    fail(error_code(code),
         std::string("ledger ") + (file && *file ? file : "(memory)") + ": " + (words ? *words : what + ": " + msg));
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    stmt_ = statement_cache::take(db, sql);
    if (stmt_) {
        keep_ = true;
        return;
    }
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
        fail_sqlite(db, "cannot prepare statement");
    // Kept under the text SQLite holds, which is the text asked for unless it had more than one statement.
    const char* held = sqlite3_sql(stmt_);
    keep_ = held && std::string_view(held) == sql;
}

Stmt::~Stmt() {
    if (keep_)
        statement_cache::give_back(db_, stmt_);
    else
        sqlite3_finalize(stmt_);
}

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
    fail_sqlite(db_, "statement failed: " + one_line(sqlite3_sql(stmt_)));
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
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail_sqlite(db, one_line(sql));
}

Transaction::Transaction(sqlite3* db, Mode mode) : db_(db), nested_(sqlite3_get_autocommit(db) == 0) {
    // Inside another transaction (Ledger::write_batch) this one is part of it: the outer one commits,
    // and an error thrown from here rolls the outer one back as it unwinds.
    if (!nested_) exec(db, mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (!done_ && !nested_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    if (!nested_) exec(db_, "COMMIT");
    done_ = true;
}

} // namespace vesper::ledger::sql
