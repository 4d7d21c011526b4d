// The register step on a station, end to end: simulated boards flashed, tested and registered by
// `vesperctl flash --station` against the real vesper-backend over HTTPS on loopback. The step only
// queues each passed board's record; the station's drainer sends it beside the run. With the backend
// up, the passed boards are registered by the end of the run and the backend holds exactly them (the
// failed board never reaches it); through an outage the boards keep flowing, their records wait in the
// outbox, and they register once the backend is back. No secret is in any output or in the ledger.
// `provision --loop` shares the station code: it registers the same way, whether the loop ends by
// itself (the batch complete) or by Ctrl-C (a failed board keeps the batch open).
#include <catch2/catch.hpp>

#include <regex>

#include "backend_test_support.hpp"
#include "station_test_support.hpp"

using namespace vesper;
using namespace vesper::station_test;

namespace {

constexpr const char* kClaimSecret = "station-register-claim-secret-0123456789";

// The profile, then the config's backend: section pointing at `url`, trusting `ca`.
std::string register_config(const std::string& url, const fs::path& ca) {
    return tested_pipeline("flash, test, register") + "backend:\n  url: " + url + "\n  ca_file: " + ca.string() +
           "\n  backoff_base_s: 0.05\n  backoff_max_s: 0.5\n";
}

const std::vector<BoardSpec> kBoards = {
    {"bench", {}}, {"bench", {"--fault", "stuck-output=1"}}, {"bench", {}}, {"bench", {}}};

// The serials the backend holds, and each one's stored record.
std::map<std::string, json> backend_devices(const test::TlsBackend& b) {
    const auto r = b.client.get("/v1/devices?limit=1000");
    REQUIRE(r.status == 200);
    const json page = json::parse(r.body);
    std::map<std::string, json> out;
    for (const auto& d : page.at("devices"))
        out[d.at("serial_number")] = d.at("record");
    return out;
}

// The tested-and-registered serials of the line, from the ledger.
std::set<std::string> serials_with(const FactoryLine& line, ledger::DeviceStatus status) {
    auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    std::set<std::string> out;
    for (const auto& d : led.devices_of_batch(line.batch()))
        if (d.status == status) out.insert(d.serial);
    return out;
}

void check_no_secrets(const std::vector<std::string>& texts, const fs::path& ledger_file) {
    const std::string ledger_bytes = read_text_file(ledger_file);
    for (const std::string& secret : {test::kBackendToken, std::string(kClaimSecret), std::string(kSecret)}) {
        for (const auto& t : texts)
            CHECK(t.find(secret) == std::string::npos);
        CHECK(ledger_bytes.find(secret) == std::string::npos);
    }
}

} // namespace

TEST_CASE("register step: the passed boards are registered during the run, the backend holds exactly them",
          "[integration][station][register]") {
    test::TlsBackend backend;
    FactoryLine line(kBoards, 4, "192KB", 120, register_config(backend.process->url(), backend.dir / "cert.pem"));
    line.set_env("VESPER_BACKEND_TOKEN", test::kBackendToken);
    line.set_env("VESPER_CLAIM_SECRET", kClaimSecret);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6); // board 1 failed its outputs test

    const json summary = summary_of(r.out);
    CHECK(summary.at("passed") == 3);
    REQUIRE(summary.contains("outbox"));
    CHECK(summary.at("outbox").at("registered") == 3);
    CHECK(summary.at("outbox").at("queued") == 0);
    CHECK(summary.at("outbox").at("stopped").is_null());
    bool saw_outbox_event = false;
    for (const auto& e : json_lines(r.out))
        saw_outbox_event = saw_outbox_event || e.at("event") == "outbox";
    CHECK(saw_outbox_event);

    const auto registered = serials_with(line, ledger::DeviceStatus::registered);
    CHECK(registered.size() == 3);
    CHECK(serials_with(line, ledger::DeviceStatus::failed).size() == 1);
    const auto held = backend_devices(backend);
    std::set<std::string> held_serials;
    for (const auto& [serial, record] : held) {
        held_serials.insert(serial);
        // The registered record followed the tested one: the backend has the final state.
        CHECK(record.at("status") == "registered");
        CHECK(record.at("firmware").at("version") == "2.3.4");
        CHECK(record.at("test").at("passed") == true);
        CHECK(record.at("test").at("tests") == 2);
        CHECK(record.at("claim_code_hash").is_null()); // the NVS template has no {{claim_code}}
    }
    CHECK(held_serials == registered);
    const json stats = backend.stats();
    CHECK(stats.at("created") == 3);
    CHECK(stats.at("mismatches") == 0);

    auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    for (const auto& sn : registered)
        CHECK(led.passed_steps(sn).count("register") == 1);
    check_no_secrets({r.out, r.err}, line.ledger());
}

TEST_CASE("register step: boards keep flowing through a backend outage, and register when it is back",
          "[integration][station][register]") {
    test::TempDir keep;
    const fs::path cert = keep / "backend-cert.pem";
    const fs::path db = keep / "backend.db";
    std::string url;
    {
        // Down for the whole station run: every request answered 503 with Retry-After.
        test::TlsBackend down({"--outage", "0:3600", "--db", db.string()});
        url = down.process->url();
        fs::copy_file(down.dir / "cert.pem", cert);
        FactoryLine line(kBoards, 4, "192KB", 120, register_config(url, cert));
        line.set_env("VESPER_BACKEND_TOKEN", test::kBackendToken);
        const auto r = line.flash_station("bench");
        INFO(r.out << r.err);
        CHECK(r.exit_code == 6);
        const json summary = summary_of(r.out);
        CHECK(summary.at("passed") == 3); // the line did not wait for the backend
        CHECK(summary.at("outbox").at("registered") == 0);
        CHECK(summary.at("outbox").at("queued") == 3);
        CHECK(summary.at("outbox").at("waiting") == 3);
        CHECK(serials_with(line, ledger::DeviceStatus::tested).size() == 3);
        CHECK(down.stats().at("faults").at("outage").get<int>() > 0);
        CHECK(down.stats().at("records") == 0);

        // The backend is back (restarted on the same port, same database, a new certificate in the
        // same file): register --wait sends what waited.
        down.process->stop();
        const std::string port = url.substr(url.rfind(':') + 1);
        test::TlsBackend up({"--listen", "127.0.0.1:" + port, "--db", db.string()});
        fs::copy_file(up.dir / "cert.pem", cert, fs::copy_options::overwrite_existing);
        const auto reg = line.ctl({"--json", "register", "--batch", std::to_string(line.batch()), "--wait", "--config",
                                   line.config().string()});
        INFO(reg.out << reg.err);
        CHECK(reg.exit_code == 0);
        const auto registered = serials_with(line, ledger::DeviceStatus::registered);
        CHECK(registered.size() == 3);
        std::set<std::string> held;
        for (const auto& [serial, record] : backend_devices(up))
            held.insert(serial);
        CHECK(held == registered);
        check_no_secrets({r.out, r.err, reg.out, reg.err}, line.ledger());
    }
}

namespace {

// `vesperctl provision --loop` of the register config on the line's bench, in the background, with the
// backend token and a home in the line's folder.
std::unique_ptr<test::BackgroundProcess> start_loop(const FactoryLine& line) {
    auto args = line.station_args("provision", "bench");
    args.insert(args.end(), {"--loop", "--poll-interval", "200"});
    return std::make_unique<test::BackgroundProcess>(
        args, std::map<std::string, std::string>{{"VESPER_MQTT_SECRET", kSecret},
                                                 {"VESPER_BACKEND_TOKEN", test::kBackendToken},
                                                 {"HOME", line.dir().string()}});
}

// The run's outbox events: at least one, and none counts more devices than `passed`, queued or
// registered (a registered device may be queued too: its registered record follows the tested one).
void check_outbox_events(const std::vector<std::string>& lines, int passed) {
    int events = 0;
    for (const auto& l : lines) {
        const json e = json::parse(l);
        if (e.at("event") != "outbox") continue;
        ++events;
        INFO(l);
        CHECK(e.at("queued").get<int>() <= passed);
        CHECK(e.at("registered").get<int>() <= passed);
        CHECK(e.at("dead") == 0);
    }
    CHECK(events >= 1);
}

// The ledger's registered serials are exactly the summary's passed boards and what the backend holds,
// each with its final record.
std::set<std::string> check_backend_holds_registered(const FactoryLine& line, const test::TlsBackend& backend,
                                                     const json& summary) {
    const auto registered = serials_with(line, ledger::DeviceStatus::registered);
    std::set<std::string> passed;
    for (const auto& b : summary.at("boards"))
        if (b.at("result") == "passed") passed.insert(b.at("serial").get<std::string>());
    CHECK(registered == passed);
    std::set<std::string> held;
    for (const auto& [serial, record] : backend_devices(backend)) {
        held.insert(serial);
        CHECK(record.at("status") == "registered");
        CHECK(record.at("test").at("passed") == true);
    }
    CHECK(held == registered);
    return registered;
}

} // namespace

TEST_CASE("provision --loop: every board is registered and the loop ends when the batch is complete",
          "[integration][station][register]") {
    test::TlsBackend backend;
    FactoryLine line({{"bench", {}}, {"bench", {}}, {"bench", {}}}, 3, "192KB", 120,
                     register_config(backend.process->url(), backend.dir / "cert.pem"));
    auto run = start_loop(line);
    const json summary =
        wait_for_summary(*run, std::chrono::seconds(90)); // the loop ends by itself: nothing signals it
    const int status = run->kill(0);
    const std::string out = run->text();
    INFO(out);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(summary.at("stopped") == false);
    CHECK(summary.at("batch_complete") == true);
    CHECK(summary.at("passed") == 3);
    REQUIRE(summary.contains("outbox"));
    CHECK(summary.at("outbox").at("registered") == 3);
    CHECK(summary.at("outbox").at("queued") == 0);
    CHECK(summary.at("outbox").at("stopped").is_null());
    check_outbox_events(run->lines(), 3);

    const auto registered = check_backend_holds_registered(line, backend, summary);
    CHECK(registered.size() == 3);
    CHECK(backend.stats().at("created") == 3);
    CHECK(backend.stats().at("mismatches") == 0);
    check_no_secrets({out}, line.ledger());
}

TEST_CASE("provision --loop: a failed board is not sent, the passed ones are registered by the end of the run",
          "[integration][station][register]") {
    test::TlsBackend backend;
    FactoryLine line(kBoards, 4, "192KB", 120, register_config(backend.process->url(), backend.dir / "cert.pem"));
    auto run = start_loop(line);
    // The failed board's serial never completes the batch, so the loop runs until Ctrl-C: sent once every
    // port has a result.
    std::set<std::string> done;
    REQUIRE(run->wait_for_line(
        [&](const std::string& l) {
            const json e = json::parse(l);
            if (e.at("event") == "result") done.insert(e.at("port"));
            return done.size() == kBoards.size();
        },
        std::chrono::seconds(90)));
    ::kill(run->pid(), SIGINT);
    const json summary = wait_for_summary(*run, std::chrono::seconds(90));
    const int status = run->kill(0);
    const std::string out = run->text();
    INFO(out);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 6); // board 1 failed its outputs test
    CHECK(summary.at("stopped") == true);
    CHECK(summary.at("batch_complete") == false);
    CHECK(summary.at("passed") == 3);
    CHECK(board_on(summary, line.ports()[1]).at("result") == "failed");
    REQUIRE(summary.contains("outbox"));
    CHECK(summary.at("outbox").at("registered") == 3);
    CHECK(summary.at("outbox").at("queued") == 0);
    CHECK(summary.at("outbox").at("dead") == 0);
    check_outbox_events(run->lines(), 3);

    const auto registered = check_backend_holds_registered(line, backend, summary);
    CHECK(registered.size() == 3);
    const auto failed = serials_with(line, ledger::DeviceStatus::failed);
    REQUIRE(failed.size() == 1);
    CHECK(backend.client.get("/v1/devices/" + *failed.begin()).status == 404);
    CHECK(backend.stats().at("created") == 3);
    check_no_secrets({out}, line.ledger());
}
