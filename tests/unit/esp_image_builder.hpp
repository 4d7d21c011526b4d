#pragma once
// Test-only ESP image builder, written from the documented format (esptool "Firmware Image Format", ESP-IDF
// esp_app_desc_t / esp_bootloader_desc_t) independently of the library's parser and synthesizer, so a
// test comparing the two is not the library checking itself.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"

namespace vesper::test {

struct TestSegment {
    std::uint32_t address = 0;
    Bytes data;
};

struct TestImage {
    std::uint8_t flash_mode = 2;         // dio
    std::uint8_t flash_size_freq = 0x20; // ESP32 encoding: 4MB, 40m
    std::uint32_t entry = 0x40080000;
    bool extended = true; // false: ESP8266 layout
    std::uint8_t wp_pin = 0xEE;
    std::array<std::uint8_t, 3> drive{};
    std::uint16_t chip_id = 0;
    std::uint8_t min_rev = 0;
    std::uint16_t min_rev_full = 0;
    std::uint16_t max_rev_full = 399;
    std::array<std::uint8_t, 4> reserved{};
    std::uint8_t hash_appended = 1;
    std::vector<TestSegment> segments;

    Bytes build() const {
        Bytes out{0xE9, static_cast<std::uint8_t>(segments.size()), flash_mode, flash_size_freq};
        append_le32(out, entry);
        if (extended) {
            out.push_back(wp_pin);
            out.insert(out.end(), drive.begin(), drive.end());
            out.push_back(static_cast<std::uint8_t>(chip_id));
            out.push_back(static_cast<std::uint8_t>(chip_id >> 8));
            out.push_back(min_rev);
            out.push_back(static_cast<std::uint8_t>(min_rev_full));
            out.push_back(static_cast<std::uint8_t>(min_rev_full >> 8));
            out.push_back(static_cast<std::uint8_t>(max_rev_full));
            out.push_back(static_cast<std::uint8_t>(max_rev_full >> 8));
            out.insert(out.end(), reserved.begin(), reserved.end());
            out.push_back(hash_appended);
        }
        std::uint8_t checksum = 0xEF;
        for (const auto& s : segments) {
            append_le32(out, s.address);
            append_le32(out, static_cast<std::uint32_t>(s.data.size()));
            out.insert(out.end(), s.data.begin(), s.data.end());
            for (std::uint8_t b : s.data)
                checksum ^= b;
        }
        while (out.size() % 16 != 15)
            out.push_back(0);
        out.push_back(checksum);
        if (extended && hash_appended == 1) {
            const auto digest = sha256(out);
            out.insert(out.end(), digest.begin(), digest.end());
        }
        return out;
    }
};

inline void put_text(Bytes& b, std::size_t at, const std::string& s) { std::memcpy(b.data() + at, s.data(), s.size()); }

// A 256-byte esp_app_desc_t followed by `extra` bytes of 0x5A (the rest of the DROM segment).
inline Bytes app_desc(const std::string& project, const std::string& version, std::uint32_t secure_version = 3,
                      std::size_t extra = 64) {
    Bytes d(256 + extra, 0);
    put_le32(d.data(), 0xABCD5432);
    put_le32(d.data() + 4, secure_version);
    put_text(d, 16, version);
    put_text(d, 48, project);
    put_text(d, 80, "12:34:56");
    put_text(d, 96, "Jan 18 2026");
    put_text(d, 112, "v5.3.1");
    for (int i = 0; i < 32; ++i)
        d[144 + i] = static_cast<std::uint8_t>(i);
    put_le16(d.data() + 176, 1);
    put_le16(d.data() + 178, 199);
    for (std::size_t i = 256; i < d.size(); ++i)
        d[i] = 0x5A;
    return d;
}

// An 80-byte esp_bootloader_desc_t followed by `extra` bytes of code-ish filler.
inline Bytes bootloader_desc(std::uint32_t version, std::uint8_t secure_version = 0, std::size_t extra = 48) {
    Bytes d(80 + extra, 0);
    d[0] = 0x50;
    d[3] = secure_version;
    put_le32(d.data() + 4, version);
    put_text(d, 8, "v5.3.1");
    put_text(d, 40, "Jan 18 2026 12:34:56");
    for (std::size_t i = 80; i < d.size(); ++i)
        d[i] = static_cast<std::uint8_t>(i * 7);
    return d;
}

inline Bytes filler(std::size_t n, std::uint8_t seed) {
    Bytes d(n);
    for (std::size_t i = 0; i < n; ++i)
        d[i] = static_cast<std::uint8_t>(seed + i * 13);
    return d;
}

// An ESP32 app like ESP-IDF lays one out: DROM (with the app description), DRAM, IRAM, IROM, RTC.
inline TestImage esp32_app() {
    TestImage im;
    im.segments = {{0x3F400020, app_desc("blinky", "1.2.3")},
                   {0x3FFB0000, filler(32, 1)},
                   {0x40080000, filler(64, 2)},
                   {0x400D0020, filler(128, 3)},
                   {0x50000000, filler(4, 4)}};
    return im;
}

// An ESP32 bootloader: DRAM segment starting with the bootloader description, then IRAM.
inline TestImage esp32_bootloader() {
    TestImage im;
    im.entry = 0x40080644;
    im.flash_size_freq = 0x10; // 2MB, 40m
    im.segments = {{0x3FFF0030, bootloader_desc(1)}, {0x40078000, filler(96, 5)}, {0x40080400, filler(48, 6)}};
    return im;
}

// An ESP32-C3 app (chip id 5).
inline TestImage esp32c3_app() {
    TestImage im;
    im.chip_id = 5;
    im.entry = 0x40380000;
    im.segments = {{0x3C000020, app_desc("c3-app", "0.9.0")},
                   {0x3FC8A000, filler(40, 7)},
                   {0x4037C000, filler(44, 8)},
                   {0x42000020, filler(200, 9)}};
    return im;
}

// An ESP8266 image (no extended header, no SHA-256).
inline TestImage esp8266_app() {
    TestImage im;
    im.extended = false;
    im.hash_appended = 0;
    im.flash_size_freq = 0x40; // ESP8266 encoding: 4MB, 40m
    im.entry = 0x40100004;
    im.segments = {{0x40100000, filler(100, 10)}, {0x3FFE8000, filler(20, 11)}};
    return im;
}

} // namespace vesper::test
