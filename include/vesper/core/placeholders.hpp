#pragma once
// "{{ name }}" placeholders in text: label fields and NVS template values are written with them. One
// parser, so both read the same text the same way; each caller words its own errors.
#include <string_view>
#include <vector>

namespace vesper {

struct TextPiece {
    bool placeholder = false;
    std::string_view text;    // literal text, or the placeholder's name with the blanks around it dropped
    std::string_view written; // the piece as written: the literal text, or "{{ name }}" with its braces
};

struct PlaceholderSplit {
    std::vector<TextPiece> pieces; // in order; no empty literal pieces
    std::string_view unclosed;     // from a "{{" no "}}" follows to the end (not in `pieces`); empty if none
};

// Splits `text` (which the views point into) into literal text and placeholders. An empty name
// ("{{}}") is a placeholder with empty text: whether that is an error is the caller's to say.
PlaceholderSplit split_placeholders(std::string_view text);

} // namespace vesper
