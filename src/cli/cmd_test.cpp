// vesperctl test: the factory test of the board on one port (docs/factory-test.md): reset into the app,
// hello, the plan, mark_tested after a pass; a table per test or --json; the run recorded in the ledger.
#include <iostream>

#include "cli.hpp"
#include "device_args.hpp"
#include "station_cli.hpp"
#include "vesper/factory/test_report.hpp"
#include "vesper/station/port_test.hpp"

namespace vesper::cli {

namespace {

struct TestArgs {
    std::string port;
    std::string serial;
    std::string plan;
    std::string config;
    std::string secret_file;
    std::string claim_secret_file;
    std::optional<std::uint32_t> baud;
    bool no_reset = false;
    bool no_mark = false;
};

void run_test(const Context& ctx, const TestArgs& a) {
    // The config names each board type's profile (plan, firmware, NVS template); without one, the built-in
    // plan and the ledger's identity are used.
    const std::optional<station::Config> config = find_optional_config(a.config);
    std::optional<ledger::Ledger> ledger;
    try {
        ledger = ctx.open_ledger(ctx.ledger_location(config ? config->ledger : std::nullopt), ledger::Access::existing);
    } catch (const Error& e) {
        // Without --serial a test needs no ledger: it is then only not recorded.
        if (e.kind() != ErrorKind::not_found || !a.serial.empty()) throw;
    }

    station::PortTestRequest req;
    req.port = resolve_port(a.port);
    if (!a.serial.empty()) req.serial = a.serial;
    if (!a.plan.empty()) req.plan_file = a.plan;
    req.baud = a.baud;
    req.reset = !a.no_reset;
    req.mark_tested = !a.no_mark;
    req.config = config ? &*config : nullptr;
    req.ledger = ledger ? &*ledger : nullptr;
    req.actor = Context::actor();
    req.mqtt_secret = [&a]() -> std::string {
        try {
            return read_mqtt_secret(a.secret_file);
        } catch (const Error& e) {
            if (e.code() == ErrorCode::secret_missing) return {};
            throw;
        }
    };
    req.claim_secret = [&a]() -> std::string {
        try {
            return read_claim_secret(a.claim_secret_file);
        } catch (const Error& e) {
            if (e.code() == ErrorCode::secret_missing) return {};
            throw;
        }
    };
    req.note = [](const std::string& text) { std::cerr << "vesperctl: " << text << "\n"; };
    if (!ctx.json)
        req.hooks.on_result = [](const factory::TestResult& t) {
            std::cerr << "  " << t.name << ": " << factory::to_string(t.verdict) << "\n";
        };

    const station::PortTestResult r = station::test_port(req);
    const std::string serial = r.device ? r.device->serial : std::string();
    if (ctx.json) {
        nlohmann::json doc = factory::test_run_json(r.test.run);
        doc["port"] = req.port;
        doc["serial"] = serial.empty() ? nlohmann::json(nullptr) : nlohmann::json(serial);
        doc["passed"] = r.test.passed;
        doc["cause"] = r.test.cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.test.cause);
        doc["message"] = r.test.message.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.test.message);
        doc["marked"] = r.test.marked;
        doc["recorded"] = r.recorded;
        doc["status"] = r.device ? nlohmann::json(ledger::to_string(r.device->status)) : nlohmann::json(nullptr);
        doc["plan"] = r.plan_source;
        doc["console"] = factory::console_counters_json(r.counters);
        doc["log"] = r.log; // the boot log and every other non-protocol line, newest 64 KiB
        ctx.print_json(doc);
    } else {
        std::cout << "Port:   " << req.port << "\nSerial: " << (serial.empty() ? "- (not in the ledger)" : serial)
                  << "\nPlan:   " << r.plan_source << "\n\n";
        factory::write_test_table(std::cout, r.test.run);
        std::cout << "\n" << (r.test.passed ? "PASSED" : "FAILED (" + r.test.cause + ")");
        if (r.test.marked) std::cout << ", marked tested";
        if (r.recorded) std::cout << "; " << serial << " is now " << ledger::to_string(r.device->status);
        std::cout << "\n";
    }
    if (!r.test.passed) fail(r.test.code, r.test.message);
}

} // namespace

void register_test(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<TestArgs>();
    auto* cmd = app.add_subcommand("test", "Factory-test the board on a port: reset into its app, run the test plan, "
                                           "record the result");
    cmd->add_option("-p,--port", a->port, "Serial port, socket://HOST:PORT or rfc2217://HOST:PORT ($VESPER_PORT)");
    cmd->add_option("--serial", a->serial, "The board's serial (default: the device bound to the MAC its app reports)");
    cmd->add_option("--plan", a->plan, "Test plan file (default: the board's profile's, else the built-in plan)");
    cmd->add_option("--config", a->config,
                    "Factory config with the board profiles (default: $VESPER_CONFIG, ./vesper.yaml)");
    cmd->add_option("-b,--baud", a->baud, "The app console's baud rate (default: the profile's, else 115200)")
        ->check(CLI::Range(300, 5000000));
    cmd->add_flag("--no-reset", a->no_reset, "Do not reset the board: test the app as it runs");
    cmd->add_flag("--no-mark", a->no_mark, "Do not store the board's tested flag after a pass");
    cmd->add_option("--secret-file", a->secret_file,
                    "File holding the MQTT master secret, to check the board's MQTT password ($VESPER_MQTT_SECRET)");
    cmd->add_option("--claim-secret-file", a->claim_secret_file,
                    "File holding the claim secret, for templates that use {{claim_code}} ($VESPER_CLAIM_SECRET)");
    cmd->callback([&ctx, a] { run_test(ctx, *a); });
}

} // namespace vesper::cli
