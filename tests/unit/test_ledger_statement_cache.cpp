// The ledger's kept prepared statements (src/ledger/statement_cache): taken again by their text, reset
// and with no bindings; finalized on release, so the connection closes; unkept connections keep none.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <string>

#include "../../src/ledger/statement_cache.hpp"
#include "ledger_support.hpp"
#include "unit_support.hpp"
#include "vesper/ledger/ledger.hpp"

using namespace vesper;
namespace cache = vesper::ledger::sql::statement_cache;

namespace {

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    return st;
}

} // namespace

TEST_CASE("ledger statement cache: a kept statement is taken again by its text, reset and unbound",
          "[ledger][statement_cache]") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    const char* sql = "SELECT ?1";
    CHECK(cache::take(db, sql) == nullptr); // the connection keeps nothing yet
    cache::keep(db);
    CHECK(cache::take(db, sql) == nullptr); // nothing kept yet

    sqlite3_stmt* st = prepare(db, sql);
    REQUIRE(sqlite3_bind_int(st, 1, 42) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW); // left mid-way: giving it back resets it
    CHECK(sqlite3_column_int(st, 0) == 42);
    cache::give_back(db, st);

    CHECK(cache::take(db, "SELECT ?2") == nullptr);
    sqlite3_stmt* again = cache::take(db, sql);
    CHECK(again == st);
    CHECK(cache::take(db, sql) == nullptr); // taken: not idle any more
    REQUIRE(sqlite3_step(again) == SQLITE_ROW);
    CHECK(sqlite3_column_type(again, 0) == SQLITE_NULL); // its binding was cleared
    cache::give_back(db, again);

    cache::release(db);
    CHECK(cache::take(db, sql) == nullptr);
    CHECK(sqlite3_close(db) == SQLITE_OK); // nothing left unfinalized
}

TEST_CASE("ledger statement cache: a connection that keeps none gets its statements finalized",
          "[ledger][statement_cache]") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    cache::give_back(db, prepare(db, "SELECT 1"));
    CHECK(cache::take(db, "SELECT 1") == nullptr);
    CHECK(sqlite3_close(db) == SQLITE_OK);
}

TEST_CASE("ledger statement cache: kept statements follow a schema change made by another process",
          "[ledger][statement_cache]") {
    test::TempLedger t;
    auto l = t.open();
    const auto b = l.create_batch(test::batch_spec(3));
    const auto serial = l.devices_of_batch(b.id).front().serial;
    l.set_status(serial, ledger::DeviceStatus::flashed); // its statements are now kept
    // Another connection changes the schema: SQLite prepares the kept statements again on their next run.
    test::exec_sql(t.path, "CREATE TABLE elsewhere (x INTEGER); CREATE INDEX devices_by_status ON devices(status);");
    l.set_status(serial, ledger::DeviceStatus::tested);
    CHECK(l.get_device(serial).status == ledger::DeviceStatus::tested);
    CHECK(l.outbox_entries().size() == 3 + 2);
}
