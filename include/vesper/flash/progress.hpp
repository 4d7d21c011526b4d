#pragma once
// What a long flash operation reports while it runs, and what it reports per region at the end. The
// CLI turns these into a TTY progress line or JSON lines; the station runs one Flasher per port and
// tags the events with the port itself.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace vesper::esp {

enum class FlashPhase {
    check,  // SPI_FLASH_MD5 of what the device holds, to skip unchanged regions
    erase,  // FLASH_(DEFL_)BEGIN: the ROM erases the region before it answers
    write,  // data blocks
    verify, // SPI_FLASH_MD5 after writing
    read,   // READ_FLASH_SLOW
};
const char* to_string(FlashPhase phase) noexcept;

struct FlashProgress {
    FlashPhase phase = FlashPhase::write;
    std::size_t region = 0; // index into the plan (0 for read/erase)
    std::size_t region_count = 1;
    std::uint64_t done = 0;  // uncompressed bytes of this region handled so far
    std::uint64_t total = 0; // uncompressed bytes of this region
};
using ProgressFn = std::function<void(const FlashProgress&)>;

enum class Verification {
    md5,          // the device's SPI_FLASH_MD5 equals the MD5 of the bytes we meant to write
    readback,     // read back with READ_FLASH_SLOW and compared (ROMs with read but no MD5)
    not_possible, // the ROM has neither MD5 nor flash read (ESP8266 without a stub)
};
const char* to_string(Verification v) noexcept;

struct RegionResult {
    std::size_t index = 0;
    std::uint32_t address = 0;
    std::string name;                   // the file, as given
    bool written = false;               // false: skipped because the device already held these bytes
    std::uint64_t bytes = 0;            // uncompressed bytes of the region (after padding to 4)
    std::uint64_t compressed_bytes = 0; // bytes sent on the wire in data blocks; equals bytes if plain
    bool compressed = false;
    double seconds = 0; // erase + write + verify (or the check, for a skipped region)
    Verification verified = Verification::md5;
    std::string note; // why not compressed / not verified, when that is worth saying

    // Uncompressed bits per second / 1000, as esptool prints it (so it can exceed the line rate).
    double kbit_per_s() const noexcept { return seconds > 0 ? static_cast<double>(bytes) * 8.0 / seconds / 1000.0 : 0; }
};

} // namespace vesper::esp
