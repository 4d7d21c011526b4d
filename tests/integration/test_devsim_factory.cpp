// Host and firmware agree, shown by round trips through devsim: a real vesper-devsim process whose
// board runs the companion firmware's factory console, its flash file written with the company's
// partition table, a synthetic app and an identity NVS image from the project's NVS generator, reset
// into the app over RFC 2217, and the host's ConsoleSession + run_test_plan with the built-in plan
// against it. A good board passes; every app fault gives the cause the host must report.
#include <catch2/catch.hpp>

#include "flash_test_support.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/text.hpp"
#include "vesper/factory/console_session.hpp"
#include "vesper/factory/test_runner.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_synth.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/nvs/template.hpp"
#include "vesper/part/partition_table.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/port/transport.hpp"

using namespace vesper;
using namespace vesper::flash_test;
using namespace vesper::factory;

namespace {

constexpr std::uint32_t kFlashSize = 0x400000;
constexpr const char* kVersion = "3.1.4";

const nvs::Fields& fields() {
    static const nvs::Fields f = {{"serial_number", "PV-26A18-BC02R-X7KQA"},
                                  {"hw_type", "BC"},
                                  {"hw_version", "2"},
                                  {"mqtt_password", "8a1f0c2e9b7d4e6f"},
                                  {"subscription_plan", "basic"},
                                  {"available_outputs", "6"},
                                  {"batch_id", "17"}};
    return f;
}

Bytes app_image() {
    esp::SynthOptions app;
    app.size = 128 * 1024;
    app.version = kVersion;
    return esp::synthesize_app_image(esp::chip_by_name("esp32"), app);
}

// A provisioned ESP32 board's flash: what `vesperctl flash` and the NVS step would have written.
Bytes provisioned_flash() {
    const fs::path src = VESPER_SOURCE_DIR;
    Bytes flash(kFlashSize, 0xFF);
    auto put = [&](std::uint32_t at, const Bytes& b) { std::copy(b.begin(), b.end(), flash.begin() + at); };
    const auto table = esp::parse_partition_csv(read_text_file(src / "configs/partitions-4mb.csv"), "partitions");
    put(0x8000, esp::encode_partition_table(table));
    put(table.find("ota_0")->offset, app_image());
    const auto nvs_template = nvs::Template::load(src / "templates/vesper-device.csv");
    put(table.find("fctry")->offset, nvs_template.render(fields(), table.find("fctry")->size, nvs::Version::v2));
    return flash;
}

CrossCheckContext context(const std::string& mac) {
    CrossCheckContext c;
    c.rom_mac = mac;
    c.ledger_mac = mac;
    c.identity.serial_number = fields().at("serial_number");
    c.identity.hw_type = fields().at("hw_type");
    c.identity.hw_version = fields().at("hw_version");
    c.identity.plan = fields().at("subscription_plan");
    c.identity.outputs = 6;
    c.identity.batch_id = 17;
    c.identity.mqtt_pass_sha256 = to_hex(sha256(as_bytes(fields().at("mqtt_password"))));
    c.firmware_version = kVersion;
    // What the host computes from the image file; the simulated board computes it from its flash.
    const Bytes app = app_image();
    c.app_sha256 = to_hex(esp::running_app_sha256(esp::parse_image(app, "app"), app));
    return c;
}

struct Run {
    TestRunResult result;
    ConsoleCounters counters;
    std::string log;
};

// Resets the board at `url` into its app (RTS pulse) and runs `plan` on its console.
Run test_board(const std::string& url, const std::string& mac, const TestPlan& plan) {
    auto port = esp::open_transport(url);
    REQUIRE(esp::hard_reset(*port));
    ConsoleSession console(*port);
    Run r;
    r.result = run_test_plan(console, plan, context(mac));
    r.counters = console.counters();
    r.log = console.log();
    return r;
}

const TestResult& test_named(const TestRunResult& r, const std::string& name) {
    for (const TestResult& t : r.tests)
        if (t.name == name) return t;
    FAIL("no test " << name);
    throw;
}

// One board on RFC 2217 with the given extra arguments.
class Bench {
public:
    explicit Bench(std::vector<std::string> extra = {}, int count = 1) {
        std::vector<std::string> args = {"--chip",   "esp32",
                                         "--listen", "rfc2217:0",
                                         "--mac",    "24:0a:c4:12:00:01",
                                         "--flash",  (dir_.path() / "flash.bin").string(),
                                         "--count",  std::to_string(count)};
        const Bytes flash = provisioned_flash();
        for (int i = 0; i < count; ++i)
            write_file_atomic(
                count == 1 ? dir_.path() / "flash.bin" : dir_.path() / ("flash-" + std::to_string(i) + ".bin"), flash);
        args.insert(args.end(), extra.begin(), extra.end());
        sim_ = std::make_unique<Devsim>(args);
    }
    std::string url(std::size_t device = 0) { return sim_->device_url(device); }
    fs::path flash_file() const { return dir_.path() / "flash.bin"; }
    Devsim& sim() { return *sim_; }

private:
    test::TempDir dir_;
    std::unique_ptr<Devsim> sim_;
};

} // namespace

TEST_CASE("devsim factory: a good board passes the built-in plan, mark_tested lands in its flash file",
          "[integration][devsim][factory]") {
    test::TempDir logs;
    const fs::path log = logs / "devsim.jsonl";
    Bench bench({"--log", log.string()});
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", default_test_plan());
    INFO(r.result.message << "\n" << r.log);
    CHECK(r.result.passed);
    CHECK(r.result.cause.empty());
    CHECK(r.result.hello.at("fw") == "vesper-factory");
    CHECK(r.result.hello.at("fw_version") == kVersion);
    CHECK(test_named(r.result, "firmware").measured.dump().find(context("").app_sha256) != std::string::npos);
    for (const TestResult& t : r.result.tests) {
        INFO(t.name << ": " << t.message);
        CHECK(t.verdict == Verdict::pass);
    }
    CHECK(r.log.find("app_init: App version:      3.1.4") != std::string::npos);
    CHECK(r.counters.bad_crc == 0);
    CHECK(r.counters.stale == 0);

    // The host marks the board; the flag is in the simulator's flash file once it stops.
    {
        auto port = esp::open_transport(bench.url());
        ConsoleSession console(*port);
        console.set_next_id(100);
        const Answer a = console.request("mark_tested", nlohmann::json::object(), 2000ms);
        CHECK(a.ok);
    }
    REQUIRE(bench.sim().stop() == 0);
    const Bytes file = read_file(bench.flash_file());
    bool flagged = false;
    for (const nvs::NvsValue& v : nvs::read_image(ByteView(file).subspan(0x9000, 0x5000)).values)
        flagged = flagged || (v.ns == "vesper_fct" && v.key == "factory_ok" && v.integer == 1);
    CHECK(flagged);

    // The command log has a line per answered request: the plan's (ids from 1) and mark_tested.
    std::vector<std::string> ops;
    for (const std::string& line : split(test::text_of(log), '\n')) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line);
        if (j.value("layer", "") != "app") continue;
        ops.push_back(j.at("op").get<std::string>() + ":" + std::to_string(j.at("id").get<int>()));
        CHECK(j.at("result") == "ok");
    }
    CHECK(ops == std::vector<std::string>{"hello:1", "info:2", "identity:3", "info:4", "outputs:5", "wifi_scan:6",
                                          "mark_tested:100"});
}

TEST_CASE("devsim factory: a stuck output fails test:outputs, only on the device it was given to",
          "[integration][devsim][factory]") {
    Bench bench({"--fault", "2:stuck-output=3"}, 2);
    const Run good = test_board(bench.url(0), "24:0a:c4:12:00:01", default_test_plan());
    INFO(good.result.message);
    CHECK(good.result.passed);
    const Run bad = test_board(bench.url(1), "24:0a:c4:12:00:02", default_test_plan());
    CHECK_FALSE(bad.result.passed);
    CHECK(bad.result.cause == "test:outputs");
    CHECK(test_named(bad.result, "outputs").verdict == Verdict::fail);
    CHECK(test_named(bad.result, "outputs").measured.dump().find("3") != std::string::npos);
    CHECK(test_named(bad.result, "wifi_scan").verdict == Verdict::pass);
}

TEST_CASE("devsim factory: a weak Wi-Fi scan fails test:wifi_scan", "[integration][devsim][factory]") {
    Bench bench({"--fault", "weak-wifi"});
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", default_test_plan());
    CHECK_FALSE(r.result.passed);
    CHECK(r.result.cause == "test:wifi_scan");
}

TEST_CASE("devsim factory: a panic in the middle of the plan is a crash", "[integration][devsim][factory]") {
    Bench bench({"--fault", "panic-at=outputs"});
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", default_test_plan());
    CHECK_FALSE(r.result.passed);
    CHECK(r.result.cause == "crash");
    CHECK(test_named(r.result, "outputs").cause == "crash");
    CHECK(test_named(r.result, "info").verdict == Verdict::pass);
    CHECK(r.result.message.find("Guru Meditation") != std::string::npos);
}

TEST_CASE("devsim factory: no console, no hello", "[integration][devsim][factory]") {
    Bench bench({"--fault", "no-hello"});
    TestPlan plan = default_test_plan();
    plan.hello_timeout = 2500ms; // the session asks for a hello after 1 s, and again
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", plan);
    CHECK_FALSE(r.result.passed);
    CHECK(r.result.cause == "no_hello");
    CHECK(r.log.find("vesper-devsim app ready") != std::string::npos);
}

TEST_CASE("devsim factory: junk and bad-CRC lines are ignored and counted", "[integration][devsim][factory]") {
    Bench bench({"--fault", "line-noise=2"});
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", default_test_plan());
    INFO(r.result.message);
    CHECK(r.result.passed);
    CHECK(r.counters.bad_crc >= 3);
    CHECK(r.counters.ignored >= r.counters.bad_crc);
    CHECK(r.counters.log_lines > 0);
}

TEST_CASE("devsim factory: a late answer is stale for the retry, which passes", "[integration][devsim][factory]") {
    Bench bench({"--fault", "late-answer=info:1500"});
    TestPlan plan = default_test_plan();
    for (TestSpec& t : plan.tests)
        if (t.name == "info") {
            t.timeout = 1000ms;
            t.retries = 1;
        }
    const Run r = test_board(bench.url(), "24:0a:c4:12:00:01", plan);
    INFO(r.result.message);
    CHECK(r.result.passed);
    CHECK(test_named(r.result, "info").attempts == 2);
    CHECK(r.counters.stale == 1);
}
