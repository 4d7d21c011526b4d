#pragma once
// A station run assembled from the factory config and what the command line chose: the station and its
// ports, the batch from the ledger, the batch's board profile, its firmware loaded once, the step
// settings, and the pipeline maker. Everything here is checked before any port is opened, so `flash
// --station` and `provision` refuse a bad run with one error line.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vesper/station/config.hpp"
#include "vesper/station/firmware.hpp"
#include "vesper/station/runner.hpp"

namespace vesper::station {

// What the command line says; every unset option falls back to the config.
struct RunRequest {
    std::string station;
    std::vector<std::string> ports;    // a subset of the station's ports; all when empty
    std::optional<std::int64_t> batch; // else the config's batch:
    std::filesystem::path ledger_path; // must exist: a station never creates a ledger
    std::string actor;
    std::optional<std::uint32_t> baud;             // else the station's, else flash.baud
    std::optional<bool> reset_before, reset_after; // else flash.reset_before / reset_after
    bool reflash = false;
    bool force = false;
    bool no_compress = false;
    bool loop = false;
    bool wait_for_boards = false;
    std::chrono::milliseconds poll_interval{1000};
    // Asked only when the NVS template derives an MQTT password from the master secret.
    std::function<std::string()> mqtt_secret;
    // Asked only when the NVS template uses {{claim_code}}.
    std::function<std::string()> claim_secret;
};

// A run ready to start. Its steps share `shared`, so it stays where it was made (held by pointer).
struct StationRun {
    const StationSpec* station = nullptr; // in the config it was made from
    RunOptions options;
    FirmwareSet firmware;
    StepShared shared;
    std::function<Pipeline()> make_pipeline;
};

// Error(config.invalid / cli usage / ledger...) naming the config, option or batch at fault.
std::unique_ptr<StationRun> prepare_station_run(const Config& config, const RunRequest& request);

} // namespace vesper::station
