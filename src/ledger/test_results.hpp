#pragma once
// Factory test results (schema 5): checking and writing a test step's tests with its attempt, for
// attempts.cpp. The caller holds the transaction.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger::detail {

// Error(input) naming `what`, the test's position and name for the first test the ledger would not
// keep: an empty name, a verdict not pass/fail/skip/error, measured that is not JSON text, negative or
// non-finite tries or seconds; or, for a passed outcome, a required test that failed or errored.
void validate_tests(const std::string& what, const AttemptOutcome& outcome);

// Inserts the tests of attempt `attempt_id` of `serial`, position = index in `tests`.
void write_tests(sqlite3* db, std::int64_t attempt_id, const std::string& serial, const std::vector<TestRecord>& tests);

} // namespace vesper::ledger::detail
