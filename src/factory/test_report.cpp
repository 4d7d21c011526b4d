#include "vesper/factory/test_report.hpp"

#include <string>
#include <vector>

#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"
#include "vesper/core/text_table.hpp"

namespace vesper::factory {

namespace {

using nlohmann::json;

// Milliseconds to the microsecond in JSON; whole milliseconds in the table.
double ms(std::chrono::microseconds d) { return static_cast<double>(d.count()) / 1000.0; }
std::string ms_cell(std::chrono::microseconds d) { return std::to_string((d.count() + 500) / 1000); }

constexpr std::size_t kMaxCell = 60; // bytes of a value cell; a scan's network list is longer

// A measured value in a table cell: one field's value alone, several as key=value.
std::string value_cell(const json& measured) {
    if (measured.is_null()) return {};
    if (!measured.is_object()) return measured.is_string() ? measured.get<std::string>() : json_text(measured);
    std::vector<std::string> parts;
    for (const auto& [key, value] : measured.items()) {
        const std::string v = value.is_string() ? value.get<std::string>() : json_text(value);
        parts.push_back(measured.size() == 1 ? v : key + "=" + v);
    }
    std::string text = join(parts, " ");
    std::size_t n = kMaxCell;
    if (text.size() <= n) return text;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) // not inside a UTF-8 character
        --n;
    return text.substr(0, n) + "…";
}

} // namespace

json test_result_json(const TestResult& t) {
    json j = {{"name", t.name},
              {"command", t.command},
              {"measured", t.measured},
              {"limits", t.limits},
              {"verdict", to_string(t.verdict)},
              {"required", t.required},
              {"attempts", t.attempts},
              {"ms", ms(t.duration)}};
    j["message"] = t.message.empty() ? json(nullptr) : json(t.message);
    j["cause"] = t.cause.empty() ? json(nullptr) : json(t.cause);
    return j;
}

json test_run_json(const TestRunResult& run) {
    json tests = json::array();
    for (const auto& t : run.tests)
        tests.push_back(test_result_json(t));
    return {{"passed", run.passed},
            {"cause", run.cause.empty() ? json(nullptr) : json(run.cause)},
            {"message", run.message.empty() ? json(nullptr) : json(run.message)},
            {"hello", run.hello},
            {"tests", std::move(tests)},
            {"ms", ms(run.duration)}};
}

json console_counters_json(const ConsoleCounters& c) {
    return {{"lines", c.lines},       {"log_lines", c.log_lines}, {"frames", c.frames},
            {"ignored", c.ignored},   {"bad_crc", c.bad_crc},     {"malformed", c.malformed},
            {"too_long", c.too_long}, {"stale", c.stale},         {"unsolicited", c.unsolicited},
            {"requests", c.requests}};
}

void write_test_table(std::ostream& out, const TestRunResult& run) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : run.tests) {
        std::string verdict = to_string(t.verdict);
        if (!t.required && t.verdict != Verdict::pass) verdict += " (optional)";
        rows.push_back({t.name, or_dash(value_cell(t.measured)), or_dash(t.limits), verdict,
                        t.attempts == 0 ? "-" : ms_cell(t.duration)});
    }
    print_table(out, {"TEST", "VALUE", "LIMITS", "VERDICT", "MS"}, rows);
    for (const auto& t : run.tests)
        if (t.verdict != Verdict::pass && !t.message.empty()) out << "  " << t.name << ": " << t.message << "\n";
}

} // namespace vesper::factory
