#pragma once
// The SPI NOR flash behind the simulated chip: erase sets bytes to 0xFF, programming can only clear
// bits (new = old AND data), as on real NOR flash. Backed by memory or by a file mapped with mmap, so
// what the host writes is in the file at once and survives the process.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "vesper/core/bytes.hpp"

namespace vesper::devsim {

inline constexpr std::uint32_t kSectorSize = 0x1000;
inline constexpr std::uint32_t kBlockSize = 0x10000;
inline constexpr std::uint32_t kPageSize = 0x100;

class FlashStore {
public:
    // 0xFF-filled memory of `size` bytes (a multiple of the sector size).
    static FlashStore in_memory(std::uint32_t size);
    // Maps `path`; a missing file is created 0xFF-filled. An existing file must have exactly `size`
    // bytes (Error(input) naming the file otherwise): a flash image is never silently resized.
    static FlashStore open_file(const std::filesystem::path& path, std::uint32_t size);

    FlashStore(FlashStore&&) noexcept;
    FlashStore& operator=(FlashStore&&) noexcept;
    ~FlashStore();

    std::uint32_t size() const noexcept { return size_; }
    // Empty for in-memory flash.
    const std::filesystem::path& path() const noexcept { return path_; }

    // Ranges must lie inside the flash (Error(internal) otherwise: address mapping is the caller's job).
    void erase(std::uint32_t offset, std::uint32_t length);
    // NOR programming. Returns false when the cells do not now equal `data` (a bit had to go 0 -> 1
    // because the range was not erased).
    bool program(std::uint32_t offset, ByteView data);
    ByteView read(std::uint32_t offset, std::uint32_t length) const;

    // Flushes a file-backed flash to disk.
    void sync();

private:
    FlashStore() = default;
    void check_range(std::uint32_t offset, std::uint64_t length, const char* what) const;

    std::uint8_t* data_ = nullptr;
    std::uint32_t size_ = 0;
    std::unique_ptr<std::uint8_t[]> memory_; // in-memory backing
    bool mapped_ = false;                    // file backing (munmap on destruction)
    std::filesystem::path path_;
};

} // namespace vesper::devsim
