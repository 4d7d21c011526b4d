// The factory protocol's line format (see frame.hpp and docs/factory-protocol.md).
#include "vesper/factory/frame.hpp"

#include <cstdio>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::factory {

namespace {

ByteView bytes_of(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

Decoded ignored(Ignored reason, std::string detail) {
    Decoded d;
    d.reason = reason;
    d.detail = std::move(detail);
    return d;
}

} // namespace

std::string line_crc(std::string_view head) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(crc32(0, bytes_of(head))));
    return buf;
}

bool is_word(std::string_view word) {
    if (word.empty() || word.size() > kMaxWord) return false;
    for (char c : word)
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || c == '_')) return false;
    return true;
}

std::string encode_line(std::uint32_t id, std::string_view word, const nlohmann::json& body) {
    if (id > kMaxId) fail(ErrorCode::internal, "factory line id " + std::to_string(id) + " is beyond 65535");
    if (!is_word(word)) fail(ErrorCode::internal, "factory line word " + quote_value(word) + " is not [a-z0-9_]{1,24}");
    if (!body.is_object()) fail(ErrorCode::internal, "factory line body is not a JSON object");
    // ASCII: the board's parser then never sees a multi-byte sequence; a string that is not UTF-8 is
    // sent escaped rather than throwing half-way through a run.
    const std::string json = json_ascii_text(body);
    std::string head = std::string(kSentinel) + " " + std::to_string(id) + " " + std::string(word) + " " + json;
    const std::string crc = line_crc(head);
    return head + " " + crc + "\n";
}

std::string encode_request(std::uint32_t id, std::string_view command, const nlohmann::json& args) {
    if (id == 0) fail(ErrorCode::internal, "factory request id 0 is reserved for the board's events");
    if (!is_word(command))
        fail(ErrorCode::input_invalid, "factory command " + quote_value(command) + " is not [a-z0-9_]{1,24}");
    if (!args.is_null() && !args.is_object())
        fail(ErrorCode::input_invalid, "factory command " + std::string(command) + ": args must be a JSON object");
    std::string line = encode_line(id, command, args.is_null() ? nlohmann::json::object() : args);
    if (line.size() > kMaxRequestLine)
        fail(ErrorCode::input_invalid, "factory command " + std::string(command) + ": the request is " +
                                           std::to_string(line.size()) + " bytes, more than the board's " +
                                           std::to_string(kMaxRequestLine) + " (shorten its args)");
    return line;
}

const char* to_string(Ignored reason) noexcept {
    switch (reason) {
    case Ignored::none: return "none";
    case Ignored::no_sentinel: return "no_sentinel";
    case Ignored::too_long: return "too_long";
    case Ignored::malformed: return "malformed";
    case Ignored::bad_crc: return "bad_crc";
    }
    return "none";
}

Decoded decode_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // The sentinel and the space after it: "~VF10 ..." is not protocol 1.
    if (line.size() <= kSentinel.size() || line.substr(0, kSentinel.size()) != kSentinel ||
        line[kSentinel.size()] != ' ')
        return ignored(Ignored::no_sentinel, {});
    if (line.size() + 1 > kMaxAnswerLine)
        return ignored(Ignored::too_long, std::to_string(line.size() + 1) + " bytes with its newline");

    // The CRC is the last field; it covers everything before the space that precedes it.
    const std::size_t crc_space = line.rfind(' ');
    // Only the sentinel's space: no id, word or body before the CRC (found by fuzz_factory_frame).
    if (crc_space <= kSentinel.size()) return ignored(Ignored::malformed, "no id, word or body before the CRC");
    const std::string_view head = line.substr(0, crc_space);
    const std::string_view crc = line.substr(crc_space + 1);
    if (crc.size() != 8) return ignored(Ignored::malformed, "the CRC is not 8 hex digits");
    for (char c : crc)
        if (!is_hex_lower(c)) return ignored(Ignored::malformed, "the CRC is not 8 lowercase hex digits");

    std::string_view rest = head.substr(kSentinel.size() + 1);
    const std::size_t id_end = rest.find(' ');
    if (id_end == std::string_view::npos) return ignored(Ignored::malformed, "no word after the id");
    const std::string_view id_text = rest.substr(0, id_end);
    if (id_text.empty() || id_text.size() > 5 || (id_text.size() > 1 && id_text[0] == '0'))
        return ignored(Ignored::malformed, "the id is not a decimal number 0..65535");
    std::uint32_t id = 0;
    for (char c : id_text) {
        if (!is_digit(c)) return ignored(Ignored::malformed, "the id is not a decimal number 0..65535");
        id = id * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (id > kMaxId) return ignored(Ignored::malformed, "the id is beyond 65535");
    rest.remove_prefix(id_end + 1);

    const std::size_t word_end = rest.find(' ');
    if (word_end == std::string_view::npos) return ignored(Ignored::malformed, "no JSON after the word");
    const std::string_view word = rest.substr(0, word_end);
    if (!is_word(word)) return ignored(Ignored::malformed, "the word is not [a-z0-9_]{1,24}");
    const std::string_view json = rest.substr(word_end + 1);

    // Checked before the JSON is parsed: a line damaged on the wire is a CRC failure, whatever it became.
    if (line_crc(head) != crc)
        return ignored(Ignored::bad_crc, "CRC " + std::string(crc) + ", the line's bytes give " + line_crc(head));

    if (json.size() < 2 || json.front() != '{' || json.back() != '}')
        return ignored(Ignored::malformed, "the body is not one JSON object");
    nlohmann::json body = nlohmann::json::parse(json, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return ignored(Ignored::malformed, "the body is not valid JSON");

    Decoded d;
    d.frame = Frame{id, std::string(word), std::move(body)};
    return d;
}

} // namespace vesper::factory
