#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <set>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::DeviceStatus;

using test::count_rows;
using test::TempLedger;

namespace {

ledger::BatchSpec spec(int qty) { return test::batch_spec(qty); }

} // namespace

TEST_CASE("ledger: opening creates the file, WAL mode and the current schema", "[ledger]") {
    TempLedger t;
    {
        auto l = t.open();
        CHECK(l.schema_version() == ledger::Ledger::current_schema_version());
    }
    CHECK(std::filesystem::exists(t.path));
    // Reopening an existing ledger migrates nothing and keeps data.
    auto l = t.open();
    l.create_batch(spec(2));
    auto l2 = t.open();
    CHECK(l2.list_batches().size() == 1);
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(t.path.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

TEST_CASE("ledger: a ledger from a newer vesperctl is refused", "[ledger]") {
    TempLedger t;
    { t.open(); }
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(t.path.c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
    CHECK_THROWS_WITH(t.open(), Catch::Contains("newer vesperctl") && Catch::Contains(t.path.string()));
}

TEST_CASE("ledger: batch create makes devices, serials, outbox records and an audit entry", "[ledger]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(spec(25));
    CHECK(b.id == 1);
    CHECK(b.operator_name == "tester");
    auto devices = l.devices_of_batch(b.id);
    REQUIRE(devices.size() == 25);
    std::set<std::string> serials;
    for (const auto& d : devices) {
        CHECK(d.status == DeviceStatus::manufactured);
        CHECK(d.mac.empty());
        CHECK(d.serial.rfind("PV-26A18-BC02R-", 0) == 0);
        CHECK(serial::parse(d.serial));
        CHECK(d.subscription_plan == "standard");
        CHECK(d.available_outputs == 8);
        auto res = l.find_serial(d.serial);
        REQUIRE(res);
        CHECK(res->batch_id == b.id);
        serials.insert(d.serial);
    }
    CHECK(serials.size() == 25);
    auto outbox = l.outbox_entries();
    REQUIRE(outbox.size() == 25);
    auto rec = nlohmann::json::parse(outbox.front().payload);
    CHECK(rec["serial_number"] == devices.front().serial);
    CHECK(rec["owner"].is_null());
    CHECK(rec["users_list"] == nlohmann::json::array());
    CHECK(rec["status"] == "manufactured");
    auto audit = l.audit_log("batch:1");
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].action == "batch.create");
    CHECK(audit[0].actor == "tester");
    CHECK(l.status_counts(b.id)[DeviceStatus::manufactured] == 25);
}

TEST_CASE("ledger: bad batch specs are refused before anything is written", "[ledger]") {
    TempLedger t;
    auto l = t.open();
    auto s = spec(0);
    CHECK_THROWS_WITH(l.create_batch(s), Catch::Contains("quantity 0"));
    s = spec(1);
    s.available_outputs = 300;
    CHECK_THROWS_WITH(l.create_batch(s), Catch::Contains("available outputs 300"));
    s = spec(1);
    s.subscription_plan = "Gold Plan";
    CHECK_THROWS_WITH(l.create_batch(s), Catch::Contains("subscription plan"));
    s = spec(1);
    s.board_type = "bc";
    CHECK_THROWS_WITH(l.create_batch(s), Catch::Contains("board type"));
    CHECK(l.list_batches().empty());
}

TEST_CASE("ledger: an exhausted prefix fails the whole batch and leaves nothing behind", "[ledger]") {
    TempLedger t;
    auto l = t.open();
    // A random source that always draws the same serial: the second draw collides forever.
    l.set_random_source([](std::uint8_t* out, std::size_t n) { std::fill(out, out + n, 0); });
    CHECK(l.reserve_serials("BC", "02", {2026, 1, 18}, 1) == std::vector<std::string>{"PV-26A18-BC02R-AAAAA"});
    try {
        l.create_batch(spec(3));
        FAIL("expected exhaustion");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::conflict);
        CHECK_THAT(e.what(), Catch::Contains("PV-26A18-BC02R") && Catch::Contains("exhausted"));
    }
    CHECK(l.list_batches().empty());
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM serials") == 1);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM devices") == 0);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM outbox") == 0);
    // A different prefix (another day) is unaffected.
    auto s = spec(1);
    s.date = serial::Date{2026, 1, 19};
    CHECK(l.create_batch(s).quantity == 1);
}

TEST_CASE("ledger: collisions with issued serials are retried", "[ledger]") {
    TempLedger t;
    auto l = t.open();
    // Draws cycle through AAAAA, AAAAA, BBBBB: the repeat must be skipped, not returned twice.
    int call = 0;
    l.set_random_source([&call](std::uint8_t* out, std::size_t n) {
        std::uint8_t v = call++ % 3 == 2 ? 1 : 0;
        std::fill(out, out + n, v);
    });
    auto serials = l.reserve_serials("BC", "02", {2026, 1, 18}, 2);
    CHECK(serials == std::vector<std::string>{"PV-26A18-BC02R-AAAAA", "PV-26A18-BC02R-BBBBB"});
}

TEST_CASE("ledger: device status follows the life cycle", "[ledger]") {
    CHECK(ledger::transition_allowed(DeviceStatus::manufactured, DeviceStatus::flashed));
    CHECK_FALSE(ledger::transition_allowed(DeviceStatus::manufactured, DeviceStatus::registered));
    CHECK_FALSE(ledger::transition_allowed(DeviceStatus::registered, DeviceStatus::failed));
    CHECK(ledger::transition_allowed(DeviceStatus::failed, DeviceStatus::flashed));

    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(spec(1));
    auto sn = l.devices_of_batch(b.id).front().serial;
    CHECK_THROWS_WITH(l.set_status(sn, DeviceStatus::tested), Catch::Contains("manufactured to tested"));
    l.set_status(sn, DeviceStatus::flashed);
    auto d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::flashed);
    CHECK_FALSE(d.flashed_at.empty());
    l.set_status(sn, DeviceStatus::failed, "MD5 mismatch at 0x10000");
    d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::failed);
    CHECK(d.last_error == "MD5 mismatch at 0x10000");
    CHECK_FALSE(d.flashed_at.empty());
    auto audit = l.audit_log(sn);
    REQUIRE(audit.size() == 2);
    CHECK(audit[1].action == "device.failed");
    CHECK(l.outbox_entries().size() == 3); // create + two updates
    CHECK_THROWS_AS(l.get_device("PV-26A18-BC02R-ZZZZZ"), Error);
}
