#pragma once
// Label layouts built in code for the render/verify tests and the label benchmark: a 50 x 30 mm roll
// label and an A4 sheet of 3 x 7 labels, each with two text lines and a QR box, in the shapes the
// built-in layouts (templates/labels) have. Plain structs, so a test can bend one field at a time.
#include <cstdio>
#include <string>
#include <vector>

#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"

namespace vesper::test {

inline label::Field text_field(std::string name, std::string content, double x, double y, double w, double h,
                               double size_pt) {
    label::Field f;
    f.name = std::move(name);
    f.type = label::FieldType::text;
    f.content = std::move(content);
    f.x_mm = x;
    f.y_mm = y;
    f.width_mm = w;
    f.height_mm = h;
    f.font_size_pt = size_pt;
    f.font = label::Font{"Helvetica", {}};
    return f;
}

inline label::Field qr_field(std::string content, double x, double y, double size, label::QrEcc ecc) {
    label::Field f;
    f.name = "qr";
    f.type = label::FieldType::qr;
    f.content = std::move(content);
    f.x_mm = x;
    f.y_mm = y;
    f.width_mm = f.height_mm = size;
    f.ecc = ecc;
    return f;
}

// 50 x 30 mm: serial and MAC on the left, a 20 mm QR box on the right.
inline label::Layout roll_layout(int dpi, std::string qr_content = "HTTPS://VESPER.EXAMPLE/D/{{serial_number}}") {
    label::Layout l;
    l.name = "test-roll";
    l.file = "test-roll.yaml";
    l.width_mm = 50;
    l.height_mm = 30;
    l.dpi = dpi;
    l.font = label::Font{"Helvetica", {}};
    l.unicode_font = label::Font{"DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
    l.fields.push_back(text_field("serial", "{{serial_number}}", 1.5, 5, 26, 4, 6));
    l.fields.push_back(text_field("mac", "MAC {{mac}}", 1.5, 11, 26, 4, 6));
    l.fields.push_back(qr_field(std::move(qr_content), 28.5, 5, 20, label::QrEcc::M));
    return l;
}

// A4, 3 x 7 labels of 63.5 x 38.1 mm (the L7160 grid).
inline label::Layout sheet_layout(int dpi) {
    label::Layout l;
    l.name = "test-a4";
    l.file = "test-a4.yaml";
    l.width_mm = 63.5;
    l.height_mm = 38.1;
    l.dpi = dpi;
    l.sheet = label::Sheet{"A4", 210, 297, 7, 3, 66.0, 38.1, 7.2, 15.15};
    l.font = label::Font{"Helvetica", {}};
    l.unicode_font = label::Font{"DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
    l.fields.push_back(text_field("serial", "{{serial_number}}", 3, 6, 30, 5, 7));
    l.fields.push_back(text_field("mac", "MAC {{mac}}", 3, 13, 30, 5, 7));
    l.fields.push_back(qr_field("HTTPS://VESPER.EXAMPLE/D/{{serial_number}}", 34, 4, 28, label::QrEcc::M));
    return l;
}

// Distinct devices' values: serials PV-26DEC-BC02K-00000 upwards and their MACs.
inline std::vector<label::LabelItem> label_items(int count, int first = 0) {
    std::vector<label::LabelItem> items;
    for (int i = first; i < first + count; ++i) {
        char serial[32], mac[32];
        std::snprintf(serial, sizeof serial, "PV-26DEC-BC02K-%05d", i);
        std::snprintf(mac, sizeof mac, "24:0A:C4:%02X:%02X:%02X", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
        label::LabelItem item;
        item.serial = serial;
        item.values = {{"serial_number", serial}, {"mac", mac}};
        items.push_back(std::move(item));
    }
    return items;
}

// The same devices with every value the built-in layouts (templates/labels) use, a claim code included.
inline std::vector<label::LabelItem> builtin_label_items(int count, int first = 0) {
    auto items = label_items(count, first);
    for (auto& item : items) {
        item.values["hw_type"] = "BC";
        item.values["hw_version"] = "02";
        item.values["batch_id"] = "12";
        item.values["date_code"] = "2649";
        // A claim code's shape (docs/claim-codes.md); its check symbol does not matter to a label.
        item.values["claim_code"] = "ABCDE-FGHJK-MNPQR-STVWX-" + item.serial.substr(item.serial.size() - 1);
    }
    return items;
}

} // namespace vesper::test
