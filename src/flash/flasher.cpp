#include "vesper/flash/flasher.hpp"

#include <chrono>
#include <cstdio>
#include <future>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::esp {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string md5_hex(const std::array<std::uint8_t, 16>& d) { return to_hex(ByteView(d.data(), d.size())); }

std::string region_text(const PlannedRegion& r) {
    return r.name + " at " + hex32(r.address) + " (" + std::to_string(r.data.size()) + " bytes)";
}

// A region write that must start over from BEGIN: the ROM's position in the stream is unknown.
struct RestartRegion {
    Error error; // what to fail with when no restart is left
};

void add_note(std::string& notes, const std::string& note) { notes += notes.empty() ? note : "; " + note; }

} // namespace

// One data block, resent with the same sequence number when anything goes wrong, as esptool does (the
// ROM takes a repeated block as already written): a lost or broken reply, a packet the ROM rejected as
// damaged, or a failure status that may itself be a damaged success. Still failing after
// kBlockAttempts: the region restarts from its BEGIN (write_region bounds that). Two silent attempts in
// a row mean the board stopped answering: fail at once.
void Flasher::send_block(ByteView block, std::uint32_t seq, bool compressed, std::uint32_t expands_to,
                         const std::string& context, bool& retried) {
    Connection& conn = loader_.connection();
    const Millis timeout = Loader::block_timeout(compressed, expands_to);
    int timeouts = 0;
    for (int attempt = 1;; ++attempt) {
        const auto ex = loader_.write_block(block, seq, compressed, expands_to, context);
        if (ex.outcome == Connection::Outcome::reply && ex.response.ok()) return;
        std::string why = conn.describe_failure(ex, context, timeout);
        if (attempt > 1) why += " (tried " + std::to_string(attempt) + " times)";
        timeouts = ex.outcome == Connection::Outcome::timeout ? timeouts + 1 : 0;
        if (timeouts >= Loader::kMaxSilentAttempts)
            throw Connection::failure_error(ex, why + ": the board stopped answering");
        if (attempt >= kBlockAttempts) throw RestartRegion{Connection::failure_error(ex, why)};
        retried = true;
        conn.discard_input();
    }
}

// The device's MD5 of the region. The ROM's hex digits carry no checksum of their own, so a reply that
// differs from the expected MD5 is asked again: any read equal to the expected MD5 verifies, two equal
// reads that differ from it are a real mismatch, and reads that all disagree mean the line is damaging
// replies (a device error, not a verify failure: nothing is known about the flash).
std::array<std::uint8_t, 16> Flasher::device_md5_matches(const PlannedRegion& region) {
    const auto size = static_cast<std::uint32_t>(region.data.size());
    std::vector<std::array<std::uint8_t, 16>> seen;
    for (int i = 0; i < 4; ++i) {
        const auto got = loader_.flash_md5(region.address, size);
        if (got == region.md5) return got;
        for (const auto& earlier : seen)
            if (earlier == got) return got;
        seen.push_back(got);
    }
    fail(ErrorCode::esp_bad_reply,
         loader_.port() + ": SPI_FLASH_MD5 of " + region.name + " at " + hex32(region.address) + " gave " +
             std::to_string(seen.size()) +
             " different answers: the line is damaging replies, the flash could not be checked");
}

const char* to_string(FlashPhase phase) noexcept {
    switch (phase) {
    case FlashPhase::check: return "check";
    case FlashPhase::erase: return "erase";
    case FlashPhase::write: return "write";
    case FlashPhase::verify: return "verify";
    case FlashPhase::read: return "read";
    }
    return "write";
}

const char* to_string(Verification v) noexcept {
    switch (v) {
    case Verification::md5: return "md5";
    case Verification::readback: return "readback";
    case Verification::not_possible: return "not_possible";
    }
    return "md5";
}

Flasher::Flasher(Loader& loader, DeflateCache& cache, FlashOptions options)
    : loader_(loader), cache_(cache), options_(options) {}

// SPI_FLASH_MD5 makes the ROM read and hash the whole range (devsim models 0.35 s per MiB), which on
// an erased board is spent for nothing. A board that does not hold the region almost always differs in
// its first sector (image headers, app descriptions, NVS page headers live there): hash that first, the
// whole region only when it matches. A reply damaged on the line can only make a region look changed
// (it is then written, which is safe), never unchanged.
Flasher::Held Flasher::probe(const PlannedRegion& region) {
    const auto size = static_cast<std::uint32_t>(region.data.size());
    const std::uint32_t n = std::min(size, kProbeSize);
    const auto expected = n == size ? region.md5 : md5(ByteView(region.data).first(n));
    if (loader_.flash_md5(region.address, n) != expected) return Held::differs;
    return n == size ? Held::same : Held::undecided;
}

std::vector<RegionResult> Flasher::write(const FlashPlan& plan, const ProgressFn& progress,
                                         const std::function<void(const RegionResult&)>& on_region) {
    const ChipInfo& chip = loader_.chip();
    const std::size_t count = plan.regions.size();
    // Without the ROM's MD5 (or with --force) nothing is checked: every region is written.
    std::vector<Held> held(count, Held::differs);
    std::vector<double> checked_s(count, 0);
    if (!options_.force && chip.rom.md5) {
        for (std::size_t i = 0; i < count; ++i) {
            const auto t0 = Clock::now();
            const auto size = static_cast<std::uint64_t>(plan.regions[i].data.size());
            if (progress) progress(FlashProgress{FlashPhase::check, i, count, 0, size});
            held[i] = probe(plan.regions[i]);
            checked_s[i] = seconds_since(t0);
        }
    }
    // Regions known to change are compressed on another thread while the ROM erases and writes the ones
    // in front of them (the app deflates while the bootloader goes out). write_region asks the cache
    // too and simply waits if that image is still being compressed; the future's destructor joins the
    // thread whatever happens here.
    std::future<void> compressing;
    if (options_.compress && chip.rom.deflate)
        compressing = std::async(std::launch::async, [this, &plan, &held] {
            for (std::size_t i = 0; i < plan.regions.size(); ++i) {
                if (held[i] != Held::differs) continue;
                try {
                    cache_.get(plan.regions[i].data, kRomFlashBlock);
                } catch (...) {
                    // write_region compresses it again and reports the error where it belongs.
                }
            }
        });
    std::vector<RegionResult> results;
    for (std::size_t i = 0; i < count; ++i) {
        results.push_back(write_region(plan.regions[i], i, count, progress, held[i], checked_s[i]));
        if (on_region) on_region(results.back());
    }
    return results;
}

RegionResult Flasher::write_region(const PlannedRegion& region, std::size_t index, std::size_t count,
                                   const ProgressFn& progress, Held held, double checked_s) {
    const ChipInfo& chip = loader_.chip();
    const auto size = static_cast<std::uint32_t>(region.data.size());
    auto report = [&](FlashPhase phase, std::uint64_t done) {
        if (progress) progress(FlashProgress{phase, index, count, done, size});
    };

    RegionResult res;
    res.index = index;
    res.address = region.address;
    res.name = region.name;
    res.bytes = size;
    const auto t0 = Clock::now();

    // Skip what the board already holds (write() probed the first sector; see probe()).
    if (held == Held::undecided) {
        report(FlashPhase::check, 0);
        held = loader_.flash_md5(region.address, size) == region.md5 ? Held::same : Held::differs;
    }
    if (held == Held::same) {
        res.written = false;
        res.seconds = checked_s + seconds_since(t0);
        res.verified = Verification::md5;
        return res;
    }

    // Deflate only where the ROM inflates and it actually saves bytes on the wire.
    std::shared_ptr<const DeflatedImage> img;
    if (options_.compress && chip.rom.deflate) {
        img = cache_.get(region.data, kRomFlashBlock);
        if (img->stream.size() >= region.data.size()) {
            img.reset();
            add_note(res.note, "deflate does not make this data smaller; written uncompressed");
        }
    } else if (options_.compress) {
        add_note(res.note,
                 "the " + std::string(chip.display_name) + " ROM has no compressed writes; written uncompressed");
    }
    const bool compressed = img != nullptr;
    const std::uint32_t blocks =
        compressed ? static_cast<std::uint32_t>(img->block_count()) : block_count(size, kRomFlashBlock);
    res.compressed = compressed;
    res.compressed_bytes = compressed ? img->stream.size() : size;

    Verification verified = Verification::not_possible;
    for (int region_attempt = 1;; ++region_attempt) {
        bool retried = false;
        try {
            const auto tw = Clock::now();
            report(FlashPhase::erase, 0);
            loader_.begin_write(region.address, size, blocks, compressed);
            report(FlashPhase::write, 0);
            std::uint64_t done = 0;
            for (std::uint32_t seq = 0; seq < blocks; ++seq) {
                const ByteView block =
                    compressed ? img->block(seq)
                               : ByteView(region.data)
                                     .subspan(seq * kRomFlashBlock,
                                              std::min<std::uint32_t>(kRomFlashBlock, size - seq * kRomFlashBlock));
                const std::uint32_t expands_to =
                    compressed ? img->block_expands_to[seq] : static_cast<std::uint32_t>(block.size());
                const std::string context = command_name(compressed ? Command::flash_defl_data : Command::flash_data) +
                                            " block " + std::to_string(seq + 1) + "/" + std::to_string(blocks) +
                                            " of " + region_text(region);
                send_block(block, seq, compressed, expands_to, context, retried);
                done += expands_to;
                report(FlashPhase::write, std::min<std::uint64_t>(done, size));
            }
            res.seconds = seconds_since(tw);

            if (!options_.verify) {
                verified = Verification::not_possible;
                add_note(res.note, "not verified (verification turned off)");
            } else if (chip.rom.md5) {
                report(FlashPhase::verify, size);
                if (const auto got = device_md5_matches(region); got != region.md5) {
                    const Error mismatch(ErrorCode::flash_verify,
                                         loader_.port() + ": verify failed for " + region_text(region) +
                                             ": flash MD5 " + md5_hex(got) + ", expected " + md5_hex(region.md5));
                    if (retried) throw RestartRegion{mismatch};
                    throw mismatch;
                }
                verified = Verification::md5;
            } else if (chip.rom.read_flash_slow) {
                report(FlashPhase::verify, size);
                if (loader_.read_flash(region.address, size) != region.data) {
                    const Error mismatch(ErrorCode::flash_verify, loader_.port() + ": verify failed for " +
                                                                      region_text(region) +
                                                                      ": the bytes read back differ from the file");
                    if (retried) throw RestartRegion{mismatch};
                    throw mismatch;
                }
                verified = Verification::readback;
            } else {
                verified = Verification::not_possible;
                add_note(res.note, "not verified: the " + std::string(chip.display_name) +
                                       " ROM has neither SPI_FLASH_MD5 nor a flash read, so checking needs a stub "
                                       "loader");
            }
            break;
        } catch (const RestartRegion& r) {
            if (region_attempt >= kRegionAttempts)
                fail(r.error,
                     r.error.what() + (region_attempt > 1 ? " (after restarting the region " +
                                                                std::to_string(region_attempt - 1) + " time(s))"
                                                          : std::string()));
            loader_.connection().drain(kErrorDrainTime);
            loader_.connection().discard_input();
        }
    }
    res.written = true;
    res.verified = verified;
    return res;
}

Bytes Flasher::read(std::uint32_t address, std::uint32_t size, const ProgressFn& progress) {
    if (size == 0) return {};
    const FlashRegion range{address, size, "read of " + std::to_string(size) + " bytes"};
    check_flash_region(range, RegionRules{rom_loader_bound(), 1});
    if (const auto fs = loader_.info().flash_size) check_flash_region(range, RegionRules{board_bound(*fs), 1});
    // READ_FLASH_SLOW replies carry no checksum: where the ROM has MD5, each chunk is checked against
    // the flash's own MD5 and read again if the line damaged it.
    const bool check = loader_.chip().rom.md5;
    Bytes out;
    out.reserve(size);
    while (out.size() < size) {
        const auto at = static_cast<std::uint32_t>(address + out.size());
        const std::uint32_t n = std::min<std::uint32_t>(kReadCheckChunk, size - static_cast<std::uint32_t>(out.size()));
        const std::uint64_t before = out.size();
        auto cb = [&](std::uint32_t done) {
            if (progress && (done % 1024 == 0 || done == n))
                progress(FlashProgress{FlashPhase::read, 0, 1, before + done, size});
        };
        Bytes chunk = loader_.read_flash(at, n, cb);
        for (int attempt = 1; check && md5(chunk) != loader_.flash_md5(at, n); ++attempt) {
            if (attempt >= kBlockAttempts)
                fail(ErrorCode::esp_bad_reply, loader_.port() + ": READ_FLASH_SLOW of " + std::to_string(n) +
                                                   " bytes at " + hex32(at) + " does not match the flash's MD5 after " +
                                                   std::to_string(attempt) + " reads: the line is damaging replies");
            chunk = loader_.read_flash(at, n, cb);
        }
        out.insert(out.end(), chunk.begin(), chunk.end());
    }
    return out;
}

void Flasher::erase(std::uint32_t address, std::uint32_t size, const ProgressFn& progress) {
    const FlashRegion range{address, size, "erase " + hex32(address) + " size " + hex32(size)};
    check_flash_region(range, RegionRules{rom_loader_bound(), kFlashSectorSize, kFlashSectorSize});
    if (const auto fs = loader_.info().flash_size)
        check_flash_region(range, RegionRules{board_bound(*fs), kFlashSectorSize, kFlashSectorSize});
    if (progress) progress(FlashProgress{FlashPhase::erase, 0, 1, 0, size});
    loader_.erase(address, size);
    if (progress) progress(FlashProgress{FlashPhase::erase, 0, 1, size, size});
}

} // namespace vesper::esp
