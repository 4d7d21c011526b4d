#pragma once
// Support for the flash integration tests: the real vesper-devsim in the background on a free
// loopback port, and firmware-like test files. Header-only; included by tests/integration/test_flash_*.cpp.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "devsim_process.hpp"
#include "run_process.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/files.hpp"

namespace vesper::flash_test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// vesper-devsim on 127.0.0.1 with an OS-chosen port, always --quiet; SIGTERM (then SIGKILL) when it
// goes out of scope.
class Devsim : public test::DevsimProcess {
public:
    explicit Devsim(std::vector<std::string> args) : DevsimProcess(std::move(args), Output::Quiet) {}
};

// Deterministic bytes that compress about as well as firmware: runs of repeated words between
// stretches of noise.
inline Bytes firmware_like(std::size_t n, std::uint32_t seed) {
    Bytes b(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        b[i] = (i / 64) % 3 == 0 ? static_cast<std::uint8_t>(x >> 24) : static_cast<std::uint8_t>(i / 64);
    }
    return b;
}

inline Bytes slice(const Bytes& b, std::size_t at, std::size_t n) {
    REQUIRE(at + n <= b.size());
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

// The three files of a typical ESP-IDF flash job, written into `dir`.
struct Firmware {
    fs::path boot, part, app;
    Bytes boot_bytes, part_bytes, app_bytes;
};

inline Firmware write_firmware(const fs::path& dir, std::size_t app_size = 0x2A345) {
    Firmware f;
    f.boot = dir / "boot.bin";
    f.part = dir / "part.bin";
    f.app = dir / "app.bin";
    f.boot_bytes = firmware_like(0x4321, 1);
    f.part_bytes = firmware_like(0xC00, 2);
    f.app_bytes = firmware_like(app_size, 3);
    write_file_atomic(f.boot, f.boot_bytes);
    write_file_atomic(f.part, f.part_bytes);
    write_file_atomic(f.app, f.app_bytes);
    return f;
}

inline std::vector<std::string> flash_args(const std::string& url, const Firmware& f,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"flash", "--port", url};
    a.insert(a.end(), extra.begin(), extra.end());
    for (const std::string& s : {std::string("0x1000"), f.boot.string(), std::string("0x8000"), f.part.string(),
                                 std::string("0x10000"), f.app.string()})
        a.push_back(s);
    return a;
}

inline int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

inline test::ProcessResult run(const std::vector<std::string>& args, int timeout_ms = 60000) {
    test::ProcessOptions o;
    o.timeout_ms = timeout_ms;
    return test::vesperctl(args, o);
}

} // namespace vesper::flash_test
