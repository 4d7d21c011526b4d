// bench/stations: does a station scale with its ports? The same 1 MiB app (plus bootloader, partition
// table and per-device NVS) goes to 1, 2, 4 and 8 simulated ESP32s with realistic UART and flash timing
// at 921600 baud, through the real `vesperctl flash --station` process. Prints wall time, boards per
// minute, the scaling against one port, and the peak memory (max RSS) of vesperctl.
// Goals (issue 4): 8 ports >= 7.5 x one port's boards per minute; vesperctl under 100 MB at 8 ports.
// Exit code 1 when a goal is missed. Run from a Release build: build/release/bench/vesper_bench_stations.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "devsim_runner.hpp"
#include "station_bench_support.hpp"
#include "vesper/core/files.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Result {
    int ports = 0;
    double seconds = 0;
    double boards_per_min = 0;
    long max_rss_kib = 0;
    bool ok = false;
};

Result measure(int ports, const fs::path& root) {
    const fs::path dir = root / ("ports-" + std::to_string(ports));
    fs::create_directories(dir);
    Result r;
    r.ports = ports;
    vesper::bench::DevsimRunner sim(VESPER_DEVSIM_BIN,
                                    {"--chip", "esp32", "--count", std::to_string(ports), "--timing", "realistic",
                                     "--flash", (dir / "flash.bin").string()},
                                    static_cast<std::size_t>(ports));
    const std::string ledger = (dir / "ledger.db").string();
    const auto batch = vesper::bench::create_batch(VESPERCTL_BIN, ledger, ports, dir);
    if (!batch) return r;
    vesper::bench::write_station_config(dir, sim.urls(), VESPER_SOURCE_DIR);

    const auto t0 = Clock::now();
    const int code = vesper::bench::run({VESPERCTL_BIN, "--json", "--ledger", ledger, "flash", "--station", "bench",
                                         "--batch", *batch, "--config", (dir / "factory.yaml").string(),
                                         "--secret-file", (root / "secret").string()},
                                        (dir / "events.jsonl").string(), &r.max_rss_kib);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.boards_per_min = ports * 60.0 / r.seconds;
    r.ok = code == 0;
    if (!r.ok) std::fprintf(stderr, "bench: flash --station exited %d (events in %s)\n", code, dir.c_str());
    return r;
}

} // namespace

int main(int argc, char** argv) {
    const fs::path root = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "vesper-bench-stations";
    if (!vesper::bench::prepare_bench_root(root, VESPERCTL_BIN)) return 2;

    std::vector<Result> results;
    for (int ports : {1, 2, 4, 8}) {
        try {
            results.push_back(measure(ports, root));
        } catch (const std::exception& e) { // the simulator did not start
            std::fprintf(stderr, "bench: %d port(s): %s\n", ports, e.what());
            results.push_back(Result{.ports = ports});
        }
    }

    std::printf("%-6s %9s %14s %8s %12s\n", "ports", "wall s", "boards/min", "scale", "max RSS MB");
    const double base = results.front().boards_per_min;
    bool all_ok = true;
    for (const auto& r : results) {
        std::printf("%-6d %9.2f %14.2f %8.2f %12.1f%s\n", r.ports, r.seconds, r.boards_per_min,
                    base > 0 ? r.boards_per_min / base : 0.0, static_cast<double>(r.max_rss_kib) / 1024.0,
                    r.ok ? "" : "  (run failed)");
        all_ok = all_ok && r.ok;
    }
    const Result& eight = results.back();
    const double scale = base > 0 ? eight.boards_per_min / base : 0;
    const bool scale_ok = scale >= 7.5;
    const bool mem_ok = eight.max_rss_kib < 100 * 1024;
    std::printf("goal: 8 ports >= 7.5x one port: %.2fx %s\n", scale, scale_ok ? "PASS" : "FAIL");
    std::printf("goal: vesperctl < 100 MB at 8 ports: %.1f MB %s\n", static_cast<double>(eight.max_rss_kib) / 1024.0,
                mem_ok ? "PASS" : "FAIL");
    return all_ok && scale_ok && mem_ok ? 0 : 1;
}
