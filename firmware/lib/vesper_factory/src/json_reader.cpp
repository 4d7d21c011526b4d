#include "json_reader.hpp"

#include <string.h>

namespace vesper_factory {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at p (the caller made sure they are there and valid).
uint32_t hex4(const char* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v = v * 16 + static_cast<uint32_t>(hex_value(p[i]));
    return v;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

} // namespace

bool JsonReader::parse(const char* text, size_t len) {
    text_ = text;
    len_ = len;
    pos_ = 0;
    count_ = 0;
    bool ok = text != nullptr && len <= kMaxText;
    if (ok) {
        skip_space();
        ok = value(0);
        skip_space();
        ok = ok && pos_ == len_;
    }
    if (!ok) count_ = 0;
    return ok;
}

void JsonReader::skip_space() {
    while (pos_ < len_) {
        const char c = text_[pos_];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ++pos_;
    }
}

int JsonReader::add(JsonType type, size_t start) {
    if (count_ >= kMaxTokens) return -1;
    Token& t = tokens_[count_];
    t.type = static_cast<uint8_t>(type);
    t.start = static_cast<uint16_t>(start);
    t.len = 0;
    t.end = static_cast<uint16_t>(count_ + 1);
    return count_++;
}

bool JsonReader::value(int depth) {
    if (pos_ >= len_) return false;
    switch (text_[pos_]) {
    case '{': return object(depth + 1);
    case '[': return array(depth + 1);
    case '"': return string();
    case 't': return literal("true", JsonType::boolean);
    case 'f': return literal("false", JsonType::boolean);
    case 'n': return literal("null", JsonType::null);
    default: return number();
    }
}

bool JsonReader::object(int depth) {
    if (depth > kMaxDepth) return false;
    const int t = add(JsonType::object, pos_);
    if (t < 0) return false;
    ++pos_; // '{'
    skip_space();
    if (pos_ < len_ && text_[pos_] == '}') {
        ++pos_;
    } else {
        for (;;) {
            if (pos_ >= len_ || text_[pos_] != '"' || !string()) return false;
            skip_space();
            if (pos_ >= len_ || text_[pos_] != ':') return false;
            ++pos_;
            skip_space();
            if (!value(depth)) return false;
            skip_space();
            if (pos_ >= len_) return false;
            const char c = text_[pos_++];
            if (c == '}') break;
            if (c != ',') return false;
            skip_space();
        }
    }
    tokens_[t].len = static_cast<uint16_t>(pos_ - tokens_[t].start);
    tokens_[t].end = static_cast<uint16_t>(count_);
    return true;
}

bool JsonReader::array(int depth) {
    if (depth > kMaxDepth) return false;
    const int t = add(JsonType::array, pos_);
    if (t < 0) return false;
    ++pos_; // '['
    skip_space();
    if (pos_ < len_ && text_[pos_] == ']') {
        ++pos_;
    } else {
        for (;;) {
            if (!value(depth)) return false;
            skip_space();
            if (pos_ >= len_) return false;
            const char c = text_[pos_++];
            if (c == ']') break;
            if (c != ',') return false;
            skip_space();
        }
    }
    tokens_[t].len = static_cast<uint16_t>(pos_ - tokens_[t].start);
    tokens_[t].end = static_cast<uint16_t>(count_);
    return true;
}

bool JsonReader::string() {
    ++pos_; // opening quote
    const int t = add(JsonType::string, pos_);
    if (t < 0) return false;
    while (pos_ < len_) {
        const uint8_t c = static_cast<uint8_t>(text_[pos_]);
        if (c == '"') {
            tokens_[t].len = static_cast<uint16_t>(pos_ - tokens_[t].start);
            ++pos_;
            return true;
        }
        if (c < 0x20) return false; // raw control characters must be escaped
        if (c != '\\') {
            ++pos_;
            continue;
        }
        if (pos_ + 1 >= len_) return false;
        const char e = text_[pos_ + 1];
        if (e == 'u') {
            if (pos_ + 6 > len_) return false;
            for (size_t i = 2; i < 6; ++i)
                if (hex_value(text_[pos_ + i]) < 0) return false;
            const uint32_t unit = hex4(text_ + pos_ + 2);
            pos_ += 6;
            if (unit >= 0xDC00 && unit <= 0xDFFF) return false; // a low surrogate on its own
            if (unit >= 0xD800 && unit <= 0xDBFF) {             // a high one needs its low one
                if (pos_ + 6 > len_ || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') return false;
                for (size_t i = 2; i < 6; ++i)
                    if (hex_value(text_[pos_ + i]) < 0) return false;
                const uint32_t low = hex4(text_ + pos_ + 2);
                if (low < 0xDC00 || low > 0xDFFF) return false;
                pos_ += 6;
            }
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
            pos_ += 2;
        } else {
            return false;
        }
    }
    return false; // no closing quote
}

bool JsonReader::number() {
    const size_t start = pos_;
    if (pos_ < len_ && text_[pos_] == '-') ++pos_;
    if (pos_ >= len_ || !is_digit(text_[pos_])) return false;
    if (text_[pos_] == '0') {
        ++pos_; // no leading zeros
    } else {
        while (pos_ < len_ && is_digit(text_[pos_]))
            ++pos_;
    }
    if (pos_ < len_ && text_[pos_] == '.') {
        ++pos_;
        if (pos_ >= len_ || !is_digit(text_[pos_])) return false;
        while (pos_ < len_ && is_digit(text_[pos_]))
            ++pos_;
    }
    if (pos_ < len_ && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < len_ && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
        if (pos_ >= len_ || !is_digit(text_[pos_])) return false;
        while (pos_ < len_ && is_digit(text_[pos_]))
            ++pos_;
    }
    const int t = add(JsonType::number, start);
    if (t < 0) return false;
    tokens_[t].len = static_cast<uint16_t>(pos_ - start);
    return true;
}

bool JsonReader::literal(const char* word, JsonType type) {
    const size_t n = strlen(word);
    if (len_ - pos_ < n || memcmp(text_ + pos_, word, n) != 0) return false;
    const int t = add(type, pos_);
    if (t < 0) return false;
    tokens_[t].len = static_cast<uint16_t>(n);
    pos_ += n;
    return true;
}

int JsonReader::count(int t) const {
    const JsonType ty = type(t);
    if (ty != JsonType::object && ty != JsonType::array) return 0;
    int n = 0;
    for (int c = first(t); c < end(t); c = end(ty == JsonType::object ? c + 1 : c))
        ++n;
    return n;
}

int JsonReader::find(int object, const char* key) const {
    if (object < 0 || object >= count_ || type(object) != JsonType::object) return -1;
    for (int k = first(object); k < end(object); k = end(k + 1))
        if (equals(k, key)) return k + 1;
    return -1;
}

bool JsonReader::equals(int t, const char* name) const {
    if (t < 0 || t >= count_ || type(t) != JsonType::string) return false;
    const Token& tok = tokens_[t];
    const size_t n = strlen(name);
    if (memchr(text_ + tok.start, '\\', tok.len) == nullptr)
        return tok.len == n && memcmp(text_ + tok.start, name, n) == 0;
    char buf[48];
    size_t len = 0;
    return get_string(t, buf, sizeof buf, len) && len == n && memcmp(buf, name, n) == 0;
}

bool JsonReader::get_int(int t, int32_t& out) const {
    if (t < 0 || t >= count_ || type(t) != JsonType::number) return false;
    const char* p = raw(t);
    const size_t n = raw_size(t);
    size_t i = 0;
    const bool negative = p[0] == '-';
    if (negative) ++i;
    uint32_t magnitude = 0;
    for (; i < n; ++i) {
        if (!is_digit(p[i])) return false; // a fraction or an exponent
        const uint32_t digit = static_cast<uint32_t>(p[i] - '0');
        if (magnitude > (0x80000000u - digit) / 10) return false; // beyond 2^31
        magnitude = magnitude * 10 + digit;
    }
    if (!negative && magnitude > 0x7FFFFFFFu) return false;
    out = negative ? static_cast<int32_t>(0u - magnitude) : static_cast<int32_t>(magnitude);
    return true;
}

bool JsonReader::get_bool(int t, bool& out) const {
    if (t < 0 || t >= count_ || type(t) != JsonType::boolean) return false;
    out = text_[tokens_[t].start] == 't';
    return true;
}

bool JsonReader::get_string(int t, char* out, size_t cap, size_t& len) const {
    len = 0;
    if (t < 0 || t >= count_ || type(t) != JsonType::string || cap == 0) return false;
    const char* p = raw(t);
    const size_t n = raw_size(t);
    size_t o = 0;
    auto put = [&](uint32_t byte) {
        if (o + 1 >= cap) return false;
        out[o++] = static_cast<char>(byte);
        return true;
    };
    for (size_t i = 0; i < n;) {
        if (p[i] != '\\') {
            if (!put(static_cast<uint8_t>(p[i++]))) return false;
            continue;
        }
        const char e = p[i + 1]; // parse() made sure every escape is complete
        i += 2;
        uint32_t cp = 0;
        switch (e) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            cp = hex4(p + i);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { // parse() checked the low surrogate follows
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(p + i + 2) - 0xDC00);
                i += 6;
            }
            break;
        default: cp = static_cast<uint8_t>(e); break; // '"', '\\', '/'
        }
        bool ok;
        if (cp < 0x80) {
            ok = put(cp);
        } else if (cp < 0x800) {
            ok = put(0xC0 | (cp >> 6)) && put(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            ok = put(0xE0 | (cp >> 12)) && put(0x80 | ((cp >> 6) & 0x3F)) && put(0x80 | (cp & 0x3F));
        } else {
            ok = put(0xF0 | (cp >> 18)) && put(0x80 | ((cp >> 12) & 0x3F)) && put(0x80 | ((cp >> 6) & 0x3F)) &&
                 put(0x80 | (cp & 0x3F));
        }
        if (!ok) return false;
    }
    out[o] = '\0';
    len = o;
    return true;
}

} // namespace vesper_factory
