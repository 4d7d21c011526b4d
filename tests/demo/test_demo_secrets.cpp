// The whole demo (scripts/demo: devsim boards, vesper-backend over TLS, two stations flashing, testing,
// labelling and registering, the batch sheet and report) run with the binaries of this build, then every
// file it left searched, byte for byte, for its three secrets: the backend's bearer token, the MQTT
// master secret and the claim secret. Each may only be in its own file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "run_process.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/text.hpp"

using namespace vesper::test;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Secret {
    std::string name;
    fs::path file;                                          // the one file allowed to hold it
    std::vector<std::pair<std::string, std::string>> forms; // (what, bytes): the hex text both cases, the raw bytes
};

Secret secret_in(const std::string& name, const fs::path& file) {
    const std::string hex(vesper::trim(bytes_of(file)));
    INFO(name << " in " << file);
    // Fresh from /dev/urandom as hex: 24 bytes for the token, 32 for the others.
    REQUIRE(hex.size() >= 48);
    REQUIRE(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    std::string upper = hex;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const vesper::Bytes raw = vesper::from_hex(hex);
    return {name, file, {{"hex", hex}, {"upper-case hex", upper}, {"raw bytes", std::string(raw.begin(), raw.end())}}};
}

} // namespace

TEST_CASE("the demo leaves its secrets only in their own files", "[demo]") {
    TempDir tmp;
    const fs::path out = tmp / "demo";
    ProcessOptions opts;
    opts.env["VESPER_DEMO_BUILD"] = VESPER_BINARY_DIR;
    // The same line without the boards' UART and flash delays: what is written is the same, minutes faster.
    opts.env["VESPER_DEMO_TIMING"] = "off";
    // The demo makes its own secrets only when none come from the environment.
    opts.unset_env = {"VESPER_HOME",          "VESPER_CONFIG", "VESPER_MQTT_SECRET", "VESPER_CLAIM_SECRET",
                      "VESPER_BACKEND_TOKEN", "VESPER_PORT",   "VESPER_BAUD",        "XDG_DATA_HOME"};
    opts.env["HOME"] = tmp.path().string();
    opts.timeout_ms = 240000;
    const ProcessResult demo = run_process({std::string(VESPER_SOURCE_DIR) + "/scripts/demo", out.string()}, opts);
    INFO("demo exit " << demo.exit_code << (demo.timed_out ? " (timed out)" : "") << "\nstdout:\n"
                      << demo.out << "\nstderr:\n"
                      << demo.err);
    REQUIRE(demo.exit_code == 0);
    REQUIRE_THAT(demo.out, Catch::Contains("demo: as expected, 7 boards registered"));

    const std::vector<Secret> secrets{secret_in("the backend token", out / "backend-token"),
                                      secret_in("the MQTT master secret", out / "mqtt-secret"),
                                      secret_in("the claim secret", out / "claim-secret")};

    // Every file, whatever it is, and what the demo printed.
    std::vector<std::pair<std::string, std::string>> searched{{"the demo's stdout", demo.out},
                                                              {"the demo's stderr", demo.err}};
    std::vector<std::pair<fs::path, std::string>> files;
    for (const auto& entry : fs::recursive_directory_iterator(out))
        if (entry.is_regular_file()) files.emplace_back(entry.path(), bytes_of(entry.path()));
    // The search reached what matters: the ledger, the backend's records and request log, the labels.
    std::vector<std::string> names;
    for (const auto& [path, bytes] : files)
        names.push_back(fs::relative(path, out).string());
    const auto has = [&](const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    INFO("files: " << vesper::join(names));
    CHECK(has("ledger.db"));
    CHECK(has("backend/devices.db"));
    CHECK(has("backend/requests.jsonl"));
    CHECK(has("bench-a.jsonl"));
    CHECK(has("bench-b.err"));
    CHECK(std::count_if(names.begin(), names.end(), [](const std::string& n) {
              return n.rfind("labels/PV-", 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".pdf";
          }) == 7);

    std::vector<std::string> leaks;
    for (const Secret& s : secrets) {
        for (const auto& [form, needle] : s.forms) {
            for (const auto& [what, text] : searched)
                if (text.find(needle) != std::string::npos) leaks.push_back(s.name + " (" + form + ") in " + what);
            for (const auto& [path, bytes] : files)
                if (path != s.file && bytes.find(needle) != std::string::npos)
                    leaks.push_back(s.name + " (" + form + ") in " + fs::relative(path, out).string());
        }
    }
    INFO("leaks:\n" << vesper::join(leaks, "\n"));
    CHECK(leaks.empty());
}
