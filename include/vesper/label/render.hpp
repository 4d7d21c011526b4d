#pragma once
// Laying labels out on pages and rendering them: PDF (libharu; QR modules as vector rectangles, TrueType
// fonts embedded) or ZPL II (Zebra; the printer's own ^BQ QR at a whole-dot magnification). Every label
// is laid out and checked (text fit, QR fit) before any byte is rendered, so a bad label leaves nothing
// behind. Output goes to memory; the caller writes files atomically or hands them to a printer.
#include <string>
#include <vector>

#include "vesper/label/fields.hpp"
#include "vesper/label/layout.hpp"
#include "vesper/label/qr.hpp"

namespace vesper::label {

enum class Format { pdf, zpl };
const char* to_string(Format f); // "pdf", "zpl"

// One label to print: whose it is (for messages and the ledger) and its placeholder values.
struct LabelItem {
    std::string serial;
    Values values;
};

struct RenderOptions {
    std::string printer;    // whose calibration offset applies ("" = "default")
    int first_position = 0; // sheets: the positions already used on the first page (0 = a fresh sheet)
};

// A text field as laid out on one label.
struct PlacedText {
    std::string field;
    std::string text;
    const Font* font = nullptr; // the font it is set in (into the Layout)
};

// One label as laid out: where on which page, and what it carries.
struct PlacedLabel {
    std::string serial;
    int page = 0;              // from 0
    int row = 0, column = 0;   // on a sheet; 0, 0 on a roll
    double x_mm = 0, y_mm = 0; // the label's top-left corner on its page, calibration included
    std::vector<PlacedText> texts;
    bool has_qr = false;
    std::string payload; // the QR payload
    QrSymbol symbol;
    QrPlacement qr; // relative to the label's top-left
};

struct Rendered {
    Format format = Format::pdf;
    int dpi = 0;
    std::string bytes; // the PDF or ZPL document
    int pages = 0;
    double page_width_mm = 0, page_height_mm = 0;
    std::vector<PlacedLabel> labels; // in the order given
};

// Places every label and checks it. Errors name the label's serial and the field
// ("PV-...: field 'serial': ..."): label.placeholder, label.text_overflow, label.qr_too_long.
std::vector<PlacedLabel> lay_out(const Layout& layout, const std::vector<LabelItem>& items,
                                 const RenderOptions& options = {});

Rendered render_pdf(const Layout& layout, const std::vector<LabelItem>& items, const RenderOptions& options = {});
// ZPL II at the layout's dpi (203 or 300 dpi in practice; any 150-600): one ^XA..^XZ format per label.
Rendered render_zpl(const Layout& layout, const std::vector<LabelItem>& items, const RenderOptions& options = {});
Rendered render(Format format, const Layout& layout, const std::vector<LabelItem>& items,
                const RenderOptions& options = {});

} // namespace vesper::label
