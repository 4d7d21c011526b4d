// Label layouts (src/label/layout.cpp): the YAML schema, its defaults, the built-in layouts, and every
// check that rejects a layout, each with its code and "FILE:LINE: FIELD".
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "temp_dir.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/layout.hpp"

using namespace vesper;
using namespace vesper::label;

namespace {

// A roll label with a QR box and two text fields that all fit; tests replace lines of it.
const std::string kGood = R"(name: test-roll
label: {width: 50, height: 30}
printer: {dpi: 300}
calibration:
  default: {x: 0.5, y: -0.25}
  zebra-1: {x: 1, y: 2}
fields:
  - {name: qr, qr: "{{serial_number}}", x: 1, y: 1, size: 20, ecc: Q}
  - {name: serial, text: "{{serial_number}}", x: 1, y: 22, width: 48, height: 4, font_size: 7, align: right}
  - name: model
    text: "Vesper {{hw_type}} rev {{hw_version}}"
    x: 22
    y: 2
    width: 27
    height: 4
    font_size: 6.5
    font: Helvetica-Bold
)";

struct Failure {
    ErrorCode code = ErrorCode::internal;
    std::string message;
};

Failure failure_of(const std::string& yaml, std::optional<int> dpi = std::nullopt,
                   const std::string& file = "lab/bad.yaml") {
    try {
        parse_layout(yaml, file, dpi);
    } catch (const Error& e) {
        return {e.code(), e.what()};
    }
    FAIL("the layout loaded: " << yaml);
    return {};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// The good layout with `extra` appended to its fields.
std::string with_field(const std::string& extra) { return kGood + extra; }

void expect_failure(const std::string& yaml, ErrorCode code, const std::string& where,
                    std::optional<int> dpi = std::nullopt) {
    const Failure f = failure_of(yaml, dpi);
    INFO(f.message);
    CHECK(f.code == code);
    CHECK(f.message.rfind(where, 0) == 0);
    CHECK(f.message.find('\n') == std::string::npos);
}

} // namespace

TEST_CASE("label layout: a roll layout reads every key and the fields in order", "[label][layout]") {
    const Layout l = parse_layout(kGood, "dir/test-roll.yaml");
    CHECK(l.name == "test-roll");
    CHECK(l.file == "dir/test-roll.yaml");
    CHECK(l.width_mm == 50);
    CHECK(l.height_mm == 30);
    CHECK_FALSE(l.sheet);
    CHECK(l.labels_per_page() == 1);
    CHECK(l.page_width_mm() == 50);
    CHECK(l.dpi == 300);
    CHECK(l.min_module_mm == Approx(0.33));
    CHECK(l.font.name == "Helvetica");
    CHECK(l.font.core());
    CHECK(l.unicode_font.name == "DejaVuSans");
    CHECK(l.unicode_font.file.filename() == "DejaVuSans.ttf");
    REQUIRE(l.fields.size() == 3);
    CHECK(l.fields[0].type == FieldType::qr);
    CHECK(l.fields[0].ecc == QrEcc::Q);
    CHECK(l.fields[0].width_mm == 20);
    CHECK(l.fields[0].height_mm == 20);
    CHECK(l.fields[0].line == 8);
    CHECK(l.fields[1].name == "serial");
    CHECK(l.fields[1].align == Align::right);
    CHECK(l.fields[1].font_size_pt == 7);
    CHECK(l.fields[1].font.name == "Helvetica");
    CHECK(l.fields[2].name == "model");
    CHECK(l.fields[2].line == 10);
    CHECK(l.fields[2].font.name == "Helvetica-Bold");
    CHECK(l.fields[2].font_size_pt == 6.5);
    CHECK(l.fields[2].align == Align::left);
    REQUIRE(l.qr_field() != nullptr);
    CHECK(l.qr_field()->name == "qr");
}

TEST_CASE("label layout: calibration by printer, else default, else none", "[label][layout]") {
    const Layout l = parse_layout(kGood, "x.yaml");
    CHECK(l.offset_for("zebra-1").x_mm == 1);
    CHECK(l.offset_for("zebra-1").y_mm == 2);
    CHECK(l.offset_for("other").x_mm == 0.5);
    CHECK(l.offset_for("").y_mm == -0.25);
    const Layout bare = parse_layout(replaced(kGood, "  default: {x: 0.5, y: -0.25}\n", ""), "x.yaml");
    CHECK(bare.offset_for("other").x_mm == 0);
    CHECK(bare.offset_for("zebra-1").x_mm == 1);
}

TEST_CASE("label layout: name from the file, sheet defaults, a dpi override", "[label][layout]") {
    const std::string sheet = replaced(kGood, "name: test-roll\n", "") +
                              "sheet: {paper: Letter, rows: 8, columns: 4, margin: {left: 5, top: 10}}\n";
    const Layout l = parse_layout(sheet, "some/where/my-sheet.yaml", 203);
    CHECK(l.name == "my-sheet");
    CHECK(l.dpi == 203);
    REQUIRE(l.sheet);
    CHECK(l.sheet->paper == "Letter");
    CHECK(l.sheet->width_mm == Approx(215.9));
    CHECK(l.sheet->height_mm == Approx(279.4));
    CHECK(l.sheet->pitch_x_mm == 50);
    CHECK(l.sheet->pitch_y_mm == 30);
    CHECK(l.sheet->margin_left_mm == 5);
    CHECK(l.labels_per_page() == 32);
    CHECK(l.page_height_mm() == Approx(279.4));
    const Layout custom =
        parse_layout(kGood + "sheet: {paper: {width: 100, height: 62}, rows: 2, columns: 2}\n", "c.yaml");
    CHECK(custom.sheet->paper == "custom");
    CHECK(custom.page_width_mm() == 100);
}

TEST_CASE("label layout: the three built-ins load at 203 and 300 dpi and are the files in templates/labels",
          "[label][layout]") {
    CHECK(builtin_layout_names() == std::vector<std::string>{"a4-l7160", "ql-62x29", "roll-50x30"});
    for (const auto& name : builtin_layout_names()) {
        INFO(name);
        const auto text = builtin_layout_text(name);
        REQUIRE(text);
        CHECK(*text == test::text_of(std::filesystem::path(VESPER_SOURCE_DIR) / "templates/labels" / (name + ".yaml")));
        for (int dpi : {203, 300}) {
            const Layout l = load_layout(name, dpi);
            CHECK(l.name == name);
            CHECK(l.file == "templates/labels/" + name + ".yaml");
            CHECK(l.dpi == dpi);
            REQUIRE(l.qr_field() != nullptr);
            CHECK(l.fields.size() >= 5);
        }
    }
    CHECK(load_layout("roll-50x30").dpi == 203);
    CHECK(load_layout("ql-62x29").width_mm == 62);
    const Layout a4 = load_layout("a4-l7160");
    CHECK(a4.dpi == 300);
    REQUIRE(a4.sheet);
    CHECK(a4.sheet->paper == "A4");
    CHECK(a4.labels_per_page() == 21);
    CHECK(a4.width_mm == 63.5);
    CHECK(a4.height_mm == 38.1);
    CHECK_FALSE(builtin_layout_text("roll-50x31"));
}

TEST_CASE("label layout: a file by path, and an unknown built-in names the built-ins", "[label][layout]") {
    test::TempDir dir;
    const auto path = dir / "mine.yaml";
    std::ofstream(path) << kGood;
    CHECK(load_layout(path.string()).name == "test-roll");
    try {
        load_layout("roll-50x31");
        FAIL("an unknown layout loaded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_layout);
        CHECK(std::string(e.what()).find("a4-l7160, ql-62x29, roll-50x30") != std::string::npos);
    }
    std::ofstream(dir / "broken.yaml") << replaced(kGood, "x: 1, y: 22", "x: 1, y: 22, colour: red");
    try {
        load_layout((dir / "broken.yaml").string());
        FAIL("a broken layout loaded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_layout);
        CHECK(std::string(e.what()).rfind((dir / "broken.yaml").string() + ":9: fields[1].colour: unknown key", 0) ==
              0);
    }
}

TEST_CASE("label layout: YAML and schema errors are label.layout at their line", "[label][layout]") {
    expect_failure(replaced(kGood, "label: {width: 50, height: 30}", "label: {width: 50, height: 30"),
                   ErrorCode::label_layout, "lab/bad.yaml:");
    // yaml-cpp names the character after a backslash, here its end-of-input marker 0x04; the message
    // shows it as \x04 so the error stays printable and on one line.
    const Failure escape = failure_of(kGood + "name2: \"a\\");
    CHECK(escape.code == ErrorCode::label_layout);
    CHECK(escape.message.find("invalid YAML: unknown escape character: \\x04") != std::string::npos);
    CHECK(std::none_of(escape.message.begin(), escape.message.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
    expect_failure(replaced(kGood, "printer: {dpi: 300}", "printer: {dpi: 300, speed: 4}"), ErrorCode::label_layout,
                   "lab/bad.yaml:3: printer.speed: unknown key");
    expect_failure(replaced(kGood, "width: 48, height: 4, font_size: 7", "width: wide, height: 4, font_size: 7"),
                   ErrorCode::label_layout, "lab/bad.yaml:9: fields.serial.width:");
    expect_failure(replaced(kGood, "align: right", "align: justify"), ErrorCode::label_layout,
                   "lab/bad.yaml:9: fields.serial.align:");
    expect_failure(replaced(kGood, "ecc: Q", "ecc: Q, width: 20"), ErrorCode::label_layout,
                   "lab/bad.yaml:8: fields.qr.width: belongs to a text: field");
    expect_failure(with_field("  - {name: serial, text: x, x: 1, y: 25, width: 5, height: 3}\n"),
                   ErrorCode::label_layout, "lab/bad.yaml:18: fields.serial.name:");
    expect_failure(replaced(kGood, "label: {width: 50, height: 30}\n", ""), ErrorCode::label_layout,
                   "lab/bad.yaml:1: label: missing");
    expect_failure(with_field("  - {name: both, text: a, qr: b, x: 1, y: 25, size: 3}\n"), ErrorCode::label_layout,
                   "lab/bad.yaml:18: fields.both: give one of");
}

TEST_CASE("label layout: an unknown placeholder is label.placeholder at its field", "[label][layout]") {
    expect_failure(replaced(kGood, "text: \"{{serial_number}}\"", "text: \"{{serial}}\""), ErrorCode::label_placeholder,
                   "lab/bad.yaml:9: fields.serial.text: unknown placeholder {{serial}}");
    expect_failure(replaced(kGood, "qr: \"{{serial_number}}\"", "qr: \"{{serial_number}}/{{claim}}\""),
                   ErrorCode::label_placeholder, "lab/bad.yaml:8: fields.qr.qr: unknown placeholder {{claim}}");
    expect_failure(replaced(kGood, "rev {{hw_version}}", "rev {{hw_version"), ErrorCode::label_placeholder,
                   "lab/bad.yaml:11: fields.model.text:");
}

TEST_CASE("label layout: a field outside the label, overlapping fields, two QR boxes", "[label][layout]") {
    expect_failure(replaced(kGood, "x: 1, y: 22, width: 48", "x: 3, y: 22, width: 48"), ErrorCode::label_layout,
                   "lab/bad.yaml:9: fields.serial: the box");
    expect_failure(replaced(kGood, "size: 20", "size: 30"), ErrorCode::label_layout, "lab/bad.yaml:8: fields.qr:");
    const Failure overlap = failure_of(with_field("  - {name: note, text: hi, x: 30, y: 5, width: 10, height: 4}\n"));
    CHECK(overlap.code == ErrorCode::label_layout);
    CHECK(overlap.message.rfind("lab/bad.yaml:18: fields.note: the box overlaps field 'model' (line 10)", 0) == 0);
    // A text box over the QR box's quiet zone is an overlap too: the quiet zone is inside `size`.
    expect_failure(with_field("  - {name: over, text: hi, x: 20, y: 15, width: 1.5, height: 4}\n"),
                   ErrorCode::label_layout, "lab/bad.yaml:18: fields.over: the box overlaps field 'qr'");
    // Touching edges are not an overlap.
    CHECK(parse_layout(with_field("  - {name: touch, text: hi, x: 21, y: 7, width: 5, height: 4}\n"), "t.yaml")
              .fields.size() == 4);
    const Failure two = failure_of(with_field("  - {name: qr2, qr: \"{{mac}}\", x: 30, y: 14, size: 15}\n"));
    CHECK(two.code == ErrorCode::label_layout);
    CHECK(two.message.rfind("lab/bad.yaml:18: fields.qr2: a second QR box (the first is 'qr' on line 8)", 0) == 0);
}

TEST_CASE("label layout: a sheet larger than its paper or with overlapping labels", "[label][layout]") {
    // 7.21 mm + 2 x 66.04 mm + 63.5 mm = 202.79 mm fits A4's 210 mm; a 15 mm margin (210.58 mm) does not.
    const std::string base = replaced(kGood, "label: {width: 50, height: 30}", "label: {width: 63.5, height: 38.1}");
    const std::string sheet = "sheet:\n  paper: A4\n  rows: 7\n  columns: 3\n  pitch: {x: 66.04, y: 38.1}\n"
                              "  margin: {left: 7.21, top: 15.15}\n";
    CHECK(parse_layout(base + sheet, "s.yaml").labels_per_page() == 21);
    expect_failure(base + replaced(sheet, "left: 7.21", "left: 15"), ErrorCode::label_layout,
                   "lab/bad.yaml:18: sheet: 3 columns end");
    expect_failure(base + replaced(sheet, "rows: 7", "rows: 8"), ErrorCode::label_layout,
                   "lab/bad.yaml:18: sheet: 8 rows end");
    expect_failure(base + replaced(sheet, "x: 66.04", "x: 60"), ErrorCode::label_layout,
                   "lab/bad.yaml:22: sheet.pitch.x: labels overlap");
    expect_failure(base + replaced(sheet, "y: 38.1}", "y: 38}"), ErrorCode::label_layout,
                   "lab/bad.yaml:22: sheet.pitch.y: labels overlap");
    // A label larger than its paper.
    expect_failure(base + "sheet: {paper: {width: 60, height: 100}, rows: 1, columns: 1}\n", ErrorCode::label_layout,
                   "lab/bad.yaml:18: sheet: 1 columns end");
}

TEST_CASE("label layout: a font that cannot be found or loaded is label.font_missing", "[label][layout]") {
    expect_failure(replaced(kGood, "font: Helvetica-Bold", "font: Helvetica-Heavy"), ErrorCode::label_font_missing,
                   "lab/bad.yaml:17: fields.model.font: 'Helvetica-Heavy' is neither a PDF core font");
    expect_failure(replaced(kGood, "name: test-roll\n", "name: test-roll\nfont: NoSuchFontAnywhere\n"),
                   ErrorCode::label_font_missing, "lab/bad.yaml:2: font:");
    expect_failure(replaced(kGood, "name: test-roll\n", "name: test-roll\nunicode_font: Courier\n"),
                   ErrorCode::label_font_missing, "lab/bad.yaml:2: unicode_font:");
    test::TempDir dir;
    std::ofstream(dir / "fake.ttf") << "this is not a TrueType font";
    const std::string file = (dir / "layout.yaml").string();
    // A path is relative to the layout file; a file that is there but is no font fails to load.
    for (const auto& [font, reason] :
         std::vector<std::pair<std::string, std::string>>{{"fake.ttf", "font 'fake'"}, {"gone.ttf", "the font file"}}) {
        try {
            parse_layout(replaced(kGood, "font: Helvetica-Bold", "font: " + font), file);
            FAIL("loaded with " << font);
        } catch (const Error& e) {
            INFO(e.what());
            CHECK(e.code() == ErrorCode::label_font_missing);
            CHECK(std::string(e.what()).rfind(file + ":17: fields.model.font: " + reason, 0) == 0);
        }
    }
    const Layout ttf = parse_layout(replaced(kGood, "font: Helvetica-Bold", "font: DejaVuSans-Bold"), file);
    CHECK(ttf.fields[2].font.file.filename() == "DejaVuSans-Bold.ttf");
    CHECK_FALSE(ttf.fields[2].font.core());
}

TEST_CASE("label layout: text that does not fit its box with the longest values is label.text_overflow",
          "[label][layout]") {
    expect_failure(replaced(kGood, "font_size: 7", "font_size: 12"), ErrorCode::label_text_overflow,
                   "lab/bad.yaml:9: fields.serial: 'PV-26DEC-BC02W-MMMMM' is");
    expect_failure(replaced(kGood, "height: 4\n    font_size: 6.5", "height: 1.5\n    font_size: 6.5"),
                   ErrorCode::label_text_overflow, "lab/bad.yaml:10: fields.model: a line of Helvetica-Bold");
}

TEST_CASE("label layout: a QR payload too long for its box at the printer's dpi is label.qr_too_long",
          "[label][layout]") {
    const std::string claim =
        replaced(kGood, "qr: \"{{serial_number}}\", x: 1, y: 1, size: 20, ecc: Q",
                 "qr: \"HTTPS://VESPER.EXAMPLE/C/{{serial_number}}/{{claim_code}}\", x: 1, y: 1, size: 14.5, ecc: M");
    // The longest URL is a version 4 symbol, 33 + 8 modules: 4 dots (0.339 mm) a module fit 14.5 mm at
    // 300 dpi; at 203 dpi a module is 3 dots (0.375 mm), 15.4 mm in all.
    CHECK(parse_layout(claim, "q.yaml").dpi == 300);
    expect_failure(claim, ErrorCode::label_qr_too_long, "lab/bad.yaml:8: fields.qr: the QR code (version 4", 203);
    expect_failure(replaced(claim, "ecc: M", "ecc: H"), ErrorCode::label_qr_too_long, "lab/bad.yaml:8: fields.qr:");
}
