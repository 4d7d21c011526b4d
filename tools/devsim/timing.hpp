#pragma once
// How long things take on a real board: bytes on a UART (8N1: 10 bit times per byte), and SPI NOR
// flash erase/program at the typical times of the Winbond W25Q32JV datasheet (Rev. F, May 2017, AC
// Electrical Characteristics: tSE, tBE2, tPP). Durations are always computed (the command log reports
// them); whether the simulator waits for them is the Timing mode.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vesper::devsim {

using Duration = std::chrono::nanoseconds;

enum class Timing {
    off,       // answer as fast as possible (tests)
    realistic, // pace the UART at the current baud and wait for flash operations
};
Timing parse_timing(std::string_view text); // "off" | "realistic"; Error(input) otherwise

struct FlashTimes {
    Duration sector_erase = std::chrono::milliseconds(45);  // 4 KiB, tSE typical
    Duration block_erase = std::chrono::milliseconds(150);  // 64 KiB, tBE2 typical
    Duration page_program = std::chrono::microseconds(400); // 256 B, tPP typical
    // ROM SPI_FLASH_MD5: reading the flash and hashing it on the chip. No published figure; an estimate
    // for a 40 MHz SPI read plus MD5 in ROM code (esptool budgets 8 s/MB as a timeout, far above).
    Duration md5_per_mib = std::chrono::milliseconds(350);
};

// What the factory console's hardware calls take on a board (the simulated HAL adds them up as the
// command's modelled duration). Estimates, not measurements: a relay's contact and feedback settle in
// 5-15 ms (the HAL waits 20 ms), a GPIO input settles within microseconds (1 ms budget), an ESP-IDF
// all-channel active scan dwells 120 ms on each of 13 channels plus radio start (~2.2 s), and an NVS
// commit erases/programs a page or two (~30 ms).
struct FirmwareTimes {
    Duration output_settle = std::chrono::milliseconds(20);
    Duration gpio_settle = std::chrono::milliseconds(1);
    Duration wifi_scan = std::chrono::milliseconds(2200);
    Duration nvs_commit = std::chrono::milliseconds(30);
};

class TimingModel {
public:
    explicit TimingModel(Timing mode = Timing::off, FlashTimes times = {}) : mode_(mode), times_(times) {}

    Timing mode() const noexcept { return mode_; }
    bool realistic() const noexcept { return mode_ == Timing::realistic; }

    // One byte is 10 bit times (start, 8 data, stop).
    static Duration uart(std::size_t bytes, std::uint32_t baud);
    // Erasing [offset, offset + length) (sector-aligned) the way the ROM does: whole 64 KiB blocks where
    // aligned, 4 KiB sectors for the rest.
    Duration erase(std::uint32_t offset, std::uint32_t length) const;
    // Programming `bytes` starting at `offset`: one page program per 256-byte page touched.
    Duration program(std::uint32_t offset, std::size_t bytes) const;
    Duration md5(std::size_t bytes) const;

private:
    Timing mode_;
    FlashTimes times_;
};

} // namespace vesper::devsim
