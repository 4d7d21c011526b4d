#include "vesper/core/bytes.hpp"

#include "vesper/core/error.hpp"

namespace vesper {

std::string to_hex(ByteView data, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

Bytes from_hex(std::string_view hex, std::string_view what) {
    if (hex.size() % 2 != 0)
        fail(ErrorKind::input, std::string(what) + ": odd number of hex digits (" + std::to_string(hex.size()) + ")");
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(hex[2 * i]);
        int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail(ErrorKind::input, std::string(what) + ": not a hex digit at position " + std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

} // namespace vesper
