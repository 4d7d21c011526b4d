#pragma once
// Runs a factory test plan over a board's console session and judges every test: the answers' fields
// against the plan's rules, and the built-in cross-checks against what the ROM loader read and what the
// ledger holds for the board. Nothing here writes to the board beyond the plan's requests (mark_tested
// is the test step's, after a pass) and nothing is thrown for a failing board: the result says what
// failed and why.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vesper/factory/console_session.hpp"
#include "vesper/factory/test_plan.hpp"

namespace vesper::factory {

// The ledger's identity of the board, as its NVS was written (templates/vesper-device.csv).
struct ExpectedIdentity {
    std::string serial_number;
    std::string hw_type;
    std::string hw_version;
    std::string plan;
    std::optional<std::int64_t> outputs;
    std::optional<std::int64_t> batch_id;
    std::string mqtt_pass_sha256; // hex SHA-256 of the MQTT password; empty when not known (not compared)
};

// What the cross-checks compare the board's answers with. An empty value is not compared.
struct CrossCheckContext {
    std::string rom_mac;    // the MAC the ROM loader read from eFuse ("aa:bb:cc:dd:ee:ff"; '-' and case are fine)
    std::string ledger_mac; // the MAC the ledger bound to this serial
    ExpectedIdentity identity;
    std::string firmware_version; // the fw_version the board should run
    std::string app_sha256;       // the app_sha256 its hello should report (hex; the image's digest)
};

enum class Verdict {
    pass,
    fail,  // the board answered and the answer broke a rule, or it crashed
    skip,  // not run: the run stopped before it, or nothing to compare (the message says which)
    error, // no usable answer: a timeout, an `err` answer, the port failing
};
const char* to_string(Verdict verdict) noexcept;

struct TestResult {
    std::string name;
    std::string command;     // the command sent, "send: TEXT" for a line test, "check: mac" for a cross-check
    nlohmann::json measured; // the checked fields' values ({"best_rssi": -61}); the matched line; the compared values
    std::string limits;      // "best_rssi min -75; failed = []", "/v[0-9]+/", "= aa:bb:cc:dd:ee:ff"
    Verdict verdict = Verdict::skip;
    bool required = true;
    int attempts = 0;                      // requests made (1 + retries used); 0 when skipped
    std::chrono::microseconds duration{0}; // to the microsecond: the host overhead per test is about 1 ms
    std::string message;                   // why it failed, errored or was skipped; empty on a pass
    std::string cause;                     // on fail/error: crash, identity_mismatch or test:<name>
};

struct TestRunResult {
    bool passed = false; // every required test passed (a skip with nothing to compare counts as passed)
    std::string cause; // the first failure's cause: no_hello, crash, identity_mismatch or test:<name>; empty on a pass
    std::string message;                   // the first failure's message
    nlohmann::json hello;                  // the board's hello object (null when none came)
    std::vector<TestResult> tests;         // every test of the plan, in its order
    std::chrono::microseconds duration{0}; // to the microsecond: the host overhead per test is about 1 ms
};

struct TestRunHooks {
    // Called before each attempt (1-based) of a test, and with each test's final result.
    std::function<void(const TestSpec&, int attempt)> on_attempt;
    std::function<void(const TestResult&)> on_result;
};

// Waits for the hello (plan.hello_timeout), then runs the tests in order. A missing hello fails the run
// with cause no_hello and skips every test; a crash fails the test it happened in with cause crash
// and skips the rest. Retries send the request again under a new id. Only a bug throws.
TestRunResult run_test_plan(ConsoleSession& console, const TestPlan& plan, const CrossCheckContext& context,
                            const TestRunHooks& hooks = {});

// The value at a dotted path of a JSON document ("networks.0.rssi"), or nullptr when there is none.
const nlohmann::json* find_field(const nlohmann::json& doc, const std::vector<std::string>& parts);

// Why `value` breaks `rules` ("-81 is below min -80"), or empty when it satisfies them; a missing field
// (nullptr) breaks every rule.
std::string check_field(const FieldRules& rules, const nlohmann::json* value);

// "AA-BB-CC-DD-EE-FF" -> "aa:bb:cc:dd:ee:ff"; empty when it is not 6 hex bytes.
std::string normalize_mac(std::string_view mac);

} // namespace vesper::factory
