#include "vesper/station/flash_step.hpp"

#include "step_clock.hpp"

#include <chrono>

#include "vesper/core/error.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/flash/flash_board.hpp"

namespace vesper::station {

namespace {

using detail::Clock;
using detail::since;

// The flasher's read-back is part of verifying, as the views show it.
std::string phase_of(esp::FlashPhase p) { return p == esp::FlashPhase::read ? "verify" : esp::to_string(p); }

} // namespace

FlashStep::FlashStep(esp::DeflateCache& cache, const StepSettings& settings)
    : cache_(cache), flash_(settings.flash), reset_after_(settings.reset_after_flash),
      mqtt_secret_(settings.mqtt_secret), claim_secret_(settings.claim_secret) {}

std::unique_ptr<Step> make_flash_step(const StepSettings& settings, StepShared& shared) {
    return std::make_unique<FlashStep>(shared.deflate_cache, settings);
}

void FlashStep::check(const FirmwareSet& firmware, const ledger::Device& sample) const {
    check_nvs(firmware, sample, mqtt_secret_, claim_secret_);
}

void FlashStep::run(BoardContext& board) {
    const FirmwareSet& fw = *board.firmware;
    esp::Loader& loader = board.link->loader();
    const std::string& serial = board.device.serial;

    // This device's identity, from its ledger fields (the MAC is bound by now).
    board.progress("nvs", 0, 0);
    auto t = Clock::now();
    std::vector<esp::RegionSource> regions = fw.regions;
    if (fw.nvs_template)
        regions.push_back(
            render_nvs(fw, identity_fields(board.device, *fw.nvs_template, mqtt_secret_, claim_secret_), serial));
    board.phases["nvs"] = since(t);

    // Planned against what this board reported (flash size, chip), the bootloader header patched as the
    // profile says; progress over the whole plan, each region's bytes after the ones before it.
    board.progress("check", 0, 0);
    t = Clock::now();
    const BoardProfile& profile = *fw.profile;
    std::vector<std::uint64_t> base;
    std::uint64_t total = 0;
    esp::FlashBoardEvents on;
    on.warn = [&](std::string_view w) { board.note(std::string(w)); };
    on.planned = [&](const esp::FlashPlan& plan) {
        for (const auto& r : plan.regions) {
            base.push_back(total);
            total += r.data.size();
        }
        board.progress("check", 0, total);
    };
    on.progress = [&](const esp::FlashProgress& p) {
        board.progress(phase_of(p.phase), base.at(p.region) + p.done, total);
    };
    on.region_done = [&](const esp::RegionResult& r) {
        if (r.verified == esp::Verification::not_possible)
            board.note(r.name + " at " + esp::hex32(r.address) + " written but NOT verified: " + r.note);
    };
    esp::flash_board(loader, cache_,
                     {std::move(regions), {profile.flash_mode, profile.flash_size, profile.flash_freq}, flash_}, on);
    board.phases["flash"] = since(t);

    if (reset_after_) {
        board.progress("reset", total, total);
        t = Clock::now();
        board.link->leave_loader(esp::AfterFlash::hard_reset);
        board.phases["reset"] = since(t);
    }
    board.firmware_version = fw.firmware_version;
    board.firmware_sha256 = fw.firmware_sha256;
    // The record carries the hash of the claim code in the board's NVS, never the code.
    if (fw.nvs_template && fw.nvs_template->uses(creds::kClaimCodeField))
        board.claim_code_hash = creds::claim_code_hash(creds::claim_code(claim_secret_, serial));
}

} // namespace vesper::station
