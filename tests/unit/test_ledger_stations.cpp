// The ledger side of factory stations (schema 2): MAC binding, step attempts, the batch report and the
// migration of schema-1 ledgers.
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/report.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::AttemptResult;
using ledger::DeviceStatus;
using test::count_rows;
using test::exec_sql;
using test::mac_of;
using test::TempLedger;

namespace {

std::vector<std::string> sorted_serials(const ledger::Ledger& l, std::int64_t batch) {
    std::vector<std::string> out;
    for (const auto& d : l.devices_of_batch(batch))
        out.push_back(d.serial);
    std::sort(out.begin(), out.end());
    return out;
}

// A flash step's outcomes, unless told another status (or none: a step that sets no status).
ledger::AttemptOutcome passed(double seconds, std::string phases = R"({"connect":1.5,"write":30.0})",
                              std::optional<DeviceStatus> sets = DeviceStatus::flashed) {
    ledger::AttemptOutcome o;
    o.passed = true;
    o.sets_status = sets;
    o.firmware_version = "1.4.2";
    o.firmware_sha256 = std::string(64, 'a');
    o.seconds = seconds;
    o.phases = std::move(phases);
    return o;
}

ledger::AttemptOutcome failed(std::string cause, std::string error,
                              std::optional<DeviceStatus> sets = DeviceStatus::flashed) {
    ledger::AttemptOutcome o;
    o.sets_status = sets;
    o.cause = std::move(cause);
    o.error = std::move(error);
    o.seconds = 3;
    o.phases = R"({"connect":3.0})";
    return o;
}

// Flashes a board through the whole path a station takes: bind, begin, finish.
std::string flash_board(ledger::Ledger& l, std::int64_t batch, int board, const std::string& station,
                        const ledger::AttemptOutcome& outcome) {
    auto sn = l.bind_mac(batch, mac_of(board)).device.serial;
    l.finish_attempt(l.begin_attempt(sn, "flash", station, "/dev/ttyUSB" + std::to_string(board)), outcome);
    return sn;
}

} // namespace

TEST_CASE("ledger stations: a schema-1 ledger with data migrates to the current schema", "[ledger][stations]") {
    TempLedger t;
    // Schema 1 as shipped, with one batch: a flashed device holding a MAC, a manufactured one.
    exec_sql(t.path, std::string(test::kSchema1Sql) + R"sql(
INSERT INTO batches VALUES (1,'BC','02',2,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1),
                           ('PV-26A18-BC02R-BBBBB','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,mac,subscription_plan,available_outputs,created_at,
                    updated_at,flashed_at)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','flashed','24:0a:c4:00:00:01','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T09:00:00Z','2026-01-18T09:00:00Z'),
         ('PV-26A18-BC02R-BBBBB',1,'BC','02','manufactured','','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T08:00:00Z',NULL);
INSERT INTO audit_log(at,actor,action,subject) VALUES ('2026-01-18T08:00:00Z','old','batch.create','batch:1');
INSERT INTO outbox(serial,kind,payload,created_at) VALUES ('PV-26A18-BC02R-AAAAA','device.upsert','{}','x');
PRAGMA user_version = 1;
)sql");
    {
        auto l = t.open();
        CHECK(l.schema_version() == 9);
        CHECK(ledger::Ledger::current_schema_version() == 9);
        CHECK_FALSE(l.created());
        auto a = l.get_device("PV-26A18-BC02R-AAAAA");
        CHECK(a.status == DeviceStatus::flashed);
        CHECK(a.mac == "24:0a:c4:00:00:01");
        CHECK(a.flashed_at == "2026-01-18T09:00:00Z");
        CHECK(a.station.empty());
        CHECK(a.port.empty());
        CHECK(a.firmware_version.empty());
        CHECK(a.firmware_sha256.empty());
        CHECK(l.audit_log("batch:1").size() == 1);
        CHECK(l.outbox_entries().size() == 1);
        CHECK(l.attempts_of(a.serial).empty());
        // The old binding is honoured; the free device binds and flashes on the new schema.
        CHECK(l.bind_mac(1, "24:0A:C4:00:00:01").device.serial == a.serial);
        auto b = l.bind_mac(1, "24:0a:c4:00:00:02");
        CHECK(b.newly_bound);
        CHECK(b.device.serial == "PV-26A18-BC02R-BBBBB");
        l.finish_attempt(l.begin_attempt(b.device.serial, "flash", "A", "/dev/ttyUSB0"), passed(40));
        CHECK(l.get_device(b.device.serial).station == "A");
    }
    // Reopening migrates nothing again; the ledger now carries the application_id.
    CHECK(t.open().schema_version() == 9);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM attempts") == 1);
    CHECK(count_rows(t.path, "PRAGMA application_id") == ledger::kApplicationId);
}

TEST_CASE("ledger stations: bind_mac takes the first unbound device by serial", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(3));
    auto serials = sorted_serials(l, b.id);

    auto first = l.bind_mac(b.id, "24:0A:C4:12:AB:EF");
    CHECK(first.newly_bound);
    CHECK(first.device.serial == serials[0]);
    CHECK(first.device.mac == "24:0a:c4:12:ab:ef"); // stored lower case
    CHECK(l.get_device(serials[0]).mac == "24:0a:c4:12:ab:ef");
    auto found = l.find_device_by_mac("24:0a:c4:12:ab:ef");
    REQUIRE(found);
    CHECK(found->serial == serials[0]);
    CHECK(l.find_device_by_mac("24:0A:C4:12:AB:EF")->serial == serials[0]);
    CHECK_FALSE(l.find_device_by_mac("24:0a:c4:00:00:00"));

    auto audit = l.audit_log(serials[0]);
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].action == "device.bind");
    CHECK(nlohmann::json::parse(audit[0].details)["mac"] == "24:0a:c4:12:ab:ef");

    CHECK(l.bind_mac(b.id, mac_of(2)).device.serial == serials[1]);
    CHECK(l.bind_mac(b.id, mac_of(3)).device.serial == serials[2]);

    // A board seen before keeps its serial, even now the batch is fully bound; nothing is written.
    auto again = l.bind_mac(b.id, "24:0a:c4:12:ab:ef");
    CHECK_FALSE(again.newly_bound);
    CHECK(again.device.serial == serials[0]);
    CHECK(l.audit_log(serials[0]).size() == 1);

    const Error e = test::error_from([&] { l.bind_mac(b.id, mac_of(4)); });
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(e.code() == ErrorCode::ledger_batch_full);
    CHECK_THAT(e.what(), Catch::Contains("batch 1 has no unbound device left (all 3 bound)"));
    CHECK_FALSE(l.find_device_by_mac(mac_of(4)));
}

TEST_CASE("ledger stations: bind_mac refuses a MAC of another batch and malformed MACs", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b1 = l.create_batch(test::batch_spec(2));
    auto b2 = l.create_batch(test::batch_spec(2));
    auto sn = l.bind_mac(b1.id, mac_of(7)).device.serial;
    const Error e = test::error_from([&] { l.bind_mac(b2.id, mac_of(7)); });
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(e.code() == ErrorCode::ledger_mac_bound);
    CHECK_THAT(e.what(), Catch::Contains(mac_of(7)) && Catch::Contains(sn) && Catch::Contains("batch 1"));
    for (const char* bad : {"", "24:0a:c4:12:ab", "24-0a-c4-12-ab-ef", "24:0a:c4:12:ab:eg", "240ac412abef",
                            "24:0a:c4:12:ab:ef:00", " 24:0a:c4:12:ab:ef"}) {
        INFO(bad);
        CHECK(test::error_from([&] { l.bind_mac(b2.id, bad); }).kind() == ErrorKind::input);
        CHECK(test::error_from([&] { l.find_device_by_mac(bad); }).kind() == ErrorKind::input);
    }
    CHECK(test::error_from([&] { l.bind_mac(42, mac_of(8)); }).kind() == ErrorKind::not_found);
    CHECK(test::error_from([&] { l.bind_mac(42, mac_of(8)); }).code() == ErrorCode::ledger_batch_not_found);
    for (const auto& d : l.devices_of_batch(b2.id))
        CHECK(d.mac.empty());
}

TEST_CASE("ledger stations: concurrent binders on one file bind one-to-one", "[ledger][stations][concurrency]") {
    TempLedger t;
    const int threads = 8, per_thread = 25;
    const int macs = threads * per_thread + 1; // each thread's own MACs, plus one they all bind
    std::int64_t batch = 0;
    {
        auto l = t.open();
        batch = l.create_batch(test::batch_spec(macs)).id;
    }
    // Each thread is its own connection, as separate vesperctl processes would be; they all start
    // binding at once. The shared MAC must end up with one serial, whichever thread asks.
    std::vector<std::vector<ledger::BindResult>> results(threads);
    std::vector<std::string> errors(threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&, i] {
            try {
                auto l = t.open();
                ++ready;
                while (ready < threads)
                    std::this_thread::yield();
                for (int k = 0; k < per_thread; ++k) {
                    if (k == per_thread / 2) results[i].push_back(l.bind_mac(batch, mac_of(0)));
                    results[i].push_back(l.bind_mac(batch, mac_of(1 + i * per_thread + k)));
                }
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        });
    for (auto& th : pool)
        th.join();
    std::map<std::string, std::string> serial_of_mac;
    std::set<std::string> serials;
    int newly = 0;
    for (int i = 0; i < threads; ++i) {
        INFO(errors[i]);
        REQUIRE(errors[i].empty());
        for (const auto& r : results[i]) {
            auto [it, inserted] = serial_of_mac.emplace(r.device.mac, r.device.serial);
            CHECK(it->second == r.device.serial);
            if (inserted) serials.insert(r.device.serial);
            newly += r.newly_bound ? 1 : 0;
        }
    }
    CHECK(serial_of_mac.size() == static_cast<std::size_t>(macs));
    CHECK(serials.size() == static_cast<std::size_t>(macs)); // no serial handed out twice
    CHECK(newly == macs);
    auto l = t.open();
    for (const auto& d : l.devices_of_batch(batch)) {
        REQUIRE_FALSE(d.mac.empty());
        CHECK(serial_of_mac.at(d.mac) == d.serial);
    }
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM audit_log WHERE action = 'device.bind'") == macs);
    CHECK(test::error_from([&] { l.bind_mac(batch, mac_of(999)); }).kind() == ErrorKind::conflict);
}

TEST_CASE("ledger stations: begin_attempt interrupts running attempts of the same serial and step",
          "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(2));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    auto other = l.bind_mac(b.id, mac_of(2)).device.serial;

    auto a1 = l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB0");
    auto t1 = l.begin_attempt(sn, "test", "A", "/dev/ttyUSB0");
    auto o1 = l.begin_attempt(other, "flash", "A", "/dev/ttyUSB1");
    auto a2 = l.begin_attempt(sn, "flash", "B", "/dev/ttyUSB3"); // the first run died mid-flash
    auto attempts = l.attempts_of(sn);
    REQUIRE(attempts.size() == 3);
    CHECK(attempts[0].id == a1);
    CHECK(attempts[0].result == AttemptResult::interrupted);
    CHECK(attempts[0].cause == "interrupted");
    CHECK(attempts[0].error == "the run stopped before this attempt finished");
    CHECK(attempts[0].finished_at.empty());
    CHECK(attempts[1].id == t1);
    CHECK(attempts[1].result == AttemptResult::running); // another step
    CHECK(attempts[2].id == a2);
    CHECK(attempts[2].result == AttemptResult::running);
    CHECK(attempts[2].station == "B");
    CHECK(attempts[2].port == "/dev/ttyUSB3");
    CHECK(attempts[2].mac == mac_of(1));
    CHECK_FALSE(attempts[2].started_at.empty());
    CHECK(l.attempts_of(other).at(0).id == o1);
    CHECK(l.attempts_of(other).at(0).result == AttemptResult::running); // another serial

    CHECK(test::error_from([&] { l.begin_attempt("PV-26A18-BC02R-ZZZZZ", "flash", "A", "p"); }).kind() ==
          ErrorKind::not_found);
    CHECK(test::error_from([&] { l.begin_attempt(sn, "", "A", "p"); }).kind() == ErrorKind::input);
    CHECK(test::error_from([&] { l.begin_attempt(sn, "Flash Step", "A", "p"); }).kind() == ErrorKind::input);
    CHECK(std::string(ledger::to_string(AttemptResult::interrupted)) == "interrupted");
    CHECK(std::string(ledger::to_string(AttemptResult::running)) == "running");
}

TEST_CASE("ledger stations: a passed flash moves the device to flashed with where and what", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    // A retry after a failure: failed -> flashed clears last_error.
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB0"), failed("write", "write at 0x10000 timed out"));
    const auto outbox_before = l.outbox_entries().size();
    auto id = l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(id, passed(41.5));

    auto d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::flashed);
    CHECK_FALSE(d.flashed_at.empty());
    CHECK(d.last_error.empty());
    CHECK(d.station == "A");
    CHECK(d.port == "/dev/ttyUSB0");
    CHECK(d.firmware_version == "1.4.2");
    CHECK(d.firmware_sha256 == std::string(64, 'a'));
    CHECK(d.mac == mac_of(1));
    // Every read of devices carries the new fields.
    for (const auto& e : {*l.find_device(sn), l.devices_of_batch(b.id).at(0), *l.find_device_by_mac(mac_of(1)),
                          l.bind_mac(b.id, mac_of(1)).device}) {
        CHECK(e.station == "A");
        CHECK(e.port == "/dev/ttyUSB0");
        CHECK(e.firmware_version == "1.4.2");
        CHECK(e.firmware_sha256 == d.firmware_sha256);
    }

    auto a = l.attempts_of(sn).back();
    CHECK(a.id == id);
    CHECK(a.result == AttemptResult::passed);
    CHECK_FALSE(a.finished_at.empty());
    CHECK(a.seconds == Approx(41.5));
    CHECK(nlohmann::json::parse(a.phases) == nlohmann::json{{"connect", 1.5}, {"write", 30.0}});
    CHECK(a.firmware_version == "1.4.2");
    CHECK(a.cause.empty());
    CHECK(a.error.empty());

    auto audit = l.audit_log(sn);
    REQUIRE(audit.back().action == "device.flashed");
    auto details = nlohmann::json::parse(audit.back().details);
    CHECK(details["from"] == "failed");
    CHECK(details["attempt"] == id);
    CHECK(details["station"] == "A");
    CHECK(details["firmware_version"] == "1.4.2");
    auto outbox = l.outbox_entries();
    REQUIRE(outbox.size() == outbox_before + 1);
    auto rec = nlohmann::json::parse(outbox.back().payload);
    CHECK(rec["status"] == "flashed");
    CHECK(rec["mac"] == mac_of(1));
    CHECK(rec["last_error"].is_null());

    // Re-flashing a flashed or tested board is allowed.
    l.finish_attempt(l.begin_attempt(sn, "flash", "B", "/dev/ttyUSB5"), passed(40));
    CHECK(l.get_device(sn).station == "B");
    l.set_status(sn, DeviceStatus::tested);
    l.finish_attempt(l.begin_attempt(sn, "flash", "B", "/dev/ttyUSB5"), passed(40));
    CHECK(l.get_device(sn).status == DeviceStatus::flashed);
}

TEST_CASE("ledger stations: a failed flash moves the device to failed and keeps its MAC", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(2));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    auto id = l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(id, failed("verify", "MD5 mismatch at 0x10000 on /dev/ttyUSB0"));
    auto d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::failed);
    CHECK(d.last_error == "MD5 mismatch at 0x10000 on /dev/ttyUSB0");
    CHECK(d.mac == mac_of(1));
    CHECK(d.station.empty()); // where it was flashed: only set by a passed flash
    auto a = l.attempts_of(sn).back();
    CHECK(a.result == AttemptResult::failed);
    CHECK(a.cause == "verify");
    CHECK(a.error == "MD5 mismatch at 0x10000 on /dev/ttyUSB0");
    CHECK(a.seconds == Approx(3));
    CHECK(l.audit_log(sn).back().action == "device.failed");
    CHECK(nlohmann::json::parse(l.audit_log(sn).back().details)["cause"] == "verify");
    CHECK(nlohmann::json::parse(l.outbox_entries().back().payload)["status"] == "failed");
    // The retry reuses the serial.
    CHECK(l.bind_mac(b.id, mac_of(1)).device.serial == sn);

    // A registered device cannot fail a flash: the whole call is refused and the attempt stays running.
    auto sn2 = l.bind_mac(b.id, mac_of(2)).device.serial;
    l.finish_attempt(l.begin_attempt(sn2, "flash", "A", "p"), passed(40));
    l.set_status(sn2, DeviceStatus::tested);
    l.set_status(sn2, DeviceStatus::registered);
    auto late = l.begin_attempt(sn2, "flash", "A", "p");
    CHECK(test::error_from([&] { l.finish_attempt(late, failed("connect", "no answer")); }).kind() ==
          ErrorKind::conflict);
    CHECK(test::error_from([&] { l.finish_attempt(late, passed(40)); }).kind() == ErrorKind::conflict);
    CHECK(l.get_device(sn2).status == DeviceStatus::registered);
    CHECK(l.attempts_of(sn2).back().result == AttemptResult::running);
}

TEST_CASE("ledger stations: flash moves follow transition_allowed", "[ledger][stations]") {
    using S = DeviceStatus;
    for (auto from : {S::manufactured, S::flashed, S::tested, S::failed}) {
        CHECK(ledger::transition_allowed(from, S::flashed));
        CHECK(ledger::transition_allowed(from, S::failed));
    }
    CHECK_FALSE(ledger::transition_allowed(S::registered, S::flashed));
    CHECK_FALSE(ledger::transition_allowed(S::registered, S::failed));
}

TEST_CASE("ledger stations: finish_attempt validates its input and refuses finished attempts", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    auto id = l.begin_attempt(sn, "flash", "A", "p");
    for (const char* phases : {"", "[1,2]", "{\"write\":", "42", "\"x\"", "null"}) {
        INFO(phases);
        CHECK(test::error_from([&] { l.finish_attempt(id, passed(40, phases)); }).kind() == ErrorKind::input);
    }
    CHECK(test::error_from([&] { l.finish_attempt(id, passed(-1)); }).kind() == ErrorKind::input);
    CHECK(test::error_from([&] { l.finish_attempt(id + 100, passed(40)); }).kind() == ErrorKind::not_found);
    CHECK(l.attempts_of(sn).back().result == AttemptResult::running);
    CHECK(l.get_device(sn).status == DeviceStatus::manufactured);

    l.finish_attempt(id, passed(40, "{}"));
    const Error e = test::error_from([&] { l.finish_attempt(id, passed(40)); });
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK_THAT(e.what(), Catch::Contains("attempt " + std::to_string(id)) && Catch::Contains("already passed"));
    // An interrupted attempt cannot be finished either.
    auto stale = l.begin_attempt(sn, "flash", "A", "p");
    l.begin_attempt(sn, "flash", "A", "p");
    CHECK(test::error_from([&] { l.finish_attempt(stale, passed(40)); }).kind() == ErrorKind::conflict);
}

TEST_CASE("ledger stations: attempts of steps that set no status are recorded without moving the device",
          "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), passed(40));
    const auto audit_before = l.audit_log(sn).size();
    const auto outbox_before = l.outbox_entries().size();
    l.finish_attempt(l.begin_attempt(sn, "test", "A", "p"), failed("console", "no prompt within 10 s", std::nullopt));
    l.finish_attempt(l.begin_attempt(sn, "label", "A", "p"), passed(2, "{}", std::nullopt));
    auto d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::flashed);
    CHECK(d.last_error.empty());
    CHECK(l.audit_log(sn).size() == audit_before);
    CHECK(l.outbox_entries().size() == outbox_before);
    auto attempts = l.attempts_of(sn);
    REQUIRE(attempts.size() == 3);
    CHECK(attempts[1].step == "test");
    CHECK(attempts[1].result == AttemptResult::failed);
    CHECK(attempts[1].cause == "console");
    CHECK(attempts[2].result == AttemptResult::passed);
}

namespace {

void set_times(const TempLedger& t, std::int64_t attempt, const char* started, const char* finished) {
    exec_sql(t.path, "UPDATE attempts SET started_at = '" + std::string(started) +
                         "', finished_at = " + (finished ? "'" + std::string(finished) + "'" : std::string("NULL")) +
                         " WHERE id = " + std::to_string(attempt));
}

} // namespace

TEST_CASE("ledger stations: the batch report", "[ledger][stations][report]") {
    TempLedger t;
    auto l = t.open();
    auto other = l.create_batch(test::batch_spec(1)); // its attempts stay out of this report
    flash_board(l, other.id, 100, "A", passed(99));
    auto b = l.create_batch(test::batch_spec(5));

    // Board 1 on station A: fails to connect, then passes in 40 s; then fails its console test.
    auto s1 = l.bind_mac(b.id, mac_of(1)).device.serial;
    auto a1 = l.begin_attempt(s1, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(a1, failed("connect", "no sync on /dev/ttyUSB0"));
    auto a2 = l.begin_attempt(s1, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(a2, passed(40, R"({"connect":2.0,"write":30.0,"verify":8.0})"));
    // (A step that records its attempt only: the device stays flashed.)
    l.finish_attempt(l.begin_attempt(s1, "test", "A", "/dev/ttyUSB0"), failed("console", "no prompt", std::nullopt));
    // Board 2 on station A passes in 50 s.
    auto s2 = l.bind_mac(b.id, mac_of(2)).device.serial;
    auto a3 = l.begin_attempt(s2, "flash", "A", "/dev/ttyUSB1");
    l.finish_attempt(a3, passed(50));
    // Board 3 on station B fails verification and stays failed.
    auto s3 = l.bind_mac(b.id, mac_of(3)).device.serial;
    auto a4 = l.begin_attempt(s3, "flash", "B", "/dev/ttyUSB0");
    l.finish_attempt(a4, failed("verify", "MD5 mismatch"));
    // Board 4 on station B: the first run died, the second passed in 60 s.
    auto s4 = l.bind_mac(b.id, mac_of(4)).device.serial;
    auto a5 = l.begin_attempt(s4, "flash", "B", "/dev/ttyUSB1");
    auto a6 = l.begin_attempt(s4, "flash", "B", "/dev/ttyUSB1");
    l.finish_attempt(a6, passed(60));
    // Board 5 was never flashed.

    set_times(t, a1, "2026-01-18T10:00:00Z", "2026-01-18T10:00:05Z");
    set_times(t, a2, "2026-01-18T10:00:10Z", "2026-01-18T10:00:50Z");
    set_times(t, a3, "2026-01-18T10:00:20Z", "2026-01-18T10:01:10Z"); // A: 10:00:00 .. 10:01:10 = 70 s
    set_times(t, a4, "2026-01-18T23:59:30Z", "2026-01-19T00:00:00Z");
    set_times(t, a5, "2026-01-18T23:59:00Z", nullptr);
    set_times(t, a6, "2026-01-19T00:00:10Z", "2026-01-19T00:01:00Z"); // B: 23:59:00 .. 00:01:00 = 120 s

    auto r = ledger::batch_report(l, b.id);
    CHECK(r.batch.id == b.id);
    REQUIRE(r.devices.size() == 5);
    CHECK(std::is_sorted(r.devices.begin(), r.devices.end(),
                         [](const auto& x, const auto& y) { return x.device.serial < y.device.serial; }));
    std::map<std::string, ledger::DeviceReportRow> rows;
    for (const auto& row : r.devices)
        rows[row.device.serial] = row;
    CHECK(rows[s1].flash_attempts == 2);
    CHECK(rows[s1].flash_seconds == Approx(40));
    CHECK(nlohmann::json::parse(rows[s1].phases)["verify"] == 8.0);
    CHECK(rows[s1].failure_cause.empty()); // flashed: its old failures are history
    CHECK(rows[s1].device.station == "A");
    CHECK(rows[s2].flash_seconds == Approx(50));
    CHECK(rows[s3].flash_attempts == 1);
    CHECK(rows[s3].flash_seconds == 0);
    CHECK(rows[s3].phases == "{}");
    CHECK(rows[s3].failure_cause == "verify");
    CHECK(rows[s3].device.status == DeviceStatus::failed);
    CHECK(rows[s4].flash_attempts == 2);
    CHECK(rows[s4].flash_seconds == Approx(60));
    const auto s5 =
        std::find_if(r.devices.begin(), r.devices.end(), [](const auto& row) { return row.device.mac.empty(); });
    REQUIRE(s5 != r.devices.end());
    CHECK(s5->flash_attempts == 0);

    CHECK(r.counts == std::map<DeviceStatus, int>{{DeviceStatus::manufactured, 1},
                                                  {DeviceStatus::flashed, 3},
                                                  {DeviceStatus::tested, 0},
                                                  {DeviceStatus::registered, 0},
                                                  {DeviceStatus::failed, 1}});
    REQUIRE(r.stations.size() == 2);
    CHECK(r.stations[0].station == "A");
    CHECK(r.stations[0].passed == 2);
    CHECK(r.stations[0].failed == 1);
    CHECK(r.stations[0].span_seconds == Approx(70));
    REQUIRE(r.stations[0].boards_per_hour);
    CHECK(*r.stations[0].boards_per_hour == Approx(2 * 3600.0 / 70));
    CHECK(r.stations[0].no_rate.empty());
    CHECK(r.stations[1].station == "B");
    CHECK(r.stations[1].passed == 1);
    CHECK(r.stations[1].failed == 2); // failed + interrupted
    CHECK(r.stations[1].span_seconds == Approx(120));
    REQUIRE(r.stations[1].boards_per_hour);
    CHECK(*r.stations[1].boards_per_hour == Approx(30));
    REQUIRE(r.p50_seconds);
    CHECK(*r.p50_seconds == Approx(50));
    REQUIRE(r.p95_seconds);
    CHECK(*r.p95_seconds == Approx(60));
    CHECK(r.failures_by_cause ==
          std::map<std::string, int>{{"connect", 1}, {"console", 1}, {"interrupted", 1}, {"verify", 1}});
    CHECK(r.attempts == 7);
    CHECK(r.unbound_failures.empty());
}

TEST_CASE("ledger stations: failures before a board was bound count in the report, per station and port",
          "[ledger][stations][report]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(3));
    auto other = l.create_batch(test::batch_spec(1));
    flash_board(l, b.id, 1, "A", passed(40));
    // Two ports of station A never connected (each tried twice), one board on B was another chip.
    for (const char* port : {"/dev/ttyUSB1", "/dev/ttyUSB2"})
        for (int i = 0; i < 2; ++i)
            l.record_unbound_failure(b.id, "flash", "A", port, "",
                                     failed("connect", std::string("no sync on ") + port));
    const auto chip = l.record_unbound_failure(b.id, "flash", "B", "/dev/ttyACM0", "",
                                               failed("chip_mismatch", "ESP32-S3 found, profile wants ESP32"));
    l.record_unbound_failure(other.id, "flash", "A", "/dev/ttyUSB9", "", failed("connect", "other batch"));

    const auto attempts = l.attempts_of_batch(b.id);
    REQUIRE(attempts.size() == 6);
    const auto& last = attempts.back();
    CHECK(last.id == chip);
    CHECK(last.serial.empty());
    CHECK(last.batch_id == b.id);
    CHECK(last.result == AttemptResult::failed);
    CHECK(last.cause == "chip_mismatch");
    CHECK(last.error == "ESP32-S3 found, profile wants ESP32");
    CHECK(last.seconds == Approx(3));
    CHECK_FALSE(last.finished_at.empty());
    // No device moved: nothing was bound.
    CHECK(l.status_counts(b.id)[DeviceStatus::manufactured] == 2);
    CHECK(l.status_counts(b.id)[DeviceStatus::failed] == 0);

    const auto r = ledger::batch_report(l, b.id);
    CHECK(r.attempts == 6);
    CHECK(r.failures_by_cause == std::map<std::string, int>{{"chip_mismatch", 1}, {"connect", 4}});
    REQUIRE(r.unbound_failures.size() == 3);
    CHECK(r.unbound_failures[0].station == "A");
    CHECK(r.unbound_failures[0].port == "/dev/ttyUSB1");
    CHECK(r.unbound_failures[0].failed == 2);
    CHECK(r.unbound_failures[0].by_cause == std::map<std::string, int>{{"connect", 2}});
    CHECK(r.unbound_failures[1].port == "/dev/ttyUSB2");
    CHECK(r.unbound_failures[2].station == "B");
    CHECK(r.unbound_failures[2].by_cause == std::map<std::string, int>{{"chip_mismatch", 1}});
    REQUIRE(r.stations.size() == 2);
    CHECK(r.stations[0].passed == 1);
    CHECK(r.stations[0].failed == 4);
    CHECK(r.stations[0].unbound_failed == 4);
    CHECK(r.stations[1].failed == 1);

    CHECK(test::error_from([&] {
              l.record_unbound_failure(99, "flash", "A", "p", "", failed("connect", "x"));
          }).kind() == ErrorKind::not_found);
    CHECK(test::error_from([&] { l.record_unbound_failure(b.id, "flash", "A", "p", "", passed(1)); }).kind() ==
          ErrorKind::input);
}

TEST_CASE("ledger stations: no rate from a span too short to mean one, spans keep milliseconds",
          "[ledger][stations][report]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(4));
    const auto a1 = l.begin_attempt(l.bind_mac(b.id, mac_of(1)).device.serial, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(a1, passed(0.3));
    const auto a2 = l.begin_attempt(l.bind_mac(b.id, mac_of(2)).device.serial, "flash", "A", "/dev/ttyUSB1");
    l.finish_attempt(a2, passed(0.4));
    // Attempt times carry milliseconds.
    const auto at = l.attempts_of_batch(b.id).front();
    CHECK(at.started_at.size() == std::string("2026-01-18T10:00:00.000Z").size());

    SECTION("under a second") {
        set_times(t, a1, "2026-01-18T10:00:00.100Z", "2026-01-18T10:00:00.400Z");
        set_times(t, a2, "2026-01-18T10:00:00.150Z", "2026-01-18T10:00:00.550Z");
        const auto st = ledger::batch_report(l, b.id).stations.at(0);
        CHECK(st.span_seconds == Approx(0.45));
        CHECK_FALSE(st.boards_per_hour);
        CHECK(st.no_rate == "span 0.5 s is under 60 s, too short for a rate");
    }
    SECTION("one second") {
        set_times(t, a1, "2026-01-18T10:00:00Z", "2026-01-18T10:00:01Z");
        set_times(t, a2, "2026-01-18T10:00:00Z", "2026-01-18T10:00:00.500Z");
        const auto st = ledger::batch_report(l, b.id).stations.at(0);
        CHECK(st.span_seconds == Approx(1));
        CHECK_FALSE(st.boards_per_hour); // not 7,200/h
    }
    SECTION("a minute or more") {
        set_times(t, a1, "2026-01-18T10:00:00.250Z", "2026-01-18T10:00:30Z");
        set_times(t, a2, "2026-01-18T10:00:30Z", "2026-01-18T10:01:00.250Z");
        const auto st = ledger::batch_report(l, b.id).stations.at(0);
        CHECK(st.span_seconds == Approx(60));
        REQUIRE(st.boards_per_hour);
        CHECK(*st.boards_per_hour == Approx(120));
        CHECK(st.no_rate.empty());
    }
}

TEST_CASE("ledger stations: report percentiles are nearest-rank, none without passed flashes",
          "[ledger][stations][report]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(20));
    auto empty = ledger::batch_report(l, b.id);
    CHECK_FALSE(empty.p50_seconds);
    CHECK_FALSE(empty.p95_seconds);
    CHECK(empty.stations.empty());
    CHECK(empty.attempts == 0);
    CHECK(empty.counts.size() == 5);
    CHECK(empty.counts[DeviceStatus::manufactured] == 20);
    CHECK(empty.counts[DeviceStatus::registered] == 0);

    // One board: both percentiles are its time; a station with no finish has no span.
    flash_board(l, b.id, 1, "A", passed(33));
    auto one = ledger::batch_report(l, b.id);
    CHECK(*one.p50_seconds == Approx(33));
    CHECK(*one.p95_seconds == Approx(33));
    // Boards of 1..20 s (given out of order): p50 is the 10th value, p95 the 19th.
    exec_sql(t.path, "DELETE FROM attempts");
    for (int i = 0; i < 20; ++i) {
        int s = (i * 7) % 20 + 1;
        flash_board(l, b.id, 1 + i, "A", passed(s));
    }
    auto r = ledger::batch_report(l, b.id);
    CHECK(*r.p50_seconds == Approx(10));
    CHECK(*r.p95_seconds == Approx(19));
    CHECK(r.stations.at(0).passed == 20);

    CHECK(test::error_from([&] { ledger::batch_report(l, 99); }).kind() == ErrorKind::not_found);
}

TEST_CASE("ledger stations: a step is passed while its latest attempt on the device passed", "[ledger][stations]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(2));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    CHECK(l.passed_steps(sn).empty());

    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), passed(40));
    l.finish_attempt(l.begin_attempt(sn, "label", "A", "p"), passed(1, "{}", std::nullopt));
    CHECK(l.passed_steps(sn) == std::set<std::string>{"flash", "label"});

    // A later failed attempt undoes the pass; a pass after it restores it.
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), failed("write", "timed out"));
    CHECK(l.passed_steps(sn) == std::set<std::string>{"label"});
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), passed(40));
    CHECK(l.passed_steps(sn) == std::set<std::string>{"flash", "label"});

    // So does one still running (or left interrupted by a run that died): the board may be half written.
    l.begin_attempt(sn, "flash", "A", "p");
    CHECK(l.passed_steps(sn) == std::set<std::string>{"label"});

    const auto batch = l.passed_steps_of_batch(b.id);
    REQUIRE(batch.size() == 2); // the device with no attempts is there too, with none passed
    CHECK(batch.at(sn) == std::set<std::string>{"label"});
    for (const auto& [serial, steps] : batch)
        if (serial != sn) CHECK(steps.empty());
}
