// vesperctl provision: the operator's loop on one station. Each port waits for a board, runs the
// pipeline on it (today: flash; the factory test, label and backend registration join as further
// steps), says when to swap it, and with --loop keeps going until the batch is complete or Ctrl-C
// (boards in progress finish first).
#include "cli.hpp"
#include "station_cli.hpp"
#include "vesper/port/baud_range.hpp"

namespace vesper::cli {

void register_provision(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<StationArgs>();
    auto* cmd = app.add_subcommand("provision", "Run a station's boards through the factory pipeline as they are "
                                                "plugged in (--loop: until the batch is complete or Ctrl-C)");
    add_station_options(cmd, *args, false);
    cmd->add_option("-p,--port", args->ports, "Only these ports of the station (repeatable)")
        ->allow_extra_args(false) // one value per --port: ADDRESS FILE pairs may follow
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_flag("--loop", args->loop, "Keep taking boards: swap a finished board for a new one on its port");
    cmd->add_option("--poll-interval", args->poll_ms, "Milliseconds between looks for a board on an empty port")
        ->capture_default_str()
        ->check(CLI::Range(50, 60000));
    cmd->add_option("-b,--baud", args->baud, "Baud rate after connecting (default: the config's)")
        ->check(CLI::Range(esp::kMinBaud, esp::kMaxBaud));
    cmd->add_flag("--force", args->force, "Write every region even when the board already holds the same bytes");
    cmd->callback([&ctx, args, cmd] {
        args->wait_for_boards = true;
        run_station_command(ctx, *args, *cmd);
    });
}

} // namespace vesper::cli
