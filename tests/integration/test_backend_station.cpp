// The register step on a station, end to end: simulated boards flashed, tested and registered by
// `vesperctl flash --station` against the real vesper-backend over HTTPS on loopback. The step only
// queues each passed board's record; the station's drainer sends it beside the run. With the backend
// up, the passed boards are registered by the end of the run and the backend holds exactly them (the
// failed board never reaches it); through an outage the boards keep flowing, their records wait in the
// outbox, and they register once the backend is back. No secret is in any output or in the ledger.
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
