#include "vesper/station/test_step.hpp"

#include "step_clock.hpp"

#include <chrono>

#include "vesper/chip/chip.hpp"
#include "vesper/core/error.hpp"
#include "vesper/station/board_test.hpp"

namespace vesper::station {

namespace {

using detail::Clock;
using detail::since;

} // namespace

TestStep::TestStep(const StepSettings& settings)
    : mqtt_secret_(settings.mqtt_secret), claim_secret_(settings.claim_secret) {}

std::unique_ptr<Step> make_test_step(const StepSettings& settings, StepShared&) {
    return std::make_unique<TestStep>(settings);
}

void TestStep::check(const FirmwareSet& firmware, const ledger::Device& sample) const {
    (void)expected_identity(firmware, sample, mqtt_secret_, claim_secret_);
}

void TestStep::run(BoardContext& board) {
    const FirmwareSet& fw = *board.firmware;
    const TestSettings& settings = fw.profile->test;
    const factory::TestPlan& plan = *settings.plan;

    factory::CrossCheckContext context;
    context.rom_mac = esp::format_mac(board.link->info().mac);
    context.ledger_mac = board.device.mac;
    context.identity = expected_identity(fw, board.device, mqtt_secret_, claim_secret_);
    context.firmware_version = fw.firmware_version;
    context.app_sha256 = fw.app_sha256;

    board.progress("hello", 0, 0);
    auto t = Clock::now();
    factory::ConsoleSession session(board.link->console(settings.baud));

    const auto total = static_cast<std::uint64_t>(plan.tests.size());
    std::uint64_t done = 0;
    bool testing = false;
    BoardTestOptions options;
    options.mark_tested = settings.mark_tested;
    options.hooks.on_attempt = [&](const factory::TestSpec& spec, int attempt) {
        if (!testing) {
            // The first request: the hello has come.
            board.phases["hello"] = since(t);
            t = Clock::now();
            testing = true;
        }
        board.progress("test", done, total);
        board.activity(attempt > 1 ? spec.name + " (try " + std::to_string(attempt) + ")" : spec.name);
    };
    options.hooks.on_result = [&](const factory::TestResult&) { board.progress("test", ++done, total); };

    BoardTestResult result = test_board(session, plan, context, options, board.port);
    board.phases[testing ? "test" : "hello"] = since(t);
    board.tests = test_records(result.run);
    if (!result.passed) {
        board.cause = result.cause;
        fail(result.code, result.message);
    }
}

} // namespace vesper::station
