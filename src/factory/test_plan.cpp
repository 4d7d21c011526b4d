// Factory test plans: YAML in, a checked TestPlan out (schema in docs/factory-test.md).
#include "vesper/factory/test_plan.hpp"

#include <array>
#include <cstdio>
#include <limits>

#include "vesper/core/edit_distance.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"
#include "vesper/factory/frame.hpp"
#include "vesper/yaml/reader.hpp"

namespace vesper::factory {

namespace {

using yaml::Kind;
using yaml::Node;
using yaml::Reader;

constexpr std::array<std::string_view, 6> kTestCommands{"hello", "info", "identity", "outputs", "gpio", "wifi_scan"};
constexpr std::size_t kMaxName = 64;
constexpr std::uint64_t kMaxTimeoutMs = 600'000;

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string join_field(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

bool is_test_name(std::string_view s) {
    if (s.empty() || s.size() > kMaxName) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    return true;
}

// A plain YAML scalar as JSON: true/false, integers, decimals; anything else (and every quoted
// scalar) is a string, so `equals: "1"` is the text and `equals: 1` the number.
nlohmann::json scalar_json(const Node& node) {
    if (node.quoted) return node.scalar;
    const std::string_view s = trim(node.scalar);
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    bool numeric = !s.empty();
    for (std::size_t i = 0; i < s.size() && numeric; ++i) {
        const char c = s[i];
        numeric = (c >= '0' && c <= '9') || c == '.' || ((c == '-' || c == '+') && i == 0) || c == 'e' || c == 'E';
    }
    if (numeric) {
        const bool integral = s.find_first_of(".eE") == std::string_view::npos;
        if (integral) {
            const std::string digits(s[0] == '+' ? s.substr(1) : s);
            if (auto v = parse_int(digits); v && digits.find_first_of("xX") == std::string::npos) return *v;
        }
        nlohmann::json j = nlohmann::json::parse(s[0] == '+' ? s.substr(1) : s, nullptr, false);
        if (!j.is_discarded() && j.is_number()) return j;
    }
    return node.scalar;
}

// A YAML node as JSON (args, equals, one_of values). Map keys must be plain and unique.
nlohmann::json to_json(const Reader& r, const Node& node, const std::string& field) {
    switch (node.kind) {
    case Kind::null: return nullptr;
    case Kind::scalar: return scalar_json(node);
    case Kind::sequence: {
        nlohmann::json a = nlohmann::json::array();
        for (std::size_t i = 0; i < node.items.size(); ++i)
            a.push_back(to_json(r, node.items[i], field + "[" + std::to_string(i) + "]"));
        return a;
    }
    case Kind::map: {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& e : node.entries) {
            if (e.key.kind != Kind::scalar || e.key.scalar.empty()) r.fail_at(e.key, field, "keys must be plain names");
            const std::string where = join_field(field, e.key.scalar);
            if (o.contains(e.key.scalar)) r.fail_at(e.key, where, "given twice");
            o[e.key.scalar] = to_json(r, e.value, where);
        }
        return o;
    }
    }
    return nullptr;
}

std::regex compile(const Reader& r, const Node& node, const std::string& field, std::string& text) {
    if (node.kind != Kind::scalar) r.fail_at(node, field, "expected a regular expression (text)");
    text = node.scalar;
    if (text.empty()) r.fail_at(node, field, "the regular expression is empty (it would match every line)");
    try {
        return std::regex(text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        r.fail_at(node, field, quote_value(text) + " is not a valid ECMAScript regular expression (" + e.what() + ")");
    }
}

std::string command_of(const Reader& r, const Node& node, const std::string& field) {
    const std::string s = r.string(node, field);
    for (auto c : kTestCommands)
        if (c == s) return s;
    if (s == "mark_tested")
        r.fail_at(node, field, "'mark_tested' is not a test: the test step sends it once every test passed");
    if (s == "reboot") r.fail_at(node, field, "'reboot' is not a test: a restart during a test is taken as a crash");
    std::string msg = quote_value(s) + " is not a protocol command a test can send (" + join(kTestCommands) + ")";
    for (auto c : kTestCommands)
        if (edit_distance(s, c) <= 2) {
            msg += "; did you mean " + std::string(c) + "?";
            break;
        }
    r.fail_at(node, field, msg);
}

FieldRules read_rules(const Reader& r, const Node& key, const Node& value, const std::string& field) {
    FieldRules f;
    f.path = key.scalar;
    f.line = key.line;
    for (const std::string& part : split(f.path, '.')) {
        bool ok = !part.empty();
        for (char c : part)
            ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
        if (!ok) r.fail_at(key, field, "not a field path: names and array indices joined by dots (networks.0.rssi)");
        f.parts.push_back(part);
    }
    if (value.kind != Kind::map)
        r.fail_at(value.kind == Kind::null ? key : value, field,
                  "expected rules (equals, min, max, regex, one_of), e.g. {min: 1}");
    if (value.entries.empty()) r.fail_at(value, field, "no rule: give equals, min, max, regex or one_of");
    const Node* min_node = nullptr;
    for (const auto& e : value.entries) {
        const std::string name = e.key.kind == Kind::scalar ? e.key.scalar : std::string();
        const std::string where = field + "." + name;
        const bool seen = (name == "equals" && f.equals) || (name == "min" && f.min) || (name == "max" && f.max) ||
                          (name == "regex" && f.regex) || (name == "one_of" && f.one_of);
        if (seen) r.fail_at(e.key, where, "given twice");
        if (name == "equals") {
            f.equals = to_json(r, e.value, where);
        } else if (name == "min" || name == "max") {
            if (e.value.kind == Kind::null) r.fail_at(e.key, where, "has no value");
            const double v =
                r.number(e.value, where, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
            (name == "min" ? f.min : f.max) = v;
            if (name == "min") min_node = &e.value;
        } else if (name == "regex") {
            std::string text;
            f.regex = compile(r, e.value, where, text);
            f.regex_text = text;
        } else if (name == "one_of") {
            if (e.value.kind != Kind::sequence || e.value.items.empty())
                r.fail_at(e.value.kind == Kind::null ? e.key : e.value, where, "expected a list of allowed values");
            std::vector<nlohmann::json> values;
            for (std::size_t i = 0; i < e.value.items.size(); ++i)
                values.push_back(to_json(r, e.value.items[i], where + "[" + std::to_string(i) + "]"));
            f.one_of = std::move(values);
        } else {
            r.fail_at(e.key, where, "unknown rule (expected one of: equals, min, max, regex, one_of)");
        }
    }
    if (f.min && f.max && *f.min > *f.max)
        r.fail_at(min_node ? *min_node : value, field,
                  "min " + number_text(*f.min) + " is more than max " + number_text(*f.max) + ": nothing passes");
    return f;
}

TestSpec read_test(const Reader& r, const Node& node, const std::string& field) {
    TestSpec t;
    t.line = node.line;
    const auto entries = r.entries(node, field,
                                   {"name", "command", "args", "expect", "send", "match", "not_matching", "check",
                                    "timeout_ms", "retries", "required", "on_fail"});
    const auto* name = yaml::find(entries, "name");
    if (!name) r.fail_at(node, field, "has no name");
    t.name = r.string(name->value, field + ".name");
    if (!is_test_name(t.name))
        r.fail_at(name->value, field + ".name",
                  quote_value(t.name) + " is not a test name: 1 to 64 of a-z, 0-9, '_' and '-'");

    const auto* command = yaml::find(entries, "command");
    const auto* match = yaml::find(entries, "match");
    const auto* check = yaml::find(entries, "check");
    const int kinds = (command != nullptr) + (match != nullptr) + (check != nullptr);
    if (kinds == 0)
        r.fail_at(node, field,
                  yaml::find(entries, "send") ? "send: needs match: (the line to wait for)"
                                              : "says nothing to do: give command:, send: and match:, or check:");
    if (kinds > 1) r.fail_at(node, field, "give only one of command:, match: and check:");
    t.kind = command ? TestKind::command : match ? TestKind::line : TestKind::check;

    for (const auto& e : entries) {
        const std::string where = field + "." + e.key;
        const bool for_command = e.key == "args" || e.key == "expect";
        const bool for_line = e.key == "send" || e.key == "not_matching";
        if ((for_command && t.kind != TestKind::command) || (for_line && t.kind != TestKind::line))
            r.fail_at(e.key_node, where,
                      std::string("belongs to a ") + (for_command ? "command: test" : "send:/match: test") +
                          ", not a " +
                          (t.kind == TestKind::check  ? "check: test"
                           : t.kind == TestKind::line ? "send:/match: test"
                                                      : "command: test"));
        if (e.key == "command") {
            t.command = command_of(r, e.value, where);
        } else if (e.key == "args") {
            if (e.value.kind != Kind::map) r.fail_at(e.value, where, "expected a mapping (the command's JSON object)");
            t.args = to_json(r, e.value, where);
        } else if (e.key == "expect") {
            if (e.value.kind != Kind::map) r.fail_at(e.value, where, "expected a mapping of field paths to rules");
            for (const auto& fe : e.value.entries) {
                if (fe.key.kind != Kind::scalar || fe.key.scalar.empty())
                    r.fail_at(fe.key, where, "keys must be field paths");
                const std::string fwhere = where + "." + fe.key.scalar;
                for (const auto& prev : t.expect)
                    if (prev.path == fe.key.scalar) r.fail_at(fe.key, fwhere, "given twice");
                t.expect.push_back(read_rules(r, fe.key, fe.value, fwhere));
            }
        } else if (e.key == "send") {
            if (e.value.kind != Kind::scalar) r.fail_at(e.value, where, "expected the line to send (text)");
            t.send = e.value.scalar;
            for (char c : t.send)
                if (static_cast<unsigned char>(c) < 0x20)
                    r.fail_at(e.value, where, "holds a control character; the newline is added when it is sent");
        } else if (e.key == "match") {
            t.match = compile(r, e.value, where, t.match_text);
        } else if (e.key == "not_matching") {
            const auto& items = r.items(e.value, where);
            for (std::size_t i = 0; i < items.size(); ++i) {
                std::string text;
                t.not_matching.push_back(compile(r, items[i], where + "[" + std::to_string(i) + "]", text));
                t.not_matching_text.push_back(text);
            }
        } else if (e.key == "check") {
            const std::string c = r.choice(e.value, where, {"mac", "identity", "firmware"});
            t.check = c == "mac" ? CrossCheck::mac : c == "identity" ? CrossCheck::identity : CrossCheck::firmware;
        } else if (e.key == "timeout_ms") {
            t.timeout = std::chrono::milliseconds(r.uint(e.value, where, 1, kMaxTimeoutMs));
        } else if (e.key == "retries") {
            t.retries = static_cast<int>(r.uint(e.value, where, 0, kMaxTestRetries));
        } else if (e.key == "required") {
            t.required = r.boolean(e.value, where);
        } else if (e.key == "on_fail") {
            t.stop_on_fail = r.choice(e.value, where, {"stop", "continue"}) == "stop";
        }
    }
    if (t.kind == TestKind::command) {
        // The longest id makes the longest line: a request the board would drop is refused here.
        try {
            (void)encode_request(kMaxId, t.command, t.args);
        } catch (const Error& e) {
            const auto* args = yaml::find(entries, "args");
            r.fail_at(args ? args->value : node, field + ".args", e.what());
        }
    }
    return t;
}

} // namespace

std::span<const std::string_view> test_commands() noexcept { return kTestCommands; }

const char* to_string(TestKind kind) noexcept {
    switch (kind) {
    case TestKind::command: return "command";
    case TestKind::line: return "line";
    case TestKind::check: return "check";
    }
    return "command";
}

const char* to_string(CrossCheck check) noexcept {
    switch (check) {
    case CrossCheck::mac: return "mac";
    case CrossCheck::identity: return "identity";
    case CrossCheck::firmware: return "firmware";
    }
    return "mac";
}

std::string FieldRules::limits() const {
    std::vector<std::string> parts;
    if (equals) parts.push_back("= " + json_text(*equals));
    if (min) parts.push_back("min " + number_text(*min));
    if (max) parts.push_back("max " + number_text(*max));
    if (regex_text) parts.push_back("~ /" + *regex_text + "/");
    if (one_of) parts.push_back("one of " + json_text(nlohmann::json(*one_of)));
    return join(parts);
}

TestPlan parse_test_plan(const yaml::Node& node, const std::string& file, const std::string& field) {
    const Reader r(file);
    TestPlan plan;
    plan.source = file;
    const auto entries = r.entries(node, field, {"hello_timeout_ms", "tests"});
    if (const auto* e = yaml::find(entries, "hello_timeout_ms"))
        plan.hello_timeout =
            std::chrono::milliseconds(r.uint(e->value, join_field(field, "hello_timeout_ms"), 1, kMaxTimeoutMs));
    const auto* tests = yaml::find(entries, "tests");
    if (!tests) r.fail_at(node, field, "has no tests: (the list of tests to run)");
    const std::string tests_field = join_field(field, "tests");
    const auto& items = r.items(tests->value, tests_field);
    if (items.empty()) r.fail_at(tests->value, tests_field, "the list is empty");
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string where = tests_field + "[" + std::to_string(i) + "]";
        TestSpec t = read_test(r, items[i], where);
        for (std::size_t j = 0; j < plan.tests.size(); ++j)
            if (plan.tests[j].name == t.name)
                r.fail_line(t.line, where + ".name",
                            quote_value(t.name) + " is already the name of " + tests_field + "[" + std::to_string(j) +
                                "] (line " + std::to_string(plan.tests[j].line) + ")");
        plan.tests.push_back(std::move(t));
    }
    return plan;
}

TestPlan parse_test_plan_text(std::string_view text, const std::string& file) {
    const yaml::Node root = yaml::parse(text, file);
    if (root.kind == Kind::null) yaml::fail_located(file, 1, "", "the test plan is empty");
    return parse_test_plan(root, file);
}

TestPlan load_test_plan(const std::filesystem::path& file) {
    // One byte past the YAML limit is enough for parse() to refuse a file too large, however large it is.
    const Bytes head = read_file_head(file, yaml::Limits{}.max_bytes + 1);
    return parse_test_plan_text(std::string(head.begin(), head.end()), file.string());
}

TestPlan default_test_plan() {
    // Kept as YAML so the built-in plan goes through the same checks as a written one, and
    // docs/factory-test.md can show it as it is.
    static constexpr std::string_view kDefault = R"(hello_timeout_ms: 8000
tests:
  - name: boot
    command: hello
    expect:
      proto: {equals: 1}
      fw: {regex: "^[!-~]{1,31}$"}
    on_fail: stop
  - name: info
    command: info
    expect:
      free_heap: {min: 32768}
      mac: {regex: "^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"}
  - name: identity
    check: identity
  - name: mac
    check: mac
  - name: firmware
    check: firmware
  - name: outputs
    command: outputs
    expect:
      failed: {equals: []}
  - name: wifi_scan
    command: wifi_scan
    timeout_ms: 10000
    retries: 1
    expect:
      best_rssi: {min: -80}
)";
    TestPlan plan = parse_test_plan_text(kDefault, "built-in test plan");
    plan.source = "built-in";
    return plan;
}

} // namespace vesper::factory
