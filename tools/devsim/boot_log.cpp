#include "devsim/boot_log.hpp"

#include <cstdarg>
#include <cstdio>

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::devsim {

namespace {

// Log lines in ESP-IDF's format, with a timestamp that moves on per line.
class LogWriter {
public:
    explicit LogWriter(std::string& out) : out_(out) {}
    void line(char level, const char* tag, const char* fmt, ...) __attribute__((format(printf, 4, 5))) {
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        out_ += log_line(level, ms_, tag, text);
        ms_ += 4 + static_cast<unsigned>(std::char_traits<char>::length(text)) / 12;
    }
    unsigned ms() const { return ms_; }

private:
    std::string& out_;
    unsigned ms_ = 27;
};

const char* usage(const esp::Partition& p) {
    if (p.type == esp::kTypeApp) {
        if (p.subtype == esp::kSubtypeFactory) return "factory app";
        if (p.subtype >= esp::kSubtypeOta0 && p.subtype < esp::kSubtypeOta0 + 16) return "OTA app";
        if (p.subtype == esp::kSubtypeTest) return "test app";
        return "Unknown app";
    }
    if (p.type == esp::kTypeData) {
        switch (p.subtype) {
        case esp::kSubtypeOtaData: return "OTA data";
        case esp::kSubtypePhy: return "RF data";
        case esp::kSubtypeNvs: return "WiFi data";
        case esp::kSubtypeNvsKeys: return "NVS keys";
        case esp::kSubtypeEfuse: return "efuse";
        default: return "Unknown data";
        }
    }
    return "Unknown";
}

const char* flash_mode_name(std::uint8_t mode) {
    switch (mode) {
    case 0: return "QIO";
    case 1: return "QOUT";
    case 2: return "DIO";
    case 3: return "DOUT";
    default: return "unknown";
    }
}

// Where the bootloader looks for the app, and how it names that slot in its errors.
struct AppSlot {
    std::uint32_t offset = 0x10000;
    std::uint32_t size = 0;
    std::string name = "Factory app partition";
};

// Loads and checks the app image at `slot` as the bootloader does; logs its segments on success and
// the bootloader's error otherwise.
std::optional<BootedApp> load_app(const esp::ChipInfo& chip, const FlashStore& flash, const AppSlot& slot,
                                  LogWriter& log) {
    const std::uint32_t size = slot.size != 0 ? slot.size : flash.size() - std::min(slot.offset, flash.size());
    if (slot.offset >= flash.size() || size == 0) {
        log.line('E', "boot", "%s at 0x%x lies beyond the flash", slot.name.c_str(), slot.offset);
        return std::nullopt;
    }
    const ByteView bytes = flash.read(slot.offset, std::min(size, flash.size() - slot.offset));
    if (bytes[0] != esp::kImageMagic) {
        log.line('E', "esp_image", "image at 0x%x has invalid magic byte (nothing flashed here?)", slot.offset);
        return std::nullopt;
    }
    esp::ImageParseOptions opts;
    opts.chip = &chip;
    std::optional<esp::ImageInfo> image;
    try {
        image = esp::parse_image(bytes, "app at " + hex32(slot.offset), opts);
    } catch (const Error& e) {
        log.line('E', "esp_image", "image at 0x%x is not valid: %.150s", slot.offset, e.what());
        return std::nullopt;
    }
    if (esp::image_chip_mismatch(*image, chip)) {
        log.line('E', "boot_comm", "mismatch chip ID, expected %u, found %u", unsigned{chip.image_chip_id.value_or(0)},
                 unsigned{image->extended.chip_id});
        return std::nullopt;
    }
    for (std::size_t i = 0; i < image->segments.size(); ++i) {
        const esp::ImageSegment& s = image->segments[i];
        const bool mapped = s.in("DROM") || s.in("IROM");
        log.line('I', "esp_image", "segment %zu: paddr=%08x vaddr=%08x size=%05xh (%6u) %s", i,
                 static_cast<unsigned>(slot.offset + s.data_offset()), s.load_address, s.length, s.length,
                 mapped ? "map" : "load");
    }
    if (!image->checksum_ok()) {
        log.line('E', "esp_image", "Checksum failed. Calculated 0x%x read 0x%x", image->checksum_computed,
                 image->checksum_stored);
        return std::nullopt;
    }
    if (!image->sha256_ok()) {
        log.line('E', "esp_image", "Image hash failed - image is corrupt");
        return std::nullopt;
    }
    BootedApp app;
    app.offset = slot.offset;
    app.project_name = image->app ? image->app->project_name : "unknown";
    app.version = image->app ? image->app->version : "";
    app.sha256 = esp::running_app_sha256(*image, bytes);
    return app;
}

} // namespace

std::string log_line(char level, unsigned ms, const char* tag, const std::string& text) {
    char head[64];
    std::snprintf(head, sizeof head, "%c (%u) %s: ", level, ms, tag);
    return head + text + "\r\n";
}

BootLog boot_from_flash(const esp::ChipInfo& chip, const FlashStore& flash) {
    BootLog result;
    std::string& out = result.text;
    // The ROM's loader messages for the 2nd stage bootloader image.
    const ByteView header = flash.read(chip.bootloader_offset, 8);
    const bool has_bootloader = header[0] == esp::kImageMagic;
    out += chip.boot_text.flash_preamble;
    if (has_bootloader) {
        out += std::string("mode:") + flash_mode_name(header[2]) + ", clock div:2\r\n";
        // The ROM prints the entry point the bootloader image's header names.
        char line[32];
        std::snprintf(line, sizeof line, "entry 0x%08x\r\n", get_le32(header.data() + 4));
        out += line;
    }
    LogWriter log(out);
    const std::string boot_tag = "boot." + std::string(chip.name);
    log.line('I', "boot", "ESP-IDF v5.3 2nd stage bootloader (vesper devsim)");
    if (chip.cpu_cores > 1) log.line('I', "boot", "Multicore bootloader");
    log.line('I', "boot", "chip revision: v0.0");
    if (!has_bootloader) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "no bootloader image at 0x%X (first byte 0x%02X)", chip.bootloader_offset,
                      header[0]);
        log.line('W', "boot", "%s; devsim boots anyway", buf);
    } else {
        // The size code means what the chip row's header codes say (ESP8266 codes differ from the rest).
        const unsigned size_code = header[3] >> 4;
        std::string size = "unknown";
        for (const esp::FlashCode& c : chip.flash_codes.sizes)
            if (c.code == size_code) {
                size = c.name;
                break;
            }
        log.line('I', boot_tag.c_str(), "SPI Mode       : %s", flash_mode_name(header[2]));
        log.line('I', boot_tag.c_str(), "SPI Flash Size : %s", size.c_str());
    }
    log.line('I', "boot", "Enabling RNG early entropy source...");

    std::optional<esp::DecodedPartitionTable> table;
    std::string table_problem;
    try {
        const ByteView raw = flash.read(esp::kDefaultPartitionTableOffset, esp::kPartitionTableMaxLength);
        table = esp::decode_partition_table(raw, "flash at 0x8000");
    } catch (const Error& e) {
        table_problem = e.what();
    }
    AppSlot slot;
    if (table && !table->table.empty()) {
        log.line('I', "boot", "Partition Table:");
        log.line('I', "boot", "## Label            Usage          Type ST Offset   Length");
        int i = 0;
        for (const auto& p : table->table) {
            log.line('I', "boot", "%2d %-16s %-16s %02x %02x %08x %08x", i++, p.name.c_str(), usage(p), p.type,
                     p.subtype, p.offset, p.size);
        }
        log.line('I', "boot", "End of partition table");
        if (const esp::Partition* app = table->table.find(esp::kTypeApp, esp::kSubtypeFactory)) {
            slot = {app->offset, app->size, "Factory app partition"};
        } else if (const esp::Partition* ota = table->table.find(esp::kTypeApp, esp::kSubtypeOta0)) {
            slot = {ota->offset, ota->size, "OTA app partition slot 0"};
        }
    } else {
        log.line('E', "boot", "Failed to verify partition table at 0x8000%s%s", table_problem.empty() ? "" : ": ",
                 table_problem.substr(0, 120).c_str());
        log.line('W', "boot", "devsim looks for an app at 0x10000 anyway");
    }
    result.app = load_app(chip, flash, slot, log);
    if (!result.app) {
        // The real bootloader resets and tries again, for ever; the simulated one stops here.
        log.line('E', "boot", "%s is not bootable", slot.name.c_str());
        log.line('E', "boot", "No bootable app partitions in the partition table");
        result.ms = log.ms();
        return result;
    }
    log.line('I', "boot", "Loaded app from partition at offset 0x%x", slot.offset);
    log.line('I', "boot", "Disabling RNG early entropy source...");
    log.line('I', "cpu_start", "Pro cpu start user code");
    log.line('I', "app_init", "Application information:");
    log.line('I', "app_init", "Project name:     %.31s", result.app->project_name.c_str());
    log.line('I', "app_init", "App version:      %.31s", result.app->version.c_str());
    result.ms = log.ms();
    return result;
}

} // namespace vesper::devsim
