// Bulk image writing: content, no partial output on failure, deterministic error reporting.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/nvs/image_batch.hpp"

using namespace vesper;
using namespace vesper::nvs;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("vesper-nvs-batch-" + std::to_string(rd()));
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<std::string> names_for(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back("dev" + std::to_string(i) + ".bin");
    return out;
}

void produce_ok(std::size_t i, Bytes& out) { out.assign(4096 + i, static_cast<std::uint8_t>(i)); }

std::size_t files_in(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        n += e.is_regular_file() ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("nvs image batch: writes every image with its content", "[nvs][batch]") {
    for (unsigned threads : {1u, 2u, 4u}) {
        ScratchDir dir;
        auto result = write_image_batch(dir.path / "out", names_for(100), produce_ok, {.threads = threads});
        REQUIRE(result.paths.size() == 100);
        CHECK(result.paths[42] == dir.path / "out" / "dev42.bin");
        CHECK(files_in(dir.path / "out") == 100); // no temporary files left behind
        for (std::size_t i : {0u, 1u, 42u, 99u})
            CHECK(read_file(result.paths[i]) == Bytes(4096 + i, static_cast<std::uint8_t>(i)));
    }
}

TEST_CASE("nvs image batch: a producer error writes nothing and names the first failing image", "[nvs][batch]") {
    for (int run = 0; run < 5; ++run) {
        ScratchDir dir;
        auto produce = [](std::size_t i, Bytes& out) {
            if (i == 37 || i == 90) fail(ErrorKind::input, "bad device " + std::to_string(i));
            produce_ok(i, out);
        };
        try {
            write_image_batch(dir.path, names_for(100), produce, {.threads = 2});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            CHECK(std::string(e.what()) == "bad device 37");
        }
        CHECK_FALSE(fs::exists(dir.path)); // checked before the folder was even created
    }
}

TEST_CASE("nvs image batch: an earlier failure wins over a later one that fails afterwards", "[nvs][batch]") {
    // Two threads take indices in chunks of 16: thread A has 0-15, thread B has 16-31. A fails at 5
    // after ~100 ms; B is already inside index 20 by then and fails later. The error reported must be
    // index 5's whatever the timing.
    ScratchDir dir;
    auto produce = [](std::size_t i, Bytes& out) {
        if (i < 5) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (i == 5) fail(ErrorKind::input, "first");
        if (i == 20) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            fail(ErrorKind::input, "later");
        }
        produce_ok(i, out);
    };
    CHECK_THROWS_WITH(write_image_batch(dir.path, names_for(40), produce, {.threads = 2}), "first");
}

TEST_CASE("nvs image batch: without the check pass, a failure removes what was written", "[nvs][batch]") {
    ScratchDir dir;
    auto produce = [](std::size_t i, Bytes& out) {
        if (i == 60) fail(ErrorKind::io, "disk trouble");
        produce_ok(i, out);
    };
    CHECK_THROWS_WITH(write_image_batch(dir.path, names_for(100), produce, {.threads = 2, .check_first = false}),
                      "disk trouble");
    REQUIRE(fs::exists(dir.path));
    CHECK(files_in(dir.path) == 0);
}

TEST_CASE("nvs image batch: image names must be distinct plain file names", "[nvs][batch]") {
    ScratchDir dir;
    CHECK_THROWS_WITH(write_image_batch(dir.path, {"a.bin", "a.bin"}, produce_ok),
                      Catch::Contains("'a.bin' appears twice"));
    CHECK_THROWS_WITH(write_image_batch(dir.path, {"../x.bin"}, produce_ok), Catch::Contains("not a plain file name"));
    CHECK_FALSE(fs::exists(dir.path));
    auto empty = write_image_batch(dir.path, {}, produce_ok);
    CHECK(empty.paths.empty());
}
