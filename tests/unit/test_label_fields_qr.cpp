// Label placeholders, QR encoding and placement, and text metrics (src/label/fields, qr, text_metrics).
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include "vesper/core/error.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/qr.hpp"
#include "vesper/label/text_metrics.hpp"

using namespace vesper;
using namespace vesper::label;

namespace {

ledger::Device device() {
    ledger::Device d;
    d.serial = "PV-26DEC-BC02K-7Q4ZD";
    d.hw_type = "BC";
    d.hw_version = "02";
    d.batch_id = 12;
    d.mac = "24:0a:c4:12:34:56";
    d.subscription_plan = "standard";
    d.available_outputs = 8;
    d.created_at = "2026-11-30T08:00:00Z";
    return d;
}

// The code of the error `f` throws (the test fails when it throws none).
ErrorCode code_of(const std::function<void()>& f) { return vesper::test::error_from(f).code(); }

Field qr_box(double size) {
    Field f;
    f.name = "qr";
    f.type = FieldType::qr;
    f.x_mm = 2;
    f.y_mm = 2;
    f.width_mm = f.height_mm = size;
    return f;
}

} // namespace

TEST_CASE("device values carry the record with an upper-case MAC and the ISO week date code", "[label]") {
    auto d = device();
    auto v = device_values(d);
    CHECK(v.at("serial_number") == "PV-26DEC-BC02K-7Q4ZD");
    CHECK(v.at("mac") == "24:0A:C4:12:34:56");
    CHECK(v.at("batch_id") == "12");
    CHECK(v.at("date") == "2026-11-30");
    CHECK(v.at("date_code") == "2649");
    CHECK(v.count("claim_code") == 0);
    // Made when flashed: 1 January 2027 is a Friday in ISO week 53 of 2026.
    d.flashed_at = "2027-01-01T09:00:00Z";
    v = device_values(d, "ABCDE-FGHJK-MNPQR-STVWX-Y");
    CHECK(v.at("date") == "2027-01-01");
    CHECK(v.at("date_code") == "2653");
    CHECK(v.at("claim_code") == "ABCDE-FGHJK-MNPQR-STVWX-Y");
    // Every placeholder has a sample value, so a layout can be checked without a device.
    for (const auto& name : placeholder_names())
        CHECK(sample_values().count(name) == 1);
}

TEST_CASE("templates expand and name an unknown or unclosed placeholder", "[label]") {
    const auto v = device_values(device());
    CHECK(expand("S/N {{serial_number}} rev {{ hw_version }}", v) == "S/N PV-26DEC-BC02K-7Q4ZD rev 02");
    CHECK(expand("no placeholders", v) == "no placeholders");
    CHECK(placeholders_in("{{a}}-{{ b }}-{{a}}") == std::vector<std::string>{"a", "b", "a"});
    CHECK(code_of([&] { expand("{{serial}}", v); }) == ErrorCode::label_placeholder);
    CHECK(code_of([&] { expand("{{serial_number", v); }) == ErrorCode::label_placeholder);
    CHECK(code_of([&] { placeholders_in("x {{ }} y"); }) == ErrorCode::label_placeholder);
    try {
        expand("{{claim_code}}", v);
        FAIL("expanded a claim code without one");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("VESPER_CLAIM_SECRET") != std::string::npos);
    }
    try {
        expand("{{hw_typ}}", v);
        FAIL("expanded an unknown placeholder");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("{{hw_typ}}") != std::string::npos);
        CHECK(std::string(e.what()).find("hw_type") != std::string::npos);
    }
}

TEST_CASE("an upper-case claim URL encodes in alphanumeric mode into a smaller symbol", "[label]") {
    const std::string url = "HTTPS://VESPER.EXAMPLE/C/PV-26DEC-BC02K-7Q4ZD/ABCDE-FGHJK-MNPQR-STVWX-Y";
    std::string lower = url;
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto upper_symbol = encode_qr(url, QrEcc::M);
    const auto lower_symbol = encode_qr(lower, QrEcc::M);
    // 71 characters: alphanumeric mode fits version 4-M (90 characters); as bytes it needs version 5.
    CHECK(upper_symbol.version == 4);
    CHECK(upper_symbol.width == 33);
    CHECK(lower_symbol.version == 5);
    CHECK(upper_symbol.dark.size() == 33u * 33u);
    // Finder pattern: the top-left 7x7 has a dark ring, a light ring and a dark 3x3 core.
    CHECK(upper_symbol.dark_at(0, 0));
    CHECK(upper_symbol.dark_at(6, 6));
    CHECK_FALSE(upper_symbol.dark_at(1, 1));
    CHECK(upper_symbol.dark_at(3, 3));
    CHECK_FALSE(upper_symbol.dark_at(7, 7)); // the separator
    CHECK(encode_qr(url, QrEcc::H).version > upper_symbol.version);
    CHECK(code_of([] { encode_qr(std::string(8000, 'x'), QrEcc::H); }) == ErrorCode::label_qr_too_long);
    CHECK(code_of([] { encode_qr("", QrEcc::M); }) == ErrorCode::label_qr_too_long);
}

TEST_CASE("a QR module is the largest whole number of dots that fits, never below the minimum", "[label]") {
    const auto symbol = encode_qr("HTTPS://VESPER.EXAMPLE/C/PV-26DEC-BC02K-7Q4ZD/ABCDE-FGHJK-MNPQR-STVWX-Y", QrEcc::M);
    // 33 modules + 8 quiet = 41; 26 mm at 203 dpi is 207 dots: 5 dots (0.626 mm) a module.
    auto p = place_qr(qr_box(26), symbol, 203, 0.33);
    CHECK(p.module_dots == 5);
    CHECK(p.module_mm == Approx(5 * 25.4 / 203));
    CHECK(p.side_mm == Approx(33 * p.module_mm));
    // Centred in the box, quiet zone inside it.
    CHECK(p.x_mm - 4 * p.module_mm >= 2 - 1e-9);
    CHECK(p.x_mm + p.side_mm + 4 * p.module_mm <= 28 + 25.4 / 203);
    // At 300 dpi: 307 dots / 41 = 7.
    CHECK(place_qr(qr_box(26), symbol, 300, 0.33).module_dots == 7);
    // 0.33 mm is 2.6 dots at 203 dpi, so 3; a 15 mm box (118 dots) gives 2 dots a module: too small.
    CHECK(code_of([&] { place_qr(qr_box(15), symbol, 203, 0.33); }) == ErrorCode::label_qr_too_long);
    CHECK(place_qr(qr_box(16), symbol, 203, 0.33).module_dots == 3);
    // A lower minimum lets the small box through.
    CHECK(place_qr(qr_box(15), symbol, 203, 0.25).module_dots == 2);
}

TEST_CASE("text metrics measure core and TrueType fonts and report text that does not fit", "[label]") {
    CHECK(is_latin1("S/N 12 \xC3\xA9t\xC3\xA9")); // "été"
    CHECK_FALSE(is_latin1("\xCE\xB1\xCE\xB2"));   // Greek
    CHECK_FALSE(is_latin1("tab\there"));
    CHECK(to_latin1("\xC3\xA9") == "\xE9");

    TextMetrics m;
    Font helvetica{"Helvetica", {}};
    // Helvetica's "H" is 722/1000 em: at 10 pt that is 7.22 pt = 2.547 mm.
    CHECK(m.width_mm(helvetica, 10, "H") == Approx(7.22 / kPtPerMm).epsilon(1e-6));
    CHECK(m.width_mm(helvetica, 10, "HH") == Approx(2 * 7.22 / kPtPerMm).epsilon(1e-6));
    Font dejavu{"DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"};
    const double greek = m.width_mm(dejavu, 10, "\xCE\xB1\xCE\xB2\xCE\xB3");
    CHECK(greek > 3 * 0.4);
    CHECK(greek < 3 * 3.5);
    CHECK(code_of([&] { m.width_mm(Font{"Nope", {}}, 10, "x"); }) == ErrorCode::label_font_missing);
    CHECK(code_of([&] {
              m.width_mm(Font{"Gone", "/nonexistent/Gone.ttf"}, 10, "x");
          }) == ErrorCode::label_font_missing);

    Layout layout;
    layout.unicode_font = dejavu;
    Field f;
    f.name = "serial";
    f.width_mm = 36; // the serial is 33.7 mm in Helvetica at 8 pt
    f.height_mm = 5;
    f.font_size_pt = 8;
    f.font = helvetica;
    check_text_fits(m, layout, f, "PV-26DEC-BC02K-7Q4ZD");
    CHECK(font_for(layout, f, "\xCE\xB1").name == "DejaVuSans");
    CHECK(font_for(layout, f, "abc").name == "Helvetica");
    f.width_mm = 10;
    try {
        check_text_fits(m, layout, f, "PV-26DEC-BC02K-7Q4ZD");
        FAIL("a 33.7 mm text fit a 10 mm box");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_text_overflow);
        CHECK(std::string(e.what()).find("field 'serial'") == 0);
    }
    f.width_mm = 36;
    f.height_mm = 1;
    CHECK(code_of([&] { check_text_fits(m, layout, f, "x"); }) == ErrorCode::label_text_overflow);
    f.height_mm = 5;
    CHECK(code_of([&] { check_text_fits(m, layout, f, "two\nlines"); }) == ErrorCode::label_text_overflow);
}
