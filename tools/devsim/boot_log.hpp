#pragma once
// What the simulated board prints between the ROM's boot line and its app's own output: an
// ESP-IDF-like 2nd stage bootloader log (the bootloader image header, the partition table at 0x8000,
// the app image it loads, checked as the bootloader checks it) and the app's startup lines. The app
// image is only read, never executed: its app description names the firmware the console reports.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "vesper/chip/chip.hpp"

namespace vesper::devsim {

// The app the bootloader chose and accepted.
struct BootedApp {
    std::uint32_t offset = 0;
    std::string project_name; // esp_app_desc_t; "unknown" when the image has none (ESP8266, non-IDF)
    std::string version;      // esp_app_desc_t; empty when the image has none
    // What esp_partition_get_sha256 returns for the app partition: the SHA-256 appended to the image
    // when its header says one is, else the SHA-256 of the image up to its checksum and padding.
    std::array<std::uint8_t, 32> sha256{};
};

struct BootLog {
    std::string text;             // lines end in "\r\n", ESP-IDF's "I (ms) tag: text" format
    std::optional<BootedApp> app; // nullopt: no bootable app (the text ends with the bootloader's errors)
    unsigned ms = 0;              // the log's timestamp at its end
};

// The log of a boot from `flash`. The app partition is the table's factory partition, else ota_0
// (otadata is not read); without a valid table the bootloader tries 0x10000.
BootLog boot_from_flash(const esp::ChipInfo& chip, const FlashStore& flash);

// One line in ESP-IDF's log format, "I (123) tag: text\r\n" (the app's own lines after the boot log).
std::string log_line(char level, unsigned ms, const char* tag, const std::string& text);

} // namespace vesper::devsim
