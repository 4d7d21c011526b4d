#include "station_cli.hpp"

#include <iostream>
#include <set>

#include "station_view.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/interrupt.hpp"
#include "vesper/core/text.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/firmware.hpp"
#include "vesper/station/runner.hpp"

namespace vesper::cli {

namespace {

std::vector<std::string> chosen_ports(const station::StationSpec& st, const std::vector<std::string>& wanted,
                                      const std::filesystem::path& config) {
    if (wanted.empty()) return st.ports;
    for (const auto& p : wanted)
        if (std::find(st.ports.begin(), st.ports.end(), p) == st.ports.end()) {
            fail(ErrorKind::input, "--port " + p + " is not a port of station " + st.name + " in " + config.string() +
                                       " (its ports: " + join(st.ports) + ")");
        }
    return wanted;
}

// The options given to `app` on the command line, as words, in the order the app declares them; the
// names in `skip` left out. Flags once, options once per value, by their long name.
std::vector<std::string> given_options(const CLI::App& app, const std::set<std::string>& skip) {
    std::vector<std::string> words;
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_positional() || opt->count() == 0) continue;
        const std::string name =
            !opt->get_lnames().empty() ? "--" + opt->get_lnames().front() : "-" + opt->get_snames().front();
        if (skip.count(name)) continue;
        if (opt->get_expected_max() == 0) { // a flag: given (and not --flag=false)
            if (opt->as<bool>()) words.push_back(name);
            continue;
        }
        for (const auto& value : opt->results()) {
            words.push_back(name);
            words.push_back(value);
        }
    }
    return words;
}

} // namespace

void add_station_options(CLI::App* cmd, StationArgs& a, bool station_optional) {
    auto* st = cmd->add_option("--station", a.station, "Station name from the config (stations:)");
    if (!station_optional) st->required();
    cmd->add_option("--batch", a.batch, "Batch to draw serials from (default: batch: in the config)");
    cmd->add_option("--config", a.config, "Factory config (default $VESPER_CONFIG, else ./vesper.yaml)");
    cmd->add_option("--secret-file", a.secret_file,
                    "File holding the MQTT master secret (else $VESPER_MQTT_SECRET); read only when the NVS "
                    "template uses {{mqtt_password}}");
    cmd->add_flag("--reflash", a.reflash, "Run boards again that the ledger says are already done");
}

void run_station_command(const Context& ctx, const StationArgs& a, const CLI::App& cmd) {
    const auto config_path =
        station::locate_config(a.config.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.config));
    const station::Config cfg = station::load_config(config_path);
    const station::StationSpec& st = cfg.station(a.station);

    station::RunOptions ro;
    ro.station = st.name;
    ro.ports = chosen_ports(st, a.ports, cfg.file);
    ro.ledger_path = ctx.ledger_location(cfg.ledger).path;
    ro.actor = Context::actor();
    if (a.batch)
        ro.batch_id = *a.batch;
    else if (cfg.batch)
        ro.batch_id = *cfg.batch;
    else
        fail(ErrorCode::cli_usage, "no batch: give --batch ID or set batch: in " + cfg.file.string());

    // The batch says which board this is, the board says what to flash: all checked before any port.
    // A station needs the batch in a ledger that exists: it never creates one.
    const ledger::Batch batch =
        ledger::Ledger::open(ro.ledger_path, ro.actor, ledger::Access::existing).get_batch(ro.batch_id);
    const station::BoardProfile& profile = cfg.profile_for(batch.board_type, batch.revision);
    const station::FirmwareSet firmware = station::load_firmware(profile, cfg.file);

    station::StepSettings settings;
    settings.flash.compress = !a.no_compress && cfg.flash.compress;
    settings.flash.force = a.force;
    settings.reset_after_flash = a.after ? *a.after != "no-reset" : cfg.flash.reset_after;
    if (firmware.nvs_template && firmware.nvs_template->uses(creds::kMqttPasswordField))
        settings.mqtt_secret = read_mqtt_secret(a.secret_file);

    ro.baud = a.baud ? *a.baud : st.baud ? *st.baud : cfg.flash.baud;
    ro.retries = cfg.flash.retries;
    ro.max_seconds_per_board = cfg.flash.max_seconds_per_board;
    ro.expect_chip = profile.chip;
    ro.reset_before = a.before ? *a.before != "no-reset" : cfg.flash.reset_before;
    ro.reflash = a.reflash;
    ro.loop = a.loop;
    ro.wait_for_boards = a.wait_for_boards;
    ro.poll_interval = std::chrono::milliseconds(a.poll_ms);

    station::StepShared shared;
    const auto make_pipeline = station::pipeline_maker(profile.pipeline, settings, shared);

    // Refused before the live view draws anything: a bad run prints its one error line and nothing else.
    station::check_station(ro, firmware, make_pipeline());

    // The retry runs what this run ran, on the failed ports: every option as given (all of them change
    // what the run does), only --port replaced, and output-only ones left to the person retrying.
    StationRunInfo info{st.name, ro.batch_id, cmd.get_name(), given_options(*cmd.get_parent(), {"--json", "--help"}),
                        given_options(cmd, {"--port", "--help"})};
    if (!a.batch) info.options.insert(info.options.end(), {"--batch", std::to_string(ro.batch_id)});
    const bool live = ctx.stdout_is_tty && !ctx.json;
    std::unique_ptr<StationView> view =
        live ? make_tty_view(std::cout, ro.ports, info) : make_json_view(std::cout, info);

    station::RunSummary summary;
    {
        // First Ctrl-C: finish the boards in progress, start nothing new. Second: exit now (the ledger
        // stays consistent because every change is a transaction, and a rerun resumes).
        interrupt::Deferral defer;
        summary = station::run_station(
            ro, firmware, make_pipeline, [&](const station::Event& e) { view->on_event(e); },
            interrupt::stop_requested());
    }
    view->finish(summary);

    const auto failed = summary.failed_ports();
    if (!failed.empty()) {
        const std::size_t n = summary.count(station::BoardResult::failed);
        fail(ErrorCode::station_failed, std::to_string(n) + " of " + std::to_string(summary.boards.size()) +
                                            " board(s) failed on station " + st.name + " (" + join(failed) +
                                            "); retry: " + retry_command(info, failed));
    }
}

} // namespace vesper::cli
