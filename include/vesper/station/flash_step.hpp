#pragma once
// The flash step: this device's NVS image rendered from the ledger fields, then bootloader, partition
// table, app, other images and NVS written through the ROM loader (compressed streams shared by every
// port through one DeflateCache, unchanged regions skipped, every region verified), then a hard reset
// into the application.
#include <string>

#include "vesper/esp/deflate_cache.hpp"
#include "vesper/esp/flasher.hpp"
#include "vesper/station/pipeline.hpp"

namespace vesper::station {

struct FlashStepOptions {
    esp::FlashOptions flash; // compress, force, verify
    bool reset_after = true; // hard reset into the app when done
    std::string mqtt_secret; // for templates that use {{mqtt_password}}; never logged
};

class FlashStep final : public Step {
public:
    // `cache` is shared by every port's FlashStep and must outlive them.
    FlashStep(esp::DeflateCache& cache, FlashStepOptions options);
    std::string name() const override { return "flash"; }
    bool done(const ledger::Device& device) const override;
    void run(BoardContext& board) override;
    void check(const FirmwareSet& firmware, const ledger::Device& sample) const override;

private:
    esp::DeflateCache& cache_;
    FlashStepOptions options_;
};

} // namespace vesper::station
