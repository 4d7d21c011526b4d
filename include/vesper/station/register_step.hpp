#pragma once
// The register step (docs/registration.md): the last step of a pipeline. It queues the board's backend
// record in the ledger's outbox, in the transaction that records its attempt, and returns at once: the
// line never waits for the backend, nor stops because of it. A drainer (backend/drainer.hpp: the one a
// station run starts, or `vesperctl register`) sends the record; the device becomes `registered` when the
// backend confirms it. Only a tested device is registered, so the pipeline must test before it.
#include <memory>
#include <string>

#include "vesper/station/pipeline.hpp"
#include "vesper/station/step_registry.hpp"

namespace vesper::station {

class RegisterStep final : public Step {
public:
    std::string name() const override { return "register"; }
    BoardNeed needs() const override { return BoardNeed::none; }
    std::optional<ledger::DeviceStatus> sets_status() const override { return std::nullopt; }
    std::vector<std::string> phases() const override { return {"queue"}; }
    // Error(config.invalid) at the profile's pipeline: unless a test step comes before register.
    void check(const FirmwareSet& firmware, const ledger::Device& sample) const override;
    // Error(station.not_tested) for a device that is not tested (its record would not register it).
    void run(BoardContext& board) override;
};

std::unique_ptr<Step> make_register_step(const StepSettings& settings, StepShared& shared);

} // namespace vesper::station
