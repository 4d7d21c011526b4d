#include "vesper/chip/chip.hpp"

#include <cctype>
#include <cstdio>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::esp {

namespace {

// Lower-case letters and digits only, so "ESP32-S3", "esp32_s3" and "esp32s3" compare equal.
std::string normalize_name(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '-' || c == '_' || c == ' ') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

std::string known_names() {
    std::string names;
    for (const auto& c : all_chips()) {
        if (!names.empty()) names += ", ";
        names += c.name;
    }
    return names;
}

} // namespace

const ChipInfo& chip_info(Chip chip) {
    for (const auto& c : all_chips())
        if (c.chip == chip) return c;
    fail(ErrorKind::internal, "chip table has no row for chip enum value " + std::to_string(static_cast<int>(chip)));
}

const ChipInfo* find_chip_by_name(std::string_view name) {
    std::string wanted = normalize_name(name);
    if (wanted.empty()) return nullptr;
    for (const auto& c : all_chips())
        if (normalize_name(c.name) == wanted) return &c;
    return nullptr;
}

const ChipInfo& chip_by_name(std::string_view name) {
    if (const ChipInfo* c = find_chip_by_name(name)) return *c;
    fail(ErrorCode::chip_unknown, "unknown chip " + quote_value(name) + "; known chips: " + known_names());
}

const ChipInfo& chip_without_image_id() {
    const ChipInfo* found = nullptr;
    for (const auto& c : all_chips()) {
        if (c.image_chip_id) continue;
        if (found)
            fail(ErrorKind::internal, "chip table: " + std::string(found->display_name) + " and " +
                                          std::string(c.display_name) + " both have no image chip id");
        found = &c;
    }
    if (!found) fail(ErrorKind::internal, "chip table: no chip has images without an extended header");
    return *found;
}

const ChipInfo* find_chip_by_id(std::uint32_t chip_id) {
    for (const auto& c : all_chips())
        if (c.chip_id && *c.chip_id == chip_id) return &c;
    return nullptr;
}

const ChipInfo* find_chip_by_magic(std::uint32_t magic) {
    for (const auto& c : all_chips())
        for (std::uint32_t m : c.magic_values)
            if (m == magic) return &c;
    return nullptr;
}

const ChipInfo* find_chip_by_image_id(std::uint16_t image_chip_id) {
    for (const auto& c : all_chips())
        if (c.image_chip_id && *c.image_chip_id == image_chip_id) return &c;
    return nullptr;
}

std::array<std::uint8_t, 6> extract_mac(const ChipInfo& chip, std::span<const std::uint32_t> words) {
    const std::string where = std::string(chip.display_name) + " MAC";
    if (words.size() != chip.mac.word_count)
        fail(ErrorKind::internal, where + ": got " + std::to_string(words.size()) + " eFuse words, the chip needs " +
                                      std::to_string(chip.mac.word_count));
    std::array<std::uint8_t, 6> mac{};
    switch (chip.mac.rule) {
    case MacRule::efuse_low_high: {
        const std::uint32_t lo = words[0], hi = words[1];
        mac = {static_cast<std::uint8_t>(hi >> 8),  static_cast<std::uint8_t>(hi),
               static_cast<std::uint8_t>(lo >> 24), static_cast<std::uint8_t>(lo >> 16),
               static_cast<std::uint8_t>(lo >> 8),  static_cast<std::uint8_t>(lo)};
        break;
    }
    case MacRule::esp8266_otp: {
        const std::uint32_t mac0 = words[0], mac1 = words[1], mac3 = words[2];
        std::uint32_t oui;
        if (mac3 != 0) {
            oui = mac3 & 0xFFFFFF;
        } else {
            // Older parts leave MAC3 blank and select one of Espressif's OUIs with MAC1[23:16].
            const std::uint32_t selector = (mac1 >> 16) & 0xFF;
            if (selector >= chip.mac.selector_ouis.size() || chip.mac.selector_ouis[selector] == 0)
                fail(ErrorCode::esp_mac_unreadable, where + ": unknown OUI selector " + std::to_string(selector) +
                                                        " in OTP word MAC1 (" + hex_u(mac1, 8) + ") and MAC3 is blank");
            oui = chip.mac.selector_ouis[selector];
        }
        mac = {static_cast<std::uint8_t>(oui >> 16), static_cast<std::uint8_t>(oui >> 8),
               static_cast<std::uint8_t>(oui),       static_cast<std::uint8_t>(mac1 >> 8),
               static_cast<std::uint8_t>(mac1),      static_cast<std::uint8_t>(mac0 >> 24)};
        break;
    }
    }
    bool all_zero = true, all_ff = true;
    for (std::uint8_t b : mac) {
        all_zero = all_zero && b == 0x00;
        all_ff = all_ff && b == 0xFF;
    }
    if (all_zero || all_ff)
        fail(ErrorCode::esp_mac_unreadable,
             where + " reads " + format_mac(mac) +
                 ": eFuse blank or not readable; refusing to use it as a board identity");
    return mac;
}

std::string format_mac(const std::array<std::uint8_t, 6>& mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

std::uint32_t rom_erase_size(const ChipInfo& chip, std::uint32_t offset, std::uint32_t size) {
    if (!chip.rom.erase_size_bug) return size;
    // The ESP8266 ROM erases in 16-sector blocks and gets the count wrong when the range starts
    // mid-block; this is the size that makes it erase what was meant.
    constexpr std::uint32_t sectors_per_block = 16;
    const std::uint32_t num_sectors = (size + kFlashSectorSize - 1) / kFlashSectorSize;
    const std::uint32_t start_sector = offset / kFlashSectorSize;
    std::uint32_t head_sectors = sectors_per_block - (start_sector % sectors_per_block);
    if (num_sectors < head_sectors) head_sectors = num_sectors;
    if (num_sectors < 2 * head_sectors) return (num_sectors + 1) / 2 * kFlashSectorSize;
    return (num_sectors - head_sectors) * kFlashSectorSize;
}

std::uint32_t rom_baud_word(const ChipInfo& chip, std::uint32_t baud, const BaudInputs& in) {
    const BaudCorrection& b = chip.baud;
    switch (b.rule) {
    case BaudRule::plain: return baud;
    case BaudRule::esp32_ck8m: {
        const std::uint64_t cali = (in.cali_reg_value >> b.cali_shift) & b.cali_mask;
        const std::uint64_t ck8m = in.ck8m_efuse_value & 0xFF;
        const std::uint64_t rom_xtal_hz = cali * 15625 * ck8m / 40;
        if (rom_xtal_hz == 0) return baud;
        const std::uint64_t valid_hz = rom_xtal_hz > 33000000 ? 40000000 : 26000000;
        return static_cast<std::uint32_t>(baud * rom_xtal_hz / valid_hz);
    }
    case BaudRule::xtal_mismatch: {
        std::uint32_t rom_xtal = b.rom_xtal_mhz;
        if (b.rom_xtal_reg != 0) rom_xtal = (in.rom_xtal_reg_value & b.rom_xtal_mask) >> b.rom_xtal_shift;
        if (rom_xtal == 0 || in.xtal_mhz == 0 || rom_xtal == in.xtal_mhz) return baud;
        return static_cast<std::uint32_t>(static_cast<std::uint64_t>(baud) * rom_xtal / in.xtal_mhz);
    }
    }
    return baud;
}

std::uint32_t estimate_xtal_mhz(const ChipInfo& chip, std::uint32_t uart_clkdiv_value, std::uint32_t host_baud) {
    const Crystal& x = chip.xtal;
    if (!x.measured() || x.uart_clkdiv_reg == 0 || x.divider == 0) return 0;
    const double est = static_cast<double>(host_baud) * (uart_clkdiv_value & 0xFFFFF) / 1e6 / x.divider;
    // Snap to the nearest candidate (for 26/40 this is esptool's "40 if above 33 MHz else 26").
    std::uint32_t best = x.candidates_mhz[0];
    for (std::uint32_t c : x.candidates_mhz) {
        double d = est > c ? est - c : c - est, db = est > best ? est - best : best - est;
        if (d < db) best = c;
    }
    return best;
}

} // namespace vesper::esp
