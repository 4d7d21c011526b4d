#include "station_cli.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>
#include <set>

#include "station_view.hpp"
#include "vesper/backend/drainer.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/interrupt.hpp"
#include "vesper/core/text.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/outbox_drain.hpp"
#include "vesper/station/run_setup.hpp"

namespace vesper::cli {

namespace {

// How long the backend queue may still drain once the boards are done: what the backend confirms by then
// shows as registered in the summary; the rest stays queued for `vesperctl register`.
constexpr std::chrono::seconds kDrainGrace{10};

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
    cmd->add_option("--claim-secret-file", a.claim_secret_file,
                    "File holding the claim secret (else $VESPER_CLAIM_SECRET); read only when the NVS template "
                    "uses {{claim_code}}");
    cmd->add_flag("--reflash", a.reflash, "Run boards again that the ledger says are already done");
}

void run_station_command(const Context& ctx, const StationArgs& a, const CLI::App& cmd) {
    const auto config_path =
        station::locate_config(a.config.empty() ? std::nullopt : std::optional<std::filesystem::path>(a.config));
    const station::Config cfg = station::load_config(config_path);

    station::RunRequest req;
    req.station = a.station;
    req.ports = a.ports;
    req.batch = a.batch;
    req.ledger_path = ctx.ledger_location(cfg.ledger).path;
    req.actor = Context::actor();
    req.baud = a.baud;
    if (a.before) req.reset_before = *a.before != "no-reset";
    if (a.after) req.reset_after = *a.after != "no-reset";
    req.reflash = a.reflash;
    req.force = a.force;
    req.no_compress = a.no_compress;
    req.loop = a.loop;
    req.wait_for_boards = a.wait_for_boards;
    req.poll_interval = std::chrono::milliseconds(a.poll_ms);
    req.mqtt_secret = [&a] { return read_mqtt_secret(a.secret_file); };
    req.claim_secret = [&a] { return read_claim_secret(a.claim_secret_file); };
    // Refused before the live view draws anything: a bad run prints its one error line and nothing else.
    const auto run = station::prepare_station_run(cfg, req);
    const station::RunOptions& ro = run->options;
    const station::StationSpec& st = *run->station;

    // The retry runs what this run ran, on the failed ports: every option as given (all of them change
    // what the run does), only --port replaced, and output-only ones left to the person retrying.
    StationRunInfo info{st.name, ro.batch_id, cmd.get_name(), given_options(*cmd.get_parent(), {"--json", "--help"}),
                        given_options(cmd, {"--port", "--help"})};
    if (!a.batch) info.options.insert(info.options.end(), {"--batch", std::to_string(ro.batch_id)});
    const auto& steps = run->firmware.profile->pipeline;
    info.backend_queue = std::find(steps.begin(), steps.end(), "register") != steps.end();
    // A run that registers boards sends their records beside the run when the config has a backend:
    // (without one they wait in the outbox for `vesperctl register`). The token is read now, so a
    // missing one stops the run before any board is touched.
    station::OutboxDrain::DrainBody drain_body;
    if (info.backend_queue && cfg.backend)
        drain_body = [settings = *cfg.backend, token = backend::load_token(*cfg.backend), path = ro.ledger_path,
                      batch = ro.batch_id, actor = req.actor](const std::atomic<bool>& stop) {
            backend::Drainer drainer(path, settings, token, actor);
            const auto stats = drainer.run({batch, backend::DrainMode::until_stopped, 0.5}, stop);
            return stats.stopped_by ? std::string(stats.stopped_by->what()) : std::string();
        };
    const bool live = ctx.stdout_is_tty && !ctx.json;
    std::unique_ptr<StationView> view =
        live ? make_tty_view(std::cout, ro.ports, info) : make_json_view(std::cout, info);
    // The runner serialises its own events; the backend queue's monitor reports from its thread.
    std::mutex view_mutex;

    station::RunSummary summary;
    std::optional<station::OutboxStatus> outbox;
    {
        std::unique_ptr<station::OutboxDrain> drain;
        if (info.backend_queue)
            drain = std::make_unique<station::OutboxDrain>(ro.ledger_path, ro.batch_id, std::move(drain_body),
                                                           [&](const station::OutboxStatus& s) {
                                                               std::lock_guard lock(view_mutex);
                                                               view->on_outbox(s);
                                                           });
        // First Ctrl-C: finish the boards in progress, start nothing new. Second: exit now (the ledger
        // stays consistent because every change is a transaction, and a rerun resumes).
        interrupt::Deferral defer;
        summary = station::run_station(
            ro, run->firmware, run->make_pipeline,
            [&](const station::Event& e) {
                std::lock_guard lock(view_mutex);
                view->on_event(e);
            },
            interrupt::stop_requested());
        if (drain) outbox = drain->finish(kDrainGrace);
    }
    view->finish(summary, outbox);

    const auto failed = summary.failed_ports();
    if (!failed.empty()) {
        const std::size_t n = summary.count(station::BoardResult::failed);
        fail(ErrorCode::station_failed, std::to_string(n) + " of " + std::to_string(summary.boards.size()) +
                                            " board(s) failed on station " + st.name + " (" + join(failed) +
                                            "); retry: " + retry_command(info, failed));
    }
}

std::optional<station::Config> find_optional_config(const std::string& config_flag) {
    if (!config_flag.empty()) return station::load_config(config_flag);
    try {
        return station::load_config(station::locate_config(std::nullopt));
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::not_found) return std::nullopt;
        throw;
    }
}

} // namespace vesper::cli
