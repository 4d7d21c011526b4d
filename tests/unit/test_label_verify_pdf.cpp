// The check before printing on PDFs from render_pdf: rasterised by poppler at the layout's dpi, decoded
// by zbar, measured; and the same failures as for ZPL, in the PDF's own terms (glyphs in the quiet zone).
#include <catch2/catch.hpp>

#include "label_test_layouts.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/verify.hpp"

using namespace vesper;
using namespace vesper::label;
using vesper::test::label_items;

TEST_CASE("verify passes every label of a PDF sheet and roll at the printer's resolution", "[label]") {
    for (const Layout& layout : {vesper::test::sheet_layout(300), vesper::test::roll_layout(203)}) {
        INFO(layout.name);
        // 25 labels: a full A4 sheet of 21 and 4 on a second page.
        const auto items = label_items(25);
        const Rendered r = render_pdf(layout, items);
        const VerifyReport report = verify(layout, r);
        REQUIRE(report.labels.size() == 25);
        for (std::size_t i = 0; i < items.size(); ++i) {
            INFO(report.labels[i].problem);
            CHECK(report.labels[i].passed);
            CHECK(report.labels[i].decoded == "HTTPS://VESPER.EXAMPLE/D/" + items[i].serial);
            CHECK(report.labels[i].module_px == Approx(r.labels[i].qr.module_dots).margin(0.5));
            CHECK(report.labels[i].quiet_modules >= 4);
        }
        report.require_passed();
    }
}

TEST_CASE("verify fails a PDF label with a wrong payload, glyphs in the quiet zone or a small module", "[label]") {
    Layout layout = vesper::test::roll_layout(203);
    const Rendered good = render_pdf(layout, label_items(1));
    Rendered other = good;
    other.labels[0].payload = "HTTPS://VESPER.EXAMPLE/D/PV-26DEC-BC02K-99999";
    const VerifyReport wrong = verify(layout, other);
    CHECK_FALSE(wrong.passed());
    CHECK(wrong.labels[0].problem.find("reads 'HTTPS://VESPER.EXAMPLE/D/PV-26DEC-BC02K-00000'") != std::string::npos);

    Layout intruded = layout;
    intruded.fields.push_back(vesper::test::text_field("lot", "MMM", 28.9, 5.2, 8, 2.2, 5));
    const VerifyReport quiet = verify(intruded, render_pdf(intruded, label_items(1)));
    INFO(quiet.labels[0].problem);
    CHECK_FALSE(quiet.passed());
    CHECK(quiet.labels[0].problem.find("quiet zone") != std::string::npos);

    Layout small = vesper::test::roll_layout(203, "{{serial_number}}");
    small.min_module_mm = 0.1;
    small.fields.back().width_mm = small.fields.back().height_mm = 9;
    const Rendered tiny = render_pdf(small, label_items(1));
    REQUIRE(tiny.labels[0].qr.module_dots == 2);
    CHECK(verify(small, tiny).passed());
    Layout strict = small;
    strict.min_module_mm = 0.33;
    const VerifyReport report = verify(strict, tiny);
    CHECK_FALSE(report.passed());
    CHECK(report.labels[0].problem.find("minimum is 3 dots") != std::string::npos);
    try {
        report.require_passed();
        FAIL("a 2-dot module passed a 3-dot minimum");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_verify);
    }
}

TEST_CASE("verify reports each page's labels in place when pages are checked in parallel", "[label]") {
    const Layout layout = vesper::test::roll_layout(203);
    Rendered r = render_pdf(layout, label_items(9));
    REQUIRE(r.pages == 9);
    r.labels[4].payload += "X";
    r.labels[7].payload = "HTTPS://VESPER.EXAMPLE/D/PV-26DEC-BC02K-00001";
    const VerifyReport report = verify(layout, r);
    REQUIRE(report.labels.size() == 9);
    for (std::size_t i = 0; i < 9; ++i) {
        INFO(i << ": " << report.labels[i].problem);
        CHECK(report.labels[i].serial == r.labels[i].serial);
        CHECK(report.labels[i].passed == (i != 4 && i != 7));
        CHECK(report.labels[i].decoded == "HTTPS://VESPER.EXAMPLE/D/" + r.labels[i].serial);
    }
}
