#pragma once
// UTF-8 checks for text that may hold any bytes (CSV content, file names, argv, damaged images).
#include <cstddef>
#include <string>
#include <string_view>

namespace vesper {

// Valid UTF-8? On failure `bad_offset` (when given) receives the offset of the first bad byte.
bool is_valid_utf8(std::string_view text, std::size_t* bad_offset = nullptr);

// The text with every byte that is not part of valid UTF-8 written as the four characters \xNN
// (lower-case hex); valid text, multi-byte characters included, is returned unchanged. This is how
// text that may hold arbitrary bytes enters JSON (see json_text.hpp).
std::string escape_invalid_utf8(std::string_view text);

} // namespace vesper
