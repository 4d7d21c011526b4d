#include "json_writer.hpp"

#include <string.h>

namespace vesper_factory {

size_t format_uint(uint32_t value, char out[10]) {
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; ++i)
        out[i] = digits[n - 1 - i];
    return n;
}

namespace {

const char kEscapeHex[] = "0123456789abcdef";

// The length of the well-formed UTF-8 sequence at text[0, len), or 0 when it is not one (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(const uint8_t* text, size_t len) {
    const uint8_t b0 = text[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (len < need || text[1] < lo || text[1] > hi) return 0;
    for (size_t i = 2; i < need; ++i)
        if (text[i] < 0x80 || text[i] > 0xBF) return 0;
    return need;
}

} // namespace

JsonWriter::JsonWriter(char* buf, size_t cap) : buf_(buf), cap_(cap) {
    if (cap_ > 0)
        buf_[0] = '\0';
    else
        overflow_ = true;
}

void JsonWriter::put(char c) {
    if (overflow_) return;
    if (len_ + 1 >= cap_) {
        overflow_ = true;
        return;
    }
    buf_[len_++] = c;
    buf_[len_] = '\0';
}

void JsonWriter::put(const char* text, size_t len) {
    if (overflow_) return;
    if (len_ + len + 1 > cap_) {
        overflow_ = true;
        return;
    }
    memcpy(buf_ + len_, text, len);
    len_ += len;
    buf_[len_] = '\0';
}

void JsonWriter::separate() {
    if (comma_) put(',');
    comma_ = false;
}

void JsonWriter::begin_object() { separate(), put('{'); }
void JsonWriter::end_object() { put('}'), comma_ = true; }
void JsonWriter::begin_array() { separate(), put('['); }
void JsonWriter::end_array() { put(']'), comma_ = true; }

void JsonWriter::key(const char* name) {
    string(name);
    put(':');
    comma_ = false;
}

void JsonWriter::string(const char* text) { string(text, strlen(text)); }

void JsonWriter::put_escaped_byte(uint8_t byte) {
    const char esc[6] = {'\\', 'u', '0', '0', kEscapeHex[byte >> 4], kEscapeHex[byte & 0x0F]};
    put(esc, sizeof esc);
}

void JsonWriter::string(const char* text, size_t len) {
    separate();
    put('"');
    const uint8_t* p = reinterpret_cast<const uint8_t*>(text);
    size_t i = 0;
    while (i < len) {
        const uint8_t b = p[i];
        if (b == '"' || b == '\\') {
            const char esc[2] = {'\\', static_cast<char>(b)};
            put(esc, 2);
            ++i;
        } else if (b < 0x20) {
            const char* named = b == '\n' ? "\\n" : b == '\r' ? "\\r" : b == '\t' ? "\\t" : nullptr;
            if (named)
                put(named, 2);
            else
                put_escaped_byte(b);
            ++i;
        } else if (b < 0x80) {
            put(static_cast<char>(b));
            ++i;
        } else if (size_t n = utf8_sequence(p + i, len - i)) {
            put(text + i, n);
            i += n;
        } else {
            put_escaped_byte(b);
            ++i;
        }
    }
    put('"');
    comma_ = true;
}

void JsonWriter::uint(uint32_t value) {
    char text[10];
    const size_t n = format_uint(value, text);
    separate();
    put(text, n);
    comma_ = true;
}

void JsonWriter::int32(int32_t value) {
    if (value >= 0) return uint(static_cast<uint32_t>(value));
    separate();
    put('-');
    // Negate in unsigned arithmetic so INT32_MIN does not overflow.
    uint(0u - static_cast<uint32_t>(value));
}

void JsonWriter::boolean(bool value) {
    separate();
    if (value)
        put("true", 4);
    else
        put("false", 5);
    comma_ = true;
}

void JsonWriter::null() {
    separate();
    put("null", 4);
    comma_ = true;
}

void JsonWriter::rollback(Mark m) {
    if (m.len > len_) return;
    len_ = m.len;
    comma_ = m.comma;
    overflow_ = false;
    if (cap_ > 0) buf_[len_] = '\0';
}

} // namespace vesper_factory
