#pragma once
// The four images the flash benchmark writes, laid out as configs/partitions-4mb.csv says for an ESP32:
// bootloader 0x1000, partition table 0x8000, factory NVS (fctry) 0x10000, app (ota_0) 0x20000.
//
// Why the app holds a real compiled program: the time on the wire depends on how well the data deflates.
// Zeros compress to almost nothing, random bytes not at all; neither is firmware. So the app's segments
// carry the bytes of an executable built on this machine (vesperctl by default, read from offset 0 and
// repeated from the start if the file is shorter than needed), wrapped in a valid ESP32 app image of
// exactly 1 MiB by the test image builder (tests/unit/esp_image_builder.hpp). x86-64 code deflates a
// little better than Xtensa firmware does, so the bench prints the ratio it got.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "esp_image_builder.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/nvs/template.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::bench {

inline constexpr std::uint32_t kBootloaderOffset = 0x1000;
inline constexpr std::uint32_t kPartitionTableOffset = 0x8000;
inline constexpr std::size_t kAppSize = 1024 * 1024;

// Hands out consecutive bytes of a file, starting over at its beginning when it runs out.
class PayloadSource {
public:
    explicit PayloadSource(const std::filesystem::path& file) : data_(read_file(file)), name_(file.string()) {
        if (data_.empty()) fail(ErrorKind::input, name_ + ": empty file, nothing to build an app image from");
    }
    Bytes take(std::size_t n) {
        Bytes out;
        out.reserve(n);
        while (out.size() < n) {
            const std::size_t k = std::min(n - out.size(), data_.size() - pos_);
            out.insert(out.end(), data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                       data_.begin() + static_cast<std::ptrdiff_t>(pos_ + k));
            pos_ = (pos_ + k) % data_.size();
            wrapped_ = wrapped_ || pos_ == 0;
        }
        return out;
    }
    std::size_t file_size() const { return data_.size(); }
    bool wrapped() const { return wrapped_; }

private:
    Bytes data_;
    std::string name_;
    std::size_t pos_ = 0;
    bool wrapped_ = false;
};

// An ESP32 second-stage bootloader of about 24 KiB: the bootloader description, then IRAM code.
inline Bytes make_bootloader(PayloadSource& payload) {
    test::TestImage im;
    im.entry = 0x40080644;
    im.flash_size_freq = 0x20; // 4MB, 40m: what the partition table needs
    Bytes dram = test::bootloader_desc(1, 0, 0);
    const Bytes more = payload.take(2048);
    dram.insert(dram.end(), more.begin(), more.end());
    im.segments = {{0x3FFF0030, dram}, {0x40078000, payload.take(16 * 1024)}, {0x40080400, payload.take(4 * 1024)}};
    return im.build();
}

// An ESP32 app of exactly kAppSize bytes: DROM (app description + payload), DRAM, IRAM, IROM.
inline Bytes make_app(PayloadSource& payload) {
    test::TestImage im;
    Bytes drom = test::app_desc("vesper-bench", "1.0.0", 0, 0);
    const Bytes rodata = payload.take(192 * 1024);
    drom.insert(drom.end(), rodata.begin(), rodata.end());
    const Bytes dram = payload.take(16 * 1024);
    const Bytes iram = payload.take(64 * 1024);
    // 24-byte header, 8 bytes per segment header, padding to 15 mod 16, checksum byte, 32-byte SHA-256:
    // segments summing to 1048540 - 56 bytes make exactly 1 MiB (3 bytes of padding).
    constexpr std::size_t kSegmentBytes = 1048540 - 56;
    const std::size_t irom_size = kSegmentBytes - drom.size() - dram.size() - iram.size();
    im.segments = {{0x3F400020, drom}, {0x3FFB0000, dram}, {0x40080000, iram}, {0x400D0020, payload.take(irom_size)}};
    Bytes app = im.build();
    if (app.size() != kAppSize)
        fail(ErrorKind::internal,
             "bench app image is " + std::to_string(app.size()) + " bytes, expected " + std::to_string(kAppSize));
    return app;
}

inline esp::PartitionTable load_partition_table(const std::filesystem::path& csv) {
    return esp::parse_partition_csv(read_text_file(csv), csv.string());
}

inline const esp::Partition& partition_named(const esp::PartitionTable& table, std::string_view name) {
    const esp::Partition* p = table.find(name);
    if (!p) fail(ErrorKind::input, "the bench's partition table has no partition '" + std::string(name) + "'");
    return *p;
}

// One device's factory NVS, rendered the way `nvs batch` renders it.
inline Bytes make_nvs(const std::filesystem::path& template_csv, std::size_t partition_size) {
    const nvs::Template t = nvs::Template::load(template_csv);
    const nvs::Fields fields{{"serial_number", "PV-26K21-BC02R-7QX3M"},
                             {"hw_type", "BC"},
                             {"hw_version", "02"},
                             {"mqtt_password", "3f9c2a71d4e8b6051c7a9e2d4b8f6a13"},
                             {"subscription_plan", "standard"},
                             {"available_outputs", "8"},
                             {"batch_id", "1"}};
    return t.render(fields, partition_size, nvs::Version::v2);
}

} // namespace vesper::bench
