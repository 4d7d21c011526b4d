#pragma once
// Text widths from the fonts' own metrics (libharu: a core font's AFM widths, a TrueType font's
// advance widths), so "does it fit its box" is answered before anything is rendered. Fonts are loaded
// once per TextMetrics. Not thread-safe: one per thread.
#include <memory>
#include <string>
#include <string_view>

#include "vesper/label/layout.hpp"

namespace vesper::label {

// True when every character of the UTF-8 text is in Latin-1 (a core font can set it).
bool is_latin1(std::string_view utf8);

// The text as Latin-1 bytes (what a core font's WinAnsiEncoding takes for these characters); only for
// text is_latin1 accepts.
std::string to_latin1(std::string_view utf8);

// The font a field's text is set in: its own, unless that is a core font and the text is not Latin-1,
// then the layout's unicode_font.
const Font& font_for(const Layout& layout, const Field& field, std::string_view text);

class TextMetrics {
public:
    TextMetrics();
    ~TextMetrics();
    TextMetrics(const TextMetrics&) = delete;
    TextMetrics& operator=(const TextMetrics&) = delete;

    // The advance width of one line of UTF-8 text. Error(label.font_missing) for a font file that
    // cannot be loaded.
    double width_mm(const Font& font, double size_pt, std::string_view utf8);
    // The height of a line (ascent to descent) in that font and size.
    double line_height_mm(const Font& font, double size_pt);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Error(label.text_overflow) "FIELD: 'TEXT' is W mm wide in a B mm box" (or too tall: the font size
// against the box height) when the text does not fit its field's box.
void check_text_fits(TextMetrics& metrics, const Layout& layout, const Field& field, std::string_view text);

} // namespace vesper::label
