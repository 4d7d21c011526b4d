#pragma once
// What every harness shares. A vesper::Error is the library's answer to bad input, so it is an expected
// outcome; anything else escaping (another exception, a crash, a sanitizer report, a timeout) is a
// finding that libFuzzer reports with a reproducer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"

// A harness is written once and built two ways. With libFuzzer, VESPER_FUZZ_TARGET(name) defines
// LLVMFuzzerTestOneInput (and VESPER_FUZZ_INIT LLVMFuzzerInitialize). Built into the unit tests with
// VESPER_FUZZ_REPLAY, it registers the function under its name instead, so test_fuzz_regressions.cpp
// replays every file in tests/fuzz/regressions/NAME/ (and the committed seeds) through the very same code
// in the Release and ASan suites, without clang.
#ifdef VESPER_FUZZ_REPLAY
#define VESPER_FUZZ_TARGET(name)                                                                                       \
    static int name##_one(const std::uint8_t* data, std::size_t size);                                                 \
    [[maybe_unused]] static const bool name##_registered = vesper::fuzz::register_target(#name, name##_one);           \
    static int name##_one
#define VESPER_FUZZ_INIT [[maybe_unused]] static int fuzz_init_unused
#else
#define VESPER_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#define VESPER_FUZZ_INIT extern "C" int LLVMFuzzerInitialize
#endif

namespace vesper::fuzz {

using TargetFn = int (*)(const std::uint8_t* data, std::size_t size);
#ifdef VESPER_FUZZ_REPLAY
// The harnesses linked into this binary, by name (fuzz_replay.cpp).
std::map<std::string, TargetFn>& targets();
inline bool register_target(const char* name, TargetFn fn) {
    targets()[name] = fn;
    return true;
}
#endif

inline ByteView bytes(const std::uint8_t* data, std::size_t size) { return {data, size}; }
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Runs `step`; a vesper::Error ends it as the CLI would (a message and an exit code).
template <class F> void expect_errors(F&& step) {
    try {
        step();
    } catch (const vesper::Error&) {
    }
}

// Splits a byte stream into the chunks a transport would deliver. The input's first byte sets the chunk
// length (1..64), so the fuzzer also explores where reads split frames and escapes; the rest is the
// stream. Seeds are written as chunk_byte + stream.
class Chunks {
public:
    Chunks(const std::uint8_t* data, std::size_t size)
        : step_(size ? 1 + data[0] % 64 : 1), data_(size ? data + 1 : data), size_(size ? size - 1 : 0) {}
    bool done() const { return at_ >= size_; }
    ByteView next() {
        const std::size_t n = std::min(step_, size_ - at_);
        ByteView chunk(data_ + at_, n);
        at_ += n;
        return chunk;
    }
    ByteView stream() const { return {data_, size_}; }

private:
    std::size_t step_;
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// Where harnesses write their generated seeds when run with VESPER_FUZZ_WRITE_SEEDS=DIR (scripts/fuzz
// does this once per target before fuzzing); empty when unset.
inline std::filesystem::path seed_dir() {
    const char* dir = std::getenv("VESPER_FUZZ_WRITE_SEEDS");
    return dir ? std::filesystem::path(dir) : std::filesystem::path();
}
inline void write_seed(const std::string& name, ByteView data) {
    const auto dir = seed_dir();
    if (dir.empty()) return;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

} // namespace vesper::fuzz
