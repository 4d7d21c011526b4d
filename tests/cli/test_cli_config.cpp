// The factory config as the station commands read it, run as a real process: inputs that make
// yaml-cpp 0.7 loop forever must end at once with one line naming the file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "run_process.hpp"

using vesper::test::ProcessOptions;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

TEST_CASE("config: inputs that hang yaml-cpp are one-line input errors, at once", "[config][cli][yaml-hang]") {
    // Before the bound, each of these spun at 100% CPU growing ~160 MB/s until bad_alloc. The timeout
    // is far above what a refusal takes and far below what the loop took to run out of memory.
    TempDir tmp;
    ProcessOptions opts = vesper::test::isolated_in(tmp.path());
    opts.timeout_ms = 10000;
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(VESPER_TEST_VECTORS) / "yaml-hang")) {
        if (entry.path().extension() != ".yaml") continue;
        ++files;
        const std::string file = entry.path().string();
        INFO(file);
        const auto r = vesperctl(
            {"--ledger", (tmp / "ledger.db").string(), "flash", "--station", "bench", "--batch", "1", "--config", file},
            opts);
        INFO(r.err);
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::StartsWith("vesperctl: error: " + file + ":") && Catch::Contains("invalid YAML"));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK(files >= 10);
}
