#pragma once
// The flash step: this device's NVS image rendered from the ledger fields, then bootloader, partition
// table, app, other images and NVS written through the ROM loader (compressed streams shared by every
// port through one DeflateCache, unchanged regions skipped, every region verified), then a hard reset
// into the application. Needs the ROM loader; a pass sets the device to flashed.
#include <memory>
#include <string>

#include "vesper/station/pipeline.hpp"
#include "vesper/station/step_registry.hpp"

namespace vesper::station {

class FlashStep final : public Step {
public:
    // `cache` is shared by every port's FlashStep and must outlive them.
    FlashStep(esp::DeflateCache& cache, const StepSettings& settings);
    std::string name() const override { return "flash"; }
    BoardNeed needs() const override { return BoardNeed::rom_loader; }
    std::optional<ledger::DeviceStatus> sets_status() const override { return ledger::DeviceStatus::flashed; }
    std::vector<std::string> phases() const override { return {"nvs", "check", "erase", "write", "verify", "reset"}; }
    std::string progress_unit() const override { return "bytes"; }
    void run(BoardContext& board) override;
    void check(const FirmwareSet& firmware, const ledger::Device& sample) const override;

private:
    esp::DeflateCache& cache_;
    esp::FlashOptions flash_;
    bool reset_after_;
    std::string mqtt_secret_;
    std::string claim_secret_;
};

std::unique_ptr<Step> make_flash_step(const StepSettings& settings, StepShared& shared);

} // namespace vesper::station
