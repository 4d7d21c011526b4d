#include "vesper/station/run_setup.hpp"

#include <algorithm>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/label/label_job.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::station {

namespace {

std::vector<std::string> chosen_ports(const StationSpec& st, const std::vector<std::string>& wanted,
                                      const std::filesystem::path& config) {
    if (wanted.empty()) return st.ports;
    for (const auto& p : wanted)
        if (std::find(st.ports.begin(), st.ports.end(), p) == st.ports.end()) {
            fail(ErrorKind::input, "--port " + p + " is not a port of station " + st.name + " in " + config.string() +
                                       " (its ports: " + join(st.ports) + ")");
        }
    return wanted;
}

} // namespace

std::unique_ptr<StationRun> prepare_station_run(const Config& cfg, const RunRequest& req) {
    auto run = std::make_unique<StationRun>();
    const StationSpec& st = cfg.station(req.station);
    run->station = &st;
    RunOptions& ro = run->options;
    ro.station = st.name;
    ro.ports = chosen_ports(st, req.ports, cfg.file);
    ro.ledger_path = req.ledger_path;
    ro.actor = req.actor;
    if (req.batch)
        ro.batch_id = *req.batch;
    else if (cfg.batch)
        ro.batch_id = *cfg.batch;
    else
        fail(ErrorCode::cli_usage, "no batch: give --batch ID or set batch: in " + cfg.file.string());

    // The batch says which board this is, the board says what to flash: all checked before any port.
    const ledger::Batch batch =
        ledger::Ledger::open(ro.ledger_path, ro.actor, ledger::Access::existing).get_batch(ro.batch_id);
    const BoardProfile& profile = cfg.profile_for(batch.board_type, batch.revision);
    run->firmware = load_firmware(profile, cfg.file);

    StepSettings settings;
    settings.flash.compress = !req.no_compress && cfg.flash.compress;
    settings.flash.force = req.force;
    settings.reset_after_flash = req.reset_after.value_or(cfg.flash.reset_after);
    if (run->firmware.nvs_template && run->firmware.nvs_template->uses(creds::kMqttPasswordField)) {
        if (!req.mqtt_secret)
            fail(ErrorCode::internal, "prepare_station_run: the NVS template needs the MQTT master secret and the "
                                      "request gives no way to read it");
        settings.mqtt_secret = req.mqtt_secret();
    }
    // The claim secret, when the NVS template or a label step's layout uses {{claim_code}}.
    const bool labels = std::find(profile.pipeline.begin(), profile.pipeline.end(), "label") != profile.pipeline.end();
    if ((run->firmware.nvs_template && run->firmware.nvs_template->uses(creds::kClaimCodeField)) ||
        (labels && profile.label.layout && label::uses_placeholder(*profile.label.layout, creds::kClaimCodeField))) {
        if (!req.claim_secret)
            fail(ErrorCode::internal, "prepare_station_run: the profile needs the claim secret and the "
                                      "request gives no way to read it");
        settings.claim_secret = req.claim_secret();
    }

    ro.baud = req.baud ? *req.baud : st.baud ? *st.baud : cfg.flash.baud;
    ro.retries = cfg.flash.retries;
    ro.max_seconds_per_board = cfg.flash.max_seconds_per_board;
    ro.expect_chip = profile.chip;
    ro.reset_before = req.reset_before.value_or(cfg.flash.reset_before);
    ro.reflash = req.reflash;
    ro.loop = req.loop;
    ro.wait_for_boards = req.wait_for_boards;
    ro.poll_interval = req.poll_interval;

    run->make_pipeline = pipeline_maker(profile.pipeline, settings, run->shared);
    check_station(ro, run->firmware, run->make_pipeline());
    return run;
}

} // namespace vesper::station
