#pragma once
// An append-only JSON writer into a caller's buffer. Commas and colons are placed by the writer; the
// caller only says what comes next. When the buffer is full the writer stops, keeps what fitted and
// raises overflow(): the caller checks it once at the end (or rolls back to a mark()).
#include <stddef.h>
#include <stdint.h>

namespace vesper_factory {

// The decimal digits of value into out, most significant first, without a NUL; returns how many.
size_t format_uint(uint32_t value, char out[10]);

class JsonWriter {
public:
    // Writes into buf[0, cap); the text is always NUL-terminated, so at most cap - 1 characters are written.
    JsonWriter(char* buf, size_t cap);

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    // An object member's name; the next call writes its value.
    void key(const char* name);

    // Strings are escaped: '"', '\\' and control characters; bytes that are not well-formed UTF-8 are
    // written as \u00XX (their Latin-1 reading), so the output is always valid JSON in valid UTF-8.
    void string(const char* text);
    void string(const char* text, size_t len);
    void uint(uint32_t value);
    void int32(int32_t value);
    void boolean(bool value);
    void null();

    // Shorthands for an object member.
    void field(const char* name, const char* text) { key(name), string(text); }
    void field_uint(const char* name, uint32_t value) { key(name), uint(value); }
    void field_int(const char* name, int32_t value) { key(name), int32(value); }
    void field_bool(const char* name, bool value) { key(name), boolean(value); }
    void field_null(const char* name) { key(name), null(); }

    // A point to return to: rollback(mark) forgets everything written after mark() and clears overflow.
    struct Mark {
        size_t len;
        bool comma;
    };
    Mark mark() const { return {len_, comma_}; }
    void rollback(Mark m);

    const char* data() const { return buf_; }
    size_t size() const { return len_; }
    bool overflow() const { return overflow_; }
    // Bytes still free (not counting the terminating NUL).
    size_t room() const { return len_ + 1 < cap_ ? cap_ - len_ - 1 : 0; }

private:
    void separate();
    void put(char c);
    void put(const char* text, size_t len);
    void put_escaped_byte(uint8_t byte);

    char* buf_;
    size_t cap_;
    size_t len_ = 0;
    bool comma_ = false; // the next value or key needs a ',' before it
    bool overflow_ = false;
};

} // namespace vesper_factory
