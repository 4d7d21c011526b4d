// Factory test plans: what a plan file says, and the exact FILE:LINE: FIELD message for each mistake.
#include <catch2/catch.hpp>

#include "vesper/core/error.hpp"
#include "vesper/factory/test_plan.hpp"
#include "vesper/yaml/tree.hpp"

using namespace vesper;
using namespace vesper::factory;
using nlohmann::json;

namespace {

std::string error_of(const std::string& text) {
    try {
        (void)parse_test_plan_text(text, "plan.yaml");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::config_invalid);
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("factory plan: every kind of test and its settings", "[factory]") {
    const TestPlan plan = parse_test_plan_text(R"(hello_timeout_ms: 5000
tests:
  - name: relays
    command: outputs
    args: {count: 6, label: "6", on: true}
    expect:
      failed: {equals: []}
      passed: {min: 1, max: 6}
      chip: {regex: "^ESP32", one_of: [ESP32, ESP32-S3]}
      version: {equals: "1.0"}
      unquoted: {equals: 1.5}
    timeout_ms: 3000
    retries: 2
    required: false
    on_fail: stop
  - name: wifi
    command: wifi_scan
    expect: {networks.0.rssi: {min: -75}}
  - name: version
    send: "version"
    match: "v[0-9]+\\.[0-9]+"
    not_matching: ["Guru Meditation", "rst:0x"]
  - name: mac
    check: mac
)",
                                               "plan.yaml");
    CHECK(plan.source == "plan.yaml");
    CHECK(plan.hello_timeout == std::chrono::milliseconds(5000));
    REQUIRE(plan.tests.size() == 4);
    const TestSpec& r = plan.tests[0];
    CHECK(r.kind == TestKind::command);
    CHECK(r.command == "outputs");
    CHECK(r.args == json{{"count", 6}, {"label", "6"}, {"on", true}});
    REQUIRE(r.expect.size() == 5);
    CHECK(r.expect[0].path == "failed");
    CHECK(r.expect[0].equals == json::array());
    CHECK(r.expect[0].limits() == "= []");
    CHECK(r.expect[1].limits() == "min 1, max 6");
    CHECK(r.expect[2].limits() == R"(~ /^ESP32/, one of ["ESP32","ESP32-S3"])");
    CHECK(r.expect[3].equals == json("1.0"));
    CHECK(r.expect[4].equals == json(1.5));
    CHECK(r.timeout == std::chrono::milliseconds(3000));
    CHECK(r.retries == 2);
    CHECK_FALSE(r.required);
    CHECK(r.stop_on_fail);
    CHECK(r.line == 3);

    const TestSpec& w = plan.tests[1];
    CHECK(w.timeout == kDefaultTestTimeout);
    CHECK(w.retries == 0);
    CHECK(w.required);
    CHECK_FALSE(w.stop_on_fail);
    CHECK(w.expect.at(0).parts == std::vector<std::string>{"networks", "0", "rssi"});

    const TestSpec& v = plan.tests[2];
    CHECK(v.kind == TestKind::line);
    CHECK(v.send == "version");
    CHECK(std::regex_search("fw v1.2", v.match));
    CHECK(v.not_matching_text == std::vector<std::string>{"Guru Meditation", "rst:0x"});

    CHECK(plan.tests[3].kind == TestKind::check);
    CHECK(plan.tests[3].check == CrossCheck::mac);
}

TEST_CASE("factory plan: mistakes named by file, line and field", "[factory]") {
    CHECK(error_of("tests:\n  - name: a\n    command: wifiscan\n") ==
          "plan.yaml:3: tests[0].command: 'wifiscan' is not a protocol command a test can send (hello, info, "
          "identity, outputs, gpio, wifi_scan); did you mean wifi_scan?");
    CHECK(error_of("tests:\n  - name: a\n    command: mark_tested\n") ==
          "plan.yaml:3: tests[0].command: 'mark_tested' is not a test: the test step sends it once every test passed");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n  - name: b\n    command: info\n  - name: c\n"
                   "    command: wifi_scan\n    expect:\n      best_rssi: {min: -40, max: -90}\n") ==
          "plan.yaml:9: tests[2].expect.best_rssi: min -40 is more than max -90: nothing passes");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    expect:\n      chip: {regex: \"ESP(32\"}\n")
              .starts_with("plan.yaml:5: tests[0].expect.chip.regex: 'ESP(32' is not a valid ECMAScript regular "
                           "expression ("));
    CHECK(error_of("tests:\n  - name: a\n    command: info\n  - name: a\n    command: hello\n") ==
          "plan.yaml:4: tests[1].name: 'a' is already the name of tests[0] (line 2)");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    retry: 1\n") ==
          "plan.yaml:4: tests[0].retry: unknown key (expected one of: name, command, args, expect, send, match, "
          "not_matching, check, timeout_ms, retries, required, on_fail)");
    CHECK(error_of("tests:\n  - command: info\n") == "plan.yaml:2: tests[0]: has no name");
    CHECK(error_of("tests:\n  - name: Bad Name\n    command: info\n") ==
          "plan.yaml:2: tests[0].name: 'Bad Name' is not a test name: 1 to 64 of a-z, 0-9, '_' and '-'");
    CHECK(error_of("tests:\n  - name: a\n    send: hi\n") ==
          "plan.yaml:2: tests[0]: send: needs match: (the line to wait for)");
    CHECK(error_of("tests:\n  - name: a\n") ==
          "plan.yaml:2: tests[0]: says nothing to do: give command:, send: and match:, or check:");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    check: mac\n") ==
          "plan.yaml:2: tests[0]: give only one of command:, match: and check:");
    CHECK(error_of("tests:\n  - name: a\n    check: mac\n    expect: {x: {min: 1}}\n") ==
          "plan.yaml:4: tests[0].expect: belongs to a command: test, not a check: test");
    CHECK(error_of("tests:\n  - name: a\n    check: serial\n") ==
          "plan.yaml:3: tests[0].check: 'serial': expected one of: mac, identity, firmware");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    expect:\n      heap: {above: 1}\n") ==
          "plan.yaml:5: tests[0].expect.heap.above: unknown rule (expected one of: equals, min, max, regex, one_of)");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    expect:\n      heap: {}\n") ==
          "plan.yaml:5: tests[0].expect.heap: no rule: give equals, min, max, regex or one_of");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    expect:\n      heap: {min: lots}\n") ==
          "plan.yaml:5: tests[0].expect.heap.min: 'lots' is not a number");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    expect:\n      nets..0: {min: 1}\n") ==
          "plan.yaml:5: tests[0].expect.nets..0: not a field path: names and array indices joined by dots "
          "(networks.0.rssi)");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    timeout_ms: 0\n") ==
          "plan.yaml:4: tests[0].timeout_ms: 0 is out of range (1..600000)");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n    on_fail: halt\n") ==
          "plan.yaml:4: tests[0].on_fail: 'halt': expected one of: stop, continue");
    CHECK(error_of("tests:\n  - name: a\n    command: outputs\n    args: [1]\n") ==
          "plan.yaml:4: tests[0].args: expected a mapping (the command's JSON object)");
    CHECK(error_of("tests:\n  - name: a\n    command: gpio\n    args: {pad: \"" + std::string(300, 'x') + "\"}\n")
              .starts_with("plan.yaml:4: tests[0].args: factory command gpio: the request is "));
    CHECK(error_of("tests:\n  - name: a\n    send: x\n    match: y\n    not_matching: [\"(\"]\n")
              .starts_with("plan.yaml:5: tests[0].not_matching[0]: '(' is not a valid ECMAScript"));
    CHECK(error_of("tests: []\n") == "plan.yaml:1: tests: the list is empty");
    CHECK(error_of("hello_timeout_ms: 100\n") == "plan.yaml:1: has no tests: (the list of tests to run)");
    CHECK(error_of("") == "plan.yaml:1: the test plan is empty");
    CHECK(error_of("tests:\n  - name: a\n    command: info\n  stray: 1\n").starts_with("plan.yaml:"));
}

TEST_CASE("factory plan: a plan inside another YAML document names its place", "[factory]") {
    const yaml::Node root = yaml::parse("profiles:\n  bc02:\n    test:\n      tests:\n        - name: x\n"
                                        "          command: nope\n",
                                        "factory.yaml");
    const yaml::Node& test = root.entries.at(0).value.entries.at(0).value.entries.at(0).value;
    try {
        (void)parse_test_plan(test, "factory.yaml", "profiles.bc02.test");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "factory.yaml:6: profiles.bc02.test.tests[0].command: 'nope' is not a protocol "
                                       "command a test can send (hello, info, identity, outputs, gpio, wifi_scan)");
    }
}

TEST_CASE("factory plan: the built-in plan is the company's line", "[factory]") {
    const TestPlan plan = default_test_plan();
    CHECK(plan.source == "built-in");
    std::vector<std::string> names;
    for (const auto& t : plan.tests)
        names.push_back(t.name);
    CHECK(names == std::vector<std::string>{"boot", "info", "identity", "mac", "firmware", "outputs", "wifi_scan"});
    CHECK(plan.tests[0].command == "hello");
    CHECK(plan.tests[2].check == CrossCheck::identity);
    CHECK(plan.tests[6].expect.at(0).path == "best_rssi");
    CHECK(plan.tests[6].expect.at(0).min == -80);
    for (const auto& t : plan.tests)
        CHECK(t.command != "mark_tested");
}

TEST_CASE("factory plan: load_test_plan reads a file", "[factory]") {
    CHECK_THROWS_AS(load_test_plan("/nonexistent/plan.yaml"), Error);
}
