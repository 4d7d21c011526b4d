#include "vesper/core/utf8.hpp"

#include <cstdint>

namespace vesper {

bool is_valid_utf8(std::string_view text, std::size_t* bad_offset) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    auto bad = [&](std::size_t at) {
        if (bad_offset) *bad_offset = at;
        return false;
    };
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return bad(i);
        }
        if (i + len > n) return bad(i);
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return bad(i);
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return bad(i);
        i += len;
    }
    return true;
}

std::string escape_invalid_utf8(std::string_view text) {
    std::string out;
    std::size_t bad = 0;
    while (!is_valid_utf8(text, &bad)) {
        static const char* digits = "0123456789abcdef";
        const auto c = static_cast<unsigned char>(text[bad]);
        out.append(text.substr(0, bad));
        out += "\\x";
        out += digits[c >> 4];
        out += digits[c & 0xF];
        text.remove_prefix(bad + 1);
    }
    out.append(text);
    return out;
}

} // namespace vesper
