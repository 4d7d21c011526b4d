// ZPL rendering and the check before printing (src/label/render_zpl, verify): documents rendered from
// layouts built in code, rasterised and decoded by the real libraries (libqrencode, zbar, poppler).
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include <cmath>
#include <functional>
#include <regex>
#include <thread>

#include "label_test_layouts.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/verify.hpp"

using namespace vesper;
using namespace vesper::label;
using vesper::test::label_items;
using vesper::test::roll_layout;

namespace {

// The code of the error `f` throws (the test fails when it throws none).
ErrorCode code_of(const std::function<void()>& f) { return vesper::test::error_from(f).code(); }

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

std::vector<std::smatch> all_matches(const std::string& text, const std::regex& re) {
    return {std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()};
}

// The failure verify reports for the first label, through require_passed's error.
std::string verify_failure(const Layout& layout, const Rendered& r) {
    const VerifyReport report = verify(layout, r);
    CHECK_FALSE(report.passed());
    try {
        report.require_passed();
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_verify);
        return e.what();
    }
    FAIL("require_passed accepted a failed report");
    return {};
}

} // namespace

TEST_CASE("ZPL has one format per label with the label size, UTF-8, text blocks and a whole-dot QR", "[label]") {
    for (int dpi : {203, 300}) {
        INFO(dpi << " dpi");
        const Layout layout = roll_layout(dpi);
        const auto items = label_items(3);
        const Rendered r = render_zpl(layout, items);
        CHECK(r.format == Format::zpl);
        CHECK(r.dpi == dpi);
        CHECK(r.pages == 3);
        const std::string& z = r.bytes;
        CHECK(count_of(z, "^XA") == 3);
        CHECK(count_of(z, "^XZ") == 3);
        CHECK(count_of(z, "^CI28") == 3);
        CHECK(count_of(z, "^LH0,0") == 3);
        const int pw = static_cast<int>(std::lround(50 * dpi / 25.4));
        const int ll = static_cast<int>(std::lround(30 * dpi / 25.4));
        CHECK(count_of(z, "^PW" + std::to_string(pw) + "\n") == 3);
        CHECK(count_of(z, "^LL" + std::to_string(ll) + "\n") == 3);
        // Every field starts at ^FO and ends at ^FS: 3 fields a label.
        CHECK(count_of(z, "^FO") == 9);
        CHECK(count_of(z, "^FS") == 9);

        const auto texts =
            all_matches(z, std::regex(R"(\^FO(\d+),(\d+)\^A0N,(\d+),(\d+)\^FB(\d+),1,0,L,0\^FH\^FD([^^]*)\^FS)"));
        REQUIRE(texts.size() == 6);
        CHECK(texts[0][6] == "PV-26DEC-BC02K-00000");
        CHECK(texts[1][6] == "MAC 24:0A:C4:00:00:00");
        CHECK(texts[5][6] == "MAC 24:0A:C4:00:00:02");
        // 1.5 mm from the left edge, a 26 mm block, 6 pt characters.
        CHECK(std::stoi(texts[0][1]) == std::lround(1.5 * dpi / 25.4));
        CHECK(std::stoi(texts[0][5]) == std::lround(26 * dpi / 25.4));
        CHECK(std::stoi(texts[0][3]) == std::lround(6 / 72.0 * dpi));

        const auto qrs = all_matches(z, std::regex(R"(\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FH\^FD([^^]*)\^FS)"));
        REQUIRE(qrs.size() == 3);
        for (std::size_t i = 0; i < qrs.size(); ++i) {
            // The ^FD payload is the device's, in alphanumeric manual mode at the layout's level M.
            CHECK(qrs[i][4] == "MM,AHTTPS://VESPER.EXAMPLE/D/" + items[i].serial);
            const int mag = std::stoi(qrs[i][3]);
            CHECK(mag >= 1);
            CHECK(mag <= 10);
            CHECK(mag * 25.4 / dpi >= 0.33);
            CHECK(mag == r.labels[i].qr.module_dots);
            // The symbol (and its quiet zone) sits inside the 20 mm box at x 28.5, y 5.
            const double x_mm = std::stoi(qrs[i][1]) * 25.4 / dpi, y_mm = std::stoi(qrs[i][2]) * 25.4 / dpi;
            const double quiet = 4 * mag * 25.4 / dpi;
            CHECK(x_mm - quiet >= 28.5 - 1e-6);
            CHECK(y_mm - quiet >= 5 - 1e-6);
            CHECK(x_mm + r.labels[i].symbol.width * mag * 25.4 / dpi + quiet <= 48.5 + 25.4 / dpi);
        }

        const VerifyReport report = verify(layout, r);
        REQUIRE(report.labels.size() == 3);
        CHECK(report.dpi == dpi);
        for (std::size_t i = 0; i < 3; ++i) {
            INFO(report.labels[i].problem);
            CHECK(report.labels[i].passed);
            CHECK(report.labels[i].serial == items[i].serial);
            CHECK(report.labels[i].decoded == "HTTPS://VESPER.EXAMPLE/D/" + items[i].serial);
            CHECK(report.labels[i].module_px == Approx(r.labels[i].qr.module_dots).margin(0.01));
            CHECK(report.labels[i].quiet_modules >= 4);
        }
        CHECK(report.passed());
        report.require_passed();
    }
}

TEST_CASE("ZPL escapes ^ ~ and _ with ^FH and sends other payloads in byte mode with their count", "[label]") {
    // Lower case takes the QR out of the alphanumeric set; ^, ~ and _ must not reach the printer raw.
    Layout layout = roll_layout(203, "https://vesper.example/d/{{serial_number}}?a=^b~c_d");
    auto items = label_items(1);
    items[0].values["mac"] = "24:0A:C4:5E:^~_:\\";
    const Rendered r = render_zpl(layout, items);
    const std::string payload = "https://vesper.example/d/PV-26DEC-BC02K-00000?a=^b~c_d";
    CHECK(r.bytes.find("^FDMM,B" + std::to_string(10000 + payload.size()).substr(1) +
                       "https://vesper.example/d/PV-26DEC-BC02K-00000?a=_5Eb_7Ec_5Fd^FS") != std::string::npos);
    // In a ^FB block a backslash is doubled.
    CHECK(r.bytes.find("^FDMAC 24:0A:C4:5E:_5E_7E_5F:\\\\^FS") != std::string::npos);
    const VerifyReport report = verify(layout, r);
    INFO(report.labels.at(0).problem);
    CHECK(report.passed());
    CHECK(report.labels.at(0).decoded == payload);

    // UTF-8 goes in byte mode, counted in bytes, and comes back from zbar as the same bytes.
    Layout utf8 = roll_layout(203, "Z\xC3\xBCrich {{serial_number}}");
    const Rendered u = render_zpl(utf8, label_items(1));
    CHECK(u.bytes.find("^FDMM,B0028Z\xC3\xBCrich PV-26DEC-BC02K-00000^FS") != std::string::npos);
    const VerifyReport ur = verify(utf8, u);
    INFO(ur.labels.at(0).problem);
    CHECK(ur.passed());
    CHECK(ur.labels.at(0).decoded == "Z\xC3\xBCrich PV-26DEC-BC02K-00000");
}

TEST_CASE("ZPL caps ^BQ magnification at 10 dots and re-centres the symbol", "[label]") {
    // A short payload in a 45 mm box at 300 dpi would get 24 dots a module.
    Layout layout = roll_layout(300, "{{serial_number}}");
    layout.width_mm = 80;
    layout.height_mm = 50;
    layout.fields.back().width_mm = layout.fields.back().height_mm = 45;
    const Rendered r = render_zpl(layout, label_items(2));
    CHECK(r.bytes.find("^BQN,2,10^") != std::string::npos);
    CHECK(r.labels[0].qr.module_dots == 10);
    const double centre = r.labels[0].qr.x_mm + r.labels[0].qr.side_mm / 2;
    CHECK(centre == Approx(28.5 + 22.5).margin(25.4 / 300));
    const VerifyReport report = verify(layout, r);
    INFO(report.labels.at(0).problem);
    CHECK(report.passed());
    CHECK(report.labels[0].module_px == Approx(10).margin(0.01));
}

TEST_CASE("ZPL refuses sheet layouts and puts the calibration offset into the positions", "[label]") {
    Layout sheet = vesper::test::sheet_layout(203);
    try {
        render_zpl(sheet, label_items(1));
        FAIL("rendered a sheet as ZPL");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_layout);
        CHECK(std::string(e.what()).find("ZPL is for roll printers") != std::string::npos);
    }
    Layout layout = roll_layout(203);
    const Rendered plain = render_zpl(layout, label_items(1));
    layout.calibration["zebra1"] = Offset{1.0, -0.5};
    const Rendered shifted = render_zpl(layout, label_items(1), RenderOptions{"zebra1", 0});
    const std::regex fo(R"(\^FO(\d+),(\d+))");
    const auto a = all_matches(plain.bytes, fo), b = all_matches(shifted.bytes, fo);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(std::abs(std::stoi(b[i][1]) - std::stoi(a[i][1]) - 8) <= 1); // 1 mm = 8 dots
        CHECK(std::abs(std::stoi(b[i][2]) - std::stoi(a[i][2]) + 4) <= 1);
    }
    const VerifyReport report = verify(layout, shifted);
    INFO(report.labels.at(0).problem);
    CHECK(report.passed());
}

TEST_CASE("verify fails a label whose QR carries another payload than expected", "[label]") {
    const Layout layout = roll_layout(203);
    Rendered r = render_zpl(layout, label_items(2));
    // The document is right but the expectation differs: the ^FD check names both.
    Rendered expecting_other = r;
    expecting_other.labels[1].payload = "HTTPS://VESPER.EXAMPLE/D/PV-26DEC-BC02K-99999";
    const VerifyReport report = verify(layout, expecting_other);
    CHECK(report.labels[0].passed);
    CHECK_FALSE(report.labels[1].passed);
    CHECK(report.labels[1].problem.find("99999") != std::string::npos);
    CHECK(verify_failure(layout, expecting_other).find("label PV-26DEC-BC02K-00001: ") == 0);
    // The document edited after rendering: same length, other serial.
    Rendered tampered = r;
    const auto at = tampered.bytes.find("D/PV-26DEC-BC02K-00000^FS");
    REQUIRE(at != std::string::npos);
    tampered.bytes.replace(at + 17, 5, "00007");
    CHECK(verify_failure(layout, tampered).find("PV-26DEC-BC02K-00007") != std::string::npos);
}

TEST_CASE("verify fails a label with ink in the QR code's quiet zone", "[label]") {
    Layout layout = roll_layout(203);
    // A small text box inside the QR box's top-left corner, where the 4-module quiet zone is
    // (lay_out does not check overlaps; parse_layout would have refused this layout).
    layout.fields.push_back(vesper::test::text_field("lot", "LOT", 28.9, 5.2, 8, 2.2, 5));
    const Rendered r = render_zpl(layout, label_items(1));
    const VerifyReport report = verify(layout, r);
    REQUIRE(report.labels.size() == 1);
    CHECK_FALSE(report.labels[0].passed);
    INFO(report.labels[0].problem);
    CHECK(report.labels[0].quiet_modules < 4);
    CHECK(report.labels[0].problem.find("quiet zone") != std::string::npos);
    // Without the intruder the same label passes.
    layout.fields.pop_back();
    CHECK(verify(layout, render_zpl(layout, label_items(1))).passed());
}

TEST_CASE("verify fails a QR module below the layout's minimum", "[label]") {
    // Rendered with a 0.1 mm minimum in a 9 mm box: 2 dots (0.25 mm) a module at 203 dpi.
    Layout small = roll_layout(203, "{{serial_number}}");
    small.min_module_mm = 0.1;
    small.fields.back().width_mm = small.fields.back().height_mm = 9;
    const Rendered r = render_zpl(small, label_items(1));
    REQUIRE(r.labels[0].qr.module_dots == 2);
    CHECK(verify(small, r).passed());
    // Checked against 0.33 mm (3 dots at 203 dpi), as the production layout asks.
    Layout strict = small;
    strict.min_module_mm = 0.33;
    const VerifyReport report = verify(strict, r);
    CHECK_FALSE(report.passed());
    CHECK(report.labels[0].module_px == Approx(2).margin(0.01));
    CHECK(report.labels[0].problem.find("minimum is 3 dots") != std::string::npos);
}

TEST_CASE("verify fails garbage and malformed ZPL and an unreadable PDF", "[label]") {
    const Layout layout = roll_layout(203);
    const Rendered good = render_zpl(layout, label_items(2));
    auto with_bytes = [&](std::string bytes, Format format = Format::zpl) {
        Rendered r = good;
        r.format = format;
        r.bytes = std::move(bytes);
        return r;
    };
    CHECK(verify_failure(layout, with_bytes(std::string("\x00\x01garbage\xff", 11))).find("ZPL at byte 0") !=
          std::string::npos);
    CHECK(
        verify_failure(layout, with_bytes(std::string("%PDF-1.7\n\x00\x01garbage", 19), Format::pdf)).find("poppler") !=
        std::string::npos);
    // A field left open, a format left open, a format missing, one too many.
    std::string no_fs = good.bytes;
    no_fs.erase(no_fs.find("^FS"), 3);
    CHECK(!verify(layout, with_bytes(no_fs)).passed());
    CHECK(!verify(layout, with_bytes(good.bytes.substr(0, good.bytes.rfind("^XZ")))).passed());
    const std::string first = good.bytes.substr(0, good.bytes.find("^XZ") + 4);
    const VerifyReport one = verify(layout, with_bytes(first));
    CHECK(one.labels[0].passed);
    CHECK(one.labels[1].problem.find("no ^XA..^XZ format") != std::string::npos);
    CHECK(verify_failure(layout, with_bytes(good.bytes + first)).find("3 formats for 2 labels") != std::string::npos);
    // A QR at another error correction level than the layout's.
    std::string level_h = good.bytes;
    level_h.replace(level_h.find("^FDMM,A"), 7, "^FDHM,A");
    CHECK(verify_failure(layout, with_bytes(level_h)).find("error correction is H") != std::string::npos);
    CHECK(code_of([&] { verify(layout, with_bytes(level_h)).require_passed(); }) == ErrorCode::label_verify);
}

TEST_CASE("verify runs concurrently on separate documents", "[label]") {
    const Layout a = roll_layout(203), b = roll_layout(300);
    const Rendered ra = render_zpl(a, label_items(20)), rb = render_zpl(b, label_items(20, 100));
    bool pass_a = false, pass_b = false;
    std::thread ta([&] { pass_a = verify(a, ra).passed(); });
    std::thread tb([&] { pass_b = verify(b, rb).passed(); });
    ta.join();
    tb.join();
    CHECK(pass_a);
    CHECK(pass_b);
}

TEST_CASE("a layout without a QR box renders text-only ZPL whose labels pass, and a stray ^BQ fails", "[label]") {
    Layout layout = roll_layout(203);
    const Field qr = layout.fields.back();
    layout.fields.pop_back();
    const Rendered r = render_zpl(layout, label_items(2));
    CHECK(r.bytes.find("^BQ") == std::string::npos);
    CHECK(count_of(r.bytes, "^FO") == 4);
    CHECK(verify(layout, r).passed());
    // The same document checked against a layout that has a QR box: its labels carry no QR code.
    Layout with_qr = layout;
    with_qr.fields.push_back(qr);
    Rendered expecting_qr = render_zpl(with_qr, label_items(2));
    expecting_qr.bytes = r.bytes;
    CHECK(verify_failure(with_qr, expecting_qr).find("0 QR fields") != std::string::npos);
}
