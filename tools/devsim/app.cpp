#include "devsim/app.hpp"

#include <cstdarg>
#include <cstdio>

#include "vesper/core/error.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::devsim {

namespace {

constexpr std::uint8_t kImageMagic = 0xE9;

// A log line in ESP-IDF's format: "I (123) tag: text\r\n".
class LogWriter {
public:
    explicit LogWriter(std::string& out) : out_(out) {}
    void line(char level, const char* tag, const char* fmt, ...) __attribute__((format(printf, 4, 5))) {
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        char head[64];
        std::snprintf(head, sizeof head, "%c (%u) %s: ", level, ms_, tag);
        out_ += head;
        out_ += text;
        out_ += "\r\n";
        ms_ += 4 + static_cast<unsigned>(std::char_traits<char>::length(text)) / 12; // time moves on per line
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

} // namespace

std::string App::boot_log(const FlashStore& flash) const {
    std::string out;
    // The ROM's loader messages for the 2nd stage bootloader image.
    const ByteView header = flash.read(chip_.bootloader_offset, 8);
    const bool has_bootloader = header[0] == kImageMagic;
    out += chip_.boot_text.flash_preamble;
    if (has_bootloader) {
        out += std::string("mode:") + flash_mode_name(header[2]) + ", clock div:2\r\n";
        // The ROM prints the entry point the bootloader image's header names.
        char line[32];
        std::snprintf(line, sizeof line, "entry 0x%08x\r\n", get_le32(header.data() + 4));
        out += line;
    }
    LogWriter log(out);
    const std::string target(chip_.name);
    const std::string boot_tag = "boot." + target;
    log.line('I', "boot", "ESP-IDF v5.3 2nd stage bootloader (vesper devsim)");
    if (chip_.cpu_cores > 1) log.line('I', "boot", "Multicore bootloader");
    log.line('I', "boot", "chip revision: v0.0");
    if (!has_bootloader) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "no bootloader image at 0x%X (first byte 0x%02X)", chip_.bootloader_offset,
                      header[0]);
        log.line('W', "boot", "%s; devsim starts its app anyway", buf);
    } else {
        // The size code means what the chip row's header codes say (ESP8266 codes differ from the rest).
        const unsigned size_code = header[3] >> 4;
        std::string size = "unknown";
        for (const esp::FlashCode& c : chip_.flash_codes.sizes)
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
    std::uint32_t app_offset = 0x10000;
    if (table && !table->table.empty()) {
        log.line('I', "boot", "Partition Table:");
        log.line('I', "boot", "## Label            Usage          Type ST Offset   Length");
        int i = 0;
        for (const auto& p : table->table) {
            log.line('I', "boot", "%2d %-16s %-16s %02x %02x %08x %08x", i++, p.name.c_str(), usage(p), p.type,
                     p.subtype, p.offset, p.size);
        }
        log.line('I', "boot", "End of partition table");
        const esp::Partition* app = table->table.find(esp::kTypeApp, esp::kSubtypeFactory);
        if (!app) app = table->table.find(esp::kTypeApp, esp::kSubtypeOta0);
        if (app) app_offset = app->offset;
    } else {
        log.line('E', "boot", "Failed to verify partition table at 0x8000%s%s", table_problem.empty() ? "" : ": ",
                 table_problem.substr(0, 120).c_str());
        log.line('W', "boot", "devsim starts its app anyway");
    }
    log.line('I', "boot", "Loaded app from partition at offset 0x%x", app_offset);
    log.line('I', "boot", "Disabling RNG early entropy source...");
    log.line('I', "cpu_start", "Pro cpu start user code");
    log.line('I', "app", "vesper devsim app, MAC %s", esp::format_mac(mac_).c_str());
    out += banner();
    return out;
}

std::string App::banner() const {
    return "vesper-devsim app ready: chip " + std::string(chip_.name) + ", MAC " + esp::format_mac(mac_) + "\r\n";
}

std::string App::on_input(ByteView) { return {}; }

} // namespace vesper::devsim
