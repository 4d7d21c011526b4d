// The ledger file belongs to vesperctl: reads never create one, other files are refused untouched,
// ledgers of earlier versions are marked as ours, and a damaged or unwritable one says so in words.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>

#include "ledger_support.hpp"
#include "unit_support.hpp"
#include "vesper/core/files.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/report.hpp"

using namespace vesper;
namespace fs = std::filesystem;
using ledger::Access;
using test::count_rows;
using test::exec_sql;
using test::TempLedger;

namespace {

// Every file in `dir` with its bytes: a refused file must stay exactly as it was, with nothing beside it.
std::map<std::string, Bytes> snapshot(const fs::path& dir) {
    std::map<std::string, Bytes> out;
    for (const auto& e : fs::directory_iterator(dir))
        out[e.path().filename().string()] = read_file(e.path());
    return out;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

Error open_error(const fs::path& path, Access access) {
    return test::error_from([&] { ledger::Ledger::open(path, "tester", access); });
}

} // namespace

TEST_CASE("ledger files: reads never create a ledger, a missing one is not_found naming the path", "[ledger][files]") {
    TempLedger t; // t.path sits in a folder that does not exist yet
    for (Access access : {Access::read_only, Access::existing}) {
        const Error e = open_error(t.path, access);
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK(std::string(e.what()) == "ledger " + t.path.string() + " does not exist");
        CHECK_FALSE(fs::exists(t.path.parent_path()));
    }
    {
        auto l = ledger::Ledger::open(t.path, "tester", Access::create);
        CHECK(l.created());
        l.create_batch(test::batch_spec(2));
    }
    CHECK_FALSE(t.open().created());
    auto ro = ledger::Ledger::open(t.path, "tester", Access::read_only);
    CHECK_FALSE(ro.created());
    CHECK(ro.list_batches().size() == 1);
    // The connection cannot write: a write is refused, in words.
    const Error w = test::error_from([&] { ro.create_batch(test::batch_spec(1)); });
    CHECK(w.kind() == ErrorKind::io);
    CHECK_THAT(w.what(), Catch::StartsWith("ledger " + t.path.string() + ": ") && Catch::Contains("read-only"));
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM batches") == 1);
}

TEST_CASE("ledger files: a new ledger carries the application_id", "[ledger][files]") {
    TempLedger t;
    t.open();
    CHECK(count_rows(t.path, "PRAGMA application_id") == ledger::kApplicationId);
    CHECK(ledger::kApplicationId == 0x56535052); // "VSPR", documented in docs/architecture.md
}

TEST_CASE("ledger files: a SQLite database of something else is refused untouched", "[ledger][files]") {
    test::TempDir dir;
    const fs::path other = dir / "notes.db";
    SECTION("tables of its own, no application_id") {
        exec_sql(other, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); "
                        "INSERT INTO notes(body) VALUES ('keep me'), ('and me');");
    }
    SECTION("another application's id, no tables") { exec_sql(other, "PRAGMA application_id = 252006673;"); }
    SECTION("our table names but no schema version") {
        exec_sql(other, "CREATE TABLE batches (x); CREATE TABLE serials (x); CREATE TABLE devices (x); "
                        "CREATE TABLE audit_log (x); CREATE TABLE outbox (x);");
    }
    const auto before = snapshot(dir.path());
    for (Access access : {Access::create, Access::existing, Access::read_only}) {
        const Error e = open_error(other, access);
        CHECK(e.kind() == ErrorKind::input);
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::StartsWith("ledger " + other.string() + ": a SQLite database "));
        CHECK_THAT(msg, Catch::Contains("not a vesperctl ledger") || Catch::Contains("of another application"));
        CHECK(msg.find('\n') == std::string::npos);
        CHECK(snapshot(dir.path()) == before); // same bytes, no -wal or -shm beside it
    }
}

TEST_CASE("ledger files: a file that is not SQLite is refused untouched", "[ledger][files]") {
    test::TempDir dir;
    const fs::path file = dir / "ledger.db";
    SECTION("text") { write_bytes(file, "serial,mac\nPV-26A18-BC02R-AAAAA,24:0a:c4:00:00:01\n"); }
    SECTION("binary") {
        std::string bytes;
        for (int i = 0; i < 8192; ++i)
            bytes += static_cast<char>((i * 131 + 7) & 0xFF);
        write_bytes(file, bytes);
    }
    const auto before = snapshot(dir.path());
    for (Access access : {Access::create, Access::existing, Access::read_only}) {
        const Error e = open_error(file, access);
        CHECK(e.kind() == ErrorKind::input);
        CHECK(std::string(e.what()) ==
              "ledger " + file.string() + ": not a SQLite database, so not a vesperctl ledger");
        CHECK(snapshot(dir.path()) == before);
    }
}

TEST_CASE("ledger files: a folder at the ledger's path is an input error", "[ledger][files]") {
    test::TempDir dir;
    fs::create_directory(dir / "ledger.db");
    const Error e = open_error(dir / "ledger.db", Access::create);
    CHECK(e.kind() == ErrorKind::input);
    CHECK_THAT(e.what(), Catch::Contains("is a folder"));
}

TEST_CASE("ledger files: an empty file becomes a ledger only where one may be created", "[ledger][files]") {
    test::TempDir dir;
    const fs::path file = dir / "ledger.db";
    write_bytes(file, "");
    const Error e = open_error(file, Access::read_only);
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(e.what(), Catch::Contains(file.string()) && Catch::Contains("holds no ledger yet"));
    CHECK(fs::file_size(file) == 0);
    auto l = ledger::Ledger::open(file, "tester", Access::create);
    CHECK(l.created());
    CHECK(l.schema_version() == ledger::Ledger::current_schema_version());
}

TEST_CASE("ledger files: a schema-2 ledger without application_id opens, migrates and gets the id", "[ledger][files]") {
    TempLedger t;
    // As vesperctl left it before ledgers were marked: schema 2, WAL, a flashed device and its attempts.
    exec_sql(t.path, std::string(test::kSchema1Sql) + test::kSchema2Sql + R"sql(
PRAGMA journal_mode = WAL;
INSERT INTO batches VALUES (1,'BC','02',2,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1),
                           ('PV-26A18-BC02R-BBBBB','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,mac,subscription_plan,available_outputs,created_at,
                    updated_at,flashed_at,station,port)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','flashed','24:0a:c4:00:00:01','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T09:00:00Z','2026-01-18T09:00:00Z','A','/dev/ttyUSB0'),
         ('PV-26A18-BC02R-BBBBB',1,'BC','02','manufactured','','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T08:00:00Z',NULL,'','');
INSERT INTO attempts(serial,step,station,port,mac,started_at,finished_at,result,cause,error,seconds)
  VALUES ('PV-26A18-BC02R-AAAAA','flash','A','/dev/ttyUSB0','24:0a:c4:00:00:01','2026-01-18T08:59:00Z',
          '2026-01-18T08:59:04Z','failed','connect','no sync',4),
         ('PV-26A18-BC02R-AAAAA','flash','A','/dev/ttyUSB0','24:0a:c4:00:00:01','2026-01-18T08:59:10Z',
          '2026-01-18T09:00:00Z','passed','','',50);
PRAGMA user_version = 2;
)sql");
    REQUIRE(count_rows(t.path, "PRAGMA application_id") == 0);
    SECTION("opened to write") {
        auto l = t.open();
        CHECK_FALSE(l.created());
    }
    SECTION("opened to read: the migration still runs") {
        auto l = ledger::Ledger::open(t.path, "tester", Access::read_only);
        CHECK(l.list_batches().size() == 1);
    }
    CHECK(count_rows(t.path, "PRAGMA application_id") == ledger::kApplicationId);
    CHECK(count_rows(t.path, "PRAGMA user_version") == ledger::Ledger::current_schema_version());
    auto l = ledger::Ledger::open(t.path, "tester", Access::read_only);
    const auto attempts = l.attempts_of_batch(1);
    REQUIRE(attempts.size() == 2); // kept, ids and all, now with their batch
    CHECK(attempts[0].id == 1);
    CHECK(attempts[0].batch_id == 1);
    CHECK(attempts[0].cause == "connect");
    CHECK(attempts[1].result == ledger::AttemptResult::passed);
    CHECK(attempts[1].seconds == Approx(50));
    const auto report = ledger::batch_report(l, 1);
    CHECK(report.attempts == 2);
    CHECK(report.failures_by_cause == std::map<std::string, int>{{"connect", 1}});
}

TEST_CASE("ledger files: a damaged ledger says so in one line naming the file", "[ledger][files]") {
    TempLedger t;
    {
        auto l = t.open();
        l.create_batch(test::batch_spec(50));
    }
    // Page 1 holds the schema after the 100-byte file header: overwrite it.
    {
        std::fstream f(t.path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        const std::string junk(3000, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    for (Access access : {Access::create, Access::read_only}) {
        const Error e = open_error(t.path, access);
        CHECK(e.kind() == ErrorKind::io);
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::StartsWith("ledger " + t.path.string() + ": the file is damaged"));
        CHECK_THAT(msg, Catch::Contains("restore the ledger from a backup"));
        CHECK(msg.find('\n') == std::string::npos);
    }
}

TEST_CASE("ledger files: a ledger from a newer vesperctl is refused before anything is written", "[ledger][files]") {
    TempLedger t;
    t.open();
    exec_sql(t.path, "PRAGMA user_version = 99;");
    const auto before = read_file(t.path);
    for (Access access : {Access::create, Access::read_only}) {
        const Error e = open_error(t.path, access);
        CHECK(e.kind() == ErrorKind::conflict);
        CHECK_THAT(e.what(), Catch::Contains("newer vesperctl") && Catch::Contains(t.path.string()));
    }
    CHECK(read_file(t.path) == before);
}
