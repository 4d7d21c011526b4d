#include "vesper/nvs/encoding.hpp"

#include <charconv>
#include <limits>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::nvs {

namespace {

struct EncodingName {
    Encoding encoding;
    std::string_view name;
};
constexpr EncodingName kNames[] = {
    {Encoding::u8, "u8"},           {Encoding::i8, "i8"},         {Encoding::u16, "u16"},
    {Encoding::i16, "i16"},         {Encoding::u32, "u32"},       {Encoding::i32, "i32"},
    {Encoding::u64, "u64"},         {Encoding::i64, "i64"},       {Encoding::string, "string"},
    {Encoding::hex2bin, "hex2bin"}, {Encoding::base64, "base64"}, {Encoding::binary, "binary"},
};

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim_space(std::string_view s) {
    while (!s.empty() && is_ascii_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string shown(char c) {
    if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F)
        return std::string("'") + c + "'";
    static const char* digits = "0123456789ABCDEF";
    auto u = static_cast<unsigned char>(c);
    return std::string("byte 0x") + digits[u >> 4] + digits[u & 0xF];
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int base64_digit(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

} // namespace

std::optional<Encoding> parse_encoding(std::string_view name) {
    for (const auto& n : kNames)
        if (n.name == name) return n.encoding;
    return std::nullopt;
}

const char* to_string(Encoding e) {
    for (const auto& n : kNames)
        if (n.encoding == e) return n.name.data();
    return "unknown";
}

bool is_integer(Encoding e) {
    switch (e) {
    case Encoding::u8:
    case Encoding::i8:
    case Encoding::u16:
    case Encoding::i16:
    case Encoding::u32:
    case Encoding::i32:
    case Encoding::u64:
    case Encoding::i64: return true;
    default: return false;
    }
}

ItemType item_type(Encoding e) {
    switch (e) {
    case Encoding::u8: return ItemType::u8;
    case Encoding::i8: return ItemType::i8;
    case Encoding::u16: return ItemType::u16;
    case Encoding::i16: return ItemType::i16;
    case Encoding::u32: return ItemType::u32;
    case Encoding::i32: return ItemType::i32;
    case Encoding::u64: return ItemType::u64;
    case Encoding::i64: return ItemType::i64;
    case Encoding::string: return ItemType::sz;
    case Encoding::hex2bin:
    case Encoding::base64:
    case Encoding::binary: return ItemType::blob;
    }
    return ItemType::any;
}

std::uint64_t encode_integer(Encoding e, std::string_view text) {
    const ItemType type = item_type(e);
    const std::size_t bits = integer_width(type) * 8;
    const bool is_signed_type = is_signed(type);
    std::string_view t = trim_space(text);
    const std::string name = to_string(e);
    if (t.empty()) fail(ErrorCode::csv_invalid, "empty value; " + name + " needs a decimal integer");

    std::string_view digits = t;
    bool negative = false;
    if (digits.front() == '+' || digits.front() == '-') {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    bool all_digits = !digits.empty();
    for (char c : digits)
        all_digits = all_digits && c >= '0' && c <= '9';
    if (!all_digits)
        fail(ErrorCode::csv_invalid, "value " + quote_value(t) + " is not a decimal integer (" + name + ")");

    // Bounds of the type as magnitudes: [-(min_mag), max].
    const std::uint64_t max = is_signed_type ? (std::uint64_t{1} << (bits - 1)) - 1
                              : bits == 64   ? std::numeric_limits<std::uint64_t>::max()
                                             : (std::uint64_t{1} << bits) - 1;
    const std::uint64_t min_mag = is_signed_type ? std::uint64_t{1} << (bits - 1) : 0;
    const std::string range = (is_signed_type ? std::string("-").append(std::to_string(min_mag)) : std::string("0"))
                                  .append(" to ")
                                  .append(std::to_string(max));

    std::uint64_t mag = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mag);
    bool in_range = ec == std::errc() && ptr == digits.data() + digits.size();
    if (in_range) in_range = negative ? mag <= min_mag : mag <= max;
    if (!in_range)
        fail(ErrorCode::csv_invalid, "value " + quote_value(t) + " is out of range for " + name + " (" + range + ")");
    return negative ? std::uint64_t{0} - mag : mag;
}

void decode_hex_into(std::string_view text, Bytes& out) {
    std::string_view t = trim_space(text);
    if (t.size() % 2 != 0)
        fail(ErrorCode::csv_invalid, "hex value has an odd number of digits (" + std::to_string(t.size()) + ")");
    out.resize(t.size() / 2);
    for (std::size_t i = 0; i < t.size(); i += 2) {
        int hi = hex_digit(t[i]);
        int lo = hex_digit(t[i + 1]);
        if (hi < 0 || lo < 0) {
            std::size_t at = hi < 0 ? i : i + 1;
            fail(ErrorCode::csv_invalid,
                 "hex value: " + shown(t[at]) + " at position " + std::to_string(at + 1) + " is not a hex digit");
        }
        out[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
}

Bytes decode_hex(std::string_view text) {
    Bytes out;
    decode_hex_into(text, out);
    return out;
}

void decode_base64_into(std::string_view text, Bytes& out) {
    out.clear();
    std::uint32_t acc = 0;
    std::size_t n = 0; // significant characters seen, padding included
    std::size_t pad = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (is_ascii_space(c)) continue;
        if (c == '=') {
            ++pad;
            ++n;
            continue;
        }
        int d = base64_digit(c);
        if (d < 0)
            fail(ErrorCode::csv_invalid,
                 "base64 value: " + shown(c) + " at position " + std::to_string(i + 1) + " is not a base64 character");
        if (pad)
            fail(ErrorCode::csv_invalid, "base64 value: data after '=' padding at position " + std::to_string(i + 1));
        acc = acc << 6 | static_cast<std::uint32_t>(d);
        ++n;
        if (n % 4 == 0) {
            out.push_back(static_cast<std::uint8_t>(acc >> 16));
            out.push_back(static_cast<std::uint8_t>(acc >> 8));
            out.push_back(static_cast<std::uint8_t>(acc));
            acc = 0;
        }
    }
    if (n % 4 != 0)
        fail(ErrorCode::csv_invalid,
             "base64 value: " + std::to_string(n) + " characters is not a multiple of 4 (missing '=' padding?)");
    if (pad > 2) fail(ErrorCode::csv_invalid, "base64 value: too much '=' padding");
    // The last quad held 4 - pad data characters: 2 give one byte, 3 give two.
    if (pad == 2) out.push_back(static_cast<std::uint8_t>(acc >> 4));
    if (pad == 1) {
        out.push_back(static_cast<std::uint8_t>(acc >> 10));
        out.push_back(static_cast<std::uint8_t>(acc >> 2));
    }
}

Bytes decode_base64(std::string_view text) {
    Bytes out;
    decode_base64_into(text, out);
    return out;
}

} // namespace vesper::nvs
