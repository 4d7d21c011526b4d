#pragma once
// One line of the factory protocol (docs/factory-protocol.md): `~VF1 <id> <word> <json> <crc>\n`. The host
// encodes requests and decodes what the board sends; a received line that is not a valid protocol line
// is not an error but a reason to ignore it, which the console session counts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vesper::factory {

inline constexpr std::string_view kSentinel = "~VF1";
// The firmware's fixed buffers set these (newline included).
inline constexpr std::size_t kMaxRequestLine = 256;
inline constexpr std::size_t kMaxAnswerLine = 1024;
inline constexpr std::size_t kMaxWord = 24;
inline constexpr std::uint32_t kMaxId = 65535;

// The CRC field of a line whose bytes before the space preceding the CRC are `head`: zlib's crc32 of
// them, as 8 lowercase hex digits.
std::string line_crc(std::string_view head);

// Whether `word` is a protocol word: [a-z0-9_]{1,24}.
bool is_word(std::string_view word);

// A line with its CRC and "\n", for any id (0..65535), word and JSON object; Error(internal) if `body`
// is not an object or a field is out of range. The JSON is written on one line in ASCII (other
// characters as \u escapes), so no raw control character or multi-byte sequence ever reaches the board.
std::string encode_line(std::uint32_t id, std::string_view word, const nlohmann::json& body);

// A request line: id 1..65535, `command` a word, `args` an object (null is sent as {}). Error(input.invalid)
// when the line would be longer than kMaxRequestLine (the board would drop it whole).
std::string encode_request(std::uint32_t id, std::string_view command, const nlohmann::json& args);

// A valid received line.
struct Frame {
    std::uint32_t id = 0; // 0: unsolicited (an event)
    std::string word;     // ok / err in an answer, the event name (hello) otherwise
    nlohmann::json body;  // always an object
};

// Why a received line was not taken as a protocol line.
enum class Ignored {
    none,        // it was (the Decoded holds a frame)
    no_sentinel, // not a protocol line: log text
    too_long,    // longer than kMaxAnswerLine with its newline
    malformed,   // starts with the sentinel but its fields do not parse
    bad_crc,     // well formed, but the CRC does not match its bytes
};
const char* to_string(Ignored reason) noexcept;

struct Decoded {
    std::optional<Frame> frame;
    Ignored reason = Ignored::none;
    std::string detail; // for malformed and bad_crc: what was wrong, for logs
};

// Decodes one received line, without its "\n" (a trailing "\r" is dropped). Never throws.
Decoded decode_line(std::string_view line);

} // namespace vesper::factory
