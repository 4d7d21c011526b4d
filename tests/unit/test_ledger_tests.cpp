// The ledger side of factory tests (schema 5): a test step's results written with its attempt, read
// back, refused whole when bad, the migration of schema-4 ledgers, and the per-test batch report.
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/ledger_json.hpp"
#include "vesper/ledger/report.hpp"
#include "vesper/ledger/report_text.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::AttemptResult;
using ledger::DeviceStatus;
using ledger::TestRecord;
using test::count_rows;
using test::exec_sql;
using test::mac_of;
using test::TempLedger;

namespace {

TestRecord record(std::string name, std::string verdict, double seconds = 0.25, bool required = true) {
    TestRecord t;
    t.name = std::move(name);
    t.command = t.name;
    t.verdict = std::move(verdict);
    t.required = required;
    t.tries = t.verdict == "skip" ? 0 : 1;
    t.seconds = seconds;
    if (t.verdict == "pass") {
        t.measured = R"({"ok":true})";
        t.limits = "ok = true";
    } else {
        t.message = t.name + ": " + t.verdict;
    }
    return t;
}

// A test step's outcome: passed when `cause` is empty; a pass makes the device tested.
ledger::AttemptOutcome test_outcome(std::vector<TestRecord> tests, std::string cause = {}) {
    ledger::AttemptOutcome o;
    o.passed = cause.empty();
    o.sets_status = DeviceStatus::tested;
    o.cause = cause;
    o.error = cause.empty() ? "" : cause + " on the board";
    o.seconds = 2;
    o.tests = std::move(tests);
    return o;
}

ledger::AttemptOutcome flash_passed() {
    ledger::AttemptOutcome o;
    o.passed = true;
    o.sets_status = DeviceStatus::flashed;
    o.firmware_version = "1.4.2";
    o.firmware_sha256 = std::string(64, 'a');
    o.seconds = 40;
    return o;
}

// A bound board of the batch, flashed.
std::string flashed_board(ledger::Ledger& l, std::int64_t batch, int board) {
    auto sn = l.bind_mac(batch, mac_of(board)).device.serial;
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB" + std::to_string(board)), flash_passed());
    return sn;
}

std::int64_t run_tests(ledger::Ledger& l, const std::string& sn, const ledger::AttemptOutcome& outcome) {
    auto id = l.begin_attempt(sn, "test", "A", "/dev/ttyUSB0");
    l.finish_attempt(id, outcome);
    return id;
}

} // namespace

TEST_CASE("ledger tests: a schema-4 ledger migrates to the current schema and takes test results", "[ledger][tests]") {
    TempLedger t;
    // Schema 4 as shipped, with a flashed device and its passed flash attempt.
    exec_sql(t.path, std::string(test::kSchema1Sql) + test::kSchema2Sql + test::kSchema3Sql + test::kSchema4Sql +
                         R"sql(
INSERT INTO batches VALUES (1,'BC','02',1,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,mac,subscription_plan,available_outputs,created_at,
                    updated_at,flashed_at,station,port)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','flashed','24:0a:c4:00:00:01','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T09:00:00Z','2026-01-18T09:00:00Z','A','/dev/ttyUSB0');
INSERT INTO attempts(batch_id,serial,step,station,port,mac,started_at,finished_at,result,seconds,code)
  VALUES (1,'PV-26A18-BC02R-AAAAA','flash','A','/dev/ttyUSB0','24:0a:c4:00:00:01','2026-01-18T08:59:10Z',
          '2026-01-18T09:00:00Z','passed',50,'');
)sql" + test::kSchema4Marks);
    REQUIRE(count_rows(t.path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'test_results'") == 0);
    {
        auto l = t.open();
        CHECK(l.schema_version() == 9);
        CHECK(ledger::Ledger::current_schema_version() == 9);
        CHECK_FALSE(l.created());
        CHECK(l.attempts_of("PV-26A18-BC02R-AAAAA").size() == 1);
        CHECK(l.test_results_of("PV-26A18-BC02R-AAAAA").empty());
        run_tests(l, "PV-26A18-BC02R-AAAAA", test_outcome({record("boot", "pass"), record("outputs", "pass")}));
        CHECK(l.get_device("PV-26A18-BC02R-AAAAA").status == DeviceStatus::tested);
        CHECK(l.test_results_of("PV-26A18-BC02R-AAAAA").size() == 2);
    }
    CHECK(count_rows(t.path, "PRAGMA user_version") == 9);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                             "('test_results_by_attempt','test_results_by_serial')") == 2);
    // Opened read-only, as `batch report` does: nothing to migrate again, the results are there.
    auto r = ledger::Ledger::open(t.path, "tester", ledger::Access::read_only);
    CHECK(r.test_results_of_batch(1).size() == 2);
}

TEST_CASE("ledger tests: a test step's results are written with its attempt and read back in order",
          "[ledger][tests]") {
    TempLedger t;
    auto l = t.open();
    auto other = l.create_batch(test::batch_spec(1)); // its results stay out of the batch's
    auto b = l.create_batch(test::batch_spec(2));
    auto o = flashed_board(l, other.id, 9);
    run_tests(l, o, test_outcome({record("boot", "pass")}));
    auto sn = flashed_board(l, b.id, 1);
    auto sn2 = flashed_board(l, b.id, 2);

    TestRecord wifi = record("wifi", "pass", 1.5);
    wifi.command = "wifi_scan";
    wifi.measured = R"({"best_rssi":-61})";
    wifi.limits = "best_rssi min -80";
    wifi.tries = 2;
    TestRecord optional = record("psram", "skip", 0, false);
    optional.message = "not run: nothing to compare";
    auto first = run_tests(l, sn, test_outcome({record("boot", "pass", 0.5), wifi, optional}));
    run_tests(l, sn2, test_outcome({record("boot", "pass")}));
    auto second = run_tests(l, sn, test_outcome({record("boot", "pass", 0.4)})); // tested again

    auto rows = l.test_results_of(sn);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].attempt_id == first);
    CHECK(rows[0].position == 0);
    CHECK(rows[0].serial == sn);
    CHECK(rows[0].step == "test");
    CHECK(rows[0].finished_at == l.attempts_of(sn).at(1).finished_at);
    CHECK_FALSE(rows[0].finished_at.empty());
    CHECK(rows[0].test.name == "boot");
    CHECK(rows[0].test.seconds == Approx(0.5));
    const auto& w = rows[1].test;
    CHECK(rows[1].position == 1);
    CHECK(w.name == "wifi");
    CHECK(w.command == "wifi_scan");
    CHECK(nlohmann::json::parse(w.measured) == nlohmann::json{{"best_rssi", -61}});
    CHECK(w.limits == "best_rssi min -80");
    CHECK(w.verdict == "pass");
    CHECK(w.required);
    CHECK(w.tries == 2);
    CHECK(w.seconds == Approx(1.5));
    CHECK(w.message.empty());
    const auto& p = rows[2].test;
    CHECK(rows[2].position == 2);
    CHECK(p.name == "psram");
    CHECK(p.verdict == "skip");
    CHECK_FALSE(p.required);
    CHECK(p.tries == 0);
    CHECK(p.measured == "null");
    CHECK(p.message == "not run: nothing to compare");
    CHECK(rows[3].attempt_id == second);
    CHECK(rows[3].position == 0);
    CHECK(rows[3].test.seconds == Approx(0.4));

    auto batch_rows = l.test_results_of_batch(b.id);
    REQUIRE(batch_rows.size() == 5);
    CHECK(batch_rows[0].serial == sn);
    CHECK(batch_rows[3].serial == sn2); // by attempt: sn2's ran between sn's two
    CHECK(batch_rows[4].attempt_id == second);
    CHECK(l.test_results_of_batch(other.id).size() == 1);
    CHECK(l.test_results_of("PV-26A18-BC02R-ZZZZZ").empty());
    CHECK(l.test_results_of_batch(99).empty());
    CHECK(l.get_device(sn).status == DeviceStatus::tested);
    CHECK_FALSE(l.get_device(sn).tested_at.empty());
}

TEST_CASE("ledger tests: a failed required test fails the device with the test as cause", "[ledger][tests]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = flashed_board(l, b.id, 1);
    TestRecord outputs = record("outputs", "fail");
    outputs.measured = R"({"failed":[3]})";
    outputs.message = "output 3 reads 0 after set 1";
    // An optional test may fail in a passed run; a required one fails the run, and the rest are skipped.
    auto id = run_tests(
        l, sn,
        test_outcome({record("boot", "pass"), record("psram", "error", 1, false), outputs, record("wifi", "skip")},
                     "test:outputs"));
    auto d = l.get_device(sn);
    CHECK(d.status == DeviceStatus::failed);
    CHECK(d.last_error == "test:outputs on the board");
    auto a = l.attempts_of(sn).back();
    CHECK(a.id == id);
    CHECK(a.result == AttemptResult::failed);
    CHECK(a.cause == "test:outputs");
    auto rows = l.test_results_of(sn);
    REQUIRE(rows.size() == 4);
    CHECK(rows[2].test.verdict == "fail");
    CHECK(rows[2].test.message == "output 3 reads 0 after set 1");
    CHECK(rows[3].test.verdict == "skip");
    CHECK(nlohmann::json::parse(l.audit_log(sn).back().details)["cause"] == "test:outputs");

    // The retry passes: failed -> tested, the failing run's results kept.
    run_tests(l, sn, test_outcome({record("boot", "pass"), record("outputs", "pass"), record("wifi", "pass")}));
    CHECK(l.get_device(sn).status == DeviceStatus::tested);
    CHECK(l.get_device(sn).last_error.empty());
    CHECK(l.test_results_of(sn).size() == 7);
}

TEST_CASE("ledger tests: bad tests are refused before anything is written", "[ledger][tests]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = flashed_board(l, b.id, 1);
    auto id = l.begin_attempt(sn, "test", "A", "/dev/ttyUSB0");
    const auto audit_before = l.audit_log(sn).size();
    const auto outbox_before = l.outbox_entries().size();

    struct Bad {
        const char* what;
        TestRecord test;
        std::string message;
    };
    std::vector<Bad> bad;
    auto add = [&](const char* what, auto change, std::string message) {
        TestRecord r = record("wifi", "pass");
        change(r);
        bad.push_back({what, r, std::move(message)});
    };
    add(
        "verdict", [](TestRecord& r) { r.verdict = "passed"; }, "verdict 'passed': must be pass, fail, skip or error");
    add(
        "empty verdict", [](TestRecord& r) { r.verdict = ""; }, "verdict '': must be");
    add(
        "measured", [](TestRecord& r) { r.measured = "{best_rssi: -61}"; }, "measured '{best_rssi: -61}'");
    add(
        "empty measured", [](TestRecord& r) { r.measured = ""; }, "must be JSON text");
    add(
        "name", [](TestRecord& r) { r.name = ""; }, "the name is empty");
    add(
        "tries", [](TestRecord& r) { r.tries = -1; }, "tries -1");
    add(
        "seconds", [](TestRecord& r) { r.seconds = -0.5; }, "seconds");
    for (const auto& case_ : bad) {
        INFO(case_.what);
        // The bad test comes after a good one: not even the good one may be written.
        const Error e = test::error_from([&] {
            l.finish_attempt(id, test_outcome({record("boot", "pass"), case_.test}));
        });
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(),
                   Catch::Contains("attempt " + std::to_string(id) + ": test 2") && Catch::Contains(case_.message));
    }
    // A passed outcome cannot carry a required test that failed (the device would be tested anyway).
    for (const char* verdict : {"fail", "error"}) {
        INFO(verdict);
        const Error e = test::error_from([&] { l.finish_attempt(id, test_outcome({record("outputs", verdict)})); });
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(), Catch::Contains("a required test with verdict " + std::string(verdict)));
    }

    CHECK(l.attempts_of(sn).back().result == AttemptResult::running);
    CHECK(l.get_device(sn).status == DeviceStatus::flashed);
    CHECK(l.audit_log(sn).size() == audit_before);
    CHECK(l.outbox_entries().size() == outbox_before);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM test_results") == 0);

    // The same attempt then finishes normally; an optional failure in a passed run is fine.
    l.finish_attempt(id, test_outcome({record("boot", "pass"), record("psram", "fail", 1, false)}));
    CHECK(l.get_device(sn).status == DeviceStatus::tested);
    CHECK(count_rows(t.path, "SELECT COUNT(*) FROM test_results") == 2);
}

TEST_CASE("ledger tests: a test whose insert fails leaves the attempt running and the device unmoved",
          "[ledger][tests]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = flashed_board(l, b.id, 1);
    // Another process's constraint, as SQLite enforces it mid-transaction: the third insert fails.
    exec_sql(t.path, "CREATE TRIGGER refuse_boom BEFORE INSERT ON test_results WHEN NEW.name = 'boom' "
                     "BEGIN SELECT RAISE(ABORT, 'boom refused'); END;");
    auto id = l.begin_attempt(sn, "test", "A", "/dev/ttyUSB0");
    const auto audit_before = l.audit_log(sn).size();
    const auto outbox_before = l.outbox_entries().size();
    for (bool passed : {true, false}) {
        INFO(passed);
        auto outcome = test_outcome({record("boot", "pass"), record("outputs", passed ? "pass" : "fail"),
                                     record("boom", passed ? "pass" : "skip")},
                                    passed ? "" : "test:outputs");
        const Error e = test::error_from([&] { l.finish_attempt(id, outcome); });
        CHECK_THAT(e.what(), Catch::Contains("boom refused"));
        CHECK(l.attempts_of(sn).back().result == AttemptResult::running);
        CHECK(l.attempts_of(sn).back().finished_at.empty());
        CHECK(l.get_device(sn).status == DeviceStatus::flashed);
        CHECK(l.get_device(sn).last_error.empty());
        CHECK(l.audit_log(sn).size() == audit_before);
        CHECK(l.outbox_entries().size() == outbox_before);
        CHECK(count_rows(t.path, "SELECT COUNT(*) FROM test_results") == 0);
    }
    exec_sql(t.path, "DROP TRIGGER refuse_boom;");
    l.finish_attempt(id, test_outcome({record("boot", "pass"), record("boom", "pass")}));
    CHECK(l.get_device(sn).status == DeviceStatus::tested);
    CHECK(l.test_results_of(sn).size() == 2);
}

TEST_CASE("ledger tests: a failure before a board was bound cannot carry tests", "[ledger][tests]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto outcome = test_outcome({record("boot", "skip")}, "no_hello");
    const Error e = test::error_from([&] { l.record_unbound_failure(b.id, "test", "A", "/dev/ttyUSB0", "", outcome); });
    CHECK(e.kind() == ErrorKind::input);
    CHECK_THAT(e.what(), Catch::Contains("/dev/ttyUSB0") && Catch::Contains("tests are recorded only with a bound"));
    CHECK(l.attempts_of_batch(b.id).empty());
    outcome.tests.clear();
    l.record_unbound_failure(b.id, "test", "A", "/dev/ttyUSB0", "", outcome);
    CHECK(l.attempts_of_batch(b.id).size() == 1);
}

TEST_CASE("ledger tests: the report counts each test's runs, verdicts and failing devices", "[ledger][tests][report]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(4));
    auto s1 = flashed_board(l, b.id, 1);
    auto s2 = flashed_board(l, b.id, 2);
    auto s3 = flashed_board(l, b.id, 3);
    flashed_board(l, b.id, 4); // flashed, never tested

    // Board 1 passes at once; board 2 fails outputs, then passes the retry; board 3's wifi errors twice.
    run_tests(l, s1,
              test_outcome({record("boot", "pass", 0.2), record("outputs", "pass", 1.0), record("wifi", "pass", 3.0)}));
    run_tests(l, s2,
              test_outcome({record("boot", "pass", 0.4), record("outputs", "fail", 1.1), record("wifi", "skip", 0)},
                           "test:outputs"));
    run_tests(l, s2,
              test_outcome({record("boot", "pass", 0.3), record("outputs", "pass", 2.0), record("wifi", "pass", 4.0)}));
    for (int i = 0; i < 2; ++i)
        run_tests(
            l, s3,
            test_outcome({record("boot", "pass", 0.1), record("outputs", "pass", 1.2), record("wifi", "error", 10.0)},
                         "test:wifi"));
    // A board that never said hello before it was bound: it counts in the test step, in no test.
    auto no_hello = test_outcome({}, "no_hello");
    l.record_unbound_failure(b.id, "test", "A", "/dev/ttyUSB7", "", no_hello);

    const auto r = ledger::batch_report(l, b.id);
    REQUIRE(r.tests.size() == 3);
    const auto& boot = r.tests[0];
    CHECK(boot.name == "boot");
    CHECK(boot.runs == 5);
    CHECK(boot.passed == 5);
    CHECK(boot.failed == 0);
    CHECK(boot.skipped == 0);
    CHECK(boot.devices_failed == 0);
    REQUIRE(boot.p50_seconds);
    CHECK(*boot.p50_seconds == Approx(0.2)); // of 0.1 0.1 0.2 0.3 0.4
    const auto& outputs = r.tests[1];
    CHECK(outputs.name == "outputs");
    CHECK(outputs.runs == 5);
    CHECK(outputs.passed == 4);
    CHECK(outputs.failed == 1);
    CHECK(outputs.devices_failed == 0);         // board 2's latest run passed
    CHECK(*outputs.p50_seconds == Approx(1.2)); // of 1.0 1.2 1.2 2.0
    const auto& wifi = r.tests[2];
    CHECK(wifi.name == "wifi");
    CHECK(wifi.runs == 5);
    CHECK(wifi.passed == 2);
    CHECK(wifi.failed == 2); // errors count as failures
    CHECK(wifi.skipped == 1);
    CHECK(wifi.devices_failed == 1); // board 3, twice, is one device
    CHECK(*wifi.p50_seconds == Approx(3.0));

    // The test step's first-pass yield: boards 1 of 1, 2 and 3 (the unbound run has no device).
    const ledger::StepReport* step = nullptr;
    for (const auto& s : r.steps)
        if (s.step == "test") step = &s;
    REQUIRE(step);
    CHECK(step->attempts == 6);
    CHECK(step->passed == 2);
    CHECK(step->failed == 4);
    CHECK(step->devices == 3);
    CHECK(step->first_pass == 1);
    CHECK(*step->first_pass_yield == Approx(1.0 / 3));
    CHECK(step->failures_by_cause ==
          std::map<std::string, int>{{"no_hello", 1}, {"test:outputs", 1}, {"test:wifi", 2}});

    for (const auto& row : r.devices) {
        INFO(row.device.serial);
        if (row.device.serial == s1) {
            CHECK(row.test_attempts == 1);
            CHECK(row.device.status == DeviceStatus::tested);
            CHECK(row.failure_cause.empty());
        } else if (row.device.serial == s2) {
            CHECK(row.test_attempts == 2);
            CHECK(row.failure_cause.empty());
        } else if (row.device.serial == s3) {
            CHECK(row.test_attempts == 2);
            CHECK(row.device.status == DeviceStatus::failed);
            CHECK(row.failure_cause == "test:wifi");
        } else {
            CHECK(row.test_attempts == 0);
        }
        CHECK(row.flash_attempts == 1);
    }
    CHECK(r.counts.at(DeviceStatus::tested) == 2);
    CHECK(r.counts.at(DeviceStatus::failed) == 1);

    // A batch with no test results has no tests in its report.
    auto b2 = l.create_batch(test::batch_spec(1));
    flashed_board(l, b2.id, 5);
    CHECK(ledger::batch_report(l, b2.id).tests.empty());
}

TEST_CASE("ledger tests: the queued backend record carries the firmware and the last test run, once per change",
          "[ledger][tests][outbox]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = l.bind_mac(b.id, mac_of(1)).device.serial;
    auto newest = [&] { return nlohmann::json::parse(l.outbox_entries().back().payload); };
    CHECK(newest().at("firmware").is_null());
    CHECK_FALSE(newest().contains("test"));

    // A flash that also sets the claim code hash: one record for the whole change, with both.
    const auto before_flash = l.outbox_entries().size();
    auto flash = flash_passed();
    flash.claim_code_hash = std::string(64, 'c');
    l.finish_attempt(l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB1"), flash);
    CHECK(l.outbox_entries().size() == before_flash + 1);
    CHECK(newest().at("firmware") == nlohmann::json{{"version", "1.4.2"}, {"sha256", std::string(64, 'a')}});
    CHECK(newest().at("claim_code_hash") == std::string(64, 'c'));
    CHECK(newest().at("status") == "flashed");

    // A failing run: its failed and errored tests are named, optional ones too.
    run_tests(l, sn,
              test_outcome({record("boot", "pass"), record("psram", "error", 1, false), record("outputs", "fail"),
                            record("wifi", "skip")},
                           "test:outputs"));
    CHECK(newest().at("status") == "failed");
    CHECK(newest().at("test") ==
          nlohmann::json{{"passed", false}, {"tests", 4}, {"failed", nlohmann::json{"psram", "outputs"}}});

    // The retry passes: the record describes the last run only.
    run_tests(l, sn, test_outcome({record("boot", "pass"), record("outputs", "pass")}));
    CHECK(newest().at("status") == "tested");
    CHECK(newest().at("test") == nlohmann::json{{"passed", true}, {"tests", 2}, {"failed", nlohmann::json::array()}});
}

TEST_CASE("ledger tests: a register attempt queues the device's record once, and again only when it changed",
          "[ledger][outbox]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = flashed_board(l, b.id, 1);
    run_tests(l, sn, test_outcome({record("boot", "pass")}));
    ledger::AttemptOutcome reg;
    reg.passed = true;
    reg.queue_record = true;
    auto count = [&] {
        return count_rows(t.path, ("SELECT COUNT(*) FROM outbox WHERE serial = '" + sn + "'").c_str());
    };
    const auto tested_records = count();
    // The tested record is pending already: the same record is not queued twice.
    l.finish_attempt(l.begin_attempt(sn, "register", "A", "/dev/ttyUSB0"), reg);
    CHECK(count() == tested_records);
    CHECK(l.passed_steps(sn).count("register") == 1);
    CHECK(l.get_device(sn).status == DeviceStatus::tested); // registered follows the backend's confirmation

    // Refused for good: the dead record is queued again by the next register attempt.
    const auto newest = l.outbox_entries().back();
    REQUIRE(newest.serial == sn);
    l.outbox_dead(newest.id, "400 record.invalid", R"({"error":{}})");
    l.finish_attempt(l.begin_attempt(sn, "register", "A", "/dev/ttyUSB0"), reg);
    CHECK(count() == tested_records + 1);
    CHECK(l.outbox_entries().back().payload == newest.payload);

    // A failed register attempt queues nothing.
    auto failed = reg;
    failed.passed = false;
    failed.cause = "ledger";
    l.finish_attempt(l.begin_attempt(sn, "register", "A", "/dev/ttyUSB0"), failed);
    CHECK(count() == tested_records + 1);
}

TEST_CASE("ledger tests: the batch report shows the backend queue and each refused record",
          "[ledger][report][outbox]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(3));
    std::vector<std::string> sns;
    for (int i = 1; i <= 3; ++i) {
        sns.push_back(flashed_board(l, b.id, i));
        run_tests(l, sns.back(), test_outcome({record("boot", "pass")}));
    }
    auto newest = [&](const std::string& sn) {
        for (const auto& e : l.due_outbox(b.id, "2099-01-01T00:00:00.000Z", 100))
            if (e.serial == sn) return e;
        FAIL("no pending entry for " << sn);
        return ledger::OutboxEntry{};
    };
    l.outbox_confirmed({newest(sns[0]).id, std::string(64, 'e')});
    l.outbox_dead(newest(sns[1]).id, "400 record.invalid: field 'mac' is malformed", R"({"error":{}})");
    l.outbox_retry_later(newest(sns[2]).id, "503 server.outage", "2099-01-01T00:00:00.000Z");

    const auto r = ledger::batch_report(l, b.id);
    CHECK(r.counts.at(DeviceStatus::registered) == 1);
    CHECK(r.registration.queued == 2); // the registered record of sns[0] and sns[2]'s retry
    CHECK(r.registration.waiting == 1);
    REQUIRE(r.registration.dead_letters.size() == 1);
    CHECK(r.registration.dead_letters[0].serial == sns[1]);

    const std::string text = ledger::report_text(r);
    CHECK_THAT(text, Catch::Contains("backend: 2 queued (1 waiting to retry), 1 refused"));
    // The station's view shows the registered count and leaves out a count it has none of.
    CHECK(ledger::backend_queue_line(3, 1, 4, 1) == "backend: 3 queued (1 waiting to retry), 4 registered, 1 refused");
    CHECK(ledger::backend_queue_line(0, 0, 7, std::nullopt) == "backend: 0 queued, 7 registered");
    CHECK_THAT(text, Catch::Contains(sns[1]));
    CHECK_THAT(text, Catch::Contains("field 'mac' is malformed"));
    const auto j = ledger::report_json(r).at("summary").at("registration");
    CHECK(j.at("queued") == 2);
    CHECK(j.at("dead_letters").at(0).at("serial") == sns[1]);
    CHECK(j.at("dead_letters").at(0).at("error") == "400 record.invalid: field 'mac' is malformed");
}
