#pragma once
// The label step (docs/labels.md): the board's label from its profile's `label:` layout, rendered,
// verified (its QR decoded back and checked), then written to the profile's output folder as
// SERIAL.pdf / SERIAL.zpl and/or printed, the moment the board's earlier steps pass. It needs nothing of
// the board, only its ledger device; the labels made are recorded with the attempt (ledger schema 6),
// and a label that fails its check is neither written nor printed.
#include <memory>
#include <string>

#include "vesper/station/pipeline.hpp"
#include "vesper/station/step_registry.hpp"

namespace vesper::station {

class LabelStep final : public Step {
public:
    explicit LabelStep(const StepSettings& settings);
    std::string name() const override { return "label"; }
    BoardNeed needs() const override { return BoardNeed::none; }
    std::optional<ledger::DeviceStatus> sets_status() const override { return std::nullopt; }
    std::vector<std::string> phases() const override { return {"render", "verify", "print"}; }
    void run(BoardContext& board) override;
    // The profile has a `label:`, its layout's placeholders have values (the claim secret when it
    // uses {{claim_code}}) and the sample device's label lays out.
    void check(const FirmwareSet& firmware, const ledger::Device& sample) const override;

private:
    std::string claim_secret_;
};

std::unique_ptr<Step> make_label_step(const StepSettings& settings, StepShared& shared);

} // namespace vesper::station
