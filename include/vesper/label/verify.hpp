#pragma once
// The check every rendered label passes before it may be printed: the document is rasterised at the
// printer's resolution (a PDF with poppler; ZPL by drawing its ^BQ symbols as the printer does), each
// label's QR is decoded from its box with zbar and compared with the payload it should carry, the quiet
// zone (4 modules on every side) must be blank, and a module must be at least the layout's minimum
// (whole dots). Text fit was checked when the labels were laid out.
#include <string>
#include <vector>

#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"

namespace vesper::label {

struct LabelCheck {
    std::string serial;
    bool passed = false;
    std::string decoded;   // what zbar read ("" when nothing)
    double module_px = 0;  // measured module size in raster pixels (= printer dots)
    int quiet_modules = 0; // blank modules around the symbol, the smallest side
    std::string problem;   // why it failed; empty on a pass
};

struct VerifyReport {
    int dpi = 0;
    std::vector<LabelCheck> labels; // in the document's order
    bool passed() const;
    // Error(label.verify) "label PV-...: problem" for the first failed label; nothing when all passed.
    void require_passed() const;
};

// Checks a document render_pdf or render_zpl made, with the same layout.
VerifyReport verify(const Layout& layout, const Rendered& rendered);

} // namespace vesper::label
