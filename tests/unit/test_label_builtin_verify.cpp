// The built-in layouts (templates/labels) through render_zpl / render_pdf and the check before printing.
#include <catch2/catch.hpp>

#include "label_test_layouts.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/render.hpp"
#include "vesper/label/verify.hpp"

using namespace vesper;
using namespace vesper::label;

using vesper::test::builtin_label_items;

TEST_CASE("the built-in roll layout prints as ZPL at 203 and 300 dpi and passes its check", "[label]") {
    for (int dpi : {203, 300}) {
        INFO(dpi << " dpi");
        const Layout layout = load_layout("roll-50x30", dpi);
        const auto items = builtin_label_items(5);
        const Rendered r = render_zpl(layout, items);
        const VerifyReport report = verify(layout, r);
        REQUIRE(report.labels.size() == 5);
        for (std::size_t i = 0; i < items.size(); ++i) {
            INFO(report.labels[i].problem);
            CHECK(report.labels[i].passed);
            CHECK(report.labels[i].decoded ==
                  "HTTPS://VESPER.EXAMPLE/C/" + items[i].serial + "/" + items[i].values.at("claim_code"));
            CHECK(report.labels[i].module_px * 25.4 / dpi >= 0.33 - 1e-9);
        }
    }
    CHECK_THROWS_AS(render_zpl(load_layout("a4-l7160"), builtin_label_items(1)), Error);
}

TEST_CASE("every built-in layout's PDF passes its check", "[label]") {
    for (const std::string& name : builtin_layout_names()) {
        INFO(name);
        const Layout layout = load_layout(name);
        const Rendered r = render_pdf(layout, builtin_label_items(23));
        const VerifyReport report = verify(layout, r);
        for (const auto& c : report.labels) {
            INFO(c.serial << ": " << c.problem);
            CHECK(c.passed);
        }
        CHECK(report.passed());
    }
}
