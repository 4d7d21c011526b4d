#pragma once
// The test step: the board's app console (a reset into the app when the ROM loader still holds it),
// its hello, the profile's test plan (docs/factory-test.md) with the MAC, identity and firmware
// cross-checks, then `mark_tested` after a pass. Every test's result goes into the ledger with the
// attempt; a pass sets the device to tested, a failure names the failing test as the cause.
#include <memory>
#include <string>

#include "vesper/station/pipeline.hpp"
#include "vesper/station/step_registry.hpp"

namespace vesper::station {

class TestStep final : public Step {
public:
    explicit TestStep(const StepSettings& settings);
    std::string name() const override { return "test"; }
    BoardNeed needs() const override { return BoardNeed::app_console; }
    std::optional<ledger::DeviceStatus> sets_status() const override { return ledger::DeviceStatus::tested; }
    std::vector<std::string> phases() const override { return {"hello", "test"}; }
    std::string progress_unit() const override { return "tests"; }
    void run(BoardContext& board) override;
    // The expected identity needs the MQTT secret when the template derives a password from it.
    void check(const FirmwareSet& firmware, const ledger::Device& sample) const override;

private:
    std::string mqtt_secret_;
    std::string claim_secret_;
};

std::unique_ptr<Step> make_test_step(const StepSettings& settings, StepShared& shared);

} // namespace vesper::station
