#pragma once
// A factory test of one board, as the station's `test` step and `vesperctl test` both run it: what the
// board is expected to be (its identity as its NVS image holds it, its MAC, its firmware), the plan run
// over its app console, `mark_tested` after a pass, and the results as the ledger keeps them.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vesper/core/error_codes.hpp"
#include "vesper/factory/console_session.hpp"
#include "vesper/factory/test_runner.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/firmware.hpp"

namespace vesper::station {

// The identity the board should report: the profile's NVS template rendered for `device` (with the
// MQTT password when the template derives one: only its SHA-256 is kept) and read back from the image
// bytes, namespace "vesper". So the check compares what the firmware read with the very bytes
// vesperctl writes. Without an NVS template, the ledger's fields under the template's usual keys.
// Error(secret.missing) when the template needs the master secret and `mqtt_secret` is empty.
factory::ExpectedIdentity expected_identity(const FirmwareSet& firmware, const ledger::Device& device,
                                            const std::string& mqtt_secret, const std::string& claim_secret = {});
// The ledger's fields under templates/vesper-device.csv's keys (no MQTT password): for a board tested
// without its profile.
factory::ExpectedIdentity ledger_identity(const ledger::Device& device);

// How a board test ended, for the step's ledger attempt and the command's exit.
struct BoardTestResult {
    factory::TestRunResult run;
    bool marked = false; // mark_tested was answered
    bool passed = false; // every required test passed, and the board was marked when asked
    std::string cause;   // no_hello, crash, identity_mismatch, test:<name>, mark_tested; empty on a pass
    ErrorCode code = ErrorCode::factory_test_failed; // for a failure
    std::string message;                             // one line naming the port, the test and why
};

struct BoardTestOptions {
    bool mark_tested = true;
    std::chrono::milliseconds mark_timeout{5000};
    factory::TestRunHooks hooks;
};

// Runs `plan` over `session` and, after a pass, marks the board tested. Never throws for a failing
// board (only for a bug): the result says what failed. `port` names the board in the message.
BoardTestResult test_board(factory::ConsoleSession& session, const factory::TestPlan& plan,
                           const factory::CrossCheckContext& context, const BoardTestOptions& options,
                           const std::string& port);

// The results as the ledger keeps them, in the plan's order.
std::vector<ledger::TestRecord> test_records(const factory::TestRunResult& run);

} // namespace vesper::station
