// NVS mass-rendering benchmark (docs/performance.md): per-device images from the shipped template, the
// way `vesperctl nvs batch` makes them, against the floor of writing as many precomputed files.
//
//   vesper_bench_nvs [--count N] [--threads T] [--dir FOLDER] [--template CSV] [--runs R]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vesper/creds/mqtt.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/nvs/image_batch.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kImageSize = 0x6000;
constexpr double kReferenceImagesPerSecond = 4000; // ESP-IDF's generator in-process, per the project brief

struct Options {
    std::size_t count = 10000;
    unsigned threads = 0; // 0: one per CPU
    unsigned runs = 3;
    fs::path dir;
    fs::path template_path = fs::path(VESPER_SOURCE_DIR) / "templates" / "vesper-device.csv";
};

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--count")
            o.count = std::stoul(next());
        else if (a == "--threads")
            o.threads = static_cast<unsigned>(std::stoul(next()));
        else if (a == "--runs")
            o.runs = std::max(1u, static_cast<unsigned>(std::stoul(next())));
        else if (a == "--dir")
            o.dir = next();
        else if (a == "--template")
            o.template_path = next();
        else {
            std::cerr
                << "usage: vesper_bench_nvs [--count N] [--threads T] [--runs R] [--dir FOLDER] [--template CSV]\n";
            std::exit(a == "--help" ? 0 : 2);
        }
    }
    return o;
}

// Ledger-shaped devices with distinct serials, as `batch create` would make them.
std::vector<ledger::Device> make_devices(std::size_t n) {
    static const char* alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::vector<ledger::Device> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::string tail;
        for (std::size_t v = i, k = 0; k < 5; ++k, v /= 32)
            tail.insert(tail.begin(), alphabet[v % 32]);
        auto& d = out[i];
        d.serial = "PV-26A18-BC02R-" + tail;
        d.batch_id = 1;
        d.hw_type = "BC";
        d.hw_version = "02";
        d.subscription_plan = "standard";
        d.available_outputs = 8;
        d.created_at = "2026-01-18T09:00:00Z";
    }
    return out;
}

// Removes a previous run's folder and flushes that deletion before timing starts, so no timed run
// pays (in its final sync) for work an earlier one left behind.
void fresh_folder(const fs::path& root, const fs::path& dir) {
    fs::remove_all(dir);
    fs::create_directories(root);
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
    }
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Renders every image in memory only (no files), on `threads` threads: the CPU cost of rendering.
double render_only(const nvs::Template& t, const std::vector<nvs::Fields>& fields, unsigned threads) {
    auto start = Clock::now();
    std::vector<std::jthread> pool;
    for (unsigned w = 0; w < threads; ++w)
        pool.emplace_back([&, w] {
            Bytes buf;
            for (std::size_t i = w; i < fields.size(); i += threads)
                t.render_into(fields[i], kImageSize, nvs::Version::v2, buf);
        });
    pool.clear();
    return seconds_since(start);
}

} // namespace

int main(int argc, char** argv) try {
    Options o = parse_args(argc, argv);
    const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    std::random_device rd;
    const fs::path root =
        o.dir.empty() ? fs::temp_directory_path() / ("vesper-nvs-bench-" + std::to_string(rd())) : o.dir;
    const bool own_root = o.dir.empty();

    nvs::Template tmpl = nvs::Template::load(o.template_path);
    const std::string secret = "bench-master-secret";
    const auto devices = make_devices(o.count);
    std::vector<std::string> names;
    std::vector<nvs::Fields> fields;
    for (const auto& d : devices) {
        names.push_back(d.serial + ".bin");
        auto f = ledger::template_fields(d);
        f["mqtt_password"] = creds::mqtt_password(secret, d.serial);
        fields.push_back(std::move(f));
    }

    std::cout << "NVS benchmark: " << o.count << " images of 0x6000 bytes from " << o.template_path.string() << "\n"
              << "threads: " << threads << ", runs: " << o.runs << " (median shown), folder: " << root.string()
              << "\n\n";

    // 1. Rendering alone, fields ready: the >= 40,000 images/s requirement.
    std::vector<double> r1, rn;
    for (unsigned r = 0; r < o.runs; ++r) {
        r1.push_back(render_only(tmpl, fields, 1));
        rn.push_back(render_only(tmpl, fields, threads));
    }
    const double render1 = o.count / median(r1), render_n = o.count / median(rn);
    std::printf("render in memory, 1 thread:   %10.0f images/s (%.2f us/image)\n", render1, 1e6 / render1);
    std::printf("render in memory, %u threads:  %10.0f images/s\n", threads, render_n);

    // 2. The `nvs batch` path: fields + HMAC + render, check pass, atomic files, one sync at the end.
    auto produce = [&](std::size_t i, Bytes& out) {
        nvs::Fields f = ledger::template_fields(devices[i]);
        f["mqtt_password"] = creds::mqtt_password(secret, devices[i].serial);
        tmpl.render_into(f, kImageSize, nvs::Version::v2, out);
    };
    // 3. The floor: the very same images, precomputed in memory, written the same way (distinct
    // contents, so the storage sees what it sees for the batch).
    std::vector<Bytes> precomputed(o.count);
    for (std::size_t i = 0; i < o.count; ++i)
        produce(i, precomputed[i]);
    auto copy = [&](std::size_t i, Bytes& out) { out.assign(precomputed[i].begin(), precomputed[i].end()); };

    nvs::ImageBatchOptions options;
    options.threads = threads;
    std::vector<double> batch_s, floor_s;
    auto timed = [&](const char* sub, const nvs::ImageProducer& p) {
        // Fresh folder each run: creating files, not replacing them, is what a new batch does.
        fresh_folder(root, root / sub);
        auto start = Clock::now();
        nvs::write_image_batch(root / sub, names, p, options);
        return seconds_since(start);
    };
    for (unsigned r = 0; r < o.runs; ++r) {
        // Alternate the order so neither side always runs on a warmer or busier system.
        if (r % 2 == 0) {
            batch_s.push_back(timed("batch", produce));
            floor_s.push_back(timed("floor", copy));
        } else {
            floor_s.push_back(timed("floor", copy));
            batch_s.push_back(timed("batch", produce));
        }
    }
    const double batch = o.count / median(batch_s), floor = o.count / median(floor_s);
    std::printf("nvs batch (render + write):   %10.0f images/s (%.3f s)\n", batch, median(batch_s));
    std::printf("floor (same files, in memory): %9.0f files/s  (%.3f s)\n", floor, median(floor_s));
    std::printf("batch time / floor time:      %10.2f\n", median(batch_s) / median(floor_s));
    // The reference figure is rendering in-process without writing files: compare it with rendering.
    std::printf("render vs ESP-IDF generator:  %10.1fx (reference ~%.0f images/s in-process, no files)\n",
                std::max(render1, render_n) / kReferenceImagesPerSecond, kReferenceImagesPerSecond);

    if (own_root) fs::remove_all(root);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "vesper_bench_nvs: " << e.what() << "\n";
    return 1;
}
