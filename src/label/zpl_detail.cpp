#include "zpl_detail.hpp"

#include <qrencode.h>

#include <cerrno>
#include <memory>

#include "vesper/core/error.hpp"

namespace vesper::label::zpl {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

} // namespace

bool qr_alphanumeric(std::string_view payload) {
    for (char c : payload) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '$' || c == '%' ||
                        c == '*' || c == '+' || c == '-' || c == '.' || c == '/' || c == ':';
        if (!ok) return false;
    }
    return true;
}

std::string escape_field_data(std::string_view data, bool in_block) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(data.size() + 8);
    for (char c : data) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '^' || c == '~' || c == kHexIndicator || b < 0x20 || b == 0x7F) {
            out += kHexIndicator;
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
        } else if (c == '\\' && in_block) {
            out += "\\\\";
        } else {
            out += c;
        }
    }
    return out;
}

std::string unescape_field_data(std::string_view data, bool in_block) {
    std::string out;
    out.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (c == kHexIndicator) {
            const int hi = i + 1 < data.size() ? hex_value(data[i + 1]) : -1;
            const int lo = i + 2 < data.size() ? hex_value(data[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                fail(ErrorCode::label_verify, "a ^FH escape at byte " + std::to_string(i) +
                                                  " of the field data is not " + kHexIndicator + " and two hex digits");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '\\' && in_block) {
            if (i + 1 >= data.size() || data[i + 1] != '\\')
                fail(ErrorCode::label_verify, "a ^FB block escape at byte " + std::to_string(i) +
                                                  " of the field data is not a doubled backslash");
            out += '\\';
            ++i;
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace vesper::label::zpl
