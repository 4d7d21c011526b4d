#include "vesper/station/register_step.hpp"

#include "step_clock.hpp"

#include <algorithm>

#include "vesper/core/error.hpp"
#include "vesper/station/config.hpp"

namespace vesper::station {

std::unique_ptr<Step> make_register_step(const StepSettings& settings, StepShared& shared) {
    (void)settings;
    (void)shared;
    return std::make_unique<RegisterStep>();
}

void RegisterStep::check(const FirmwareSet& firmware, const ledger::Device& sample) const {
    (void)sample;
    // The backend registers a device whose record says tested; a pipeline without a test before register
    // would queue records that never register anything.
    const BoardProfile& profile = *firmware.profile;
    const auto& steps = profile.pipeline;
    const auto reg = std::find(steps.begin(), steps.end(), "register");
    if (std::find(steps.begin(), reg, "test") == reg)
        fail(ErrorCode::config_invalid, firmware.config_file.string() + ":" + std::to_string(profile.pipeline_line) +
                                            ": profiles." + profile.name +
                                            ".pipeline: register needs a test step before it (only a tested "
                                            "device is registered)");
}

void RegisterStep::run(BoardContext& board) {
    board.progress("queue", 0, 0);
    const auto t = detail::Clock::now();
    if (board.device.status != ledger::DeviceStatus::tested)
        fail(ErrorCode::ledger_status, "device " + board.device.serial + " is " +
                                           ledger::to_string(board.device.status) +
                                           ", not tested: only a tested device is registered");
    // The record goes in the outbox with this attempt (ledger::AttemptOutcome::queue_record); a drainer
    // sends it. Nothing here waits for the backend.
    board.queue_record = true;
    board.phases["queue"] = detail::since(t);
}

} // namespace vesper::station
