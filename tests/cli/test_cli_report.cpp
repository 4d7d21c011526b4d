// CLI tests for `batch report` (and the station fields of `batch show`/`export`): the ledger is prepared
// through libvesper, as a station run would leave it, then read by the real vesperctl binary.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "ledger_support.hpp"
#include "run_process.hpp"
#include "vesper/core/files.hpp"
#include "vesper/ledger/ledger.hpp"

using vesper::test::ProcessOptions;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace ledger = vesper::ledger;

namespace {

ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

ledger::AttemptOutcome outcome(bool passed, double seconds, std::string cause = {}) {
    ledger::AttemptOutcome o;
    o.sets_status = ledger::DeviceStatus::flashed; // the flash step's
    o.passed = passed;
    o.cause = cause;
    o.error = passed ? "" : cause + " failed on the board";
    o.firmware_version = "1.4.2";
    o.firmware_sha256 = std::string(64, 'b');
    o.seconds = seconds;
    o.phases = passed ? R"({"connect":2.0,"write":30.0})" : "{}";
    return o;
}

struct Prepared {
    std::vector<std::string> serials; // by serial
    std::string flashed_a, flashed_b, failed_b;
};

// Batch 1 of four boards: two flashed on station A (40 s and 50 s, one after a connect failure), one
// failed verification on station B, one never flashed. Station A ran 10:00:00-10:01:40.
Prepared prepare(const std::filesystem::path& db) {
    Prepared p;
    auto l = ledger::Ledger::open(db, "prep");
    auto b = l.create_batch(vesper::test::batch_spec(4));
    p.flashed_a = l.bind_mac(b.id, "24:0a:c4:00:00:01").device.serial;
    auto a1 = l.begin_attempt(p.flashed_a, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(a1, outcome(false, 4, "connect"));
    auto a2 = l.begin_attempt(p.flashed_a, "flash", "A", "/dev/ttyUSB0");
    l.finish_attempt(a2, outcome(true, 40));
    p.flashed_b = l.bind_mac(b.id, "24:0a:c4:00:00:02").device.serial;
    auto a3 = l.begin_attempt(p.flashed_b, "flash", "A", "/dev/ttyUSB1");
    l.finish_attempt(a3, outcome(true, 50));
    p.failed_b = l.bind_mac(b.id, "24:0a:c4:00:00:03").device.serial;
    l.finish_attempt(l.begin_attempt(p.failed_b, "flash", "B", "/dev/ttyACM0"), outcome(false, 12, "verify"));
    for (const auto& d : l.devices_of_batch(b.id))
        p.serials.push_back(d.serial);
    std::sort(p.serials.begin(), p.serials.end());

    const std::string sql = "UPDATE attempts SET started_at = '2026-01-18T10:00:00Z', finished_at = "
                            "'2026-01-18T10:00:04Z' WHERE id = " +
                            std::to_string(a1) +
                            ";"
                            "UPDATE attempts SET started_at = '2026-01-18T10:00:05Z', finished_at = "
                            "'2026-01-18T10:00:45Z' WHERE id = " +
                            std::to_string(a2) +
                            ";"
                            "UPDATE attempts SET started_at = '2026-01-18T10:00:50Z', finished_at = "
                            "'2026-01-18T10:01:40Z' WHERE id = " +
                            std::to_string(a3) + ";";
    vesper::test::exec_sql(db, sql);
    return p;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("cli: batch report as JSON", "[cli][report]") {
    TempDir dir;
    auto p = prepare(dir / "l.db");
    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--json"}, in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["batch"]["id"] == 1);
    CHECK(doc["batch"]["quantity"] == 4);
    REQUIRE(doc["devices"].size() == 4);
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(doc["devices"][i]["serial"] == p.serials[i]);
    for (const auto& d : doc["devices"]) {
        if (d["serial"] == p.flashed_a) {
            CHECK(d["status"] == "flashed");
            CHECK(d["mac"] == "24:0a:c4:00:00:01");
            CHECK(d["station"] == "A");
            CHECK(d["port"] == "/dev/ttyUSB0");
            CHECK(d["firmware_version"] == "1.4.2");
            CHECK(d["flash_attempts"] == 2);
            CHECK(d["flash_seconds"] == 40.0);
            CHECK(d["phases"] == nlohmann::json{{"connect", 2.0}, {"write", 30.0}});
            CHECK(d["failure_cause"].is_null());
        } else if (d["serial"] == p.failed_b) {
            CHECK(d["status"] == "failed");
            CHECK(d["failure_cause"] == "verify");
            CHECK(d["last_error"] == "verify failed on the board");
            CHECK(d["station"].is_null());
        } else if (d["serial"] != p.flashed_b) {
            CHECK(d["status"] == "manufactured");
            CHECK(d["flash_attempts"] == 0);
            CHECK(d["mac"].is_null());
        }
    }
    const auto& s = doc["summary"];
    CHECK(s["counts"] ==
          nlohmann::json{{"manufactured", 1}, {"flashed", 2}, {"tested", 0}, {"registered", 0}, {"failed", 1}});
    REQUIRE(s["stations"].size() == 2);
    CHECK(s["stations"][0]["station"] == "A");
    CHECK(s["stations"][0]["passed"] == 2);
    CHECK(s["stations"][0]["failed"] == 1);
    CHECK(s["stations"][0]["span_seconds"] == 100.0);
    CHECK(s["stations"][0]["boards_per_hour"] == 72.0);
    CHECK(s["stations"][1]["station"] == "B");
    CHECK(s["stations"][1]["failed"] == 1);
    CHECK(s["p50_seconds"] == 40.0);
    CHECK(s["p95_seconds"] == 50.0);
    CHECK(s["failures_by_cause"] == nlohmann::json{{"connect", 1}, {"verify", 1}});
    CHECK(s["attempts"] == 4);
    CHECK(s["tests"] == nlohmann::json::array()); // no test step ran

    // --format json without --json is the same document.
    auto f = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "json"}, in_dir(dir));
    REQUIRE(f.exit_code == 0);
    CHECK(nlohmann::json::parse(f.out) == doc);

    // A batch without attempts: null percentiles, every count present.
    REQUIRE(vesperctl({"--ledger", "l.db", "batch", "create", "--type", "BC", "--rev", "02", "--qty", "2"}, in_dir(dir))
                .exit_code == 0);
    auto e = vesperctl({"--ledger", "l.db", "batch", "report", "2", "--json"}, in_dir(dir));
    REQUIRE(e.exit_code == 0);
    auto empty = nlohmann::json::parse(e.out);
    CHECK(empty["summary"]["p50_seconds"].is_null());
    CHECK(empty["summary"]["p95_seconds"].is_null());
    CHECK(empty["summary"]["stations"] == nlohmann::json::array());
    CHECK(empty["summary"]["tests"] == nlohmann::json::array());
    CHECK(empty["summary"]["counts"]["manufactured"] == 2);
    CHECK(empty["summary"]["counts"]["registered"] == 0);
}

TEST_CASE("cli: batch report as CSV, to stdout and to a file", "[cli][report]") {
    TempDir dir;
    auto p = prepare(dir / "l.db");
    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "csv"}, in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto rows = lines(r.out);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0] == "serial,status,mac,station,port,firmware_version,flash_attempts,flash_seconds,failure_cause,"
                     "last_error,phases,test_attempts");
    for (std::size_t i = 0; i < 4; ++i)
        CHECK_THAT(rows[i + 1], Catch::StartsWith(p.serials[i] + ","));
    for (const auto& row : rows) {
        if (row.rfind(p.flashed_a, 0) == 0)
            CHECK(row == p.flashed_a + ",flashed,24:0a:c4:00:00:01,A,/dev/ttyUSB0,1.4.2,2,40.0,,,"
                                       "\"{\"\"connect\"\":2.0,\"\"write\"\":30.0}\",0");
        if (row.rfind(p.failed_b, 0) == 0)
            CHECK(row == p.failed_b + ",failed,24:0a:c4:00:00:03,,,,1,0.0,verify,verify failed on the board,{},0");
    }

    auto f = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "csv", "-o", "r.csv", "--json"},
                       in_dir(dir));
    REQUIRE(f.exit_code == 0);
    auto doc = nlohmann::json::parse(f.out);
    CHECK(doc["output"] == "r.csv");
    CHECK(doc["format"] == "csv");
    CHECK(doc["count"] == 4);
    CHECK(vesper::read_text_file(dir / "r.csv") == r.out);
}

TEST_CASE("cli: batch report as text", "[cli][report]") {
    TempDir dir;
    auto p = prepare(dir / "l.db");
    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1"}, in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto out = lines(r.out);
    CHECK_THAT(out.at(0), Catch::StartsWith("batch 1: 4 x BC rev 02"));
    CHECK_THAT(r.out, Catch::Contains("SERIAL") && Catch::Contains("STATION") && Catch::Contains("FLASHES"));
    auto row_of = [&](const std::string& serial) {
        auto it = std::find_if(out.begin(), out.end(), [&](const std::string& l) { return l.rfind(serial, 0) == 0; });
        REQUIRE(it != out.end());
        return *it;
    };
    CHECK_THAT(row_of(p.flashed_a), Catch::Contains("flashed") && Catch::Contains("/dev/ttyUSB0") &&
                                        Catch::Contains("1.4.2") && Catch::Contains("40.0"));
    CHECK_THAT(row_of(p.failed_b), Catch::Contains("failed") && Catch::Contains("verify"));
    CHECK_THAT(r.out, Catch::Contains("status: manufactured=1 flashed=2 tested=0 registered=0 failed=1"));
    CHECK_THAT(r.out, Catch::Contains("attempts: 4"));
    CHECK_THAT(r.out, Catch::Contains("board time: p50 40.0 s, p95 50.0 s"));
    CHECK_THAT(r.out, Catch::Contains("failures: connect=1 verify=1"));
    CHECK_THAT(r.out, !Catch::Contains("TEST ")); // no test step ran: no tests table
    auto station_a = std::find_if(out.begin(), out.end(), [](const std::string& l) { return l.rfind("A ", 0) == 0; });
    REQUIRE(station_a != out.end());
    CHECK_THAT(*station_a, Catch::Contains("100") && Catch::Contains("72.0"));

    auto f = vesperctl({"--ledger", "l.db", "batch", "report", "1", "-o", "report.txt"}, in_dir(dir));
    REQUIRE(f.exit_code == 0);
    CHECK_THAT(f.out, Catch::Contains("report.txt"));
    CHECK(vesper::read_text_file(dir / "report.txt") == r.out);
}

TEST_CASE("cli: batch report refuses what it cannot do", "[cli][report]") {
    TempDir dir;
    prepare(dir / "l.db");
    auto opts = in_dir(dir);
    auto missing = vesperctl({"--ledger", "l.db", "batch", "report", "9"}, opts);
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("batch 9"));
    auto badfmt = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "xml"}, opts);
    CHECK(badfmt.exit_code == 2);
    // stdout under --json takes JSON only.
    auto clash = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "csv", "--json"}, opts);
    CHECK(clash.exit_code == 2);
    CHECK(clash.out.empty());
    CHECK_THAT(nlohmann::json::parse(clash.err)["error"]["message"].get<std::string>(), Catch::Contains("-o FILE"));
    auto nodir = vesperctl({"--ledger", "l.db", "batch", "report", "1", "-o", "no/such/r.txt"}, opts);
    CHECK(nodir.exit_code == 5);
    CHECK_FALSE(std::filesystem::exists(dir / "no"));
    auto help = vesperctl({"batch", "report", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--format"));
}

TEST_CASE("cli: batch show and export carry the station fields", "[cli][report]") {
    TempDir dir;
    auto p = prepare(dir / "l.db");
    auto opts = in_dir(dir);
    auto show = vesperctl({"--ledger", "l.db", "batch", "show", "1", "--json"}, opts);
    REQUIRE(show.exit_code == 0);
    bool seen = false;
    const auto shown = nlohmann::json::parse(show.out);
    for (const auto& d : shown["devices"]) {
        if (d["serial_number"] != p.flashed_b) continue;
        seen = true;
        CHECK(d["station"] == "A");
        CHECK(d["port"] == "/dev/ttyUSB1");
        CHECK(d["firmware_version"] == "1.4.2");
        CHECK(d["mac"] == "24:0a:c4:00:00:02");
    }
    CHECK(seen);
    auto text = vesperctl({"--ledger", "l.db", "batch", "show", "1"}, opts);
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("STATION") && Catch::Contains("/dev/ttyUSB1"));

    auto csv = vesperctl({"--ledger", "l.db", "batch", "export", "1", "--format", "csv"}, opts);
    REQUIRE(csv.exit_code == 0);
    auto rows = lines(csv.out);
    CHECK_THAT(rows.at(0), Catch::EndsWith(",last_error,station,port,firmware_version,claim_code_hash"));
    auto row =
        std::find_if(rows.begin(), rows.end(), [&](const std::string& l) { return l.rfind(p.flashed_b, 0) == 0; });
    REQUIRE(row != rows.end());
    CHECK_THAT(*row, Catch::EndsWith(",A,/dev/ttyUSB1,1.4.2,")); // no claim code hash yet
    auto json = vesperctl({"--ledger", "l.db", "batch", "export", "1"}, opts);
    REQUIRE(json.exit_code == 0);
    const auto records = nlohmann::json::parse(json.out);
    REQUIRE(records.size() == 4);
    for (const auto& d : records) {
        CHECK(d.contains("station"));
        if (d["serial_number"] == p.failed_b) CHECK(d["station"].is_null());
    }
}

TEST_CASE("cli: batch report counts failures before a board was bound, per station and port", "[cli][report]") {
    TempDir dir;
    {
        auto l = ledger::Ledger::open(dir / "l.db", "prep");
        auto b = l.create_batch(vesper::test::batch_spec(2));
        // Two boards that never connected on station A (no serial was spent on them).
        for (const char* port : {"socket://127.0.0.1:4001", "socket://127.0.0.1:4002"})
            l.record_unbound_failure(b.id, "flash", "A", port, "", outcome(false, 2, "connect"));
    }
    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1"}, in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("failures: connect=2\n"));
    CHECK_THAT(r.out, Catch::Contains("attempts: 2\n"));
    CHECK_THAT(r.out, Catch::Contains("failures before a board was bound to a serial:"));
    auto out = lines(r.out);
    auto port_row = [&](const std::string& port) {
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const std::string& l) { return l.find(port) != std::string::npos; });
        REQUIRE(it != out.end());
        return *it;
    };
    CHECK_THAT(port_row("socket://127.0.0.1:4001"), Catch::StartsWith("A ") && Catch::EndsWith("connect=1"));
    CHECK_THAT(port_row("socket://127.0.0.1:4002"), Catch::StartsWith("A ") && Catch::EndsWith("connect=1"));

    auto j = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--json"}, in_dir(dir));
    REQUIRE(j.exit_code == 0);
    const auto s = nlohmann::json::parse(j.out)["summary"];
    CHECK(s["failures_by_cause"] == nlohmann::json{{"connect", 2}});
    CHECK(s["attempts"] == 2);
    REQUIRE(s["unbound_failures"].size() == 2);
    CHECK(s["unbound_failures"][0] == nlohmann::json{{"station", "A"},
                                                     {"port", "socket://127.0.0.1:4001"},
                                                     {"failed", 1},
                                                     {"failures_by_cause", {{"connect", 1}}}});
    REQUIRE(s["stations"].size() == 1);
    CHECK(s["stations"][0]["failed"] == 2);
    CHECK(s["stations"][0]["unbound_failed"] == 2);
    CHECK(s["stations"][0]["passed"] == 0);
}

TEST_CASE("cli: batch report gives no rate from a span under a minute, and says why", "[cli][report]") {
    TempDir dir;
    std::int64_t a1 = 0, a2 = 0;
    {
        auto l = ledger::Ledger::open(dir / "l.db", "prep");
        auto b = l.create_batch(vesper::test::batch_spec(2));
        a1 = l.begin_attempt(l.bind_mac(b.id, "24:0a:c4:00:00:01").device.serial, "flash", "A", "/dev/ttyUSB0");
        l.finish_attempt(a1, outcome(true, 0.3));
        a2 = l.begin_attempt(l.bind_mac(b.id, "24:0a:c4:00:00:02").device.serial, "flash", "A", "/dev/ttyUSB1");
        l.finish_attempt(a2, outcome(true, 0.4));
    }
    vesper::test::exec_sql(dir / "l.db",
                           "UPDATE attempts SET started_at = '2026-01-18T10:00:00.100Z', finished_at = "
                           "'2026-01-18T10:00:00.400Z' WHERE id = " +
                               std::to_string(a1) +
                               "; UPDATE attempts SET started_at = '2026-01-18T10:00:00.150Z', finished_at = "
                               "'2026-01-18T10:00:00.550Z' WHERE id = " +
                               std::to_string(a2) + ";");
    auto j = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--json"}, in_dir(dir));
    REQUIRE(j.exit_code == 0);
    const auto st = nlohmann::json::parse(j.out)["summary"]["stations"].at(0);
    CHECK(st["span_seconds"].get<double>() == Approx(0.45));
    CHECK(st["boards_per_hour"].is_null());
    CHECK(st["no_rate"] == "span 0.5 s is under 60 s, too short for a rate");

    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1"}, in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto out = lines(r.out);
    auto station_a = std::find_if(out.begin(), out.end(), [](const std::string& l) { return l.rfind("A ", 0) == 0; });
    REQUIRE(station_a != out.end());
    CHECK_THAT(*station_a, Catch::Contains(" 0.5 ") && Catch::EndsWith("n/a"));
    CHECK_THAT(r.out, Catch::Contains("n/a: no rate from a span under 60 s"));
}

namespace {

ledger::TestRecord test_record(std::string name, std::string verdict, double seconds) {
    ledger::TestRecord t;
    t.name = std::move(name);
    t.command = t.name;
    t.verdict = std::move(verdict);
    t.tries = t.verdict == "skip" ? 0 : 1;
    t.seconds = seconds;
    return t;
}

ledger::AttemptOutcome test_step(std::vector<ledger::TestRecord> tests, std::string cause = {}) {
    ledger::AttemptOutcome o;
    o.sets_status = ledger::DeviceStatus::tested;
    o.passed = cause.empty();
    o.cause = cause;
    o.error = cause.empty() ? "" : cause + ": output 3 stuck";
    o.seconds = 5;
    o.tests = std::move(tests);
    return o;
}

} // namespace

TEST_CASE("cli: batch report shows the factory tests per test", "[cli][report]") {
    TempDir dir;
    std::string retried, stuck;
    {
        // Three boards, flashed: one passes its tests at once, one fails outputs and passes the retry, one
        // fails outputs twice.
        auto l = ledger::Ledger::open(dir / "l.db", "prep");
        auto b = l.create_batch(vesper::test::batch_spec(3));
        std::vector<std::string> sn;
        for (int i = 1; i <= 3; ++i) {
            sn.push_back(l.bind_mac(b.id, "24:0a:c4:00:00:0" + std::to_string(i)).device.serial);
            l.finish_attempt(l.begin_attempt(sn.back(), "flash", "A", "/dev/ttyUSB0"), outcome(true, 40));
        }
        retried = sn[1];
        stuck = sn[2];
        auto run = [&](const std::string& serial, const ledger::AttemptOutcome& o) {
            l.finish_attempt(l.begin_attempt(serial, "test", "A", "/dev/ttyUSB0"), o);
        };
        run(sn[0], test_step({test_record("boot", "pass", 0.5), test_record("outputs", "pass", 1.25)}));
        run(retried, test_step({test_record("boot", "pass", 0.5), test_record("outputs", "fail", 2)}, "test:outputs"));
        run(retried, test_step({test_record("boot", "pass", 0.5), test_record("outputs", "pass", 1.25)}));
        for (int i = 0; i < 2; ++i)
            run(stuck,
                test_step({test_record("boot", "pass", 0.5), test_record("outputs", "fail", 2)}, "test:outputs"));
    }
    auto j = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--json"}, in_dir(dir));
    INFO(j.err);
    REQUIRE(j.exit_code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    const auto& s = doc["summary"];
    CHECK(s["tests"] == nlohmann::json::parse(R"([
        {"name":"boot","runs":5,"passed":5,"failed":0,"skipped":0,"devices_failed":0,"p50_seconds":0.5},
        {"name":"outputs","runs":5,"passed":2,"failed":3,"skipped":0,"devices_failed":1,"p50_seconds":1.25}])"));
    const nlohmann::json* test_step_json = nullptr;
    for (const auto& st : s["steps"])
        if (st["step"] == "test") test_step_json = &st;
    REQUIRE(test_step_json);
    CHECK((*test_step_json)["first_pass"] == 1);
    CHECK((*test_step_json)["devices"] == 3);
    CHECK((*test_step_json)["failures_by_cause"] == nlohmann::json{{"test:outputs", 3}});
    for (const auto& d : doc["devices"]) {
        CHECK(d["test_attempts"] == (d["serial"] == retried || d["serial"] == stuck ? 2 : 1));
        if (d["serial"] == stuck) {
            CHECK(d["status"] == "failed");
            CHECK(d["failure_cause"] == "test:outputs");
        }
    }
    CHECK(s["counts"]["tested"] == 2);
    CHECK(s["counts"]["failed"] == 1);

    auto r = vesperctl({"--ledger", "l.db", "batch", "report", "1"}, in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto out = lines(r.out);
    auto line_starting = [&](const std::string& start) {
        auto it = std::find_if(out.begin(), out.end(), [&](const std::string& l) { return l.rfind(start, 0) == 0; });
        REQUIRE(it != out.end());
        return *it;
    };
    CHECK_THAT(line_starting("TEST "), Catch::Contains("RUNS") && Catch::Contains("PASSED") &&
                                           Catch::Contains("FAILED") && Catch::Contains("SKIPPED") &&
                                           Catch::Contains("FAILING DEVICES") && Catch::Contains("P50 S"));
    auto words = [](const std::string& line) {
        std::vector<std::string> w;
        std::istringstream in(line);
        for (std::string x; in >> x;)
            w.push_back(x);
        return w;
    };
    CHECK(words(line_starting("boot ")) == std::vector<std::string>{"boot", "5", "5", "0", "0", "0", "0.50"});
    CHECK(words(line_starting("outputs ")) == std::vector<std::string>{"outputs", "5", "2", "3", "0", "1", "1.25"});
    const auto stuck_words = words(line_starting(stuck)); // ... FLASHES SECONDS TESTS FAILURE
    REQUIRE(stuck_words.size() >= 2);
    CHECK(std::vector<std::string>(stuck_words.end() - 2, stuck_words.end()) ==
          std::vector<std::string>{"2", "test:outputs"});
    CHECK_THAT(r.out, Catch::Contains("failures: test:outputs=3"));

    auto c = vesperctl({"--ledger", "l.db", "batch", "report", "1", "--format", "csv"}, in_dir(dir));
    REQUIRE(c.exit_code == 0);
    auto rows = lines(c.out);
    CHECK_THAT(rows.at(0), Catch::EndsWith(",phases,test_attempts"));
    auto stuck_row =
        std::find_if(rows.begin(), rows.end(), [&](const std::string& l) { return l.rfind(stuck, 0) == 0; });
    REQUIRE(stuck_row != rows.end());
    CHECK_THAT(*stuck_row, Catch::Contains(",test:outputs,") && Catch::EndsWith(",2"));
}
