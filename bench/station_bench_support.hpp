#pragma once
// What the station benchmarks share: running vesperctl to the end with its peak memory, a batch in a
// fresh ledger, and a factory config naming one station of simulated boards.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "flash_bench_images.hpp"
#include "vesper/core/files.hpp"

namespace vesper::bench {

// A fresh `root` with the station benchmarks' inputs: a master secret file ("secret") and the same images
// as bench/flash ("bootloader.bin", "app.bin": a bootloader and a 1 MiB ESP32 app whose segments hold the
// bytes of a real compiled program, `payload_binary`, so the data deflates like code, not like zeros).
// False (said on stderr) when the images cannot be made.
inline bool prepare_bench_root(const std::filesystem::path& root, const std::string& payload_binary) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    std::ofstream(root / "secret") << "bench-master-secret-0123456789abcdef";
    try {
        PayloadSource payload(payload_binary);
        write_file_atomic(root / "bootloader.bin", make_bootloader(payload));
        write_file_atomic(root / "app.bin", make_app(payload));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: could not make the images: %s\n", e.what());
        return false;
    }
    return true;
}

// Runs to the end with stdout to `stdout_file` (stderr dropped); returns the exit code and fills the
// child's peak RSS in KiB.
inline int run(std::vector<std::string> argv, const std::string& stdout_file, long* max_rss_kib = nullptr) {
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

// A batch of `quantity` BC rev 02 devices in `ledger` (created); its id, or nullopt (said on stderr).
inline std::optional<std::string> create_batch(const std::string& vesperctl, const std::string& ledger, int quantity,
                                               const std::filesystem::path& dir) {
    const std::filesystem::path out = dir / "batch.json";
    const int created = run({vesperctl, "--json", "--ledger", ledger, "batch", "create", "--type", "BC", "--rev", "02",
                             "--qty", std::to_string(quantity)},
                            out.string());
    std::smatch m;
    const std::string text = read_text_file(out);
    if (created != 0 || !std::regex_search(text, m, std::regex(R"("id":(\d+))"))) {
        std::fprintf(stderr, "bench: batch create exited %d, no batch id in %s\n", created, out.c_str());
        return std::nullopt;
    }
    return m[1].str();
}

// Writes `dir`/factory.yaml: station "bench" on `urls`, profile bc (the repository's partition table
// and NVS template, ../bootloader.bin and ../app.bin) followed by `profile_extra`.
inline std::filesystem::path write_station_config(const std::filesystem::path& dir,
                                                  const std::vector<std::string>& urls, const std::string& source_dir,
                                                  const std::string& profile_extra = "") {
    std::string yaml = "version: 1\nflash: {baud: 921600, retries: 0}\nstations:\n  bench:\n    ports:\n";
    for (const auto& u : urls)
        yaml += "      - " + u + "\n";
    yaml += "profiles:\n  bc:\n    board_type: BC\n    revision: 2\n    chip: esp32\n"
            "    partition_table: " +
            source_dir +
            "/configs/partitions-4mb.csv\n    images:\n"
            "      - {name: bootloader, file: ../bootloader.bin, address: 0x1000}\n"
            "      - {name: app, file: ../app.bin, partition: ota_0}\n"
            "    nvs: {template: " +
            source_dir + "/templates/vesper-device.csv, partition: fctry}\n" + profile_extra;
    const std::filesystem::path file = dir / "factory.yaml";
    std::ofstream(file) << yaml;
    return file;
}

} // namespace vesper::bench
