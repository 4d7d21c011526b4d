#pragma once
// Shared by the ledger unit tests and the CLI report tests: a ledger file in a fresh temporary folder, a batch spec,
// and direct SQL on the file (for fixtures and for checking what was stored).
#include <catch2/catch.hpp>

#include <sqlite3.h>

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
