// ZPL II for Zebra roll printers: one ^XA..^XZ format per label, text in the printer's scalable font 0
// inside a one-line ^FB block, and the QR as the printer's own ^BQ symbol in manual input mode so it
// encodes exactly the mode and error correction that verify() re-creates.
#include <cmath>
#include <cstdio>

#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "zpl_detail.hpp"

namespace vesper::label {

namespace {

int dots(double mm, int dpi) { return static_cast<int>(std::lround(mm * dpi / kMmPerInch)); }

char align_letter(Align a) {
    switch (a) {
    case Align::left: return 'L';
    case Align::center: return 'C';
    case Align::right: return 'R';
    }
    return 'L';
}

const Field* find_field(const Layout& layout, const std::string& name) {
    for (const Field& f : layout.fields)
        if (f.name == name) return &f;
    return nullptr;
}

const Field* find_qr_field(const Layout& layout) {
    for (const Field& f : layout.fields)
        if (f.type == FieldType::qr) return &f;
    return nullptr;
}

// The printer's symbol for the label's payload, placed in the QR box: the placement's module size when
// ^BQ can draw it and the one-segment symbol still fits with its quiet zone, else the largest that
// does, re-centred on the dot grid. Updates the label so verify() checks what is printed.
void place_zpl_symbol(PlacedLabel& label, const Field& box, const Layout& layout) {
    const bool alnum = zpl::qr_alphanumeric(label.payload);
    QrSymbol symbol = encode_qr_segment(label.payload, box.ecc, alnum);
    const double dot_mm = kMmPerInch / layout.dpi;
    const int min_dots = std::max(1, static_cast<int>(std::ceil(layout.min_module_mm / dot_mm - 1e-9)));
    const int box_dots = static_cast<int>(std::floor(std::min(box.width_mm, box.height_mm) / dot_mm + 1e-9));
    const int fit = box_dots / (symbol.width + 2 * kQuietModules);
    const int mag = std::min({label.qr.module_dots, fit, zpl::kMaxMagnification});
    if (mag < min_dots)
        fail(ErrorCode::label_qr_too_long,
             label.serial + ": field '" + box.name + "': the printer's one-segment QR code (version " +
                 std::to_string(symbol.version) + ", " + std::to_string(symbol.width) + " modules) needs " +
                 std::to_string((symbol.width + 2 * kQuietModules) * min_dots) + " dots at " +
                 std::to_string(layout.dpi) + " dpi, the box is " + std::to_string(box_dots));
    if (mag != label.qr.module_dots || symbol.width != label.symbol.width) {
        QrPlacement p;
        p.module_dots = mag;
        p.module_mm = mag * dot_mm;
        p.side_mm = symbol.width * p.module_mm;
        // Centred in the box, its corner on a dot of the page (the label's corner need not be on one).
        auto snap = [&](double page_mm) { return std::round(page_mm / dot_mm) * dot_mm; };
        p.x_mm = snap(label.x_mm + box.x_mm + (box.width_mm - p.side_mm) / 2) - label.x_mm;
        p.y_mm = snap(label.y_mm + box.y_mm + (box.height_mm - p.side_mm) / 2) - label.y_mm;
        label.qr = p;
    }
    label.symbol = std::move(symbol);
}

void append_format(std::string& out, const Layout& layout, const PlacedLabel& label, const Field* qr_box) {
    const int dpi = layout.dpi;
    char buf[160];
    std::snprintf(buf, sizeof buf, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", dots(layout.width_mm, dpi),
                  dots(layout.height_mm, dpi));
    out += buf;
    for (const PlacedText& text : label.texts) {
        const Field* f = find_field(layout, text.field);
        if (!f) fail(ErrorKind::internal, "label " + label.serial + ": no field '" + text.field + "' in the layout");
        const double height_mm = f->font_size_pt / kPtPerMm;
        const int h = std::max(1, dots(height_mm, dpi));
        // The line centred vertically in its box, as in the PDF.
        std::snprintf(buf, sizeof buf, "^FO%d,%d^A0N,%d,%d^FB%d,1,0,%c,0^FH^FD", dots(label.x_mm + f->x_mm, dpi),
                      dots(label.y_mm + f->y_mm + (f->height_mm - height_mm) / 2, dpi), h, h, dots(f->width_mm, dpi),
                      align_letter(f->align));
        out += buf;
        out += zpl::escape_field_data(text.text, true);
        out += "^FS\n";
    }
    if (label.has_qr && qr_box) {
        std::snprintf(buf, sizeof buf, "^FO%d,%d^BQN,2,%d^FH^FD%sM,", dots(label.x_mm + label.qr.x_mm, dpi),
                      dots(label.y_mm + label.qr.y_mm, dpi), label.qr.module_dots, to_string(qr_box->ecc));
        out += buf;
        if (zpl::qr_alphanumeric(label.payload)) {
            out += 'A';
        } else {
            std::snprintf(buf, sizeof buf, "B%04zu", label.payload.size());
            out += buf;
        }
        out += zpl::escape_field_data(label.payload, false);
        out += "^FS\n";
    }
    out += "^XZ\n";
}

} // namespace

Rendered render_zpl(const Layout& layout, const std::vector<LabelItem>& items, const RenderOptions& options) {
    if (layout.sheet)
        fail(ErrorCode::label_layout, layout.file + ": layout '" + layout.name + "' is a sheet of " +
                                          std::to_string(layout.labels_per_page()) +
                                          " labels: ZPL is for roll printers (render it as PDF)");
    if (layout.dpi < 150 || layout.dpi > 600)
        fail(ErrorCode::label_layout,
             layout.file + ": ZPL at " + std::to_string(layout.dpi) + " dpi: Zebra printers print at 150 to 600 dpi");
    Rendered r;
    r.format = Format::zpl;
    r.dpi = layout.dpi;
    r.page_width_mm = layout.width_mm;
    r.page_height_mm = layout.height_mm;
    r.labels = lay_out(layout, items, options);
    const Field* qr_box = find_qr_field(layout);
    // Every symbol is placed (and may fail) before any byte is written.
    for (PlacedLabel& label : r.labels)
        if (label.has_qr && qr_box) place_zpl_symbol(label, *qr_box, layout);
    for (const PlacedLabel& label : r.labels)
        append_format(r.bytes, layout, label, qr_box);
    r.pages = static_cast<int>(r.labels.size());
    return r;
}

} // namespace vesper::label
