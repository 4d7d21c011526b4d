#include "vesper/station/port_test.hpp"

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/factory/test_plan.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/station/firmware.hpp"

namespace vesper::station {

namespace {

using Clock = std::chrono::steady_clock;

void say(const PortTestRequest& r, const std::string& text) {
    if (r.note) r.note(text);
}

// The board's ledger device by the MAC its app reports, when the ledger has one bound to it. A board
// that does not answer is left to the test run, which reports it as it should (no_hello).
std::optional<ledger::Device> find_by_app_mac(factory::ConsoleSession& session, const ledger::Ledger& ledger,
                                              std::chrono::milliseconds hello_timeout) {
    try {
        session.wait_hello(hello_timeout);
        const factory::Answer info = session.request("info", nlohmann::json::object(), std::chrono::seconds(5));
        if (!info.ok) return std::nullopt;
        const std::string mac = factory::normalize_mac(info.body.value("mac", std::string()));
        if (mac.empty()) return std::nullopt;
        return ledger.find_device_by_mac(mac);
    } catch (const Error&) {
        return std::nullopt;
    }
}

// The device's profile in the config, when both are there.
const BoardProfile* profile_of(const PortTestRequest& r, const std::optional<ledger::Device>& device) {
    if (!r.config || !device) return nullptr;
    return r.config->find_profile(device->hw_type, device->hw_version);
}

} // namespace

PortTestResult test_port(const PortTestRequest& r) {
    const auto t0 = Clock::now();
    PortTestResult out;

    // Everything that can be refused is checked before the board is touched.
    if (r.serial) {
        if (!r.ledger) fail(ErrorKind::not_found, "--serial " + *r.serial + ": no ledger to find it in");
        out.device = r.ledger->get_device(*r.serial);
    }
    std::optional<factory::TestPlan> plan_file;
    if (r.plan_file) plan_file = factory::load_test_plan(*r.plan_file);
    const factory::TestPlan fallback_plan = factory::default_test_plan();

    const BoardProfile* before = profile_of(r, out.device);
    const std::uint32_t baud = r.baud ? *r.baud : before ? before->test.baud : 115200;
    std::unique_ptr<esp::Transport> port = esp::open_transport(r.port, baud);
    if (r.reset && !esp::hard_reset(*port))
        say(r, r.port + " has no reset lines: testing the app as it runs (it is asked for its hello)");
    factory::ConsoleSession session(*port);

    if (!out.device && r.ledger) {
        const auto& timeout = plan_file ? plan_file->hello_timeout : fallback_plan.hello_timeout;
        out.device = find_by_app_mac(session, *r.ledger, timeout);
        if (!out.device) say(r, "the board on " + r.port + " is not in the ledger: the run is not recorded");
    }
    if (out.device && !ledger::transition_allowed(out.device->status, ledger::DeviceStatus::tested))
        fail(ErrorKind::conflict, out.device->serial + " is " + ledger::to_string(out.device->status) +
                                      ": a test cannot move it to tested (a board is flashed before it is tested)");

    const BoardProfile* profile = profile_of(r, out.device);
    const factory::TestPlan& plan = plan_file ? *plan_file : profile ? *profile->test.plan : fallback_plan;
    out.plan_source = plan.source;

    factory::CrossCheckContext context;
    std::optional<FirmwareSet> firmware;
    if (profile) firmware = load_firmware(*profile, r.config->file);
    if (out.device) {
        context.ledger_mac = out.device->mac;
        context.identity = ledger_identity(*out.device);
        if (firmware) {
            const std::string secret = r.mqtt_secret ? r.mqtt_secret() : std::string();
            const std::string claim_secret = r.claim_secret ? r.claim_secret() : std::string();
            try {
                context.identity = expected_identity(*firmware, *out.device, secret, claim_secret);
            } catch (const Error& e) {
                if (e.code() != ErrorCode::secret_missing) throw;
                // The message names the template and the secret it needs (never a secret's value).
                say(r, std::string(e.what()) + ": the fields derived from secrets are not checked");
            }
        }
    }
    if (firmware) {
        context.firmware_version = firmware->firmware_version;
        context.app_sha256 = firmware->app_sha256;
    }

    std::int64_t attempt = 0;
    if (out.device && r.ledger) attempt = r.ledger->begin_attempt(out.device->serial, "test", "", r.port);

    BoardTestOptions options;
    options.mark_tested = r.mark_tested && (!profile || profile->test.mark_tested);
    options.hooks = r.hooks;
    out.test = test_board(session, plan, context, options, r.port);
    out.counters = session.counters();
    out.log = session.log();
    out.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);

    if (attempt != 0) {
        ledger::AttemptOutcome outcome;
        outcome.passed = out.test.passed;
        outcome.sets_status = ledger::DeviceStatus::tested;
        if (!outcome.passed) {
            outcome.cause = out.test.cause;
            outcome.code = std::string(to_string(out.test.code));
            outcome.error = out.test.message;
        }
        outcome.seconds = std::chrono::duration<double>(out.duration).count();
        outcome.tests = test_records(out.test.run);
        r.ledger->finish_attempt(attempt, outcome);
        out.recorded = true;
        out.device = r.ledger->get_device(out.device->serial);
    }
    return out;
}

} // namespace vesper::station
