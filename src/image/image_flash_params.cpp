// The flash mode, size and frequency codes of image header bytes 2-3. Size and frequency codes are per
// chip, in its row (ChipInfo::flash_codes, chip_table.cpp; docs/esp-rom-notes.md 7.2); the mode codes
// are the same on every chip.
#include <algorithm>
#include <cctype>
#include <vector>

#include "image_detail.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image_patch.hpp"

namespace vesper::esp {

namespace {

constexpr FlashCode kModes[] = {{"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3}};

std::optional<std::uint8_t> find_code(std::span<const FlashCode> table, std::string_view name) {
    for (const auto& c : table)
        if (iequals(c.name, name)) return c.code;
    return std::nullopt;
}

std::string names_for(std::span<const FlashCode> table, std::uint8_t code) {
    std::string out;
    for (const auto& c : table)
        if (c.code == code) out += (out.empty() ? "" : "/") + std::string(c.name);
    return out.empty() ? "unknown (" + std::to_string(code) + ")" : out;
}

std::string list_names(std::span<const FlashCode> table) {
    std::string out = "keep";
    for (const auto& c : table)
        out += ", " + std::string(c.name);
    return out;
}

void check_one(std::string_view option, const std::string& value, std::span<const FlashCode> table,
               const ChipInfo& chip) {
    if (value == kKeep || find_code(table, value)) return;
    fail(ErrorKind::input, std::string(option) + " " + quote_value(value) + " is not valid for " +
                               std::string(chip.display_name) + " (accepted: " + list_names(table) + ")");
}

} // namespace

std::span<const FlashCode> flash_modes() { return kModes; }

const FlashEncoding& flash_encoding(const ChipInfo& chip) { return chip.flash_codes; }

std::optional<std::uint8_t> flash_mode_code(std::string_view name) { return find_code(kModes, name); }
std::optional<std::uint8_t> flash_size_code(const ChipInfo& chip, std::string_view name) {
    return find_code(flash_encoding(chip).sizes, name);
}
std::optional<std::uint8_t> flash_freq_code(const ChipInfo& chip, std::string_view name) {
    return find_code(flash_encoding(chip).freqs, name);
}

std::string flash_mode_name(std::uint8_t code) { return names_for(kModes, code); }
std::string flash_size_name(const ChipInfo* chip, std::uint8_t code) {
    return names_for((chip ? flash_encoding(*chip) : unknown_chip_flash_codes()).sizes, code);
}
std::string flash_freq_name(const ChipInfo* chip, std::uint8_t code) {
    return names_for((chip ? flash_encoding(*chip) : unknown_chip_flash_codes()).freqs, code);
}

void check_flash_params(const ChipInfo& chip, const FlashParams& params) {
    check_one("--flash-mode", params.mode, kModes, chip);
    check_one("--flash-size", params.size, flash_encoding(chip).sizes, chip);
    check_one("--flash-freq", params.freq, flash_encoding(chip).freqs, chip);
}

} // namespace vesper::esp

namespace vesper::esp {

namespace {

// Every name some chip accepts for a field, in chip-table order, once each.
template <class Table> std::vector<std::string_view> names_of_all_chips(Table table_of) {
    std::vector<std::string_view> names;
    for (const ChipInfo& c : all_chips())
        for (const FlashCode& code : table_of(c))
            if (std::find(names.begin(), names.end(), code.name) == names.end()) names.push_back(code.name);
    return names;
}

template <class Table> void check_any_chip(std::string_view option, const std::string& value, Table table_of) {
    if (value == kKeep) return;
    const auto names = names_of_all_chips(table_of);
    for (const auto& n : names)
        if (iequals(n, value)) return;
    fail(ErrorKind::input,
         std::string(option) + " '" + value + "' is not valid for any chip (accepted: keep, " + join(names) + ")");
}

} // namespace

void check_flash_param_names(const ChipInfo* chip, const FlashParams& params) {
    FlashParams p = params;
    if (p.size == "detect") p.size = std::string(kKeep); // resolved once the board says its size
    if (chip) return check_flash_params(*chip, p);
    check_any_chip("--flash-mode", p.mode, [](const ChipInfo&) { return flash_modes(); });
    check_any_chip("--flash-size", p.size, [](const ChipInfo& c) { return flash_encoding(c).sizes; });
    check_any_chip("--flash-freq", p.freq, [](const ChipInfo& c) { return flash_encoding(c).freqs; });
}

} // namespace vesper::esp
