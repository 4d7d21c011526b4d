// Replays every input the fuzzers have found a problem with (tests/fuzz/regressions/TARGET/) and the
// committed seeds (tests/fuzz/seeds/TARGET/) through the very harness code libFuzzer runs
// (tests/fuzz/fuzz_*.cpp, built here with VESPER_FUZZ_REPLAY), so the Release and ASan suites cover them
// without clang. A harness lets only vesper::Error pass; anything else fails or crashes this test.
#define VESPER_FUZZ_REPLAY // the registry of harnesses (fuzz_support.hpp)
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "../fuzz/fuzz_support.hpp"

namespace fs = std::filesystem;

namespace vesper::fuzz {
std::map<std::string, TargetFn>& targets() {
    static std::map<std::string, TargetFn> registry;
    return registry;
}
} // namespace vesper::fuzz

namespace {

std::vector<fs::path> inputs_of(const std::string& target) {
    std::vector<fs::path> files;
    for (const char* kind : {"regressions", "seeds"}) {
        const fs::path dir = fs::path(VESPER_SOURCE_DIR) / "tests/fuzz" / kind / target;
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

TEST_CASE("fuzz regressions: every harness is linked and every kept input replays cleanly", "[fuzz]") {
    const auto& targets = vesper::fuzz::targets();
    // One harness per tests/fuzz/fuzz_*.cpp: a harness missing from this binary would skip its regressions.
    std::size_t harness_files = 0;
    for (const auto& e : fs::directory_iterator(fs::path(VESPER_SOURCE_DIR) / "tests/fuzz"))
        if (e.path().filename().string().starts_with("fuzz_") && e.path().extension() == ".cpp") ++harness_files;
    CHECK(targets.size() == harness_files);

    std::size_t replayed = 0;
    for (const auto& [name, run] : targets) {
        for (const fs::path& file : inputs_of(name)) {
            INFO(name << " " << file.string());
            std::ifstream in(file, std::ios::binary);
            const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                                 std::istreambuf_iterator<char>());
            CHECK_NOTHROW(run(data.data(), data.size()));
            ++replayed;
        }
    }
    CHECK(replayed > 0);
}

// Each regression folder belongs to a harness that exists (a renamed harness must take its inputs along).
TEST_CASE("fuzz regressions: folders match harness names", "[fuzz]") {
    const fs::path dir = fs::path(VESPER_SOURCE_DIR) / "tests/fuzz/regressions";
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_directory()) continue;
        INFO(e.path().string());
        CHECK(vesper::fuzz::targets().count(e.path().filename().string()) == 1);
    }
}
