#pragma once
// A thin RAII layer over the SQLite C API for the ledger: statements, typed binds/columns and
// transactions that roll back unless committed. Errors name the ledger file and what was attempted.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vesper/core/error.hpp"

namespace vesper::ledger::sql {

// Throws the error of the last failed call on `db`: "ledger FILE: " and the problem in words where a
// person can act on it (read-only, damaged, not a database, disk full, locked), else `what` and
// SQLite's message. Its code (error_code): conflict for a constraint, ledger.not_a_ledger (input) for a
// file that is not a database, ledger.busy, ledger.read_only, ledger.damaged, io.write (disk full), and
// io.failed (io) for the rest.
[[noreturn]] void fail_sqlite(sqlite3* db, const std::string& what);
// The same words for an error code without a connection (sqlite3_open_v2 failures), and its code.
std::string sqlite_problem(int code, const std::string& sqlite_message);
ErrorCode error_code(int code);

// A statement of the connection: taken from the connection's kept statements when it keeps them
// (statement_cache), else prepared; given back (or finalized) when it goes out of scope.
class Stmt {
public:
    Stmt(sqlite3* db, std::string_view sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int index, std::string_view v);
    Stmt& bind(int index, std::int64_t v);
    Stmt& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
    Stmt& bind_null(int index);
    // Named apart from bind(): an overload on double would make bind() with unsigned or long long
    // arguments ambiguous.
    Stmt& bind_real(int index, double v);
    Stmt& bind_opt(int index, std::string_view v) { return v.empty() ? bind_null(index) : bind(index, v); }

    // Advances: true while a row is available.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    void reset();

    std::string text(int col) const;
    std::int64_t integer(int col) const;
    double real(int col) const;
    bool is_null(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    bool keep_ = false;
};

void exec(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock;
// the busy timeout makes the second one wait its turn. A read-only transaction is a deferred BEGIN: in
// WAL mode its first read fixes the snapshot every later read sees, and it never waits for writers.
// Rolled back when it goes out of scope without commit().
class Transaction {
public:
    enum class Mode { write, read };
    explicit Transaction(sqlite3* db, Mode mode = Mode::write);
    ~Transaction();
    void commit();

private:
    sqlite3* db_;
    bool nested_; // began inside another transaction: joins it
    bool done_ = false;
};

} // namespace vesper::ledger::sql
