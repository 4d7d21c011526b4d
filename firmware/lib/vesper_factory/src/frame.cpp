#include "frame.hpp"

#include <string.h>

#include "crc32.hpp"

namespace vesper_factory {

namespace {

const char kSentinel[] = "~VF1 ";
constexpr size_t kSentinelSize = sizeof kSentinel - 1;

int lower_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

} // namespace

bool LineAssembler::feed(uint8_t byte, RxCounters& counters) {
    if (complete_) { // the previous line was handed out: start a new one
        complete_ = false;
        len_ = 0;
        raw_ = 0;
    }
    if (byte == '\n') {
        const bool dropped = dropping_;
        dropping_ = false;
        if (dropped) {
            len_ = 0;
            raw_ = 0;
            return false;
        }
        if (len_ > 0 && buf_[len_ - 1] == '\r') --len_;
        buf_[len_] = '\0';
        complete_ = true;
        return true;
    }
    if (dropping_) return false;
    // With its newline the line would be longer than kMaxRequestLine: drop it whole, up to its newline.
    if (raw_ + 1 >= kMaxRequestLine) {
        dropping_ = true;
        ++counters.overflow;
        return false;
    }
    ++raw_;
    buf_[len_++] = static_cast<char>(byte);
    return false;
}

ParseResult parse_request(const char* line, size_t len, Request& out) {
    out = Request{};
    if (len < kSentinelSize || memcmp(line, kSentinel, kSentinelSize) != 0) return ParseResult::not_protocol;
    size_t i = kSentinelSize;

    // <id>: 1..65535, decimal
    uint32_t id = 0;
    size_t digits = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9' && digits < 6) {
        id = id * 10 + static_cast<uint32_t>(line[i] - '0');
        ++i, ++digits;
    }
    if (digits == 0 || digits > 5 || id == 0 || id > 65535 || i >= len || line[i] != ' ')
        return ParseResult::not_protocol;
    ++i;

    // <word>: [a-z0-9_]{1,24}
    size_t w = 0;
    while (i < len && line[i] != ' ') {
        const char c = line[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') || w >= kMaxWordLength)
            return ParseResult::not_protocol;
        out.word[w++] = c;
        ++i;
    }
    if (w == 0 || i >= len) return ParseResult::not_protocol;
    out.word[w] = '\0';
    ++i; // the space after the word

    // <crc>: after the last space, 8 lowercase hex digits or '-'
    size_t last_space = len;
    while (last_space > i && line[last_space - 1] != ' ')
        --last_space;
    if (last_space <= i) return ParseResult::not_protocol; // no space after the JSON
    const char* crc = line + last_space;
    const size_t crc_len = len - last_space;
    const size_t body_end = last_space - 1; // the space before the CRC
    // <json>: from the first '{' after the word to the last '}' before the CRC, one space either side
    if (body_end <= i || line[i] != '{' || line[body_end - 1] != '}') return ParseResult::not_protocol;
    out.json = line + i;
    out.json_len = body_end - i;

    if (crc_len == 1 && crc[0] == '-') {
        out.crc_given = false;
    } else if (crc_len == 8) {
        uint32_t given = 0;
        for (size_t k = 0; k < 8; ++k) {
            const int v = lower_hex_value(crc[k]);
            if (v < 0) return ParseResult::not_protocol;
            given = (given << 4) | static_cast<uint32_t>(v);
        }
        if (crc32(line, body_end) != given) return ParseResult::bad_crc;
        out.crc_given = true;
    } else {
        return ParseResult::not_protocol;
    }
    out.id = static_cast<uint16_t>(id);
    return ParseResult::ok;
}

void hex32(uint32_t value, char out[8]) {
    static const char kHex[] = "0123456789abcdef";
    for (int k = 7; k >= 0; --k) {
        out[k] = kHex[value & 0x0Fu];
        value >>= 4;
    }
}

size_t begin_line(char* buf, size_t cap, uint16_t id, const char* word) {
    char digits[5];
    size_t n = 0;
    uint32_t v = id;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    const size_t word_len = strlen(word);
    const size_t total = kSentinelSize + n + 1 + word_len + 1;
    if (total + 1 > cap) return 0;
    size_t o = 0;
    memcpy(buf, kSentinel, kSentinelSize);
    o += kSentinelSize;
    while (n > 0)
        buf[o++] = digits[--n];
    buf[o++] = ' ';
    memcpy(buf + o, word, word_len);
    o += word_len;
    buf[o++] = ' ';
    buf[o] = '\0';
    return o;
}

size_t finish_line(char* buf, size_t cap, size_t len) {
    const size_t total = len + kLineTailSize;
    if (total > kMaxAnswerLine || total + 1 > cap) return 0;
    const uint32_t crc = crc32(buf, len);
    buf[len] = ' ';
    hex32(crc, buf + len + 1);
    buf[len + 9] = '\n';
    buf[total] = '\0';
    return total;
}

} // namespace vesper_factory
