#pragma once
// The per-batch report (`vesperctl batch report`): per device and per batch, computed from the devices
// and their step attempts. Pure reads, one consistent snapshot.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger {

struct DeviceReportRow {
    Device device;
    int flash_attempts = 0;
    double flash_seconds = 0;  // wall time of the last passed flash attempt; 0 if none
    std::string phases = "{}"; // that attempt's phase timings (JSON object)
    std::string failure_cause; // cause of the last failed attempt while the device is failed, else empty
                               // (a failed factory test: "test:<name>")
    int test_attempts = 0;     // attempts of the test step (kTestStep) on the device
};

// The pipeline step that runs the factory test plan; the report counts its attempts per device.
inline constexpr const char* kTestStep = "test";

// A rate per hour from less than this much work is an extrapolation, not a throughput.
inline constexpr double kMinRateSpanSeconds = 60;

struct StationReport {
    std::string station;
    int passed = 0;          // passed flash attempts
    int failed = 0;          // failed or interrupted flash attempts, unbound ones included
    int unbound_failed = 0;  // of those, the ones before a board was bound to a device (no serial)
    double span_seconds = 0; // first attempt start to last attempt finish on this station (milliseconds)
    // passed / span; none when the span is under kMinRateSpanSeconds, and then `no_rate` says why.
    std::optional<double> boards_per_hour;
    std::string no_rate;
};

// Failed attempts at one port of one station that never reached a device: the board did not connect,
// was another chip, or the batch had no device left for it. They have no serial, so no device row
// shows them.
struct UnboundFailures {
    std::string station;
    std::string port;
    int failed = 0;
    std::map<std::string, int> by_cause;
};

// One pipeline step over the batch ("flash", "test", ...), from its attempts.
struct StepReport {
    std::string step;
    int attempts = 0;
    int passed = 0;                         // passed attempts
    int failed = 0;                         // failed or interrupted, unbound ones included
    int devices = 0;                        // devices with an attempt of this step
    int first_pass = 0;                     // of those, the ones whose first attempt passed
    std::optional<double> first_pass_yield; // first_pass / devices; none without devices
    std::optional<double> p50_seconds;      // step time of passed attempts, nearest rank
    std::optional<double> p95_seconds;
    std::map<std::string, int> failures_by_cause;
};

// One factory test (by the plan's test name) over the batch, from the test results of its attempts.
struct TestItemReport {
    std::string name;
    int runs = 0;                      // times it was recorded, skips included
    int passed = 0;                    // verdict pass
    int failed = 0;                    // verdict fail or error
    int skipped = 0;                   // verdict skip
    int devices_failed = 0;            // devices whose latest run of this test failed or errored
    std::optional<double> p50_seconds; // test time of passed runs, nearest rank; none without a pass
};

// The batch's registration with the backend, from the outbox: what is still to send, and the dead
// letters (records the backend refused; `vesperctl register --retry-failed` sends them again).
struct RegistrationReport {
    int queued = 0;                        // devices with a record not yet confirmed
    int waiting = 0;                       // of those, waiting for a retry
    std::vector<OutboxEntry> dead_letters; // the newest refused record of each device
};

struct BatchReport {
    Batch batch;
    std::vector<DeviceReportRow> devices; // by serial
    std::map<DeviceStatus, int> counts;   // every status present, zero counts included
    std::vector<StationReport> stations;  // by name
    std::optional<double> p50_seconds;    // board time of passed flash attempts, nearest rank
    std::optional<double> p95_seconds;
    std::map<std::string, int> failures_by_cause;  // over every failed or interrupted attempt, unbound included
    std::vector<UnboundFailures> unbound_failures; // by station, then port
    std::vector<StepReport> steps;                 // every step with attempts, in order of first attempt
    std::vector<TestItemReport> tests;             // every test with results, in order of first appearance
    RegistrationReport registration;
    int attempts = 0;
};

// Error(not_found) for an unknown batch.
BatchReport batch_report(const Ledger& ledger, std::int64_t batch_id);

} // namespace vesper::ledger
