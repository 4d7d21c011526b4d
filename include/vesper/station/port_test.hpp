#pragma once
// `vesperctl test`: a factory test of the board on one port, outside a station run. The board is reset
// into its app (an RTS pulse; a port without control lines, socket://, is tested as its app runs),
// identified (the serial given, else the ledger device bound to the MAC its app reports), tested with
// the plan given, else its profile's, else the built-in one, and the run is recorded in the ledger as
// a `test` attempt of that device, as the station's test step records it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "vesper/factory/console_session.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/board_test.hpp"
#include "vesper/station/config.hpp"

namespace vesper::station {

struct PortTestRequest {
    std::string port;
    std::optional<std::string> serial;              // else found by the MAC the app reports
    std::optional<std::filesystem::path> plan_file; // else the device's profile's plan, else built-in
    std::optional<std::uint32_t> baud;              // else the profile's test.baud, else 115200
    bool reset = true;                              // pulse RTS into the app first
    bool mark_tested = true;                        // after a pass (unless the profile says not to)
    const Config* config = nullptr;                 // the factory config, when there is one
    ledger::Ledger* ledger = nullptr;               // where the device is and the run goes; none: not recorded
    std::string actor;
    // The MQTT master secret, for the identity's password hash; "" when there is none (not compared).
    std::function<std::string()> mqtt_secret;
    // The claim secret, for templates that use {{claim_code}}; "" when there is none (not compared).
    std::function<std::string()> claim_secret;
    std::function<void(const std::string&)> note; // remarks for the operator (no reset lines, not recorded)
    factory::TestRunHooks hooks;
};

struct PortTestResult {
    BoardTestResult test;
    std::optional<ledger::Device> device; // the board's ledger device, when known
    bool recorded = false;                // the run is a ledger attempt of that device
    std::string plan_source;              // the plan's file, or "built-in"
    factory::ConsoleCounters counters;
    std::string log; // the console's non-protocol lines (the boot log), newest 64 KiB
    std::chrono::microseconds duration{0};
};

// Error(not_found) for a --serial the ledger does not have or a plan file that is missing,
// Error(config.invalid) for a bad plan, Error(conflict) for a device that was never flashed (nothing
// to test), port errors as open_transport throws them. A failing board is a result, not an error.
PortTestResult test_port(const PortTestRequest& request);

} // namespace vesper::station
