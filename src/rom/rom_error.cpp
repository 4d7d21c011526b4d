#include "vesper/rom/rom_error.hpp"

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

namespace {

struct CodeText {
    std::uint8_t code;
    std::string_view text;
};

// ROM codes: esptool serial-protocol.rst "ROM Loader Errors" (0x05-0x0B) and esptool's FatalError
// table (0x00-0x04, 0x0C-0x0F, 0x64-0x69; 0x68 is not assigned there). Stub codes: the flasher stub's
// stub_flasher.h (0xC0-0xC9, 0xFF). Wording is ours.
constexpr CodeText kCodes[] = {
    {0x00, "undefined error"},
    {0x01, "invalid input parameter"},
    {0x02, "out of memory on the chip"},
    {0x03, "failed to send the message"},
    {0x04, "failed to receive the message"},
    {0x05, "received message is invalid (bad parameters or length)"},
    {0x06, "failed to act on the received message"},
    {0x07, "invalid checksum in message"},
    {0x08, "flash write error (read-back check failed)"},
    {0x09, "flash read error (SPI read failed)"},
    {0x0A, "flash read length error (request too long)"},
    {0x0B, "deflate error (bad compressed data)"},
    {0x0C, "deflate Adler-32 mismatch"},
    {0x0D, "deflate parameter error"},
    {0x0E, "invalid RAM binary size"},
    {0x0F, "invalid RAM binary address"},
    {0x64, "invalid parameter"},
    {0x65, "invalid format"},
    {0x66, "description too long"},
    {0x67, "bad encoding description"},
    {0x69, "insufficient storage"},
    {0xC0, "bad data length"},
    {0xC1, "bad data checksum"},
    {0xC2, "bad block size"},
    {0xC3, "invalid command"},
    {0xC4, "SPI flash operation failed"},
    {0xC5, "SPI flash unlock failed"},
    {0xC6, "not in flash mode"},
    {0xC7, "inflate error (bad compressed data)"},
    {0xC8, "not enough data"},
    {0xC9, "too much data"},
    {0xFF, "command not implemented"},
};

} // namespace

ErrorSource error_source(std::uint8_t code) noexcept {
    if (code <= 0x0F || (code >= 0x64 && code <= 0x69)) return ErrorSource::rom;
    if ((code >= 0xC0 && code <= 0xCF) || code == 0xFF) return ErrorSource::stub;
    return ErrorSource::unknown;
}

std::string_view rom_error_text(std::uint8_t code) noexcept {
    for (const auto& c : kCodes)
        if (c.code == code) return c.text;
    return {};
}

std::string describe_error_code(std::uint8_t code) {
    const std::string hex = hex_u(code, 2);
    std::string_view text = rom_error_text(code);
    std::string who;
    switch (error_source(code)) {
    case ErrorSource::rom: who = "ROM error "; break;
    case ErrorSource::stub: who = "stub error "; break;
    case ErrorSource::unknown: who = "error "; break;
    }
    return who + hex + " (" + (text.empty() ? std::string("undocumented") : std::string(text)) + ")";
}

} // namespace vesper::esp
