#include "vesper/station/flash_step.hpp"

#include <chrono>

#include "vesper/core/error.hpp"
#include "vesper/esp/bootloader_patch.hpp"

namespace vesper::station {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Phase phase_of(esp::FlashPhase p) {
    switch (p) {
    case esp::FlashPhase::check: return Phase::check;
    case esp::FlashPhase::erase: return Phase::erase;
    case esp::FlashPhase::write: return Phase::write;
    case esp::FlashPhase::verify: return Phase::verify;
    case esp::FlashPhase::read: return Phase::verify;
    }
    return Phase::write;
}

} // namespace

FlashStep::FlashStep(esp::DeflateCache& cache, FlashStepOptions options)
    : cache_(cache), options_(std::move(options)) {}

bool FlashStep::done(const ledger::Device& device) const {
    using S = ledger::DeviceStatus;
    return device.status == S::flashed || device.status == S::tested || device.status == S::registered;
}

void FlashStep::check(const FirmwareSet& firmware, const ledger::Device& sample) const {
    check_nvs(firmware, sample, options_.mqtt_secret);
}

void FlashStep::run(BoardContext& board) {
    const FirmwareSet& fw = *board.firmware;
    esp::Loader& loader = *board.loader;
    const esp::DeviceInfo& info = loader.info();
    const std::string& serial = board.device.serial;

    // This device's identity, from its ledger fields (the MAC is bound by now).
    board.progress(Phase::nvs, 0, 0);
    auto t = Clock::now();
    std::vector<esp::RegionSource> regions = fw.regions;
    if (fw.nvs_template) regions.push_back(render_nvs(fw, nvs_fields(fw, board.device, options_.mqtt_secret), serial));
    board.phases["nvs"] = since(t);

    // Plan against what this board reported (flash size, chip), patching the bootloader header as the
    // profile says.
    board.progress(Phase::check, 0, 0);
    t = Clock::now();
    const BoardProfile& profile = *fw.profile;
    const esp::FlashParams params{profile.flash_mode, profile.flash_size, profile.flash_freq};
    const esp::FlashPlan plan =
        esp::plan_flash(std::move(regions), *info.chip, info.flash_size, esp::bootloader_patch(params, info));
    std::vector<std::uint64_t> base;
    std::uint64_t total = 0;
    for (const auto& r : plan.regions) {
        base.push_back(total);
        total += r.data.size();
    }
    board.progress(Phase::check, 0, total);

    esp::Flasher flasher(loader, cache_, options_.flash);
    flasher.write(
        plan,
        [&](const esp::FlashProgress& p) { board.progress(phase_of(p.phase), base.at(p.region) + p.done, total); },
        [&](const esp::RegionResult& r) {
            if (r.verified == esp::Verification::not_possible)
                board.note(r.name + " at " + esp::hex32(r.address) + " written but NOT verified: " + r.note);
        });
    board.phases["flash"] = since(t);

    if (options_.reset_after) {
        board.progress(Phase::reset, total, total);
        t = Clock::now();
        loader.leave(esp::AfterFlash::hard_reset);
        board.phases["reset"] = since(t);
    }
    board.firmware_version = fw.firmware_version;
    board.firmware_sha256 = fw.firmware_sha256;
}

} // namespace vesper::station
