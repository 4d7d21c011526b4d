// vesperctl register against the real vesper-backend over HTTPS on loopback (trusted through its
// --cert-out certificate): records reach the backend once each, one by one and in bulk, through 30 %
// faults and through SIGKILLs mid-drain; a wrong token is dead-lettered without a retry storm; a
// wrong pin is refused with nothing sent; --verify finds drift; the token is in no output.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend_test_support.hpp"
#include "background_process.hpp"
#include "ledger_support.hpp"
#include "run_process.hpp"
#include "vesper/backend/drainer.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/config.hpp"

using nlohmann::json;
using namespace vesper;
using namespace vesper::test;

namespace {

const std::string kFarFuture = "2099-01-01T00:00:00.000Z";

// A ledger of `count` devices, the first `tested` of them tested (so registering confirms them).
struct LineLedger {
    TempDir dir;
    std::filesystem::path path = dir / "ledger.db";
    std::int64_t batch = 0;
    std::vector<std::string> serials;

    LineLedger(int count, int tested) {
        auto l = ledger::Ledger::open(path, "tester");
        batch = l.create_batch(batch_spec(count)).id;
        for (const auto& d : l.devices_of_batch(batch))
            serials.push_back(d.serial);
        for (int i = 0; i < tested; ++i) {
            l.set_status(serials[static_cast<std::size_t>(i)], ledger::DeviceStatus::flashed);
            l.set_status(serials[static_cast<std::size_t>(i)], ledger::DeviceStatus::tested);
        }
    }
    ledger::Ledger open() const { return ledger::Ledger::open(path, "tester", ledger::Access::existing); }
    int with_status(ledger::DeviceStatus s) const { return open().status_counts(batch)[s]; }
};

// The config: the backend section pointing at `b`, plus `extra` lines under it.
std::filesystem::path write_config(const TlsBackend& b, const std::filesystem::path& dir, const std::string& extra) {
    const auto file = dir / "factory.yaml";
    std::ofstream(file) << "version: 1\nbackend:\n  url: " << b.process->url()
                        << "\n  ca_file: " << (b.dir / "cert.pem").string() << "\n"
                        << extra;
    return file;
}

struct Runs {
    std::vector<std::string> outputs; // every stdout and stderr, for the token check
    ProcessResult run(const LineLedger& l, const std::filesystem::path& config, std::vector<std::string> args,
                      const std::string& token = kBackendToken) {
        args.insert(args.begin(), {"register", "--ledger", l.path.string(), "--config", config.string()});
        ProcessOptions o = isolated_in(l.dir.path());
        o.env["VESPER_BACKEND_TOKEN"] = token;
        o.timeout_ms = 120000;
        ProcessResult r = vesperctl(args, o);
        outputs.push_back(r.out);
        outputs.push_back(r.err);
        return r;
    }
    void check_no_token(const std::vector<std::string>& tokens) const {
        for (const auto& text : outputs)
            for (const auto& t : tokens)
                CHECK(text.find(t) == std::string::npos);
    }
};

// Every record the backend holds, by serial.
std::map<std::string, json> backend_records(const TlsBackend& b) {
    std::map<std::string, json> out;
    std::string after;
    while (true) {
        // A backend with faults injects them into reads too: ask again (bounded).
        HttpResponse r;
        for (int attempt = 0; attempt < 100 && r.status != 200; ++attempt)
            r = b.client.get("/v1/devices?limit=1000" + (after.empty() ? "" : "&after=" + after));
        REQUIRE(r.status == 200);
        const json page = json::parse(r.body);
        for (const auto& d : page["devices"])
            out[d["serial_number"].get<std::string>()] = d;
        if (page["next_after"].is_null()) break;
        after = page["next_after"].get<std::string>();
    }
    return out;
}

// The backend holds each tested device of the ledger exactly once, as the ledger last sent it, every
// one of them is registered, and no other device reached the backend.
void check_exactly_once(const TlsBackend& b, const LineLedger& l, int tested) {
    const auto records = backend_records(b);
    CHECK(records.size() == static_cast<std::size_t>(tested));
    const json st = b.stats();
    CHECK(st["records"] == tested);
    CHECK(st["created"] == tested); // each serial written new once
    CHECK(st["unchanged"] == 0);    // no record written twice under two keys
    CHECK(st["mismatches"] == 0);
    auto led = l.open();
    CHECK(led.status_counts(l.batch)[ledger::DeviceStatus::registered] == tested);
    const auto depth = led.outbox_depth(l.batch, kFarFuture);
    CHECK(depth.pending == 0);
    CHECK(depth.dead == 0);
    for (const auto& e : led.sent_outbox(l.batch)) {
        INFO(e.serial);
        REQUIRE(records.count(e.serial) == 1);
        CHECK(e.record_sha256.size() == 64);
        CHECK(records.at(e.serial)["record_sha256"] == e.record_sha256);
        CHECK(records.at(e.serial)["record"]["status"] ==
              std::string(ledger::to_string(led.get_device(e.serial).status)));
    }
}

} // namespace

TEST_CASE("register: a batch's records reach the backend once each, one by one and in bulk",
          "[integration][backend][register]") {
    for (const std::string bulk : {"1", "8"}) {
        DYNAMIC_SECTION("bulk_size " << bulk) {
            TlsBackend b;
            LineLedger l(20, 12);
            const auto config = write_config(b, l.dir.path(), "  bulk_size: " + bulk + "\n  max_in_flight: 3\n");
            Runs runs;
            const auto r = runs.run(l, config, {"--json"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
            const json out = json::parse(r.out);
            // One pass sends the 12 tested devices' records (the 8 untested ones are not for the backend),
            // then the 12 registered records the confirmations queued.
            CHECK(out["sent"] == 24);
            CHECK(out["dead"] == 0);
            CHECK(out["pending"] == 0);
            CHECK(out["errors"].empty());
            if (bulk == "1")
                CHECK(out["requests"] == 24);
            else
                CHECK(out["requests"] < 24);
            check_exactly_once(b, l, 12);
            CHECK(b.stats()["updated"] == 12);
            // Nothing is left: another pass sends nothing.
            const auto again = runs.run(l, config, {"--json"});
            CHECK(again.exit_code == 0);
            CHECK(json::parse(again.out)["requests"] == 0);
            runs.check_no_token({kBackendToken});
            CHECK(b.process->stop() == 0);
        }
    }
}

TEST_CASE("register: 1000 records through 30 % faults are stored exactly once, none lost",
          "[integration][backend][register]") {
    // fail 10 %, throttle 8 % (Retry-After 1, clamped to backoff_max_s), drop 6 %, drop after write 6 %.
    TlsBackend b({"--fail-rate", "0.10", "--throttle-rate", "0.08", "--retry-after", "1", "--drop-rate", "0.06",
                  "--drop-after-write-rate", "0.06", "--seed", "7"});
    LineLedger l(1000, 1000);
    const auto config = write_config(b, l.dir.path(),
                                     "  bulk_size: 10\n  max_in_flight: 4\n  backoff_base_s: 0.01\n"
                                     "  backoff_max_s: 0.2\n  connect_timeout_s: 2\n  request_timeout_s: 5\n");
    Runs runs;
    const auto started = std::chrono::steady_clock::now();
    const auto r = runs.run(l, config, {"--wait", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json out = json::parse(r.out);
    CHECK(out["retries"].get<int>() > 0);
    CHECK(out["dead"] == 0);
    CHECK(out["pending"] == 0);
    CHECK(out["sent"] == 2000); // each tested record, then each registered one
    const json st = b.stats();
    CHECK(st["faults"]["fail"].get<int>() > 0);
    CHECK(st["faults"]["throttle"].get<int>() > 0);
    CHECK(st["faults"]["drop"].get<int>() > 0);
    CHECK(st["faults"]["drop_after_write"].get<int>() > 0);
    CHECK(st["replays"].get<int>() > 0); // a write whose answer was dropped came back as a replay
    check_exactly_once(b, l, 1000);
    CHECK(st["updated"] == 1000);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));
    runs.check_no_token({kBackendToken});
    CHECK(b.process->stop() == 0);
}

TEST_CASE("register: killed with SIGKILL mid-drain 20 times, then run to completion: exactly once, nothing lost",
          "[integration][backend][register]") {
    TlsBackend b({"--latency-ms", "25"});
    LineLedger l(600, 600);
    const auto config = write_config(
        b, l.dir.path(), "  bulk_size: 1\n  max_in_flight: 4\n  backoff_base_s: 0.01\n  backoff_max_s: 0.1\n");
    std::mt19937 rng(13);
    std::uniform_int_distribution<int> after_ms(0, 120);
    int killed = 0;
    for (int i = 0; i < 40 && killed < 20; ++i) {
        const int stored = b.stats()["records"];
        BackgroundProcess p(
            {VESPERCTL_BIN, "register", "--wait", "--ledger", l.path.string(), "--config", config.string()},
            {{"VESPER_BACKEND_TOKEN", kBackendToken}}, (l.dir / "killed-stderr.txt").string());
        // Mid-drain: once this run has stored something (however slowly it starts, e.g. under ASan),
        // then at a random moment.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (b.stats()["records"] == stored && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(after_ms(rng)));
        const int status = p.kill(SIGKILL);
        killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }
    CHECK(killed == 20);
    const int before_final = b.stats()["records"];
    CHECK(before_final > 0); // the killed runs got records through
    Runs runs;
    const auto r = runs.run(l, config, {"--wait", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["pending"] == 0);
    check_exactly_once(b, l, 600);
    runs.check_no_token({kBackendToken});
    CHECK(b.process->stop() == 0);
}

TEST_CASE("register: a wrong token is dead-lettered with its cause, without a retry storm, and retried when asked",
          "[integration][backend][register]") {
    TlsBackend b;
    LineLedger l(30, 10);
    const auto config = write_config(b, l.dir.path(), "  bulk_size: 1\n  max_in_flight: 4\n");
    Runs runs;
    const std::string wrong = "wrong-token-0123456789abcdef";
    const auto r = runs.run(l, config, {}, wrong);
    CHECK(r.exit_code == 2); // backend.auth is an input error
    CHECK_THAT(r.err, Catch::Contains("backend refused the token (401 auth.invalid)"));
    const json st = b.stats();
    CHECK(st["requests"].get<int>() >= 1);
    CHECK(st["requests"].get<int>() <= 4); // what was in flight when the first 401 came, nothing more
    CHECK(st["records"] == 0);
    const auto dead = l.open().dead_outbox(l.batch);
    CHECK(static_cast<int>(dead.size()) == st["requests"].get<int>());
    for (const auto& e : dead)
        CHECK_THAT(e.last_error, Catch::Contains("backend refused the token (401 auth.invalid)"));
    const auto json_err = runs.run(l, config, {"--json"}, wrong);
    CHECK(json::parse(json_err.err)["error"]["code"] == "backend.auth");

    // --failed lists them (without a token: it sends nothing).
    const auto failed = runs.run(l, config, {"--failed", "--json"}, "");
    REQUIRE(failed.exit_code == 0);
    const json listed = json::parse(failed.out)["failed"];
    CHECK(listed.size() == l.open().dead_outbox(l.batch).size());
    CHECK(listed[0]["status"] == 401);
    CHECK(listed[0]["answer"]["error"]["code"] == "auth.invalid");

    // The right token: --retry-failed sends the dead letters and the rest.
    const auto fixed = runs.run(l, config, {"--retry-failed", "--wait", "--json"});
    INFO(fixed.err);
    REQUIRE(fixed.exit_code == 0);
    check_exactly_once(b, l, 10);
    runs.check_no_token({kBackendToken, wrong});
    CHECK(b.process->stop() == 0);
}

TEST_CASE("register: a pinned key that does not match is refused with nothing sent, the right one works",
          "[integration][backend][register]") {
    TlsBackend b;
    LineLedger l(6, 3);
    Runs runs;
    const auto wrong_pin =
        write_config(b, l.dir.path(), "  pinned_public_key: sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    const auto r = runs.run(l, wrong_pin, {"--json"});
    CHECK(r.exit_code == 5); // backend.tls
    CHECK(json::parse(r.err)["error"]["code"] == "backend.tls");
    CHECK(b.stats()["requests"] == 0);
    auto depth = l.open().outbox_depth(l.batch, kFarFuture);
    CHECK(depth.pending == 3); // the tested ones, still pending, not dead: fixing the config sends them
    CHECK(depth.dead == 0);
    const auto right_pin = write_config(b, l.dir.path(), "  pinned_public_key: " + b.process->pin() + "\n");
    const auto ok = runs.run(l, right_pin, {"--wait"});
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::StartsWith("register: "));
    check_exactly_once(b, l, 3);
    runs.check_no_token({kBackendToken});
    CHECK(b.process->stop() == 0);
}

TEST_CASE("register: --verify matches every registered device, then reports drift",
          "[integration][backend][register]") {
    TlsBackend b;
    LineLedger l(8, 5);
    const auto config = write_config(b, l.dir.path(), "  bulk_size: 4\n");
    Runs runs;
    REQUIRE(runs.run(l, config, {"--wait"}).exit_code == 0);
    const auto ok = runs.run(l, config, {"--verify", "--json"});
    INFO(ok.err);
    REQUIRE(ok.exit_code == 0);
    const json report = json::parse(ok.out);
    CHECK(report["matched"] == 5);
    CHECK(report["differs"] == 0);
    CHECK(report["missing"] == 0);

    // A newer record of one device written straight to the backend.
    const std::string serial = l.serials[0];
    const auto held = b.client.get("/v1/devices/" + serial);
    REQUIRE(held.status == 200);
    json record = json::parse(held.body)["record"];
    record["updated_at"] = "2099-01-01T00:00:00Z";
    record["last_error"] = "changed behind the ledger's back";
    REQUIRE(b.client.put("/v1/devices/" + serial, json_text(record), "manual-edit-1").status == 200);
    const auto drift = runs.run(l, config, {"--verify"});
    CHECK(drift.exit_code == 7);
    CHECK_THAT(drift.out, Catch::Contains(serial + "  differs") && Catch::Contains("verify: 4 match"));
    CHECK_THAT(drift.err, Catch::Contains("1 of 5 registered devices drifted"));
    runs.check_no_token({kBackendToken});
    CHECK(b.process->stop() == 0);
}

TEST_CASE("register: a station's drainer (until_stopped) rides out an outage and sends records queued while it runs",
          "[integration][backend][register]") {
    // Every request in the first 1.5 s is answered 503 with a Retry-After, as a load balancer in front of a
    // dead backend would.
    TlsBackend b({"--outage", "0:1.5"});
    LineLedger l(10, 9);
    const auto config = write_config(b, l.dir.path(), "  bulk_size: 1\n  backoff_base_s: 0.01\n  backoff_max_s: 0.3\n");
    const auto settings = *station::load_config(config).backend;
    std::atomic<bool> stop{false};
    std::vector<backend::DrainEvent> events;
    std::mutex events_mutex;
    backend::DrainStats stats;
    std::thread drainer([&] {
        backend::Drainer d(l.path, settings, kBackendToken, "station-test");
        backend::DrainOptions options;
        options.batch = l.batch;
        options.mode = backend::DrainMode::until_stopped;
        options.poll_s = 0.05;
        stats = d.run(options, stop, [&](const backend::DrainEvent& e) {
            std::lock_guard<std::mutex> lock(events_mutex);
            events.push_back(e);
        });
    });
    const auto wait_until = [&](const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (!done() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return done();
    };
    CHECK(wait_until([&] { return b.stats()["records"] == 9; }));
    // A board tested while the drainer runs: its record goes, and the device becomes registered.
    {
        auto led = l.open();
        led.set_status(l.serials[9], ledger::DeviceStatus::flashed);
        led.set_status(l.serials[9], ledger::DeviceStatus::tested);
    }
    CHECK(wait_until([&] { return l.open().get_device(l.serials[9]).status == ledger::DeviceStatus::registered; }));
    CHECK(wait_until([&] { return l.open().outbox_depth(l.batch, kFarFuture).pending == 0; }));
    stop = true;
    drainer.join();
    CHECK_FALSE(stats.stopped_by.has_value());
    CHECK(stats.retries > 0); // the outage's 503s
    // The nine tested devices' records and their registered records, then the tested and the registered
    // record of the tenth (its flashed record is not for the backend).
    CHECK(stats.sent == 20);
    CHECK(b.stats()["faults"]["outage"].get<int>() > 0);
    check_exactly_once(b, l, 10);
    for (const auto& e : events) {
        CHECK(e.detail.find(kBackendToken) == std::string::npos);
        CHECK((e.kind == "sent" || e.kind == "retry"));
    }
    CHECK(b.process->stop() == 0);
}
