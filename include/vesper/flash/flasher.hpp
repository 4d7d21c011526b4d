#pragma once
// Writes a FlashPlan through a connected Loader, the ROM way: per region, check whether the board
// already holds it (SPI_FLASH_MD5; skipped unless forced), FLASH_(DEFL_)BEGIN (the ROM erases there),
// 1 KiB data blocks, then SPI_FLASH_MD5 again to verify. The check hashes the first sector of every
// region before anything is written and the whole region only when that sector matches, so a region
// that changed costs no full MD5 and starts compressing at once, in the background (docs/performance.md,
// "Flash"). Compressed streams come from a DeflateCache that many Flashers (one per port, each in its own
// thread) can share. FLASH_END is never sent here:
// to a ROM it means "leave the loader", which is Loader::leave()'s job at the very end.
#include <cstdint>
#include <functional>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/flash/deflate_cache.hpp"
#include "vesper/flash/flash_plan.hpp"
#include "vesper/rom/loader.hpp"
#include "vesper/flash/progress.hpp"

namespace vesper::esp {

struct FlashOptions {
    bool compress = true; // deflate where the ROM supports it and it makes the data smaller
    bool force = false;   // write even when the board already holds the same bytes
    bool verify = true;   // check every written region (MD5, or read-back where that is all the ROM has)
};

class Flasher {
public:
    // Both references must outlive the Flasher. The cache may be shared between threads.
    Flasher(Loader& loader, DeflateCache& cache, FlashOptions options = {});

    // Writes every region in order. `on_region` gets each result as soon as the region is done (so a
    // later failure does not hide what was already written). Throws Error(device) when the board stops
    // answering or the ROM reports an error, Error(verify) when a region does not verify.
    std::vector<RegionResult> write(const FlashPlan& plan, const ProgressFn& progress = {},
                                    const std::function<void(const RegionResult&)>& on_region = {});

    // READ_FLASH_SLOW of `size` bytes at `address`, each kReadCheckChunk checked against SPI_FLASH_MD5
    // where the ROM has it.
    Bytes read(std::uint32_t address, std::uint32_t size, const ProgressFn& progress = {});

    // Erases [address, address + size); both must be multiples of 4 KiB (Error(input) otherwise).
    void erase(std::uint32_t address, std::uint32_t size, const ProgressFn& progress = {});

    // Attempts per data block when the line damages a packet or a reply goes missing.
    static constexpr int kBlockAttempts = 3;
    // Attempts per region when a damaged reply leaves the ROM's state unknown (restart from BEGIN).
    static constexpr int kRegionAttempts = 2;
    static constexpr std::uint32_t kReadCheckChunk = 4096;
    // Bytes hashed first to tell a changed region from an unchanged one.
    static constexpr std::uint32_t kProbeSize = 4096;

private:
    enum class Held { differs, same, undecided }; // what the board holds where a region goes
    Held probe(const PlannedRegion& region);
    RegionResult write_region(const PlannedRegion& region, std::size_t index, std::size_t count,
                              const ProgressFn& progress, Held held, double checked_s);
    void send_block(ByteView block, std::uint32_t seq, bool compressed, std::uint32_t expands_to,
                    const std::string& context, bool& retried);
    std::array<std::uint8_t, 16> device_md5_matches(const PlannedRegion& region);

    Loader& loader_;
    DeflateCache& cache_;
    FlashOptions options_;
};

} // namespace vesper::esp
