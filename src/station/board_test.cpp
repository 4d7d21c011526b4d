#include "vesper/station/board_test.hpp"

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/station/identity.hpp"

namespace vesper::station {

namespace {

// The firmware reads its identity from this namespace (templates/vesper-device.csv, docs/firmware.md).
constexpr const char* kIdentityNamespace = "vesper";

} // namespace

factory::ExpectedIdentity ledger_identity(const ledger::Device& device) {
    factory::ExpectedIdentity id;
    id.serial_number = device.serial;
    id.hw_type = device.hw_type;
    id.hw_version = device.hw_version;
    id.plan = device.subscription_plan;
    id.outputs = device.available_outputs;
    id.batch_id = device.batch_id;
    return id;
}

factory::ExpectedIdentity expected_identity(const FirmwareSet& firmware, const ledger::Device& device,
                                            const std::string& mqtt_secret, const std::string& claim_secret) {
    if (!firmware.nvs_template || !firmware.nvs_partition) return ledger_identity(device);
    const esp::RegionSource region =
        render_nvs(firmware, identity_fields(device, *firmware.nvs_template, mqtt_secret, claim_secret), device.serial);
    factory::ExpectedIdentity id;
    for (const nvs::NvsValue& v : nvs::read_image(region.data).values) {
        if (v.ns != kIdentityNamespace) continue;
        const std::string text(v.data.begin(), v.data.end());
        const auto number = static_cast<std::int64_t>(v.integer);
        if (v.key == "serial_number")
            id.serial_number = text;
        else if (v.key == "hw_type")
            id.hw_type = text;
        else if (v.key == "hw_version")
            id.hw_version = text;
        else if (v.key == "plan")
            id.plan = text;
        else if (v.key == "mqtt_pass")
            id.mqtt_pass_sha256 = to_hex(sha256(as_bytes(text)));
        else if (v.key == "outputs" && nvs::is_integer(v.type))
            id.outputs = number;
        else if (v.key == "batch_id" && nvs::is_integer(v.type))
            id.batch_id = number;
    }
    return id;
}

BoardTestResult test_board(factory::ConsoleSession& session, const factory::TestPlan& plan,
                           const factory::CrossCheckContext& context, const BoardTestOptions& options,
                           const std::string& port) {
    BoardTestResult r;
    r.run = factory::run_test_plan(session, plan, context, options.hooks);
    if (!r.run.passed) {
        r.cause = r.run.cause;
        r.code = r.cause == "no_hello" ? ErrorCode::factory_no_hello
                 : r.cause == "crash"  ? ErrorCode::factory_crash
                                       : ErrorCode::factory_test_failed;
        const std::string test = r.cause.rfind("test:", 0) == 0 ? "test " + r.cause.substr(5) + ": " : "";
        r.message = port + ": " + test + r.run.message;
        return r;
    }
    if (options.mark_tested) {
        try {
            const factory::Answer a = session.request("mark_tested", {{"passed", true}}, options.mark_timeout);
            if (!a.ok || a.body.value("factory_ok", false) != true) {
                r.cause = "mark_tested";
                r.message = port + ": every test passed but the board did not store its tested flag: " +
                            (a.ok ? json_text(a.body) : a.error_text());
                return r;
            }
        } catch (const Error& e) {
            r.cause = "mark_tested";
            r.code = e.code();
            r.message = port + ": every test passed but marking the board tested failed: " + e.what();
            return r;
        }
        r.marked = true;
    }
    r.passed = true;
    return r;
}

std::vector<ledger::TestRecord> test_records(const factory::TestRunResult& run) {
    std::vector<ledger::TestRecord> out;
    out.reserve(run.tests.size());
    for (const factory::TestResult& t : run.tests) {
        ledger::TestRecord rec;
        rec.name = t.name;
        rec.command = t.command;
        rec.measured = json_text(t.measured);
        rec.limits = t.limits;
        rec.verdict = factory::to_string(t.verdict);
        rec.required = t.required;
        rec.tries = t.attempts;
        rec.seconds = std::chrono::duration<double>(t.duration).count();
        rec.message = t.message;
        out.push_back(std::move(rec));
    }
    return out;
}

} // namespace vesper::station
