// The factory test runner: verdicts for every rule and cross-check, retries, stop and continue,
// optional tests, crashes and a missing hello, against a scripted board on a loopback socket.
#include <catch2/catch.hpp>

#include <map>

#include "factory_fake_board.hpp"
#include "vesper/core/error.hpp"
#include "vesper/factory/test_runner.hpp"

using namespace vesper;
using namespace vesper::factory;
using namespace vesper_test;
using nlohmann::json;

namespace {

const char* const kMac = "24:6f:28:aa:bb:cc";
const char* const kHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// What a good board answers.
std::map<std::string, json> good_answers() {
    return {
        {"hello", hello_body("1.0.0")},
        {"info", {{"chip", "ESP32"}, {"mac", kMac}, {"free_heap", 180000}, {"fw_version", "1.0.0"}}},
        {"identity",
         {{"serial_number", "PV-26A01-BC02R-ABCDE"},
          {"hw_type", "BC"},
          {"hw_version", "02"},
          {"plan", "basic"},
          {"outputs", 6},
          {"batch_id", 7},
          {"mqtt_pass_sha256", kHash}}},
        {"outputs", {{"count", 6}, {"passed", 6}, {"failed", json::array()}}},
        {"wifi_scan", {{"count", 2}, {"best_rssi", -52}, {"networks", {{{"ssid", "lab"}, {"rssi", -52}}}}}},
    };
}

CrossCheckContext good_context() {
    CrossCheckContext c;
    c.rom_mac = "24-6F-28-AA-BB-CC";
    c.ledger_mac = kMac;
    c.identity = {"PV-26A01-BC02R-ABCDE", "BC", "02", "basic", 6, 7, kHash};
    c.firmware_version = "1.0.0";
    return c;
}

// A board that says hello and answers from `answers`; `hook` may replace an answer (return true when it
// sent something itself). Commands it does not know get err unknown_command.
using Hook = std::function<bool(FakeBoard&, const BoardRequest&, int nth_of_command)>;

FakeBoard::Script firmware(std::map<std::string, json> answers, Hook hook = {}) {
    return [answers = std::move(answers), hook = std::move(hook)](FakeBoard& b) {
        b.send("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n");
        b.send_line(0, "hello", answers.at("hello"));
        std::map<std::string, int> seen;
        b.serve_requests(
            [&](FakeBoard& fb, const BoardRequest& r) {
                const int nth = ++seen[r.command];
                if (hook && hook(fb, r, nth)) return;
                auto it = answers.find(r.command);
                if (it == answers.end())
                    fb.send_line(r.id, "err", {{"code", "unknown_command"}, {"message", r.command}});
                else
                    fb.send_line(r.id, "ok", it->second);
            },
            1500ms);
    };
}

TestRunResult run(const std::string& plan_yaml, FakeBoard::Script script,
                  const CrossCheckContext& ctx = good_context()) {
    FakeBoard board(std::move(script));
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    const TestPlan plan = plan_yaml.empty() ? default_test_plan() : parse_test_plan_text(plan_yaml, "plan.yaml");
    return run_test_plan(console, plan, ctx);
}

const TestResult& result(const TestRunResult& r, const std::string& name) {
    for (const auto& t : r.tests)
        if (t.name == name) return t;
    FAIL("no result for " << name);
    return r.tests.front();
}

} // namespace

TEST_CASE("factory runner: a good board passes the built-in plan", "[factory]") {
    std::vector<std::string> seen;
    FakeBoard board(firmware(good_answers()));
    auto port = esp::open_transport(board.url());
    ConsoleSession console(*port);
    TestRunHooks hooks;
    hooks.on_result = [&](const TestResult& t) { seen.push_back(t.name + ":" + to_string(t.verdict)); };
    const TestRunResult r = run_test_plan(console, default_test_plan(), good_context(), hooks);
    for (const auto& t : r.tests)
        INFO(t.name << ": " << to_string(t.verdict) << " " << t.message);
    CHECK(r.passed);
    CHECK(r.cause.empty());
    CHECK(r.hello.at("fw_version") == "1.0.0");
    CHECK(seen == std::vector<std::string>{"boot:pass", "info:pass", "identity:pass", "mac:pass", "firmware:pass",
                                           "outputs:pass", "wifi_scan:pass"});
    const TestResult& wifi = result(r, "wifi_scan");
    CHECK(wifi.command == "wifi_scan");
    CHECK(wifi.measured == json{{"best_rssi", -52}});
    CHECK(wifi.limits == "best_rssi min -80");
    CHECK(wifi.attempts == 1);
    CHECK(result(r, "outputs").limits == "failed = []");
    CHECK(result(r, "mac").command == "check: mac");
    CHECK(result(r, "mac").limits == "= 24:6f:28:aa:bb:cc (ROM loader), = 24:6f:28:aa:bb:cc (ledger)");
    CHECK(result(r, "firmware").measured == json{{"fw_version", "1.0.0"}});
}

TEST_CASE("factory runner: each rule fails when its value is out of bounds", "[factory]") {
    const std::string plan = R"(tests:
  - name: eq
    command: outputs
    expect: {failed: {equals: []}}
  - name: lo
    command: info
    expect: {free_heap: {min: 200000}}
  - name: hi
    command: wifi_scan
    expect: {best_rssi: {max: -60}}
  - name: re
    command: info
    expect: {chip: {regex: "^ESP32-S3$"}}
  - name: one
    command: info
    expect: {chip: {one_of: [ESP32-C3, ESP32-S3]}}
  - name: missing
    command: wifi_scan
    expect: {networks.3.rssi: {min: -90}}
  - name: typed
    command: info
    expect: {chip: {min: 1}}
  - name: deep
    command: wifi_scan
    expect: {networks.0.ssid: {equals: lab}, networks.0.rssi: {min: -60}}
)";
    auto answers = good_answers();
    answers["outputs"] = {{"count", 6}, {"passed", 5}, {"failed", {3}}};
    const TestRunResult r = run(plan, firmware(answers));
    CHECK_FALSE(r.passed);
    CHECK(r.cause == "test:eq");
    CHECK(r.message == "eq: failed: is '[3]', expected = '[]'");
    CHECK(result(r, "eq").verdict == Verdict::fail);
    CHECK(result(r, "eq").measured == json{{"failed", {3}}});
    CHECK(result(r, "lo").message == "free_heap: 180000 is below min 200000");
    CHECK(result(r, "hi").message == "best_rssi: -52 is above max -60");
    CHECK(result(r, "re").message == "chip: '\"ESP32\"' does not match /^ESP32-S3$/");
    CHECK(result(r, "one").message == "chip: '\"ESP32\"' is not one of [\"ESP32-C3\",\"ESP32-S3\"]");
    CHECK(result(r, "missing").message == "networks.3.rssi: missing from the answer");
    CHECK(result(r, "missing").measured == json{{"networks.3.rssi", nullptr}});
    CHECK(result(r, "typed").message == "chip: is '\"ESP32\"', not a number");
    CHECK(result(r, "deep").verdict == Verdict::pass);
    CHECK(result(r, "deep").limits == "networks.0.ssid = \"lab\"; networks.0.rssi min -60");
    for (const auto& t : r.tests) {
        CHECK(t.verdict == (t.name == "deep" ? Verdict::pass : Verdict::fail));
        CHECK(t.cause == (t.name == "deep" ? "" : "test:" + t.name));
    }
}

TEST_CASE("factory runner: check_field and find_field by themselves", "[factory]") {
    FieldRules f;
    f.min = 1;
    f.max = 6;
    const json v = 6.0;
    CHECK(check_field(f, &v).empty());
    const json n = nullptr;
    CHECK(check_field(f, &n) == "is 'null', not a number");
    CHECK(check_field(f, nullptr) == "missing from the answer");
    FieldRules e;
    e.equals = json(6);
    CHECK(check_field(e, &v).empty()); // 6 and 6.0 are the same number
    const json doc = {{"a", {{{"b", 1}}, {{"b", 2}}}}};
    CHECK(*find_field(doc, {"a", "1", "b"}) == 2);
    CHECK(find_field(doc, {"a", "2", "b"}) == nullptr);
    CHECK(find_field(doc, {"a", "x"}) == nullptr);
    CHECK(normalize_mac("24-6F-28-AA-BB-CC") == "24:6f:28:aa:bb:cc");
    CHECK(normalize_mac("246f28aabbcc") == "24:6f:28:aa:bb:cc");
    CHECK(normalize_mac("24:6f:28:aa:bb").empty());
}

TEST_CASE("factory runner: cross-checks against the ROM loader and the ledger", "[factory]") {
    SECTION("another board's identity fails naming the field") {
        auto answers = good_answers();
        answers["identity"]["serial_number"] = "PV-26A01-BC02R-ZZZZZ";
        answers["identity"]["outputs"] = nullptr;
        const TestRunResult r = run("", firmware(answers));
        CHECK_FALSE(r.passed);
        CHECK(r.cause == "identity_mismatch");
        const TestResult& t = result(r, "identity");
        CHECK(t.verdict == Verdict::fail);
        CHECK(t.cause == "identity_mismatch");
        CHECK(t.message ==
              "serial_number: the board has '\"PV-26A01-BC02R-ZZZZZ\"', the ledger '\"PV-26A01-BC02R-ABCDE\"'; "
              "outputs: the board has none (unreadable), the ledger '6'");
        CHECK(t.measured.at("serial_number") == "PV-26A01-BC02R-ZZZZZ");
    }
    SECTION("the MQTT password's hash, only when it is known") {
        auto answers = good_answers();
        answers["identity"]["mqtt_pass_sha256"] = std::string(64, '0');
        CHECK(result(run("", firmware(answers)), "identity").message ==
              "mqtt_pass_sha256: the board's MQTT password is not the one derived for this serial");
        CrossCheckContext unknown = good_context();
        unknown.identity.mqtt_pass_sha256.clear();
        CHECK(result(run("", firmware(answers), unknown), "identity").verdict == Verdict::pass);
        CrossCheckContext upper = good_context();
        for (auto& c : upper.identity.mqtt_pass_sha256)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        CHECK(result(run("", firmware(good_answers()), upper), "identity").verdict == Verdict::pass);
    }
    SECTION("a MAC that is not the one the ROM loader read") {
        CrossCheckContext ctx = good_context();
        ctx.rom_mac = "24:6f:28:00:00:01";
        ctx.ledger_mac.clear();
        const TestRunResult r = run("", firmware(good_answers()), ctx);
        const TestResult& t = result(r, "mac");
        CHECK(t.verdict == Verdict::fail);
        CHECK(t.cause == "identity_mismatch");
        CHECK(t.message == "the app reports MAC '\"24:6f:28:aa:bb:cc\"', the ROM loader read 24:6f:28:00:00:01");
        CHECK(r.cause == "identity_mismatch");
    }
    SECTION("another firmware version") {
        CrossCheckContext ctx = good_context();
        ctx.firmware_version = "1.1.0";
        const TestRunResult r = run("", firmware(good_answers()), ctx);
        CHECK(result(r, "firmware").verdict == Verdict::fail);
        CHECK(result(r, "firmware").message == "the board runs firmware '\"1.0.0\"', expected 1.1.0");
        CHECK(r.cause == "test:firmware");
    }
    SECTION("another app image: the hello's app_sha256 is not the profile's image digest") {
        CrossCheckContext ctx = good_context();
        ctx.app_sha256 = std::string(64, 'A'); // the fake board says 64 'a': case does not matter
        const TestRunResult same = run("", firmware(good_answers()), ctx);
        CHECK(result(same, "firmware").verdict == Verdict::pass);
        CHECK(result(same, "firmware").measured == json{{"fw_version", "1.0.0"}, {"app_sha256", std::string(64, 'a')}});
        ctx.app_sha256 = std::string(64, 'b');
        const TestRunResult r = run("", firmware(good_answers()), ctx);
        CHECK(result(r, "firmware").verdict == Verdict::fail);
        CHECK(result(r, "firmware").message ==
              "the board's app SHA-256 aaaaaaaaaaaa… is not the profile's app image's bbbbbbbbbbbb…");
        CHECK(r.cause == "test:firmware");
    }
    SECTION("nothing known to compare: skipped, and the run still passes") {
        const TestRunResult r = run("", firmware(good_answers()), CrossCheckContext{});
        CHECK(result(r, "mac").verdict == Verdict::skip);
        CHECK(result(r, "identity").verdict == Verdict::skip);
        CHECK(result(r, "firmware").verdict == Verdict::skip);
        CHECK(result(r, "firmware").message == "no expected firmware version or app SHA-256 given");
        CHECK(r.passed);
    }
}

TEST_CASE("factory runner: retries send again under a new id", "[factory]") {
    std::vector<std::uint32_t> ids;
    auto hook = [&ids](FakeBoard& b, const BoardRequest& r, int nth) {
        if (r.command != "wifi_scan") return false;
        ids.push_back(r.id);
        if (nth == 1) return true; // no answer: a timeout
        b.send_line(r.id, "ok", {{"best_rssi", nth == 2 ? -90 : -60}});
        return true;
    };
    const TestRunResult r = run(R"(tests:
  - name: wifi
    command: wifi_scan
    timeout_ms: 200
    retries: 2
    expect: {best_rssi: {min: -75}}
)",
                                firmware(good_answers(), hook));
    const TestResult& t = result(r, "wifi");
    CHECK(t.verdict == Verdict::pass);
    CHECK(t.attempts == 3);
    CHECK(r.passed);
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] != ids[1]);
    CHECK(ids[1] != ids[2]);
    CHECK(t.duration >= std::chrono::milliseconds(200));
}

TEST_CASE("factory runner: on_fail stop, continue, and optional tests", "[factory]") {
    auto answers = good_answers();
    answers["outputs"]["failed"] = {2};
    const std::string tests = R"(
  - name: relays
    command: outputs
    expect: {failed: {equals: []}}
    required: REQUIRED
    on_fail: ONFAIL
  - name: heap
    command: info
    expect: {free_heap: {min: 1}}
)";
    auto plan = [&](const std::string& required, const std::string& on_fail) {
        std::string t = "tests:" + tests;
        t.replace(t.find("REQUIRED"), 8, required);
        t.replace(t.find("ONFAIL"), 6, on_fail);
        return t;
    };
    SECTION("stop skips the rest") {
        const TestRunResult r = run(plan("true", "stop"), firmware(answers));
        CHECK(result(r, "relays").verdict == Verdict::fail);
        CHECK(result(r, "heap").verdict == Verdict::skip);
        CHECK(result(r, "heap").attempts == 0);
        CHECK(result(r, "heap").message == "not run: the run stopped at relays");
        CHECK(r.cause == "test:relays");
        CHECK_FALSE(r.passed);
    }
    SECTION("continue runs the rest") {
        const TestRunResult r = run(plan("true", "continue"), firmware(answers));
        CHECK(result(r, "heap").verdict == Verdict::pass);
        CHECK_FALSE(r.passed);
        CHECK(r.cause == "test:relays");
    }
    SECTION("an optional test's failure does not fail the run") {
        const TestRunResult r = run(plan("false", "continue"), firmware(answers));
        CHECK(result(r, "relays").verdict == Verdict::fail);
        CHECK_FALSE(result(r, "relays").required);
        CHECK(result(r, "heap").verdict == Verdict::pass);
        CHECK(r.passed);
        CHECK(r.cause.empty());
    }
    SECTION("but an optional test that stops the run does") {
        const TestRunResult r = run(plan("false", "stop"), firmware(answers));
        CHECK_FALSE(r.passed);
        CHECK(r.cause == "test:relays");
    }
}

TEST_CASE("factory runner: err answers, line tests, a crash and no hello", "[factory]") {
    SECTION("an err answer is an error, not a fail") {
        const TestRunResult r = run("tests:\n  - name: pins\n    command: gpio\n", firmware(good_answers()));
        CHECK(result(r, "pins").verdict == Verdict::error);
        CHECK(result(r, "pins").message == "the board answered err: unknown_command: gpio");
        CHECK(r.cause == "test:pins");
    }
    SECTION("line tests") {
        auto hook = [](FakeBoard& b, const BoardRequest& r, int) {
            if (r.raw == "version") b.send("fw v1.0.0\r\n");
            if (r.raw == "selftest") b.send("selftest: Guru Meditation Error: fake\r\n");
            return r.raw == "version" || r.raw == "selftest" || r.raw == "quiet";
        };
        const TestRunResult r = run(R"(tests:
  - name: version
    send: version
    match: "v[0-9]+\\.[0-9]+"
  - name: quiet
    send: quiet
    match: "anything"
    timeout_ms: 150
  - name: selftest
    send: "selftest"
    match: "ok"
    not_matching: ["Guru Meditation"]
)",
                                    firmware(good_answers(), hook));
        CHECK(result(r, "version").verdict == Verdict::pass);
        CHECK(result(r, "version").measured == "fw v1.0.0");
        CHECK(result(r, "version").command == "send: version");
        CHECK(result(r, "quiet").verdict == Verdict::fail);
        CHECK(result(r, "quiet").message == "no line matched /anything/ within 150 ms");
        // The panic line is a crash before it is a not_matching line.
        CHECK(result(r, "selftest").verdict == Verdict::fail);
        CHECK(result(r, "selftest").cause == "crash");
    }
    SECTION("a crash fails its test and stops the run") {
        auto hook = [](FakeBoard& b, const BoardRequest& r, int) {
            if (r.command != "outputs") return false;
            b.send("Guru Meditation Error: Core  0 panic'ed (StoreProhibited). Exception was unhandled.\r\n");
            return true;
        };
        const TestRunResult r = run("", firmware(good_answers(), hook));
        const TestResult& t = result(r, "outputs");
        CHECK(t.verdict == Verdict::fail);
        CHECK(t.cause == "crash");
        CHECK(t.message.find("Guru Meditation Error: Core  0 panic'ed") != std::string::npos);
        CHECK(result(r, "wifi_scan").verdict == Verdict::skip);
        CHECK(result(r, "info").verdict == Verdict::pass);
        CHECK(r.cause == "crash");
        CHECK_FALSE(r.passed);
    }
    SECTION("no hello: every test skipped") {
        const TestRunResult r = run("hello_timeout_ms: 300\ntests:\n  - name: heap\n    command: info\n",
                                    [](FakeBoard& b) { b.send("I (1) app: no factory firmware here\r\n"); });
        CHECK(r.cause == "no_hello");
        CHECK_FALSE(r.passed);
        CHECK(r.hello.is_null());
        CHECK(r.message.find("no hello from the board within 300 ms") != std::string::npos);
        CHECK(result(r, "heap").verdict == Verdict::skip);
        CHECK(result(r, "heap").message == "not run: the run stopped at the hello");
    }
}
