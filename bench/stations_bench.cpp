// bench/stations: does a station scale with its ports? The same 1 MiB app (plus bootloader, partition
// table and per-device NVS) goes to 1, 2, 4 and 8 simulated ESP32s with realistic UART and flash timing
// at 921600 baud, through the real `vesperctl flash --station` process. Prints wall time, boards per
// minute, the scaling against one port, and the peak memory (max RSS) of vesperctl.
// Goals (issue 4): 8 ports >= 7.5 x one port's boards per minute; vesperctl under 100 MB at 8 ports.
// Exit code 1 when a goal is missed. Run from a Release build: build/release/bench/vesper_bench_stations.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "devsim_runner.hpp"
#include "flash_bench_images.hpp"
#include "vesper/core/files.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Runs to the end with stdout to `stdout_file` (stderr dropped); returns the exit code and fills the
// child's peak RSS in KiB.
int run(std::vector<std::string> argv, const std::string& stdout_file, long* max_rss_kib = nullptr) {
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::dup2(::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        ::dup2(::open("/dev/null", O_WRONLY), 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    if (max_rss_kib) *max_rss_kib = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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
    const fs::path batch_out = dir / "batch.json";
    const int created = run({VESPERCTL_BIN, "--json", "--ledger", ledger, "batch", "create", "--type", "BC", "--rev",
                             "02", "--qty", std::to_string(ports)},
                            batch_out.string());
    std::smatch m;
    const std::string batch_json = vesper::read_text_file(batch_out);
    if (created != 0 || !std::regex_search(batch_json, m, std::regex(R"("id":(\d+))"))) {
        std::fprintf(stderr, "bench: batch create exited %d, no batch id in %s\n", created, batch_out.c_str());
        return r;
    }
    const std::string batch = m[1].str();

    std::string yaml = "version: 1\nflash: {baud: 921600, retries: 0}\nstations:\n  bench:\n    ports:\n";
    for (const auto& u : sim.urls())
        yaml += "      - " + u + "\n";
    yaml += "profiles:\n  bc:\n    board_type: BC\n    revision: 2\n    chip: esp32\n"
            "    partition_table: " VESPER_SOURCE_DIR "/configs/partitions-4mb.csv\n"
            "    images:\n"
            "      - {name: bootloader, file: ../bootloader.bin, address: 0x1000}\n"
            "      - {name: app, file: ../app.bin, partition: ota_0}\n"
            "    nvs: {template: " VESPER_SOURCE_DIR "/templates/vesper-device.csv, partition: fctry}\n";
    std::ofstream(dir / "factory.yaml") << yaml;

    const auto t0 = Clock::now();
    const int code = run({VESPERCTL_BIN, "--json", "--ledger", ledger, "flash", "--station", "bench", "--batch", batch,
                          "--config", (dir / "factory.yaml").string(), "--secret-file", (root / "secret").string()},
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
    fs::remove_all(root);
    fs::create_directories(root);
    std::ofstream(root / "secret") << "bench-master-secret-0123456789abcdef";
    // The same images as bench/flash: a bootloader and a 1 MiB ESP32 app whose segments hold the bytes of
    // a real compiled program (this build's vesperctl), so the data deflates like code, not like zeros.
    try {
        vesper::bench::PayloadSource payload(VESPERCTL_BIN);
        vesper::write_file_atomic(root / "bootloader.bin", vesper::bench::make_bootloader(payload));
        vesper::write_file_atomic(root / "app.bin", vesper::bench::make_app(payload));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: could not make the images: %s\n", e.what());
        return 2;
    }

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
