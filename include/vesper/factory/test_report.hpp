#pragma once
// A factory test run as people and programs read it: a table (test, value, limits, verdict, ms) with the
// reason under each test that did not pass, and the JSON document of `vesperctl test --json`.
#include <ostream>

#include <nlohmann/json.hpp>

#include "vesper/factory/console_session.hpp"
#include "vesper/factory/test_runner.hpp"

namespace vesper::factory {

// One test as JSON: name, command, measured, limits, verdict, required, attempts, ms, message, cause.
nlohmann::json test_result_json(const TestResult& test);
// The run: passed, cause, message, hello, tests, ms.
nlohmann::json test_run_json(const TestRunResult& run);
// What the console saw besides the answers: lines, log lines, ignored (bad CRC, malformed, too long),
// stale answers, requests.
nlohmann::json console_counters_json(const ConsoleCounters& counters);

// The table, then "  why: ..." under each test that failed, errored or was skipped for a reason.
void write_test_table(std::ostream& out, const TestRunResult& run);

} // namespace vesper::factory
