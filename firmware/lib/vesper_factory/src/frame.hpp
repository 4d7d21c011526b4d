#pragma once
// The line framing of docs/factory-protocol.md:  ~VF1 <id> <word> <json> <crc>\n
// A LineAssembler cuts the bytes the board receives into lines (256 bytes at most, newline included);
// parse_request() checks one line; begin_line()/finish_line() build the lines the board sends.
#include <stddef.h>
#include <stdint.h>

namespace vesper_factory {

// Longest request line, its newline (and a '\r' before it) included. A longer one is dropped whole.
constexpr size_t kMaxRequestLine = 256;
// Longest answer or event line, its newline included.
constexpr size_t kMaxAnswerLine = 1024;
// Longest command name.
constexpr size_t kMaxWordLength = 24;
// What finish_line() appends after the JSON: a space, 8 hex digits and '\n'.
constexpr size_t kLineTailSize = 10;

// What the board counts about the lines it received and did not answer.
struct RxCounters {
    uint32_t ignored = 0;  // not a request: no sentinel, or the fields do not parse
    uint32_t bad_crc = 0;  // a request whose CRC does not match its bytes
    uint32_t overflow = 0; // longer than kMaxRequestLine (rx_overflow), dropped whole
};

// Cuts a byte stream into lines. feed() takes one byte; when it returns true a complete line is in
// line()/size() (without its "\r\n" or "\n"), valid until the next feed().
class LineAssembler {
public:
    bool feed(uint8_t byte, RxCounters& counters);
    const char* line() const { return buf_; }
    size_t size() const { return len_; }
    void reset() { len_ = 0, raw_ = 0, dropping_ = false; }

private:
    char buf_[kMaxRequestLine + 1] = {};
    size_t len_ = 0; // bytes kept of the current line
    size_t raw_ = 0; // bytes received of the current line, newline not counted
    bool dropping_ = false;
    bool complete_ = false;
};

// One request line taken apart. Pointers point into the line it was parsed from.
struct Request {
    uint16_t id = 0;
    char word[kMaxWordLength + 1] = {};
    const char* json = nullptr; // from '{' to '}' included
    size_t json_len = 0;
    bool crc_given = false; // false: the line had '-' in place of the CRC
};

enum class ParseResult : uint8_t {
    ok,
    not_protocol, // no sentinel, or a field is malformed: ignored
    bad_crc,      // well-formed, but its CRC does not match: ignored
};

// Parses a request line (without its newline). The CRC, or '-', is checked here.
ParseResult parse_request(const char* line, size_t len, Request& out);

// Starts a line in buf: "~VF1 <id> <word> ". Returns its length, or 0 when it does not fit (cap).
size_t begin_line(char* buf, size_t cap, uint16_t id, const char* word);
// Ends the line whose first len bytes (sentinel to JSON) are in buf: appends " <crc>\n" and a NUL.
// Returns the line's length, newline included, or 0 when it would exceed cap - 1 or kMaxAnswerLine.
size_t finish_line(char* buf, size_t cap, size_t len);

// 8 lowercase hex digits of value into out (no NUL).
void hex32(uint32_t value, char out[8]);

} // namespace vesper_factory
