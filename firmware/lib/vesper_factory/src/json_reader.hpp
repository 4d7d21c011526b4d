#pragma once
// A small, bounded JSON parser for request arguments. parse() checks the whole text against the JSON
// grammar (RFC 8259) and records its values as tokens in a fixed array; nothing is allocated and nothing
// is copied. Anything malformed, nested deeper than kMaxDepth or with more than kMaxTokens values is
// rejected as a whole: parse() returns false and the reader holds no tokens.
//
// Tokens are numbered in document order, the root is token 0, and every token knows end(t): the number
// of the first token after its subtree. So:
//   object members:  for (int k = r.first(obj); k < r.end(obj); k = r.end(k + 1)) { key k, value k + 1 }
//   array elements:  for (int e = r.first(arr); e < r.end(arr); e = r.end(e)) { ... }
#include <stddef.h>
#include <stdint.h>

namespace vesper_factory {

enum class JsonType : uint8_t { object, array, string, number, boolean, null };

class JsonReader {
public:
    static constexpr int kMaxTokens = 64;
    static constexpr int kMaxDepth = 8;
    // Longest text parse() accepts (tokens keep 16-bit offsets).
    static constexpr size_t kMaxText = 4096;

    // Parses text[0, len): one JSON value, with optional whitespace around it.
    bool parse(const char* text, size_t len);

    int size() const { return count_; }
    JsonType type(int t) const { return static_cast<JsonType>(tokens_[t].type); }
    int first(int t) const { return t + 1; }
    int end(int t) const { return tokens_[t].end; }
    // Number of members (object) or elements (array); 0 for other values.
    int count(int t) const;

    // The value of an object's member named key, or -1. (The first one, should a name repeat.)
    int find(int object, const char* key) const;
    // Whether string token t, unescaped, is exactly name.
    bool equals(int t, const char* name) const;

    // A number token holding an integer (no fraction or exponent) within int32_t.
    bool get_int(int t, int32_t& out) const;
    bool get_bool(int t, bool& out) const;
    // A string token unescaped into out as UTF-8 and NUL-terminated; false when it does not fit in cap.
    bool get_string(int t, char* out, size_t cap, size_t& len) const;

    // The raw text of token t (for a string, without its quotes, escapes as written).
    const char* raw(int t) const { return text_ + tokens_[t].start; }
    size_t raw_size(int t) const { return tokens_[t].len; }

private:
    struct Token {
        uint16_t start;
        uint16_t len;
        uint16_t end;
        uint8_t type;
    };

    bool value(int depth);
    bool object(int depth);
    bool array(int depth);
    bool string();
    bool number();
    bool literal(const char* word, JsonType type);
    int add(JsonType type, size_t start);
    void skip_space();

    const char* text_ = nullptr;
    size_t len_ = 0;
    size_t pos_ = 0;
    int count_ = 0;
    Token tokens_[kMaxTokens];
};

} // namespace vesper_factory
