// The pipeline is step-agnostic: steps that exist only in this test, registered by name, run through
// the real runner and the real ledger on boards that exist only here (an injected Connector).
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "ledger_support.hpp"
#include "unit_support.hpp"
#include "vesper/core/error.hpp"
#include "vesper/ledger/report.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/runner.hpp"
#include "vesper/station/step_registry.hpp"

using namespace vesper;
using ledger::DeviceStatus;
using station::BoardNeed;

namespace {

// A board known by its MAC; whether its ROM loader was left, and how, is what the runner did to it.
class FakeLink final : public station::BoardLink {
public:
    explicit FakeLink(int n) {
        info_.chip = &esp::chip_info(esp::Chip::esp32c3);
        info_.mac = {0x24, 0x0a, 0xc4, 0x00, 0x00, static_cast<std::uint8_t>(n)};
    }
    const esp::DeviceInfo& info() const override { return info_; }
    bool in_loader() const override { return in_loader_; }
    esp::Loader& loader() override { fail(ErrorCode::device_failed, "fake board: no ROM loader here"); }
    void leave_loader(esp::AfterFlash) override { in_loader_ = false; }
    esp::Transport& console(std::uint32_t) override { fail(ErrorCode::device_failed, "fake board: no console"); }

private:
    esp::DeviceInfo info_;
    bool in_loader_ = true;
};

// What the test steps do, per board (by the last MAC byte): set by each test case.
struct Script {
    std::mutex mutex;
    std::set<int> check_fails; // boards whose "fake-check" fails
    std::map<std::string, int> runs;
};
Script& script() {
    static Script s;
    return s;
}

int board_of(const station::BoardContext& b) { return b.link->info().mac[5]; }

// Writes 4 "blocks", reporting each; a pass sets the device to flashed.
class FakeWrite final : public station::Step {
public:
    std::string name() const override { return "fake-write"; }
    BoardNeed needs() const override { return BoardNeed::rom_loader; }
    std::optional<DeviceStatus> sets_status() const override { return DeviceStatus::flashed; }
    std::vector<std::string> phases() const override { return {"blocks"}; }
    std::string progress_unit() const override { return "blocks"; }
    void run(station::BoardContext& b) override {
        for (std::uint64_t i = 0; i <= 4; ++i)
            b.progress("blocks", i, 4);
        b.link->leave_loader(esp::AfterFlash::hard_reset);
        b.phases["blocks"] = 0.01;
        b.firmware_version = "fake-1";
        b.firmware_sha256 = std::string(64, 'f');
        std::lock_guard lock(script().mutex);
        ++script().runs["fake-write:" + std::to_string(board_of(b))];
    }
};

// Needs the loader to be gone (it checks the board after the write step's reset); fails on the boards
// the script names; a pass sets the device to tested.
class FakeCheck final : public station::Step {
public:
    std::string name() const override { return "fake-check"; }
    BoardNeed needs() const override { return BoardNeed::app_console; }
    std::optional<DeviceStatus> sets_status() const override { return DeviceStatus::tested; }
    std::vector<std::string> phases() const override { return {"measure"}; }
    void run(station::BoardContext& b) override {
        b.progress("measure", 0, 0);
        CHECK_FALSE(b.link->in_loader()); // the runner puts the board in its app for a console step
        std::lock_guard lock(script().mutex);
        // The step before it has moved the device (a retry finds it failed by its own first try).
        if (script().runs["fake-check:" + std::to_string(board_of(b))]++ == 0)
            CHECK(b.device.status == DeviceStatus::flashed);
        if (script().check_fails.count(board_of(b)))
            fail(ErrorCode::esp_timeout, b.port + ": the fake app did not answer");
    }
};

void register_fake_steps() {
    static const bool once = [] {
        station::register_step("fake-write", [](const station::StepSettings&, station::StepShared&) {
            return std::make_unique<FakeWrite>();
        });
        station::register_step("fake-check", [](const station::StepSettings&, station::StepShared&) {
            return std::make_unique<FakeCheck>();
        });
        return true;
    }();
    (void)once;
}

struct Run {
    station::RunSummary summary;
    std::vector<station::Event> events;
};

Run run_boards(const test::TempLedger& t, std::int64_t batch, std::vector<std::string> ports, bool reflash = false) {
    station::RunOptions ro;
    ro.station = "T";
    ro.ports = std::move(ports);
    ro.batch_id = batch;
    ro.ledger_path = t.path;
    ro.actor = "tester";
    ro.retries = 0;
    ro.reflash = reflash;
    ro.connect = [](const std::string& port, const esp::ConnectOptions&) -> std::unique_ptr<station::BoardLink> {
        return std::make_unique<FakeLink>(std::stoi(port.substr(port.find_last_of('/') + 1)));
    };
    station::StepShared shared;
    const auto make = station::pipeline_maker({"fake-write", "fake-check"}, {}, shared);
    station::FirmwareSet firmware;
    Run run;
    std::atomic<bool> stop{false};
    run.summary = station::run_station(
        ro, firmware, make, [&](const station::Event& e) { run.events.push_back(e); }, stop);
    return run;
}

const station::BoardOutcome& outcome_on(const Run& run, const std::string& port) {
    for (const auto& b : run.summary.boards)
        if (b.port == port) return b;
    FAIL("no outcome for " << port);
    return run.summary.boards.front();
}

} // namespace

TEST_CASE("pipeline: test-only steps run through the real runner and ledger", "[station][pipeline]") {
    register_fake_steps();
    test::TempLedger t;
    std::int64_t batch = 0;
    {
        auto l = t.open();
        batch = l.create_batch(test::batch_spec(3)).id;
    }
    {
        std::lock_guard lock(script().mutex);
        script().check_fails = {2};
        script().runs.clear();
    }

    const Run first = run_boards(t, batch, {"fake/1", "fake/2"});
    REQUIRE(first.summary.boards.size() == 2);
    const auto& b1 = outcome_on(first, "fake/1");
    const auto& b2 = outcome_on(first, "fake/2");
    CHECK(b1.result == station::BoardResult::passed);
    CHECK(b2.result == station::BoardResult::failed);
    CHECK(b2.step == "fake-check");
    CHECK(b2.code == "esp.timeout");
    CHECK(b2.cause == "measure"); // a code with no cause of its own fails where it happened

    // Events name the step and its phases; progress counts what the step counts.
    bool saw_blocks = false, saw_measure = false;
    for (const auto& e : first.events) {
        if (e.kind == station::EventKind::progress && e.step == "fake-write") {
            CHECK(e.phase == "blocks");
            CHECK(e.unit == "blocks");
            CHECK(e.total == 4);
            saw_blocks = true;
        }
        if (e.kind == station::EventKind::phase && e.step == "fake-check" && e.phase == "measure") saw_measure = true;
        if (e.kind == station::EventKind::result && e.port == "fake/2") CHECK(e.code == "esp.timeout");
    }
    CHECK(saw_blocks);
    CHECK(saw_measure);

    {
        auto l = t.open();
        const auto d1 = l.get_device(b1.serial);
        CHECK(d1.status == DeviceStatus::tested);
        CHECK(d1.firmware_version == "fake-1");
        CHECK(d1.station == "T");
        CHECK(l.passed_steps(b1.serial) == std::set<std::string>{"fake-write", "fake-check"});
        const auto d2 = l.get_device(b2.serial);
        CHECK(d2.status == DeviceStatus::failed);
        CHECK(l.passed_steps(b2.serial) == std::set<std::string>{"fake-write"});
        const auto attempts = l.attempts_of(b2.serial);
        REQUIRE(attempts.size() == 2);
        CHECK(attempts[0].step == "fake-write");
        CHECK(attempts[0].result == ledger::AttemptResult::passed);
        CHECK(attempts[1].step == "fake-check");
        CHECK(attempts[1].result == ledger::AttemptResult::failed);
        CHECK(attempts[1].code == "esp.timeout");
        CHECK(attempts[1].cause == "measure");
    }

    // The rerun skips what each device has passed: board 1 is done, board 2 retries only its check.
    {
        std::lock_guard lock(script().mutex);
        script().check_fails.clear();
    }
    const Run second = run_boards(t, batch, {"fake/1", "fake/2"});
    CHECK(outcome_on(second, "fake/1").result == station::BoardResult::skipped);
    CHECK(outcome_on(second, "fake/2").result == station::BoardResult::passed);
    {
        std::lock_guard lock(script().mutex);
        CHECK(script().runs["fake-write:1"] == 1);
        CHECK(script().runs["fake-write:2"] == 1);
        CHECK(script().runs["fake-check:2"] == 2);
    }
    {
        auto l = t.open();
        CHECK(l.get_device(outcome_on(second, "fake/2").serial).status == DeviceStatus::tested);
        // The third device was never seen: the batch is not complete.
        CHECK_FALSE(second.summary.batch_complete);

        // The report gives each step its own figures.
        const auto report = ledger::batch_report(l, batch);
        REQUIRE(report.steps.size() == 2);
        const auto& write = report.steps[0];
        CHECK(write.step == "fake-write");
        CHECK(write.passed == 2);
        CHECK(write.failed == 0);
        CHECK(write.first_pass_yield == Approx(1.0));
        REQUIRE(write.p50_seconds);
        const auto& check = report.steps[1];
        CHECK(check.step == "fake-check");
        CHECK(check.attempts == 3);
        CHECK(check.devices == 2);
        CHECK(check.first_pass == 1);
        CHECK(check.first_pass_yield == Approx(0.5));
        CHECK(check.failures_by_cause == std::map<std::string, int>{{"measure", 1}});
    }

    // --reflash runs every step again.
    const Run third = run_boards(t, batch, {"fake/1"}, true);
    CHECK(outcome_on(third, "fake/1").result == station::BoardResult::passed);
    std::lock_guard lock(script().mutex);
    CHECK(script().runs["fake-write:1"] == 2);
    CHECK(script().runs["fake-check:1"] == 2);
}

TEST_CASE("pipeline: the config names its steps from the registry", "[station][pipeline]") {
    register_fake_steps();
    const std::string head = R"(version: 1
profiles:
  bc:
    board_type: BC
    revision: "02"
    chip: esp32c3
    partition_table: p.csv
    images:
      - {name: app, file: app.bin, partition: factory}
)";
    SECTION("default: flash") {
        const auto cfg = station::parse_config(head, "f.yaml");
        CHECK(cfg.profiles.at(0).pipeline == std::vector<std::string>{"flash"});
    }
    SECTION("in order, as registered") {
        const auto cfg = station::parse_config(head + "    pipeline: [flash, fake-check]\n", "f.yaml");
        CHECK(cfg.profiles.at(0).pipeline == std::vector<std::string>{"flash", "fake-check"});
    }
    SECTION("an unknown step names the line and the steps there are") {
        const Error e =
            test::error_from([&] { station::parse_config(head + "    pipeline: [flash, tset]\n", "f.yaml"); });
        CHECK(e.code() == ErrorCode::config_invalid);
        CHECK_THAT(e.what(), Catch::Contains("f.yaml:10") && Catch::Contains("pipeline[1]") &&
                                 Catch::Contains("no step 'tset'") && Catch::Contains("fake-check"));
    }
    SECTION("a step twice") {
        const Error e =
            test::error_from([&] { station::parse_config(head + "    pipeline: [flash, flash]\n", "f.yaml"); });
        CHECK_THAT(e.what(), Catch::Contains("already in the pipeline"));
    }
    SECTION("registering a taken name is a bug") {
        CHECK(test::error_from([] {
                  station::register_step("flash", [](const station::StepSettings&, station::StepShared&) {
                      return std::unique_ptr<station::Step>();
                  });
              }).kind() == ErrorKind::internal);
    }
}

TEST_CASE("pipeline: event JSON carries the step, its unit and the error code", "[station][pipeline]") {
    station::Event progress;
    progress.kind = station::EventKind::progress;
    progress.step = "fake-write";
    progress.phase = "blocks";
    progress.done = 2;
    progress.total = 4;
    progress.unit = "blocks";
    progress.per_s = 1.5;
    const auto p = station::to_json(progress);
    CHECK(p["step"] == "fake-write");
    CHECK(p["phase"] == "blocks");
    CHECK(p["unit"] == "blocks");
    CHECK(p["per_s"] == 1.5);
    CHECK_FALSE(p.contains("bytes_per_s"));

    progress.unit = "bytes";
    CHECK(station::to_json(progress)["bytes_per_s"] == 1.5);

    station::Event result;
    result.kind = station::EventKind::result;
    result.result = station::BoardResult::failed;
    result.phase = station::phase::done;
    result.cause = "connect";
    result.code = "esp.no_sync";
    const auto r = station::to_json(result);
    CHECK(r["step"].is_null());
    CHECK(r["cause"] == "connect");
    CHECK(r["code"] == "esp.no_sync");
}
