#pragma once
// Factory test plans: which tests `vesperctl test` and the station's test step run on a board's app
// console, and what each answer must hold. A plan is YAML (docs/factory-test.md), a file of its own or a
// node inside a board profile of the factory config, checked whole at load: every problem is
// Error(config.invalid) "FILE:LINE: FIELD: reason", so a bad plan stops a run before any board is touched.
#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vesper/yaml/tree.hpp"

namespace vesper::factory {

// The protocol's commands a test may send (docs/factory-protocol.md). mark_tested and reboot are
// protocol commands too but not tests: the test step marks a board after every test passed.
std::span<const std::string_view> test_commands() noexcept;

// What one expected field must satisfy; every rule given must hold.
struct FieldRules {
    std::string path;               // as written: "networks.0.rssi"
    std::vector<std::string> parts; // split at the dots: an object key, or an array index when all digits
    std::optional<nlohmann::json> equals;
    std::optional<double> min;
    std::optional<double> max;
    std::optional<std::string> regex_text; // as written
    std::optional<std::regex> regex;       // ECMAScript, compiled at load
    std::optional<std::vector<nlohmann::json>> one_of;
    int line = 0;

    // The rules for reports: "min -75", "= []", "min 1, max 6", "~ /^v1\./", "one of [1, 2]".
    std::string limits() const;
};

enum class TestKind {
    command, // a protocol command whose answer's fields are checked
    line,    // a raw line sent, a line expected back (consoles that do not speak the protocol)
    check,   // a built-in cross-check against the ROM loader and the ledger
};
const char* to_string(TestKind kind) noexcept;

enum class CrossCheck {
    mac,      // info.mac is the MAC the ROM loader read (and the ledger's, when given)
    identity, // the identity answer is the ledger's identity of this board
    firmware, // hello.fw_version is the expected firmware version
};
const char* to_string(CrossCheck check) noexcept;

struct TestSpec {
    std::string name; // unique in the plan, [a-z0-9_-]{1,64}
    TestKind kind = TestKind::command;
    // command
    std::string command;
    nlohmann::json args = nlohmann::json::object();
    std::vector<FieldRules> expect; // in the order written
    // line
    std::string send; // may be empty: only wait
    std::string match_text;
    std::regex match;
    std::vector<std::string> not_matching_text;
    std::vector<std::regex> not_matching;
    // check
    CrossCheck check = CrossCheck::mac;

    std::chrono::milliseconds timeout{2000};
    int retries = 0;           // further attempts after a failed one
    bool required = true;      // the run passes only if every required test passed
    bool stop_on_fail = false; // on_fail: stop: later tests are skipped
    int line = 0;
};

struct TestPlan {
    std::string source; // the file (or "built-in") the plan came from, for messages
    std::chrono::milliseconds hello_timeout{8000};
    std::vector<TestSpec> tests;
};

inline constexpr std::chrono::milliseconds kDefaultTestTimeout{2000};
inline constexpr int kMaxTestRetries = 10;

// Reads a plan from a YAML node of a tree parsed from `file`. `field` is where the node is, for messages
// ("profiles.bc02.test"; empty for a plan file of its own, whose fields then read "tests[2].expect.x").
TestPlan parse_test_plan(const yaml::Node& node, const std::string& file, const std::string& field = "");
// Parses a plan file's text; `file` names it in messages.
TestPlan parse_test_plan_text(std::string_view text, const std::string& file);
// Error(not_found) when missing, Error(io) when unreadable, else as parse_test_plan_text.
TestPlan load_test_plan(const std::filesystem::path& file);

// The company's line (docs/factory-test.md): boot (hello), info (free heap), identity, mac, firmware,
// outputs, wifi_scan (best_rssi at least -80 dBm). mark_tested is not in it: the step sends it after
// every test passed.
TestPlan default_test_plan();

} // namespace vesper::factory
