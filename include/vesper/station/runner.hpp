#pragma once
// Runs a station: one worker thread per port, all at once, each taking the board on its port through
// connect -> bind MAC to a serial -> the pipeline's steps, with retries. A slow or failing port never
// holds up the others; the only shared things are the ledger file (one connection per worker, short
// transactions) and the compressed-image cache.
//
// Two modes. Once (`flash --station`): each port takes the board it has now, once; a port with no
// board fails with cause "connect". Loop (`provision --loop`): each port waits for a board, runs it,
// tells the operator to swap it, waits for a different board, and so on until the batch is complete
// or stop is requested (boards in progress finish first).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vesper/station/board_link.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/events.hpp"
#include "vesper/station/firmware.hpp"
#include "vesper/station/pipeline.hpp"
#include "vesper/station/step_registry.hpp"

namespace vesper::station {

struct RunOptions {
    std::string station;            // for events and the ledger
    std::vector<std::string> ports; // the ports to run
    std::int64_t batch_id = 0;
    std::filesystem::path ledger_path;
    std::string actor;
    std::uint32_t baud = 460800;
    int retries = 1;
    double max_seconds_per_board = 300; // quality gate
    const esp::ChipInfo* expect_chip = nullptr;
    bool reset_before = true;
    bool reflash = false;         // run steps a device has already passed
    bool wait_for_boards = false; // a port without a board waits for one instead of failing
    bool loop = false;            // keep taking boards until the batch is complete or stop
    std::chrono::milliseconds poll_interval{1000};
    Connector connect = connect_port; // how a port's board is reached (a test may give its own)
};

// One board's outcome on one port.
struct BoardOutcome {
    std::string port;
    std::string serial;
    std::string mac;
    BoardResult result = BoardResult::failed;
    std::string step; // failures: the step that failed, empty before the steps (connect, bind)
    std::string cause;
    std::string code; // failures: the error's stable code
    std::string error;
    double seconds = 0;
    int attempts = 0;
};

struct RunSummary {
    std::vector<BoardOutcome> boards;              // in the order they finished
    bool stopped = false;                          // stop was requested before the work ran out
    bool batch_complete = false;                   // every device of the batch has passed the pipeline
    std::size_t count(BoardResult result) const;   // boards that ended so
    std::vector<std::string> failed_ports() const; // each once, in station order of first failure
};

// The summary event of --json: {"event":"summary","passed":..,"failed":..,"skipped":..,"stopped":..,
// "batch_complete":..,"boards":[...],"failed_ports":[...]}; the caller adds station, batch and retry.
nlohmann::json summary_json(const RunSummary& summary);

// What the steps can find out without a board (Step::check), tried on a device of the batch: throws what
// would otherwise fail every board (a template that cannot render, a missing secret) after binding it.
// run_station does this first; a caller may do it earlier, e.g. before drawing a live view.
void check_station(const RunOptions& options, const FirmwareSet& firmware, const Pipeline& pipeline);

// A pipeline maker for run_station: the steps `names` (a profile's pipeline:) from the registry, each
// worker's built with `settings` and sharing `shared` (which must outlive the run). Error(config.invalid)
// for a name no step has, at once.
std::function<Pipeline()> pipeline_maker(std::vector<std::string> names, StepSettings settings, StepShared& shared);

// `make_pipeline` builds one pipeline per worker (steps may keep per-board state). `sink` gets every
// event, never two at once. Nothing is opened before check_station has passed.
RunSummary run_station(const RunOptions& options, const FirmwareSet& firmware,
                       const std::function<Pipeline()>& make_pipeline, const EventSink& sink,
                       const std::atomic<bool>& stop);

} // namespace vesper::station
