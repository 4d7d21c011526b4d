// Runs a factory test plan and judges the answers (see test_runner.hpp).
#include "vesper/factory/test_runner.hpp"

#include <cctype>
#include <cstdio>

#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::factory {

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using nlohmann::json;

std::string shown(const json& v) { return quote_value(json_text(v), 80); }

std::string limit_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

// One attempt of one test.
struct Outcome {
    Verdict verdict = Verdict::pass;
    json measured;
    std::string limits;
    std::string message;
    std::string cause; // empty: test:<name>
    bool stop = false; // the run cannot go on (a crash, the port gone)
};

Outcome fail_outcome(Verdict v, std::string message, std::string cause = {}) {
    Outcome o;
    o.verdict = v;
    o.message = std::move(message);
    o.cause = std::move(cause);
    return o;
}

std::string text_field(const json& body, const char* key) {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Outcome run_command(ConsoleSession& console, const TestSpec& t) {
    const Answer a = console.request(t.command, t.args, t.timeout);
    if (!a.ok) return fail_outcome(Verdict::error, "the board answered err: " + a.error_text());
    Outcome o;
    std::vector<std::string> limits, broken;
    if (t.expect.empty()) {
        o.measured = a.body; // nothing to check: the whole answer is what was measured
        return o;
    }
    o.measured = json::object();
    for (const FieldRules& f : t.expect) {
        const json* v = find_field(a.body, f.parts);
        o.measured[f.path] = v ? *v : json(nullptr);
        limits.push_back(f.path + " " + f.limits());
        if (std::string why = check_field(f, v); !why.empty()) broken.push_back(f.path + ": " + why);
    }
    o.limits = join(limits, "; ");
    if (!broken.empty()) {
        o.verdict = Verdict::fail;
        o.message = join(broken, "; ");
    }
    return o;
}

Outcome run_line(ConsoleSession& console, const TestSpec& t) {
    Outcome o;
    o.limits = "/" + t.match_text + "/";
    try {
        const LineMatch m = console.expect_line(t.send, t.match, t.not_matching, t.timeout);
        o.measured = m.line;
        if (!m.matched) {
            o.verdict = Verdict::fail;
            o.message = "a line matched not_matching /" + t.not_matching_text[static_cast<std::size_t>(m.rejected_by)] +
                        "/: " + quote_value(m.line, 120);
        }
    } catch (const Error& e) {
        if (e.code() != ErrorCode::factory_timeout) throw;
        // No matching line is the line test failing, not the board failing to answer.
        o.verdict = Verdict::fail;
        o.measured = nullptr;
        o.message = "no line matched /" + t.match_text + "/ within " + std::to_string(t.timeout.count()) + " ms";
    }
    return o;
}

Outcome check_mac(ConsoleSession& console, const TestSpec& t, const CrossCheckContext& ctx) {
    const std::string rom = normalize_mac(ctx.rom_mac), ledger = normalize_mac(ctx.ledger_mac);
    if (rom.empty() && ledger.empty())
        return fail_outcome(Verdict::skip, "no MAC from the ROM loader or the ledger to compare with");
    const Answer a = console.request("info", json::object(), t.timeout);
    if (!a.ok) return fail_outcome(Verdict::error, "the board answered err to info: " + a.error_text());
    Outcome o;
    const std::string said = text_field(a.body, "mac");
    const std::string mac = normalize_mac(said);
    o.measured = json{{"mac", a.body.contains("mac") ? a.body["mac"] : json(nullptr)}};
    std::vector<std::string> limits, broken;
    if (!rom.empty()) {
        limits.push_back("= " + rom + " (ROM loader)");
        if (mac != rom)
            broken.push_back("the app reports MAC " + shown(a.body.value("mac", json())) + ", the ROM loader read " +
                             rom);
    }
    if (!ledger.empty()) {
        limits.push_back("= " + ledger + " (ledger)");
        if (mac != ledger)
            broken.push_back("the app reports MAC " + shown(a.body.value("mac", json())) + ", the ledger has " +
                             ledger);
    }
    o.limits = join(limits);
    if (!broken.empty()) {
        o.verdict = Verdict::fail;
        o.cause = "identity_mismatch";
        o.message = join(broken, "; ");
    }
    return o;
}

Outcome check_identity(ConsoleSession& console, const TestSpec& t, const CrossCheckContext& ctx) {
    const ExpectedIdentity& want = ctx.identity;
    std::vector<std::pair<std::string, json>> expected;
    auto add_text = [&](const char* key, const std::string& v) {
        if (!v.empty()) expected.emplace_back(key, v);
    };
    add_text("serial_number", want.serial_number);
    add_text("hw_type", want.hw_type);
    add_text("hw_version", want.hw_version);
    add_text("plan", want.plan);
    if (want.outputs) expected.emplace_back("outputs", *want.outputs);
    if (want.batch_id) expected.emplace_back("batch_id", *want.batch_id);
    if (expected.empty() && want.mqtt_pass_sha256.empty())
        return fail_outcome(Verdict::skip, "no ledger identity given to compare with");

    const Answer a = console.request("identity", json::object(), t.timeout);
    if (!a.ok) return fail_outcome(Verdict::error, "the board answered err to identity: " + a.error_text());
    Outcome o;
    o.measured = json::object();
    std::vector<std::string> limits, broken;
    for (const auto& [key, value] : expected) {
        const json got = a.body.contains(key) ? a.body[key] : json(nullptr);
        o.measured[key] = got;
        limits.push_back(key + " = " + (value.is_string() ? value.get<std::string>() : json_text(value)));
        if (got != value)
            broken.push_back(key + ": the board has " +
                             (got.is_null() ? std::string("none (unreadable)") : shown(got)) + ", the ledger " +
                             shown(value));
    }
    if (!want.mqtt_pass_sha256.empty()) {
        const json got = a.body.contains("mqtt_pass_sha256") ? a.body["mqtt_pass_sha256"] : json(nullptr);
        o.measured["mqtt_pass_sha256"] = got;
        limits.push_back("mqtt_pass_sha256 = " + want.mqtt_pass_sha256.substr(0, 12) + "…");
        if (!got.is_string() || !iequals(got.get<std::string>(), want.mqtt_pass_sha256))
            broken.push_back(std::string("mqtt_pass_sha256: ") +
                             (got.is_null() ? "the board cannot read its MQTT password"
                                            : "the board's MQTT password is not the one derived for this serial"));
    }
    o.limits = join(limits, "; ");
    if (!broken.empty()) {
        o.verdict = Verdict::fail;
        o.cause = "identity_mismatch";
        o.message = join(broken, "; ");
    }
    return o;
}

Outcome check_firmware(ConsoleSession& console, const CrossCheckContext& ctx) {
    if (ctx.firmware_version.empty() && ctx.app_sha256.empty())
        return fail_outcome(Verdict::skip, "no expected firmware version or app SHA-256 given");
    Outcome o;
    const json& hello = console.hello() ? *console.hello() : json();
    auto field = [&](const char* key) { return hello.is_object() && hello.contains(key) ? hello[key] : json(nullptr); };
    o.measured = json::object();
    std::vector<std::string> limits, broken;
    if (!ctx.firmware_version.empty()) {
        const json got = field("fw_version");
        o.measured["fw_version"] = got;
        limits.push_back("fw_version = " + ctx.firmware_version);
        if (!got.is_string() || got.get<std::string>() != ctx.firmware_version)
            broken.push_back("the board runs firmware " + shown(got) + ", expected " + ctx.firmware_version);
    }
    // A board that cannot hash its app says null: only a digest it does report must be the image's.
    const json sha = field("app_sha256");
    if (!ctx.app_sha256.empty() && sha.is_string()) {
        o.measured["app_sha256"] = sha;
        limits.push_back("app_sha256 = " + ctx.app_sha256.substr(0, 12) + "…");
        if (!iequals(sha.get<std::string>(), ctx.app_sha256))
            broken.push_back("the board's app SHA-256 " + sha.get<std::string>().substr(0, 12) +
                             "… is not the profile's app image's " + ctx.app_sha256.substr(0, 12) + "…");
    }
    o.limits = join(limits, "; ");
    if (!broken.empty()) {
        o.verdict = Verdict::fail;
        o.message = join(broken, "; ");
    }
    return o;
}

Outcome attempt(ConsoleSession& console, const TestSpec& t, const CrossCheckContext& ctx) {
    try {
        switch (t.kind) {
        case TestKind::command: return run_command(console, t);
        case TestKind::line: return run_line(console, t);
        case TestKind::check:
            switch (t.check) {
            case CrossCheck::mac: return check_mac(console, t, ctx);
            case CrossCheck::identity: return check_identity(console, t, ctx);
            case CrossCheck::firmware: return check_firmware(console, ctx);
            }
        }
    } catch (const Error& e) {
        if (e.code() == ErrorCode::factory_crash) {
            Outcome o = fail_outcome(Verdict::fail, e.what(), "crash");
            o.stop = true;
            return o;
        }
        if (e.code() == ErrorCode::factory_timeout) return fail_outcome(Verdict::error, e.what());
        // The port failed (or something below did): nothing later can run on this board.
        Outcome o = fail_outcome(Verdict::error, e.what());
        o.stop = true;
        return o;
    }
    return fail_outcome(Verdict::error, "unknown test kind");
}

std::string command_label(const TestSpec& t) {
    switch (t.kind) {
    case TestKind::command: return t.command;
    case TestKind::line: return "send: " + t.send;
    case TestKind::check: return std::string("check: ") + to_string(t.check);
    }
    return {};
}

std::chrono::microseconds micros_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

} // namespace

const char* to_string(Verdict verdict) noexcept {
    switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::skip: return "skip";
    case Verdict::error: return "error";
    }
    return "error";
}

const json* find_field(const json& doc, const std::vector<std::string>& parts) {
    const json* at = &doc;
    for (const std::string& part : parts) {
        if (at->is_object()) {
            auto it = at->find(part);
            if (it == at->end()) return nullptr;
            at = &*it;
        } else if (at->is_array()) {
            auto index = parse_uint(part);
            if (!index || part.find_first_not_of("0123456789") != std::string::npos || *index >= at->size())
                return nullptr;
            at = &(*at)[static_cast<std::size_t>(*index)];
        } else {
            return nullptr;
        }
    }
    return at;
}

std::string check_field(const FieldRules& rules, const json* value) {
    if (!value) return "missing from the answer";
    const json& v = *value;
    if (rules.equals && v != *rules.equals) return "is " + shown(v) + ", expected = " + shown(*rules.equals);
    if (rules.min || rules.max) {
        if (!v.is_number()) return "is " + shown(v) + ", not a number";
        const double d = v.get<double>();
        if (rules.min && d < *rules.min) return json_text(v) + " is below min " + limit_text(*rules.min);
        if (rules.max && d > *rules.max) return json_text(v) + " is above max " + limit_text(*rules.max);
    }
    if (rules.regex) {
        if (!v.is_string()) return "is " + shown(v) + ", not text";
        if (!std::regex_search(v.get<std::string>(), *rules.regex))
            return shown(v) + " does not match /" + *rules.regex_text + "/";
    }
    if (rules.one_of) {
        bool found = false;
        for (const json& allowed : *rules.one_of)
            found = found || v == allowed;
        if (!found) return shown(v) + " is not one of " + json_text(json(*rules.one_of));
    }
    return {};
}

std::string normalize_mac(std::string_view mac) {
    std::string hex;
    for (char c : trim(mac)) {
        if (c == ':' || c == '-') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
        hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (hex.size() != 12) return {};
    std::string out;
    for (std::size_t i = 0; i < 12; i += 2) {
        if (i) out += ':';
        out += hex.substr(i, 2);
    }
    return out;
}

TestRunResult run_test_plan(ConsoleSession& console, const TestPlan& plan, const CrossCheckContext& context,
                            const TestRunHooks& hooks) {
    const auto start = Clock::now();
    TestRunResult run;
    std::string stopped_at; // the test that stopped the run
    try {
        run.hello = console.wait_hello(plan.hello_timeout);
    } catch (const Error& e) {
        run.cause = e.code() == ErrorCode::factory_crash ? "crash" : "no_hello";
        run.message = e.what();
        stopped_at = "the hello";
    }
    for (const TestSpec& t : plan.tests) {
        TestResult r;
        r.name = t.name;
        r.command = command_label(t);
        r.required = t.required;
        if (!stopped_at.empty()) {
            r.verdict = Verdict::skip;
            r.message = "not run: the run stopped at " + stopped_at;
        } else {
            const auto t0 = Clock::now();
            Outcome o;
            for (int n = 1; n <= 1 + t.retries; ++n) {
                if (hooks.on_attempt) hooks.on_attempt(t, n);
                r.attempts = n;
                o = attempt(console, t, context);
                if (o.verdict == Verdict::pass || o.verdict == Verdict::skip || o.stop) break;
            }
            r.duration = micros_since(t0);
            r.verdict = o.verdict;
            r.measured = std::move(o.measured);
            r.limits = std::move(o.limits);
            r.message = std::move(o.message);
            if (r.verdict == Verdict::fail || r.verdict == Verdict::error) {
                r.cause = o.cause.empty() ? "test:" + t.name : o.cause;
                if (o.stop || t.stop_on_fail) stopped_at = t.name;
                // A crash or a stop ends the run even in an optional test; otherwise only a required test's
                // failure is the run's.
                if (run.cause.empty() && (t.required || !stopped_at.empty())) {
                    run.cause = r.cause;
                    run.message = t.name + ": " + r.message;
                }
            }
        }
        if (hooks.on_result) hooks.on_result(r);
        run.tests.push_back(std::move(r));
    }
    run.passed = run.cause.empty();
    run.duration = micros_since(start);
    return run;
}

} // namespace vesper::factory
