#pragma once
// The per-board pipeline: a list of steps run in order on a board that is connected and bound to its
// ledger device. Today the list holds the flash step; the factory test, the label and the backend
// registration are further steps of the same list. Each step run is one ledger attempt (step name,
// station, port, timings, result), and a step the device has already passed is skipped on a rerun.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vesper/esp/loader.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/events.hpp"
#include "vesper/station/firmware.hpp"

namespace vesper::station {

// What a step sees of the board it works on.
struct BoardContext {
    std::string station;
    std::string port;
    esp::Loader* loader = nullptr; // connected
    ledger::Device device;         // the bound device, as the ledger had it before this step
    const FirmwareSet* firmware = nullptr;
    // Reports progress through the worker (which adds station, port, serial, MAC and throttles).
    std::function<void(Phase, std::uint64_t done, std::uint64_t total)> progress;
    std::function<void(const std::string&)> note;
    // Filled by the step for its ledger attempt.
    std::map<std::string, double> phases; // phase name -> seconds
    std::string firmware_version;
    std::string firmware_sha256;
};

class Step {
public:
    virtual ~Step() = default;
    // The attempt's step name in the ledger ("flash").
    virtual std::string name() const = 0;
    // Whether the device has already passed this step (a rerun skips it unless forced).
    virtual bool done(const ledger::Device& device) const = 0;
    // Does the work; throws vesper::Error on failure. `cause` words come from the worker's phase.
    virtual void run(BoardContext& board) = 0;
    // Run once before any port is opened, with `sample` a device of the run's batch: throws what run()
    // would throw for reasons no board can change (bad templates, missing secrets), so a run that
    // would fail every board stops at load instead of binding them and marking them failed.
    virtual void check(const FirmwareSet& firmware, const ledger::Device& sample) const {
        (void)firmware;
        (void)sample;
    }
};

using Pipeline = std::vector<std::unique_ptr<Step>>;

} // namespace vesper::station
