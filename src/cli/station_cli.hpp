#pragma once
// What `flash --station` and `provision` share: finding the config, the station's ports, the batch and
// its board profile, loading the firmware once, running the station with a live view, and turning
// failed boards into a non-zero exit.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "vesper/station/config.hpp"

namespace vesper::cli {

struct StationArgs {
    std::string station;
    std::vector<std::string> ports; // a subset of the station's ports; all when empty
    std::optional<std::int64_t> batch;
    std::string config;
    std::string secret_file;
    std::string claim_secret_file;
    std::optional<std::uint32_t> baud;
    std::optional<std::string> before, after; // default / no-reset, hard-reset / no-reset; else the config's
    bool reflash = false;
    bool force = false;
    bool no_compress = false;
    bool loop = false;
    bool wait_for_boards = false;
    int poll_ms = 1000;
};

// --station (required unless `station_optional`), --batch, --config, --secret-file, --claim-secret-file,
// --reflash.
void add_station_options(CLI::App* cmd, StationArgs& args, bool station_optional);

// The factory config for a command that can do without one (test, label): --config when given, else the
// one found as locate_config finds it, else none. A config that exists but is bad is an error.
std::optional<station::Config> find_optional_config(const std::string& config_flag);

// Runs the station; throws Error(device) naming the failed ports when any board failed. `cmd` is the
// parsed subcommand ("flash" or "provision"): the retry hint repeats its options as they were given.
void run_station_command(const Context& ctx, const StationArgs& args, const CLI::App& cmd);

} // namespace vesper::cli
