#pragma once
// A label layout: the label's size, how labels sit on a page (one per page on a roll, rows x columns on
// a sheet), the printer's resolution, and the fields placed on it in millimetres: texts with
// placeholders from the device record, and one QR box whose payload is a template. Layouts are YAML
// (templates/labels/, docs/labels.md); the three in templates/labels are built into vesperctl.
// Everything that can be checked without a device is checked when the layout loads, against a sample
// record of the longest values (fields.hpp): unknown placeholders, fields that overlap or leave the
// label, a label or grid larger than its sheet, a missing font, text wider than its box, a QR payload
// too long for its box at the printer's resolution. Each error is one line "FILE:LINE: FIELD: reason"
// with its own code (label.layout, label.placeholder, label.font_missing, label.text_overflow,
// label.qr_too_long), all exit 2.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vesper::label {

inline constexpr double kMmPerInch = 25.4;
inline constexpr double kPtPerMm = 72.0 / kMmPerInch;

enum class FieldType { text, qr };
enum class Align { left, center, right };
enum class QrEcc { L, M, Q, H };
const char* to_string(QrEcc ecc); // "L", "M", "Q", "H"

// A font a text field is set in. `file` empty: the PDF core font of that name (Helvetica,
// Helvetica-Bold, Courier, ...), which every PDF reader has and which takes Latin-1 text only; else a
// TrueType file (found by name under /usr/share/fonts, or given as a path), embedded in the PDF.
struct Font {
    std::string name;
    std::filesystem::path file;
    bool core() const { return file.empty(); }
};

struct Field {
    std::string name; // unique within the layout; what errors name
    FieldType type = FieldType::text;
    int line = 0; // where the field starts in the layout file
    // The box, from the label's top-left corner, x to the right and y down. A QR box is square
    // (width == height == its `size`); the symbol and its quiet zone are centred in it.
    double x_mm = 0, y_mm = 0, width_mm = 0, height_mm = 0;
    std::string content; // text: the text template; qr: the payload template ({{name}} placeholders)
    // text
    double font_size_pt = 8;
    Font font;                 // resolved when the layout loads (the layout's font unless the field names one)
    Align align = Align::left; // within the box; the text's baseline sits so the line is centred vertically
    // qr
    QrEcc ecc = QrEcc::M;
};

// Labels on a sheet: `rows` x `columns` at a pitch, the first one's top-left corner at the margins.
struct Sheet {
    std::string paper; // "A4", "Letter" or "custom"
    double width_mm = 0, height_mm = 0;
    int rows = 1, columns = 1;
    double pitch_x_mm = 0, pitch_y_mm = 0;
    double margin_left_mm = 0, margin_top_mm = 0;
};

// Where a printer puts things against where it was asked to: added to every position on its pages.
struct Offset {
    double x_mm = 0, y_mm = 0;
};

struct Layout {
    std::string name;
    std::string file; // the layout file as messages name it (built-ins: "templates/labels/NAME.yaml")
    double width_mm = 0, height_mm = 0;
    std::optional<Sheet> sheet; // none: a roll, one label per page the size of the label
    // Per-printer calibration, by printer name; "default" applies to any printer not listed, and to files.
    std::map<std::string, Offset> calibration;
    int dpi = 300;               // the printer's resolution: the QR module grid and the verification raster
    double min_module_mm = 0.33; // a QR module is a whole number of dots, and at least this wide
    Font font;                   // the default font of text fields
    // The font a text field falls back to when its text is not Latin-1 and its font is a core font
    // (DejaVu Sans from fonts-dejavu-core unless the layout names another).
    Font unicode_font;
    std::vector<Field> fields; // in layout order; at most one is a QR box

    int labels_per_page() const { return sheet ? sheet->rows * sheet->columns : 1; }
    double page_width_mm() const { return sheet ? sheet->width_mm : width_mm; }
    double page_height_mm() const { return sheet ? sheet->height_mm : height_mm; }
    Offset offset_for(std::string_view printer) const; // the printer's calibration, else "default", else 0
    const Field* qr_field() const;                     // nullptr when the layout has no QR box
};

// Parses and checks a layout (see the top of this file). `file` names it in messages; `dpi`, when
// given, overrides the layout's printer resolution (so a layout checks at the resolution it will print
// at: a QR that fits at 300 dpi may not at 203).
Layout parse_layout(std::string_view yaml_text, const std::string& file, std::optional<int> dpi = std::nullopt);
// A layout file, or a built-in layout by name ("roll-50x30"): a name with no '/' and no ".yaml" that
// is not a file in the current folder is a built-in. Error(label.layout) naming the built-ins for an
// unknown name; file errors as core/files reads them.
Layout load_layout(std::string_view name_or_path, std::optional<int> dpi = std::nullopt);
std::vector<std::string> builtin_layout_names();
// The YAML text of a built-in layout (templates/labels/NAME.yaml as built in), or nullopt.
std::optional<std::string_view> builtin_layout_text(std::string_view name);

} // namespace vesper::label
