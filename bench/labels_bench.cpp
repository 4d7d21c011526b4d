// bench/labels: render and verify 500-label batches of the built-in layouts the way `label print` does
// before anything is sent: the A4 sheet of 3 x 7 labels (a4-l7160, rasterised with poppler at 300 dpi)
// and the 50 x 30 mm roll (roll-50x30) as ZPL at 203 and 300 dpi (drawn as the printer would) and as
// PDF; every QR decoded with zbar and measured. Prints labels per second for render alone, verify alone
// and both, CPU time per label and the process's peak memory (ru_maxrss). Goal (label issue): render +
// verify >= 200 labels/s. Exit 1 when the goal is missed or a label fails its check.
// Run from a Release build: build/release/bench/vesper_bench_labels [COUNT] [RUNS].
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "cpu_time.hpp"
#include "label_test_layouts.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/verify.hpp"

using Clock = std::chrono::steady_clock;
namespace label = vesper::label;

namespace {

using vesper::bench::cpu_seconds;

constexpr double kGoalLabelsPerSecond = 200;

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss; // KiB on Linux
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Result {
    double render_s = 0, verify_s = 0, cpu_s = 0;
    bool passed = false;
    std::size_t bytes = 0;
    int pages = 0;
};

// Median of `runs` timings of rendering and verifying `count` labels.
Result measure(const label::Layout& layout, label::Format format, int count, int runs) {
    const auto items = vesper::test::builtin_label_items(count);
    std::vector<Result> results;
    for (int run = 0; run < runs; ++run) {
        Result r;
        const double cpu0 = cpu_seconds();
        auto t0 = Clock::now();
        const label::Rendered doc = label::render(format, layout, items);
        r.render_s = seconds_since(t0);
        t0 = Clock::now();
        const label::VerifyReport report = label::verify(layout, doc);
        r.verify_s = seconds_since(t0);
        r.cpu_s = cpu_seconds() - cpu0;
        r.passed = report.passed() && static_cast<int>(report.labels.size()) == count;
        if (!report.passed()) {
            for (const auto& c : report.labels)
                if (!c.passed) {
                    std::fprintf(stderr, "bench: label %s failed its check: %s\n", c.serial.c_str(), c.problem.c_str());
                    break;
                }
        }
        r.bytes = doc.bytes.size();
        r.pages = doc.pages;
        results.push_back(r);
    }
    std::sort(results.begin(), results.end(),
              [](const Result& a, const Result& b) { return a.render_s + a.verify_s < b.render_s + b.verify_s; });
    Result median = results[results.size() / 2];
    median.passed = std::all_of(results.begin(), results.end(), [](const Result& r) { return r.passed; });
    return median;
}

} // namespace

int main(int argc, char** argv) {
    const int count = argc > 1 ? std::atoi(argv[1]) : 500;
    const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    if (count < 1 || runs < 1) {
        std::fprintf(stderr, "usage: vesper_bench_labels [COUNT] [RUNS]\n");
        return 2;
    }
    struct Case {
        const char* name;
        label::Layout layout;
        label::Format format;
    };
    const std::vector<Case> cases = {
        {"a4-l7160 (3x7), PDF, 300 dpi", label::load_layout("a4-l7160"), label::Format::pdf},
        {"roll-50x30, ZPL, 203 dpi", label::load_layout("roll-50x30", 203), label::Format::zpl},
        {"roll-50x30, ZPL, 300 dpi", label::load_layout("roll-50x30", 300), label::Format::zpl},
        {"roll-50x30, PDF, 203 dpi", label::load_layout("roll-50x30", 203), label::Format::pdf},
    };
    std::printf("labels bench: %d labels a batch, median of %d runs (verify spreads PDF pages over up to 4 threads)\n",
                count, runs);
    std::printf("%-28s %6s %8s %10s %10s %14s %12s %9s\n", "batch", "pages", "KiB", "render/s", "verify/s",
                "render+verify", "CPU ms/label", "peak RSS");
    bool ok = true;
    for (const Case& c : cases) {
        Result r;
        try {
            r = measure(c.layout, c.format, count, runs);
        } catch (const vesper::Error& e) {
            std::fprintf(stderr, "bench: %s: %s\n", c.name, e.what());
            return 2;
        }
        const double total = count / (r.render_s + r.verify_s);
        std::printf("%-28s %6d %8.0f %10.0f %10.0f %12.0f/s %12.2f %5.0f MiB\n", c.name, r.pages, r.bytes / 1024.0,
                    count / r.render_s, count / r.verify_s, total, 1000 * r.cpu_s / count, peak_rss_kib() / 1024.0);
        ok = ok && r.passed && total >= kGoalLabelsPerSecond;
        if (!r.passed) std::printf("  FAIL: a label failed its check\n");
    }
    std::printf("goal: render + verify >= %.0f labels/s in every batch: %s\n", kGoalLabelsPerSecond,
                ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
