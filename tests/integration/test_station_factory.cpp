// The station's test step end to end: `vesperctl flash --station` flashes simulated boards whose app is
// the real factory console core (vesper-devsim links firmware/lib/vesper_factory), then tests them over
// RFC 2217 with a plan, and records every result. One board per devsim process, so each port has its own
// fault: the right cause on the faulty port, the other ports unaffected, nothing lost.
#include <catch2/catch.hpp>

#include <csignal>

#include "station_test_support.hpp"
#include "vesper/nvs/reader.hpp"

using namespace vesper;
using namespace vesper::station_test;

namespace {

// Short timeouts so a board that says nothing costs seconds, not the built-in plan's 8 s; retries on
// the requests a late answer hits.
const std::string kTestProfile = R"(    pipeline: [flash, test]
    test:
      plan:
        hello_timeout_ms: 3000
        tests:
          - {name: boot, command: hello, expect: {proto: {equals: 1}}, on_fail: stop}
          - {name: info, command: info, timeout_ms: 1500, retries: 1, expect: {free_heap: {min: 32768}}}
          - {name: identity, check: identity}
          - {name: mac, check: mac}
          - {name: firmware, check: firmware}
          - {name: outputs, command: outputs, expect: {failed: {equals: []}}}
          - {name: wifi, command: wifi_scan, timeout_ms: 5000, expect: {best_rssi: {min: -80}}}
)";

// The factory flag the test step stores through mark_tested, read back from the board's flash: the
// default "nvs" partition of configs/partitions-4mb.csv (0x9000, 0x5000), namespace vesper_fct.
std::optional<std::uint64_t> factory_flag(const FactoryLine& line, std::size_t board) {
    const Bytes flash = read_file(line.flash_file(board));
    const auto dump = nvs::read_image(slice(flash, 0x9000, 0x5000));
    for (const auto& v : dump.values)
        if (v.ns == "vesper_fct" && v.key == "factory_ok") return v.integer;
    return std::nullopt;
}

ledger::Device device_of(const FactoryLine& line, std::size_t board) {
    auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    const auto d = led.find_device_by_mac(mac_of(static_cast<int>(board)));
    REQUIRE(d);
    return *d;
}

std::vector<ledger::Attempt> attempts_of_step(const FactoryLine& line, const std::string& serial,
                                              const std::string& step) {
    auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    std::vector<ledger::Attempt> out;
    for (auto& a : led.attempts_of(serial))
        if (a.step == step) out.push_back(std::move(a));
    return out;
}

} // namespace

TEST_CASE("station test step: good boards are tested and marked, each fault fails only its own port with its cause",
          "[integration][station][factory]") {
    const std::vector<BoardSpec> boards = {
        {"bench", {}},                              // 0: a good board
        {"bench", {"--fault", "stuck-output=2"}},   // 1: relay 2 stuck on
        {"bench", {"--fault", "weak-wifi"}},        // 2: a bad antenna
        {"bench", {"--fault", "no-hello"}},         // 3: an app without the factory console
        {"bench", {"--fault", "panic-at=outputs"}}, // 4: crashes when its outputs are switched
        {"bench", {"--fault", "line-noise=2", "--fault", "late-answer=info:2500"}}, // 5: a noisy line
    };
    FactoryLine line(boards, 6, "192KB", 120, kTestProfile);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6); // station.failed
    const json summary = summary_of(r.out);

    struct Expect {
        std::string result, cause;
    };
    const std::vector<Expect> expect = {{"passed", ""},         {"failed", "test:outputs"}, {"failed", "test:wifi"},
                                        {"failed", "no_hello"}, {"failed", "crash"},        {"passed", ""}};
    for (std::size_t i = 0; i < boards.size(); ++i) {
        INFO("board " << i);
        const json b = board_on(summary, line.ports()[i]);
        CHECK(b.at("result") == expect[i].result);
        if (!expect[i].cause.empty()) CHECK(b.at("cause") == expect[i].cause);
        const ledger::Device d = device_of(line, i);
        CHECK(d.status == (expect[i].result == "passed" ? ledger::DeviceStatus::tested : ledger::DeviceStatus::failed));
        // Every board was flashed once, whatever its test did: the flash attempt passed.
        const auto flash = attempts_of_step(line, d.serial, "flash");
        REQUIRE(flash.size() == 1);
        CHECK(flash[0].result == ledger::AttemptResult::passed);
        const auto tests = attempts_of_step(line, d.serial, "test");
        REQUIRE(!tests.empty());
        CHECK(tests.back().result ==
              (expect[i].result == "passed" ? ledger::AttemptResult::passed : ledger::AttemptResult::failed));
        if (!expect[i].cause.empty()) CHECK(tests.back().cause == expect[i].cause);
        // Only boards that passed carry the tested flag in their NVS.
        if (expect[i].result == "passed")
            CHECK(factory_flag(line, i) == std::optional<std::uint64_t>(1));
        else
            CHECK_FALSE(factory_flag(line, i));
    }
    // A failed test is the board's fault: not retried. A board that did not say hello is (retries: 1).
    CHECK(attempts_of_step(line, device_of(line, 1).serial, "test").size() == 1);
    CHECK(attempts_of_step(line, device_of(line, 3).serial, "test").size() == 2);
    // The crash's message holds the panic line.
    const auto crash = attempts_of_step(line, device_of(line, 4).serial, "test");
    CHECK_THAT(crash.back().error, Catch::Contains("Guru Meditation"));
    CHECK(crash.back().code == "factory.crash");
    CHECK(attempts_of_step(line, device_of(line, 1).serial, "test").back().code == "factory.test_failed");

    // Every test's result is in the ledger with its attempt: the stuck relay's board says which output.
    {
        auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
        const auto rows = led.test_results_of(device_of(line, 1).serial);
        REQUIRE(rows.size() == 7);
        std::vector<std::string> names;
        for (const auto& row : rows)
            names.push_back(row.test.name);
        CHECK(names == std::vector<std::string>{"boot", "info", "identity", "mac", "firmware", "outputs", "wifi"});
        const auto& outputs = rows[5].test;
        CHECK(outputs.verdict == "fail");
        CHECK(json::parse(outputs.measured) == json{{"failed", {2}}});
        CHECK(outputs.limits == "failed = []");
        CHECK(rows[0].test.verdict == "pass");
        // The good board's identity check compared the MQTT password's hash and the firmware check the
        // app image's digest.
        const auto good = led.test_results_of(device_of(line, 0).serial);
        REQUIRE(good.size() == 7);
        CHECK(json::parse(good[2].test.measured).contains("mqtt_pass_sha256"));
        CHECK(json::parse(good[4].test.measured).contains("app_sha256"));
        for (const auto& row : good)
            CHECK(row.test.verdict == "pass");
    }

    // The events show the test phase and each test as it runs.
    bool saw_test_phase = false, saw_activity = false;
    for (const auto& e : json_lines(r.out)) {
        if (e.value("step", json()) == "test" && e.value("phase", "") == "test") saw_test_phase = true;
        if (e.contains("activity") && e.at("activity") == "outputs") saw_activity = true;
    }
    CHECK(saw_test_phase);
    CHECK(saw_activity);
}

TEST_CASE("station test step: killed with SIGKILL in the test phase, the rerun tests again and skips the flash",
          "[integration][station][factory]") {
    // Realistic timing: the Wi-Fi scan takes seconds of modelled time, so the kill lands in the test.
    FactoryLine line({{"bench", {"--timing", "realistic"}}}, 1, "64KB", 120, kTestProfile);
    {
        test::BackgroundProcess run(line.station_args("flash", "bench"),
                                    {{"VESPER_MQTT_SECRET", kSecret}, {"HOME", line.dir().string()}});
        const bool testing = run.wait_for_line(
            [](const std::string& l) {
                const json e = json::parse(l, nullptr, false);
                return e.is_object() && e.value("step", json()) == "test" && e.contains("activity") &&
                       e.at("activity") == "wifi";
            },
            std::chrono::seconds(90));
        REQUIRE(testing);
        const int status = run.kill(SIGKILL);
        CHECK(WIFSIGNALED(status));
    }
    const std::string serial = device_of(line, 0).serial;
    CHECK(device_of(line, 0).status == ledger::DeviceStatus::flashed); // the test never finished
    REQUIRE(attempts_of_step(line, serial, "test").size() == 1);
    CHECK(attempts_of_step(line, serial, "test")[0].result == ledger::AttemptResult::running);

    const auto again = line.flash_station("bench");
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK(device_of(line, 0).status == ledger::DeviceStatus::tested);
    // The flash was not run again; the killed test is interrupted and a new one passed.
    CHECK(attempts_of_step(line, serial, "flash").size() == 1);
    const auto tests = attempts_of_step(line, serial, "test");
    REQUIRE(tests.size() == 2);
    CHECK(tests[0].result == ledger::AttemptResult::interrupted);
    CHECK(tests[1].result == ledger::AttemptResult::passed);
    CHECK(factory_flag(line, 0) == std::optional<std::uint64_t>(1));
}

TEST_CASE("vesperctl test: tests a flashed board on its port, records it, and exits with the failure's code",
          "[integration][station][factory][cli]") {
    // Flash only; the boards are tested by hand afterwards.
    FactoryLine line({{"bench", {}}, {"bench", {"--fault", "stuck-output=0"}}}, 2);
    REQUIRE(line.flash_station("bench").exit_code == 0);
    const std::string good = device_of(line, 0).serial, bad = device_of(line, 1).serial;

    // Found by the MAC its app reports; the profile's (built-in) plan; marked and recorded.
    const auto pass = line.ctl({"--json", "test", "--port", line.ports()[0], "--config", line.config().string()});
    INFO(pass.out << pass.err);
    REQUIRE(pass.exit_code == 0);
    const json doc = json::parse(pass.out);
    CHECK(doc.at("serial") == good);
    CHECK(doc.at("passed") == true);
    CHECK(doc.at("marked") == true);
    CHECK(doc.at("recorded") == true);
    CHECK(doc.at("status") == "tested");
    CHECK(doc.at("plan") == "built-in");
    // The boot log came with it: the reset into the app was captured.
    CHECK_THAT(doc.at("log").get<std::string>(), Catch::Contains("cpu_start"));
    std::set<std::string> names;
    for (const auto& t : doc.at("tests")) {
        names.insert(t.at("name").get<std::string>());
        CHECK(t.at("verdict") == "pass");
    }
    CHECK(names == std::set<std::string>{"boot", "info", "identity", "mac", "firmware", "outputs", "wifi_scan"});
    CHECK(device_of(line, 0).status == ledger::DeviceStatus::tested);
    CHECK(factory_flag(line, 0) == std::optional<std::uint64_t>(1));
    // The identity check compared the MQTT password's hash (the secret is in the environment).
    for (const auto& t : doc.at("tests"))
        if (t.at("name") == "identity") CHECK(t.at("measured").contains("mqtt_pass_sha256"));

    // A tested board stays quiet after boot, but answers when asked within its window: a second test
    // (here with the text output) still passes.
    const auto again = line.ctl({"test", "--port", line.ports()[0], "--config", line.config().string()});
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("TEST") && Catch::Contains("VERDICT") && Catch::Contains("PASSED"));

    // The stuck relay: the table says which output, the exit code is factory.test_failed's, the ledger
    // says failed with the test as the cause.
    const auto fail =
        line.ctl({"test", "--port", line.ports()[1], "--serial", bad, "--config", line.config().string()});
    INFO(fail.out << fail.err);
    CHECK(fail.exit_code == 7);
    CHECK_THAT(fail.out, Catch::Contains("FAILED (test:outputs)"));
    CHECK_THAT(fail.err, Catch::Contains("factory.test_failed") || Catch::Contains("test outputs"));
    const ledger::Device d = device_of(line, 1);
    CHECK(d.status == ledger::DeviceStatus::failed);
    CHECK_FALSE(factory_flag(line, 1));

    // A serial the ledger does not have: refused before the board is touched.
    const auto unknown = line.ctl({"test", "--port", line.ports()[1], "--serial", "PV-26113-BC02R-00000"});
    CHECK(unknown.exit_code == 3);
}
