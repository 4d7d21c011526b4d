#include "vesper/label/text_metrics.hpp"

#include <hpdf.h>

#include <cstdio>
#include <map>

#include "vesper/core/error.hpp"
#include "vesper/core/utf8.hpp"

namespace vesper::label {

namespace {

// Calls the next code point of valid UTF-8 text (callers check validity first).
template <class F> void for_each_code_point(std::string_view s, F&& f) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        char32_t cp = n == 1 ? b : n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
        for (int k = 1; k < n && i + k < s.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        f(cp);
        i += static_cast<std::size_t>(n);
    }
}

std::string mm_tenths_text(double mm) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f mm", mm);
    return buf;
}

std::string pt_text(double pt) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g pt", pt);
    return buf;
}

void on_hpdf_error(HPDF_STATUS error, HPDF_STATUS detail, void* user) {
    // libharu reports through this handler and then returns an error value; remember the first one.
    auto* status = static_cast<HPDF_STATUS*>(user);
    if (*status == 0) *status = error ? error : detail;
}

} // namespace

bool is_latin1(std::string_view utf8) {
    if (!is_valid_utf8(utf8)) return false;
    bool ok = true;
    for_each_code_point(utf8,
                        [&](char32_t cp) { ok = ok && ((cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xFF)); });
    return ok;
}

std::string to_latin1(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for_each_code_point(utf8, [&](char32_t cp) { out += static_cast<char>(static_cast<unsigned char>(cp)); });
    return out;
}

const Font& font_for(const Layout& layout, const Field& field, std::string_view text) {
    return field.font.core() && !is_latin1(text) ? layout.unicode_font : field.font;
}

struct TextMetrics::Impl {
    HPDF_STATUS status = 0;
    HPDF_Doc doc = nullptr;
    std::map<std::string, HPDF_Font> fonts; // by core name or file path

    Impl() {
        doc = HPDF_New(&on_hpdf_error, &status);
        if (!doc) fail(ErrorKind::internal, "libharu could not start (out of memory)");
        HPDF_UseUTFEncodings(doc);
    }
    ~Impl() { HPDF_Free(doc); }

    HPDF_Font font(const Font& f) {
        const std::string key = f.core() ? f.name : f.file.string();
        if (auto it = fonts.find(key); it != fonts.end()) return it->second;
        status = 0;
        HPDF_Font handle = nullptr;
        if (f.core()) {
            handle = HPDF_GetFont(doc, f.name.c_str(), "WinAnsiEncoding");
        } else {
            const char* name = HPDF_LoadTTFontFromFile(doc, f.file.c_str(), HPDF_FALSE);
            if (name) handle = HPDF_GetFont(doc, name, "UTF-8");
        }
        if (!handle || status != 0) {
            HPDF_ResetError(doc);
            status = 0;
            fail(ErrorCode::label_font_missing,
                 "font '" + f.name + "'" +
                     (f.core() ? " is not a PDF core font" : " (" + f.file.string() + ") cannot be loaded"));
        }
        fonts.emplace(key, handle);
        return handle;
    }
};

TextMetrics::TextMetrics() : impl_(std::make_unique<Impl>()) {}
TextMetrics::~TextMetrics() = default;

double TextMetrics::width_mm(const Font& font, double size_pt, std::string_view utf8) {
    HPDF_Font handle = impl_->font(font);
    const std::string bytes = font.core() ? to_latin1(utf8) : std::string(utf8);
    const HPDF_TextWidth w = HPDF_Font_TextWidth(handle, reinterpret_cast<const HPDF_BYTE*>(bytes.data()),
                                                 static_cast<HPDF_UINT>(bytes.size()));
    // Widths are in thousandths of the font size.
    return w.width / 1000.0 * size_pt / kPtPerMm;
}

double TextMetrics::line_height_mm(const Font& font, double size_pt) {
    HPDF_Font handle = impl_->font(font);
    const double em = HPDF_Font_GetAscent(handle) - HPDF_Font_GetDescent(handle); // descent is negative
    return em / 1000.0 * size_pt / kPtPerMm;
}

void check_text_fits(TextMetrics& metrics, const Layout& layout, const Field& field, std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    if (!is_valid_utf8(text))
        fail(ErrorCode::label_text_overflow, "field '" + field.name + "': the text is not valid UTF-8");
    if (text.find_first_of("\r\n") != std::string_view::npos)
        fail(ErrorCode::label_text_overflow,
             "field '" + field.name + "': " + quoted + " holds a line break (a field is one line)");
    const Font& font = font_for(layout, field, text);
    const double width = metrics.width_mm(font, field.font_size_pt, text);
    if (width > field.width_mm + 1e-6)
        fail(ErrorCode::label_text_overflow, "field '" + field.name + "': " + quoted + " is " + mm_tenths_text(width) +
                                                 " wide in " + font.name + " at " + pt_text(field.font_size_pt) +
                                                 ", the box is " + mm_tenths_text(field.width_mm));
    const double height = metrics.line_height_mm(font, field.font_size_pt);
    if (height > field.height_mm + 1e-6)
        fail(ErrorCode::label_text_overflow, "field '" + field.name + "': a line of " + font.name + " at " +
                                                 pt_text(field.font_size_pt) + " is " + mm_tenths_text(height) +
                                                 " tall, the box is " + mm_tenths_text(field.height_mm));
}

} // namespace vesper::label
