#pragma once
// Support for the flash integration tests: the real vesper-devsim in the background on a free
// loopback port, and firmware-like test files. Header-only; included by tests/integration/test_flash_*.cpp.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

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

// The three regions of `f` byte for byte in the simulator's flash file, and nothing around them touched.
inline void check_regions_in_flash(const fs::path& flash_file, const Firmware& f, std::uint8_t untouched = 0xFF) {
    const Bytes flash = read_file(flash_file);
    CHECK(slice(flash, 0x1000, f.boot_bytes.size()) == f.boot_bytes);
    CHECK(slice(flash, 0x8000, f.part_bytes.size()) == f.part_bytes);
    CHECK(slice(flash, 0x10000, f.app_bytes.size()) == f.app_bytes);
    // Flash outside the regions' sectors keeps what it held, e.g. the sector right after the app.
    const std::size_t after_app = (0x10000 + f.app_bytes.size() + 0xFFF) / 0x1000 * 0x1000;
    CHECK(slice(flash, after_app, 0x1000) == Bytes(0x1000, untouched));
    CHECK(slice(flash, 0, 0x1000) == Bytes(0x1000, untouched));
    // The rest of a region's last sector is erased (the ROM erases whole sectors).
    const std::size_t padded_end = (0x10000 + f.app_bytes.size() + 3) / 4 * 4;
    CHECK(slice(flash, padded_end, after_app - padded_end) == Bytes(after_app - padded_end, 0xFF));
}

// Output of --json: one JSON document per line, every line ended by a newline.
inline std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> events;
    std::size_t start = 0;
    while (start < out.size()) {
        const auto nl = out.find('\n', start);
        REQUIRE(nl != std::string::npos);
        events.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
        start = nl + 1;
    }
    return events;
}

} // namespace vesper::flash_test
