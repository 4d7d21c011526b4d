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

std::string hex_u(std::uint64_t value, int min_digits, HexCase letters) {
    const char* digits = letters == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char reversed[16];
    int n = 0;
    do {
        reversed[n++] = digits[value & 0xF];
        value >>= 4;
    } while (value != 0);
    std::string out = "0x";
    if (min_digits > n) out.append(static_cast<std::size_t>(min_digits - n), '0');
    while (n > 0)
        out.push_back(reversed[--n]);
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
            fail(ErrorKind::input,
                 std::string(what) + ": not a hex digit at position " + std::to_string(2 * i + (hi < 0 ? 0 : 1)));
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

} // namespace vesper
