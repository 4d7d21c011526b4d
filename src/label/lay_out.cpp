// Where each label goes and what it carries; every check that depends on a device's values happens here,
// before a byte of output exists.
#include <cmath>

#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/text_metrics.hpp"

namespace vesper::label {

namespace {

// Runs `step`; an error from it is rethrown with the label and, when its message does not already
// start with it, the field in front.
template <class F> auto for_label(const std::string& serial, const Field& field, F&& step) {
    try {
        return step();
    } catch (const Error& e) {
        const std::string what = e.what();
        const std::string field_part = "field '" + field.name + "'";
        fail(e, serial + ": " + (what.rfind(field_part, 0) == 0 ? what : field_part + ": " + what));
    }
}

// Moves a QR placement so that the symbol's corner falls on a printer dot of the page, not only of the
// label: on a sheet the label's own corner is rarely on the dot grid.
void snap_to_page_dots(QrPlacement& qr, double label_x_mm, double label_y_mm, int dpi) {
    const double dot = kMmPerInch / dpi;
    qr.x_mm = std::round((label_x_mm + qr.x_mm) / dot) * dot - label_x_mm;
    qr.y_mm = std::round((label_y_mm + qr.y_mm) / dot) * dot - label_y_mm;
}

} // namespace

std::vector<PlacedLabel> lay_out(const Layout& layout, const std::vector<LabelItem>& items,
                                 const RenderOptions& options) {
    const int per_page = layout.labels_per_page();
    if (options.first_position < 0 || options.first_position >= per_page)
        fail(ErrorCode::input_invalid, "the first label position " + std::to_string(options.first_position + 1) +
                                           " is not on the sheet (1-" + std::to_string(per_page) + ")");
    const Offset offset = layout.offset_for(options.printer);
    TextMetrics metrics;
    std::vector<PlacedLabel> placed;
    placed.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const LabelItem& item = items[i];
        const int position = options.first_position + static_cast<int>(i);
        PlacedLabel label;
        label.serial = item.serial;
        label.page = position / per_page;
        const int slot = position % per_page;
        label.row = layout.sheet ? slot / layout.sheet->columns : 0;
        label.column = layout.sheet ? slot % layout.sheet->columns : 0;
        label.x_mm =
            offset.x_mm + (layout.sheet ? layout.sheet->margin_left_mm + label.column * layout.sheet->pitch_x_mm : 0);
        label.y_mm =
            offset.y_mm + (layout.sheet ? layout.sheet->margin_top_mm + label.row * layout.sheet->pitch_y_mm : 0);
        for (const Field& field : layout.fields) {
            for_label(item.serial, field, [&] {
                const std::string content = expand(field.content, item.values);
                if (field.type == FieldType::text) {
                    check_text_fits(metrics, layout, field, content);
                    label.texts.push_back({field.name, content, &font_for(layout, field, content)});
                } else {
                    label.has_qr = true;
                    label.payload = content;
                    label.symbol = encode_qr(content, field.ecc);
                    label.qr = place_qr(field, label.symbol, layout.dpi, layout.min_module_mm);
                    snap_to_page_dots(label.qr, label.x_mm, label.y_mm, layout.dpi);
                }
                return 0;
            });
        }
        placed.push_back(std::move(label));
    }
    return placed;
}

} // namespace vesper::label
