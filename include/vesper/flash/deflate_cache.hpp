#pragma once
// Compressed write streams, made once and shared. A station flashing eight boards with the same image
// compresses it once: the cache is keyed by the SHA-256 of the bytes (plus block size and level), is
// safe to use from many threads, and a second thread asking for an image being compressed waits for
// that one result instead of compressing it again.
#include <array>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

inline constexpr int kDeflateLevel = 9; // as esptool: the ROM inflates any level, smaller is faster on the wire

// zlib stream (with zlib header and Adler-32, which the ROM's inflater expects) of `data`.
Bytes deflate_zlib(ByteView data, int level = kDeflateLevel);

// A compressed image cut into the blocks FLASH_DEFL_DATA sends.
struct DeflatedImage {
    std::array<std::uint8_t, 32> sha256{}; // of the uncompressed bytes
    std::uint64_t uncompressed_size = 0;
    std::uint32_t block_size = 0;
    Bytes stream; // the whole zlib stream
    // Flash bytes each block inflates to (scales that block's reply timeout: the ROM writes them
    // before it answers). Sums to uncompressed_size.
    std::vector<std::uint32_t> block_expands_to;

    std::size_t block_count() const noexcept { return block_expands_to.size(); }
    ByteView block(std::size_t i) const;
};

// Compresses and splits; block_size must be > 0.
DeflatedImage make_deflated_image(ByteView data, std::uint32_t block_size, int level = kDeflateLevel);

class DeflateCache {
public:
    DeflateCache() = default;
    DeflateCache(const DeflateCache&) = delete;
    DeflateCache& operator=(const DeflateCache&) = delete;

    // The compressed form of `data`, computing it on first use. Thread-safe; concurrent callers for the
    // same bytes share one computation.
    std::shared_ptr<const DeflatedImage> get(ByteView data, std::uint32_t block_size, int level = kDeflateLevel);

    std::size_t size() const;           // entries held
    std::uint64_t compressions() const; // how many times data was actually compressed
    void clear();

private:
    struct Key {
        std::array<std::uint8_t, 32> sha256;
        std::uint32_t block_size;
        int level;
        auto operator<=>(const Key&) const = default;
    };
    mutable std::mutex mutex_;
    std::map<Key, std::shared_future<std::shared_ptr<const DeflatedImage>>> entries_;
    std::uint64_t compressions_ = 0;
};

} // namespace vesper::esp
