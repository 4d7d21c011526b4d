// Espressif's own client as the judge: esptool-js (pinned in tools/esptool-js-check/package.json), in
// ROM mode, detects, attaches, reads the MAC, writes 300 KB compressed with MD5 verification and reads
// it back from a running vesper-devsim. Needs Node.js and npm; without them this test fails (CI has
// them), it never passes silently.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "devsim_process.hpp"
#include "run_process.hpp"
#include "vesper/core/text.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::optional<fs::path> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path) return std::nullopt;
    for (const auto& dir : vesper::split(path, ':')) {
        const fs::path candidate = fs::path(dir) / name;
        if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

// vesper-devsim in the background, stopped by pid (SIGTERM, then SIGKILL) when the object goes.
using Devsim = vesper::test::DevsimProcess;

} // namespace

TEST_CASE("esptool-js (ROM mode) flashes and verifies through devsim", "[integration][devsim][esptool-js]") {
    const auto node = find_on_path("node");
    const auto npm = find_on_path("npm");
    if (!node || !npm)
        FAIL("this test needs Node.js and npm on PATH (Debian: apt-get install nodejs npm); found node: "
             << (node ? node->string() : "no") << ", npm: " << (npm ? npm->string() : "no"));

    const fs::path dir = fs::path(VESPER_SOURCE_DIR) / "tools" / "esptool-js-check";
    if (!fs::exists(dir / "node_modules" / "esptool-js" / "package.json")) {
        vesper::test::ProcessOptions opts;
        opts.cwd = dir;
        opts.timeout_ms = 300000;
        const auto r =
            vesper::test::run_process({npm->string(), "ci", "--no-audit", "--no-fund", "--prefer-offline"}, opts);
        INFO("npm ci output:\n" << r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }

    struct Run {
        const char* chip;
        const char* mac;
        bool rfc2217;
    };
    for (const Run run : {Run{"esp32", "24:0a:c4:00:00:31", false}, Run{"esp32s3", "7c:df:a1:00:00:32", false},
                          Run{"esp32c3", "58:cf:79:00:00:33", false}, Run{"esp32", "24:0a:c4:00:00:34", true}}) {
        DYNAMIC_SECTION(run.chip << (run.rfc2217 ? " over RFC 2217" : " over TCP")) {
            // Over RFC 2217 the board starts in its app: esptool-js's DTR/RTS reset must bring it into
            // download mode.
            std::vector<std::string> sim_args = {"--chip", run.chip, "--mac", run.mac, "--quiet"};
            if (run.rfc2217) {
                sim_args.insert(sim_args.end(), {"--listen", "rfc2217:0", "--boot", "app"});
            } else {
                sim_args.insert(sim_args.end(), {"--port", "0"});
            }
            Devsim sim(sim_args);
            std::vector<std::string> check = {node->string(), "check.mjs", "--port", std::to_string(sim.port()),
                                              "--chip",       run.chip,    "--mac",  run.mac,
                                              "--timeout",    "110"};
            if (run.rfc2217) check.insert(check.end(), {"--rfc2217", "--size", "65536"});
            vesper::test::ProcessOptions opts;
            opts.cwd = dir;
            opts.timeout_ms = 120000;
            const auto r = vesper::test::run_process(check, opts);
            INFO("check.mjs output:\n" << r.out << r.err);
            CHECK_FALSE(r.timed_out);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("esptool-js-check: PASS") != std::string::npos);
        }
    }
}
