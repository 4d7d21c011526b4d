// PDF labels with libharu: one page per label (roll) or per sheet, QR modules as filled rectangles,
// text in core fonts (WinAnsiEncoding) or embedded TrueType fonts (UTF-8).
#include <hpdf.h>

#include <cstdio>
#include <map>
#include <memory>

#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/text_metrics.hpp"

namespace vesper::label {

namespace {

// libharu reports an error through its handler and then returns a failure value; the handler only
// records the first error (throwing through C frames is not safe) and the caller checks after each step.
struct HpdfStatus {
    HPDF_STATUS error = HPDF_OK;
    HPDF_STATUS detail = 0;
};

void on_error(HPDF_STATUS error, HPDF_STATUS detail, void* user) {
    auto* s = static_cast<HpdfStatus*>(user);
    if (s->error == HPDF_OK) {
        s->error = error;
        s->detail = detail;
    }
}

class PdfWriter {
public:
    PdfWriter() {
        doc_ = HPDF_New(&on_error, &status_);
        if (!doc_) fail(ErrorKind::internal, "libharu could not start a PDF document (out of memory)");
        HPDF_SetCompressionMode(doc_, HPDF_COMP_ALL);
        HPDF_UseUTFEncodings(doc_);
        check("starting the PDF document");
    }
    ~PdfWriter() { HPDF_Free(doc_); }
    PdfWriter(const PdfWriter&) = delete;
    PdfWriter& operator=(const PdfWriter&) = delete;

    // Throws for an error libharu recorded since the last check: io.failed for memory and stream
    // errors, internal for everything else (a bug: the layout was checked before rendering).
    void check(const std::string& doing) {
        if (status_.error == HPDF_OK) return;
        char buf[96];
        std::snprintf(buf, sizeof buf, "libharu error 0x%04X (detail %u) while ", static_cast<unsigned>(status_.error),
                      static_cast<unsigned>(status_.detail));
        const bool io = status_.error == HPDF_FAILD_TO_ALLOC_MEM || status_.error == HPDF_FILE_IO_ERROR ||
                        status_.error == HPDF_STREAM_EOF;
        status_ = {};
        HPDF_ResetError(doc_);
        fail(io ? ErrorKind::io : ErrorKind::internal, buf + doing);
    }

    HPDF_Font font(const Font& f) {
        const std::string key = f.core() ? f.name : f.file.string();
        if (auto it = fonts_.find(key); it != fonts_.end()) return it->second;
        HPDF_Font handle = nullptr;
        if (f.core()) {
            handle = HPDF_GetFont(doc_, f.name.c_str(), "WinAnsiEncoding");
        } else {
            // Embedded (HPDF_TRUE), so the PDF prints the same where the font is not installed.
            const char* name = HPDF_LoadTTFontFromFile(doc_, f.file.c_str(), HPDF_TRUE);
            if (name) handle = HPDF_GetFont(doc_, name, "UTF-8");
        }
        if (status_.error != HPDF_OK || !handle) {
            status_ = {};
            HPDF_ResetError(doc_);
            fail(ErrorCode::label_font_missing,
                 "font '" + f.name + "'" + (f.core() ? "" : " (" + f.file.string() + ")") + " cannot be loaded");
        }
        fonts_.emplace(key, handle);
        return handle;
    }

    HPDF_Page add_page(double width_mm, double height_mm) {
        HPDF_Page page = HPDF_AddPage(doc_);
        if (page) {
            HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(width_mm * kPtPerMm));
            HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(height_mm * kPtPerMm));
        }
        check("adding a page");
        return page;
    }

    std::string bytes() {
        HPDF_SaveToStream(doc_);
        check("writing the PDF");
        std::string out(HPDF_GetStreamSize(doc_), '\0');
        HPDF_UINT32 size = static_cast<HPDF_UINT32>(out.size());
        HPDF_ResetStream(doc_);
        HPDF_ReadFromStream(doc_, reinterpret_cast<HPDF_BYTE*>(out.data()), &size);
        // Reading to the end of the stream reports HPDF_STREAM_EOF, which here means "all of it".
        if (status_.error == HPDF_STREAM_EOF) {
            status_ = {};
            HPDF_ResetError(doc_);
        }
        check("reading the PDF back");
        out.resize(size);
        return out;
    }

private:
    HpdfStatus status_;
    HPDF_Doc doc_ = nullptr;
    std::map<std::string, HPDF_Font> fonts_;
};

// PDF user space runs from the page's bottom-left corner, in points; layouts from the top-left, in mm.
struct PageFrame {
    double height_mm;
    HPDF_REAL x(double mm) const { return static_cast<HPDF_REAL>(mm * kPtPerMm); }
    HPDF_REAL y(double mm_from_top) const { return static_cast<HPDF_REAL>((height_mm - mm_from_top) * kPtPerMm); }
};

// Every run of dark modules in a row is one rectangle: far fewer path operations than one per module,
// and no seams inside a run when the page is rasterised.
void draw_qr(HPDF_Page page, const PageFrame& frame, const PlacedLabel& label) {
    const QrSymbol& s = label.symbol;
    const double m = label.qr.module_mm;
    const double left = label.x_mm + label.qr.x_mm;
    const double top = label.y_mm + label.qr.y_mm;
    HPDF_Page_SetGrayFill(page, 0);
    for (int row = 0; row < s.width; ++row) {
        for (int col = 0; col < s.width;) {
            if (!s.dark_at(col, row)) {
                ++col;
                continue;
            }
            int end = col;
            while (end < s.width && s.dark_at(end, row))
                ++end;
            HPDF_Page_Rectangle(page, frame.x(left + col * m), frame.y(top + (row + 1) * m),
                                static_cast<HPDF_REAL>((end - col) * m * kPtPerMm),
                                static_cast<HPDF_REAL>(m * kPtPerMm));
            col = end;
        }
    }
    HPDF_Page_Fill(page);
}

void draw_text(PdfWriter& pdf, HPDF_Page page, const PageFrame& frame, const PlacedLabel& label, const Field& field,
               const PlacedText& text) {
    const Font& font = *text.font;
    HPDF_Font handle = pdf.font(font);
    const std::string bytes = font.core() ? to_latin1(text.text) : text.text;
    const auto size = static_cast<HPDF_REAL>(field.font_size_pt);
    HPDF_Page_SetGrayFill(page, 0);
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, handle, size);
    const double width_pt = HPDF_Page_TextWidth(page, bytes.c_str());
    const double box_x_pt = (label.x_mm + field.x_mm) * kPtPerMm;
    const double box_w_pt = field.width_mm * kPtPerMm;
    double x_pt = box_x_pt;
    if (field.align == Align::center) x_pt += (box_w_pt - width_pt) / 2;
    if (field.align == Align::right) x_pt += box_w_pt - width_pt;
    // The line (descent to ascent) centred in the box.
    const double ascent = HPDF_Font_GetAscent(handle) / 1000.0 * size;
    const double descent = HPDF_Font_GetDescent(handle) / 1000.0 * size; // negative
    const double centre_pt = frame.y(label.y_mm + field.y_mm + field.height_mm / 2);
    const double baseline_pt = centre_pt - (ascent + descent) / 2;
    HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x_pt), static_cast<HPDF_REAL>(baseline_pt), bytes.c_str());
    HPDF_Page_EndText(page);
    pdf.check("setting field '" + field.name + "' of " + label.serial);
}

const Field& field_named(const Layout& layout, const std::string& name) {
    for (const Field& f : layout.fields)
        if (f.name == name) return f;
    fail(ErrorKind::internal, "laid-out text names field '" + name + "', which layout " + layout.name + " lacks");
}

} // namespace

Rendered render_pdf(const Layout& layout, const std::vector<LabelItem>& items, const RenderOptions& options) {
    if (items.empty()) fail(ErrorCode::input_invalid, "no labels to render");
    Rendered out;
    out.format = Format::pdf;
    out.dpi = layout.dpi;
    out.page_width_mm = layout.page_width_mm();
    out.page_height_mm = layout.page_height_mm();
    out.labels = lay_out(layout, items, options);

    PdfWriter pdf;
    const PageFrame frame{out.page_height_mm};
    HPDF_Page page = nullptr;
    int page_index = -1;
    for (const PlacedLabel& label : out.labels) {
        while (page_index < label.page) {
            page = pdf.add_page(out.page_width_mm, out.page_height_mm);
            ++page_index;
        }
        for (const PlacedText& text : label.texts)
            draw_text(pdf, page, frame, label, field_named(layout, text.field), text);
        if (label.has_qr) {
            draw_qr(page, frame, label);
            pdf.check("drawing the QR code of " + label.serial);
        }
    }
    out.pages = page_index + 1;
    out.bytes = pdf.bytes();
    return out;
}

} // namespace vesper::label
