#pragma once
// The CSV "encoding" column and the encoders that turn a value's text into what NVS stores. Encoders
// throw Error(input) with the reason only; callers add the file, line and key.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/core/utf8.hpp" // is_valid_utf8, which the CSV and template readers use with these
#include "vesper/nvs/format.hpp"

namespace vesper::nvs {

enum class Encoding { u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64, binary };

// Exact, lower-case names as ESP-IDF documents them; nullopt for anything else.
std::optional<Encoding> parse_encoding(std::string_view name);
const char* to_string(Encoding e);
bool is_integer(Encoding e);
// The stored item type: the integer type, sz for string, blob for the three binary encodings.
ItemType item_type(Encoding e);

// Parses decimal text (surrounding whitespace and a sign allowed, as Python's int() does) and checks
// the encoding's range. Returns the value's two's-complement bits, ready to store little-endian.
std::uint64_t encode_integer(Encoding e, std::string_view text);

// Hex digits (either case) to bytes, after trimming surrounding whitespace.
Bytes decode_hex(std::string_view text);
void decode_hex_into(std::string_view text, Bytes& out);

// Standard base64 with '=' padding; ASCII whitespace is ignored. Anything else is an error.
Bytes decode_base64(std::string_view text);
void decode_base64_into(std::string_view text, Bytes& out);

} // namespace vesper::nvs
