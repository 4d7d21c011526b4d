#pragma once
// Error codes carried in the second status byte of a failed response, as words a person can act on.
// The ROM loader and the flasher stub use disjoint code ranges (ROM 0x00-0x0F and 0x64-0x69, stub
// 0xC0-0xC9 and 0xFF), so one lookup serves both and the code itself tells which loader spoke.
#include <cstdint>
#include <string>
#include <string_view>

namespace vesper::esp {

enum class ErrorSource { rom, stub, unknown };

// Which loader a code belongs to, judged from its range.
ErrorSource error_source(std::uint8_t code) noexcept;

// Short description, e.g. 0x07 -> "invalid checksum in message"; empty when the code is not documented.
std::string_view rom_error_text(std::uint8_t code) noexcept;

// "ROM error 0x07 (invalid checksum in message)", "stub error 0xC1 (bad data checksum)" or
// "error 0x42 (undocumented)": what goes after "failed: " in an error message.
std::string describe_error_code(std::uint8_t code);

} // namespace vesper::esp
