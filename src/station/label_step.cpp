#include "vesper/station/label_step.hpp"

#include "step_clock.hpp"

#include <chrono>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/label/label_job.hpp"
#include "vesper/label/printer.hpp"
#include "vesper/station/config.hpp"

namespace vesper::station {

namespace {

using detail::Clock;
using detail::since;

const LabelSettings& settings_of(const FirmwareSet& firmware) {
    const BoardProfile& profile = *firmware.profile;
    if (!profile.label.layout)
        fail(ErrorCode::config_invalid, firmware.config_file.string() + ":" + std::to_string(profile.pipeline_line) +
                                            ": profiles." + profile.name +
                                            ".pipeline: has a label step, but the profile has no `label:` "
                                            "(layout, and a printer or an output folder)");
    return profile.label;
}

bool needs_claim_code(const LabelSettings& s) { return label::uses_placeholder(*s.layout, creds::kClaimCodeField); }

} // namespace

LabelStep::LabelStep(const StepSettings& settings) : claim_secret_(settings.claim_secret) {}

std::unique_ptr<Step> make_label_step(const StepSettings& settings, StepShared& shared) {
    (void)shared;
    return std::make_unique<LabelStep>(settings);
}

void LabelStep::check(const FirmwareSet& firmware, const ledger::Device& sample) const {
    const LabelSettings& s = settings_of(firmware);
    if (needs_claim_code(s) && claim_secret_.empty())
        fail(ErrorCode::secret_missing, "label layout '" + s.layout->name +
                                            "' uses {{claim_code}}: set VESPER_CLAIM_SECRET or give "
                                            "--claim-secret-file");
    const std::string code = claim_secret_.empty() ? "" : creds::claim_code(claim_secret_, sample.serial);
    (void)label::lay_out(*s.layout, {{sample.serial, label::device_values(sample, code)}}, {s.printer});
}

void LabelStep::run(BoardContext& board) {
    const LabelSettings& s = settings_of(*board.firmware);
    const ledger::Device& device = board.device;
    const std::string code = claim_secret_.empty() ? "" : creds::claim_code(claim_secret_, device.serial);

    board.progress("render", 0, 0);
    auto t = Clock::now();
    const label::Rendered rendered =
        label::render(s.format, *s.layout, {{device.serial, label::device_values(device, code)}}, {s.printer});
    board.phases["render"] = since(t);

    // Nothing leaves this step unless the QR decodes back to what it should carry.
    board.progress("verify", 0, 0);
    t = Clock::now();
    label::verify(*s.layout, rendered).require_passed();
    board.phases["verify"] = since(t);

    board.progress("print", 0, 0);
    t = Clock::now();
    ledger::LabelRecord record;
    record.layout = s.layout->name;
    record.format = label::to_string(s.format);
    record.copies = s.copies;
    record.reprint = board.labelled_before && board.labelled_before();
    if (!s.output.empty()) {
        const auto file = s.output / (device.serial + "." + record.format);
        std::filesystem::create_directories(s.output);
        write_file_atomic(file, std::string_view(rendered.bytes));
        record.destination = file.string();
        board.labels.push_back(record);
    }
    if (!s.printer.empty()) {
        const std::string reply = label::print(rendered, {s.printer, device.serial, s.copies});
        record.destination = "printer:" + s.printer;
        board.labels.push_back(record);
        board.note("label " + device.serial + " sent to " + s.printer + (reply.empty() ? "" : ": " + reply));
    }
    board.phases["print"] = since(t);
    if (!code.empty()) board.claim_code_hash = creds::claim_code_hash(code);
}

} // namespace vesper::station
