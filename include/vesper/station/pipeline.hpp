#pragma once
// The per-board pipeline: a list of steps run in order on a board that is connected and bound to its
// ledger device. Which steps, per board profile, is the factory config's `pipeline:` (default
// [flash]); each name is looked up in the step registry (step_registry.hpp). Each step run is one ledger
// attempt (step name, station, port, timings, result, error code), finished in the same transaction that
// moves the device to the status the step sets, and a step the device has already passed (its latest
// attempt of that step passed) is skipped on a rerun unless --reflash.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"
#include "vesper/station/board_link.hpp"
#include "vesper/station/firmware.hpp"

namespace vesper::station {

// What a step needs of the board.
enum class BoardNeed {
    rom_loader,  // the ROM serial loader, connected (flash)
    app_console, // the application's serial console, after a reset into the app (test)
    none,        // nothing of the board (label, register): only its ledger device
};
const char* to_string(BoardNeed need) noexcept;

// What a step sees of the board it works on.
struct BoardContext {
    std::string station;
    std::string port;
    BoardLink* link = nullptr; // the board, shared by the steps of its pipeline
    ledger::Device device;     // the bound device, as the ledger had it before this step
    const FirmwareSet* firmware = nullptr;
    // Reports the step's phase and progress (`done` of `total` of the step's progress_unit()) through
    // the worker, which adds station, port, serial, MAC and step, and throttles.
    std::function<void(const std::string& phase, std::uint64_t done, std::uint64_t total)> progress;
    std::function<void(const std::string&)> note;
    // What the step is busy with inside its phase (the test running), for the views.
    std::function<void(const std::string&)> activity;
    // Filled by the step for its ledger attempt.
    std::map<std::string, double> phases; // phase name -> seconds
    std::string firmware_version;         // a step that writes firmware says which
    std::string firmware_sha256;
    std::vector<ledger::TestRecord> tests;   // a test step's results, kept with the attempt, passed or not
    std::vector<ledger::LabelRecord> labels; // a label step's labels, kept with its attempt
    // Whether the ledger holds a label for the device already (a --reflash run labels it again: a
    // reprint). Asked only by the step that needs it: one query, not one per step.
    std::function<bool()> labelled_before;
    std::string claim_code_hash; // the hash of the claim code the step used, kept on the device
    bool queue_record = false;   // a pass queues the device's backend record (register)
    // A failure's cause when the error's code does not say it ("test:outputs", "identity_mismatch").
    std::string cause;
};

class Step {
public:
    virtual ~Step() = default;
    // The attempt's step name in the ledger and the config's pipeline: ("flash").
    virtual std::string name() const = 0;
    virtual BoardNeed needs() const = 0;
    // The device status a pass sets (flashed, tested, registered); none for a step only recorded.
    virtual std::optional<ledger::DeviceStatus> sets_status() const = 0;
    // The step's phases in order, for the views and docs ("nvs", "check", ... for flash).
    virtual std::vector<std::string> phases() const = 0;
    // What its progress counts ("bytes"); empty when it reports no progress.
    virtual std::string progress_unit() const { return {}; }
    // Does the work; throws vesper::Error on failure (its code becomes the attempt's cause).
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

// Whether `passed` (a device's passed steps, Ledger::passed_steps) holds every step of the pipeline.
bool pipeline_done(const Pipeline& pipeline, const std::set<std::string>& passed);

} // namespace vesper::station
