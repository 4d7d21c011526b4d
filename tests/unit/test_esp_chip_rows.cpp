// Every chip row is complete and agrees with itself: each group of facts the code and the simulator read
// (detection, MAC, crystal and UART, header codes, memory map, synthetic-image layout, ROM boot text)
// is present and well-formed for every chip, so a new row cannot leave a fact out unnoticed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "vesper/chip/chip.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/rom/boot_log.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

std::string lower_alnum(std::string_view s) {
    std::string out;
    for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(c)));
    return out;
}

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

} // namespace

TEST_CASE("chip rows: names, detection and ROM loader facts are complete", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        CHECK_FALSE(c.name.empty());
        CHECK(lower_alnum(c.display_name) == c.name);
        for (std::uint32_t m : c.magic_values) {
            CHECK(m != 0);          // ESP32-P4 reads 0 at the magic address: 0 identifies nothing
            CHECK(m != 0x0ADDBAD0); // the "address bad" filler
        }
        if (c.detect_register) {
            CHECK(c.detect_register->address % 4 == 0);
            CHECK(c.detect_register->mask != 0);
            CHECK((c.detect_register->value & ~c.detect_register->mask) == 0);
        }
        // GET_SECURITY_INFO's chip id only exists where the ROM has the command.
        if (c.chip_id) CHECK(c.rom.security_info);
        // The bootloader sits in the first sectors, before the partition table at 0x8000.
        CHECK(c.bootloader_offset % kFlashSectorSize == 0);
        CHECK(c.bootloader_offset < 0x8000);
        if (c.rtc_watchdog) {
            const RtcWatchdog& w = *c.rtc_watchdog;
            CHECK(std::set<std::uint32_t>{w.config0, w.config1, w.wprotect}.size() == 3);
            CHECK(w.config0 % 4 == 0);
            CHECK(w.config1 % 4 == 0);
            CHECK(w.wprotect % 4 == 0);
        }
    }
}

TEST_CASE("chip rows: eFuse MAC words lie in the row's eFuse block", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        REQUIRE((c.mac.word_count == 2 || c.mac.word_count == 3));
        CHECK(c.mac.efuse_base != 0);
        std::set<std::uint32_t> seen;
        for (std::uint32_t a : c.mac.addresses()) {
            CHECK(a % 4 == 0);
            CHECK(a >= c.mac.efuse_base);
            CHECK(a < c.mac.efuse_base + 0x1000);
            seen.insert(a);
        }
        CHECK(seen.size() == c.mac.word_count);
        CHECK((c.mac.rule == MacRule::esp8266_otp) == (c.mac.word_count == 3));
    }
}

TEST_CASE("chip rows: crystal, UART divider and baud correction agree", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        const Crystal& x = c.xtal;
        CHECK(x.mhz != 0);
        CHECK(x.uart_clkdiv_reg != 0);
        CHECK(x.uart_clkdiv_reg % 4 == 0);
        CHECK(x.divider >= 1);
        if (x.measured()) {
            CHECK(x.candidates_mhz[0] < x.candidates_mhz[1]);
            CHECK((x.mhz == x.candidates_mhz[0] || x.mhz == x.candidates_mhz[1]));
            // Measuring the row's own crystal through its divider gives it back.
            const std::uint32_t baud = 115200;
            const auto clkdiv = static_cast<std::uint32_t>(std::uint64_t{x.mhz} * 1000000 * x.divider / baud);
            CHECK(estimate_xtal_mhz(c, clkdiv, baud) == x.mhz);
        } else {
            CHECK(x.candidates_mhz[0] == 0);
            CHECK(x.candidates_mhz[1] == 0);
        }
        const BaudCorrection& b = c.baud;
        switch (b.rule) {
        case BaudRule::plain:
            CHECK(b.cali_reg == 0);
            CHECK(b.rom_xtal_mhz == 0);
            CHECK(b.rom_xtal_reg == 0);
            break;
        case BaudRule::esp32_ck8m:
            CHECK(b.cali_reg != 0);
            CHECK(b.cali_mask != 0);
            CHECK(b.ck8m_efuse_reg != 0);
            break;
        case BaudRule::xtal_mismatch:
            // The correction compares the ROM's crystal with the fitted one, which must be measurable.
            CHECK(x.measured());
            CHECK((b.rom_xtal_mhz != 0) != (b.rom_xtal_reg != 0));
            if (b.rom_xtal_reg != 0) CHECK(b.rom_xtal_mask != 0);
            break;
        }
        if (b.rule != BaudRule::plain) CHECK(c.rom.change_baud);
    }
}

TEST_CASE("chip rows: image header size and frequency codes", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        const FlashEncoding& e = c.flash_codes;
        REQUIRE_FALSE(e.sizes.empty());
        REQUIRE_FALSE(e.freqs.empty());
        std::set<std::string_view> size_names, freq_names;
        std::set<std::uint8_t> size_codes;
        std::set<std::uint64_t> sizes;
        for (const FlashCode& s : e.sizes) {
            INFO(s.name);
            CHECK(s.code < 16);
            const auto bytes = flash_size_bytes(s.name);
            REQUIRE(bytes);
            CHECK(is_power_of_two(*bytes));
            size_names.insert(s.name);
            size_codes.insert(s.code);
            sizes.insert(*bytes);
        }
        CHECK(size_names.size() == e.sizes.size());
        CHECK(size_codes.size() == e.sizes.size()); // one code, one size (frequencies may share: ESP32-C6)
        // Every size from the smallest to the largest has a code: no gap a board could fall into.
        for (std::uint64_t s = *sizes.begin(); s <= *sizes.rbegin(); s *= 2)
            CHECK(sizes.count(s) == 1);
        CHECK(max_flash_size(c) == *sizes.rbegin());
        // Synthetic images and the usual boards use 4MB.
        CHECK(flash_size_code(c, "4MB").has_value());
        for (const FlashCode& f : e.freqs) {
            INFO(f.name);
            CHECK(f.code < 16);
            REQUIRE(f.name.size() >= 3);
            CHECK(f.name.back() == 'm');
            freq_names.insert(f.name);
        }
        CHECK(freq_names.size() == e.freqs.size());
    }
}

TEST_CASE("chip rows: flash_encoding is the chip's own row", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        CHECK(&flash_encoding(c) == &c.flash_codes);
        // The codes of an image with an unknown chip id are a separate, named set.
        CHECK(&unknown_chip_flash_codes() != &c.flash_codes);
    }
}

TEST_CASE("chip rows: memory maps are sorted and overlap only where one window has two names", "[esp][chip][rows]") {
    const std::set<std::string_view> known{"DROM",     "IROM",        "DRAM",      "IRAM",      "RTC_DRAM", "RTC_IRAM",
                                           "RTC_DATA", "EXTRAM_DATA", "CACHE_PRO", "CACHE_APP", "ROM"};
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        REQUIRE_FALSE(c.memory_map.empty());
        CHECK(memory_map(c.chip).data() == c.memory_map.data());
        for (std::size_t i = 0; i < c.memory_map.size(); ++i) {
            const MemoryRange& r = c.memory_map[i];
            INFO(r.name << " " << std::hex << r.start);
            CHECK(known.count(r.name) == 1);
            CHECK(r.start < r.end);
            if (i > 0) CHECK(c.memory_map[i - 1].start <= r.start);
            for (std::size_t j = 0; j < i; ++j) {
                const MemoryRange& q = c.memory_map[j];
                const bool overlap = q.start < r.end && r.start < q.end;
                if (!overlap) continue;
                INFO("overlaps " << q.name);
                const bool same_window = q.start == r.start && q.end == r.end;
                const bool nested = (q.start <= r.start && r.end <= q.end) || (r.start <= q.start && q.end <= r.end);
                CHECK((same_window || nested));
                CHECK(q.name != r.name);
            }
        }
    }
}

TEST_CASE("chip rows: synthetic-image layout and CPU facts", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        CHECK(c.cpu_cores >= 1);
        CHECK(c.cpu_cores <= 2);
        // Only chips with the ESP-IDF app format (an extended header with a chip id) can be synthesized.
        CHECK(c.synth.has_value() == c.image_chip_id.has_value());
        if (!c.synth) continue;
        const SynthLayout& s = *c.synth;
        const auto in = [&](std::uint32_t address, std::string_view region) {
            const auto names = memory_regions(c, address);
            return std::find(names.begin(), names.end(), region) != names.end();
        };
        CHECK(in(s.drom, "DROM"));
        CHECK(in(s.dram, "DRAM"));
        CHECK(in(s.iram, "IRAM"));
        CHECK(in(s.irom, "IROM"));
        // 64 KiB MMU pages: flash-mapped segments start on a page so file offsets line up.
        CHECK(s.drom % 0x10000 == 0);
        CHECK(s.irom % 0x10000 == 0);
    }
}

TEST_CASE("chip rows: the image layout without a chip id belongs to exactly one chip", "[esp][chip][rows]") {
    CHECK(chip_without_image_id().chip == Chip::esp8266);
    std::size_t without = 0;
    for (const ChipInfo& c : all_chips())
        if (!c.image_chip_id) ++without;
    CHECK(without == 1);
}

TEST_CASE("chip rows: the ROM's boot text is complete and reads as the boot mode it is", "[esp][chip][rows]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        const RomBootText& t = c.boot_text;
        CHECK(t.baud != 0);
        CHECK_FALSE(t.banner.empty());
        CHECK_FALSE(t.rst_poweron.empty());
        CHECK_FALSE(t.rst_external.empty());
        CHECK_FALSE(t.rst_software.empty());
        CHECK(t.rst_watchdog.empty() == !c.rtc_watchdog);
        // What the simulator prints must be what vesperctl's boot-log triage reads as that mode.
        std::string download =
            std::string(t.banner) + std::string(t.rst_poweron) + std::string(t.boot_download) + "\r\n";
        if (t.waiting_for_download) download += "waiting for download\r\n";
        const std::string flash =
            std::string(t.banner) + std::string(t.rst_poweron) + std::string(t.boot_flash) + "\r\n";
        CHECK(triage_boot_log(as_bytes(download)).state == BootState::download_mode);
        // ESP32-family ROMs name the mode in the boot line; the triage goes by "waiting for download".
        if (t.waiting_for_download) {
            CHECK(t.boot_download.find("DOWNLOAD") != std::string_view::npos);
            CHECK(t.boot_flash.find("SPI_FAST_FLASH_BOOT") != std::string_view::npos);
        }
        CHECK(triage_boot_log(as_bytes(flash)).state == BootState::normal_boot);
        // An Espressif unicast OUI for the simulator's default MAC.
        CHECK(c.example_oui != 0);
        CHECK(c.example_oui <= 0xFFFFFF);
        CHECK(((c.example_oui >> 16) & 0x01) == 0);
    }
}
