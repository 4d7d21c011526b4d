// bench/factory_test: flash + factory test on one 8-port station. Eight simulated ESP32s with realistic
// timing (UART paced at its baud, flash operations and the firmware's own work modelled) run the real
// factory console core; the real `vesperctl flash --station` flashes them and runs an 8-test plan on
// each. Prints boards per hour for flash + test, and the host's overhead per test: the wall time the
// host measured for each test minus the time the simulated board spent on it (devsim's command log:
// the request and answer on the wire plus the firmware's modelled work). Goal (issue 11): at most 2 ms of
// host overhead per test. Exit code 1 when the goal is missed or the run fails.
// Run from a Release build: build/release/bench/vesper_bench_factory_test [WORK_DIR].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "devsim_runner.hpp"
#include "station_bench_support.hpp"
#include "vesper/core/files.hpp"
#include "vesper/ledger/ledger.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kBoards = 8;

// Eight tests: every built-in command a board answers in a test, and the three cross-checks.
const char* const kPlan = R"(    pipeline: [flash, test]
    test:
      plan:
        tests:
          - {name: boot, command: hello, expect: {proto: {equals: 1}}, on_fail: stop}
          - {name: info, command: info, expect: {free_heap: {min: 32768}}}
          - {name: identity, check: identity}
          - {name: mac, check: mac}
          - {name: firmware, check: firmware}
          - {name: outputs, command: outputs, expect: {failed: {equals: []}}}
          - {name: gpio, command: gpio, expect: {failed: {equals: []}}}
          - {name: wifi_scan, command: wifi_scan, timeout_ms: 10000, expect: {best_rssi: {min: -80}}}
)";

struct BoardTime {
    double host_ms = 0;     // what the host measured for its tests
    double board_ms = 0;    // what the simulated board spent on their requests
    int tests = 0;          // tests that sent at least one request or compared something
    int requests = 0;       // requests in the tests (their tries)
    int board_requests = 0; // requests the board logged (mark_tested excluded)
};

} // namespace

int main(int argc, char** argv) {
    const fs::path root = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "vesper-bench-factory-test";
    if (!vesper::bench::prepare_bench_root(root, VESPERCTL_BIN)) return 2;
    const fs::path dir = root / "line";
    fs::create_directories(dir);

    const fs::path log = dir / "devsim.jsonl";
    const std::string ledger_file = (dir / "ledger.db").string();
    double wall = 0;
    int code = -1;
    long rss = 0;
    std::vector<std::string> urls;
    try {
        vesper::bench::DevsimRunner sim(VESPER_DEVSIM_BIN,
                                        {"--chip", "esp32", "--count", std::to_string(kBoards), "--timing", "realistic",
                                         "--flash", (dir / "flash.bin").string(), "--log", log.string()},
                                        kBoards);
        urls = sim.urls();
        const auto batch = vesper::bench::create_batch(VESPERCTL_BIN, ledger_file, kBoards, dir);
        if (!batch) return 2;
        const fs::path config = vesper::bench::write_station_config(dir, urls, VESPER_SOURCE_DIR, kPlan);
        const auto t0 = Clock::now();
        code = vesper::bench::run({VESPERCTL_BIN, "--json", "--ledger", ledger_file, "flash", "--station", "bench",
                                   "--batch", *batch, "--config", config.string(), "--secret-file",
                                   (root / "secret").string()},
                                  (dir / "events.jsonl").string(), &rss);
        wall = std::chrono::duration<double>(Clock::now() - t0).count();
        sim.stop(); // flushes the command log
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: %s\n", e.what());
        return 2;
    }
    if (code != 0) {
        std::fprintf(stderr, "bench: flash --station exited %d (events in %s)\n", code, dir.c_str());
        return 1;
    }

    // The board's side: every app request it answered, by device (its port's index).
    std::map<int, BoardTime> times;
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || j.value("layer", "") != "app" || j.value("op", "") == "mark_tested") continue;
        BoardTime& t = times[j.value("device", -1)];
        t.board_ms += j.value("modelled_ms", 0.0);
        ++t.board_requests;
    }
    // The host's side: each test's time as the ledger recorded it.
    auto ledger = vesper::ledger::Ledger::open(ledger_file, "bench", vesper::ledger::Access::read_only);
    for (const auto& d : ledger.devices_of_batch(ledger.list_batches().back().id)) {
        const auto at = std::find(urls.begin(), urls.end(), d.port);
        if (at == urls.end()) continue;
        BoardTime& t = times[static_cast<int>(at - urls.begin())];
        for (const auto& row : ledger.test_results_of(d.serial)) {
            // The firmware check compares the hello the board already sent: nothing on the wire.
            if (row.test.tries == 0 || row.test.command == "check: firmware") continue;
            t.host_ms += row.test.seconds * 1000.0;
            t.requests += row.test.tries;
            ++t.tests;
        }
    }

    std::printf("factory test bench: %d simulated ESP32 boards on one station, realistic timing, 8-test plan\n",
                kBoards);
    std::printf("%-7s %6s %9s %10s %10s %10s %12s\n", "board", "tests", "requests", "answered", "host ms", "board ms",
                "ms/test");
    double worst = 0, total_over = 0;
    int total_tests = 0;
    bool consistent = true;
    for (const auto& [device, t] : times) {
        const double over = t.tests > 0 ? (t.host_ms - t.board_ms) / t.tests : 0;
        std::printf("%-7d %6d %9d %10d %10.1f %10.1f %12.2f\n", device, t.tests, t.requests, t.board_requests,
                    t.host_ms, t.board_ms, over);
        worst = std::max(worst, over);
        total_over += t.host_ms - t.board_ms;
        total_tests += t.tests;
        // Every request the host counted in a test is one the board answered, and no other.
        consistent = consistent && t.requests == t.board_requests;
    }
    const double mean = total_tests > 0 ? total_over / total_tests : 0;
    std::printf("flash + test: %.1f s for %d boards = %.0f boards/hour on one 8-port station; vesperctl max RSS "
                "%.1f MB\n",
                wall, kBoards, kBoards * 3600.0 / wall, static_cast<double>(rss) / 1024.0);
    std::printf("host overhead per test: mean %.2f ms, worst board %.2f ms\n", mean, worst);
    if (!consistent) std::printf("warning: the host's and the board's request counts differ (see the table)\n");
    const bool ok = total_tests == kBoards * 7 && worst <= 2.0;
    std::printf("goal: host overhead <= 2 ms per test: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
