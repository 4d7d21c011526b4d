// PDF labels (src/label/render_pdf.cpp) checked with tools vesperctl does not use itself: poppler-utils
// (pdfinfo for page sizes, pdftoppm to rasterise at 203 and 300 dpi, pdftotext for text and word
// boxes, pdffonts, pdfimages) and zbar-tools' zbarimg to decode every QR code. scripts/install-deps
// installs them; a missing tool fails the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "label_tools.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include "vesper/core/error.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"

using namespace vesper;
using namespace vesper::label;
namespace fs = std::filesystem;
using vesper::test::decode_pages;
using vesper::test::tool;

namespace {

const std::string kSecret = "label-test-claim-secret-0123456789";

ledger::Device device(int i) {
    static const char* kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    ledger::Device d;
    d.serial = "PV-26DEC-BC02K-7Q";
    d.serial += kAlphabet[(i * 7) % 32];
    d.serial += kAlphabet[(i * 13 + 5) % 32];
    d.serial += kAlphabet[i % 32];
    d.hw_type = i % 2 ? "BC" : "LX";
    d.hw_version = "0" + std::to_string(1 + i % 3);
    d.batch_id = 40 + i;
    char mac[18];
    std::snprintf(mac, sizeof mac, "24:0a:c4:12:%02x:%02x", i, 255 - i);
    d.mac = mac;
    d.subscription_plan = "standard";
    d.available_outputs = 8;
    d.created_at = "2026-11-30T08:00:00Z";
    d.flashed_at = "2026-12-0" + std::to_string(1 + i % 4) + "T09:30:00Z";
    return d;
}

std::vector<LabelItem> items_for(int count, bool with_claim) {
    std::vector<LabelItem> items;
    for (int i = 0; i < count; ++i) {
        const auto d = device(i);
        items.push_back({d.serial, device_values(d, with_claim ? creds::claim_code(kSecret, d.serial) : "")});
    }
    return items;
}

fs::path write_pdf(const test::TempDir& dir, const std::string& name, const Rendered& r) {
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << r.bytes;
    return path;
}

// Every page's size in mm, from pdfinfo ("Page    1 size: 141.732 x 85.0394 pts").
std::vector<std::pair<double, double>> page_sizes_mm(const fs::path& pdf, int pages) {
    const auto r = tool({"pdfinfo", "-f", "1", "-l", std::to_string(pages), pdf.string()});
    INFO(r.out);
    std::vector<std::pair<double, double>> sizes;
    const std::regex line(R"(Page +\d+ size: +([0-9.]+) x ([0-9.]+) pts)");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it)
        sizes.emplace_back(std::stod((*it)[1]) / kPtPerMm, std::stod((*it)[2]) / kPtPerMm);
    const std::regex count(R"(Pages: +(\d+))");
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, count));
    CHECK(std::stoi(m[1]) == pages);
    return sizes;
}

// What the labels should carry, per page, sorted like decode_pages.
std::vector<std::vector<std::string>> expected_payloads(const Rendered& r) {
    std::vector<std::vector<std::string>> pages(static_cast<std::size_t>(r.pages));
    for (const auto& l : r.labels)
        pages[static_cast<std::size_t>(l.page)].push_back(l.payload);
    for (auto& p : pages)
        std::sort(p.begin(), p.end());
    return pages;
}

// pdftotext's text with every run of spaces as one (it does not keep a layout's double spaces).
std::string squeezed(const std::string& s) {
    std::string out;
    for (char c : s)
        if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
    return out;
}

std::string pdf_text(const fs::path& pdf) { return squeezed(tool({"pdftotext", pdf.string(), "-"}).out); }

struct WordBox {
    double x_min, y_min, x_max, y_max; // points, from the page's top-left
};

// The box of the first word `word` on page 1, from pdftotext -bbox.
WordBox word_box(const fs::path& pdf, const std::string& word) {
    const auto r = tool({"pdftotext", "-bbox", "-f", "1", "-l", "1", pdf.string(), "-"});
    const std::regex re("<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">" + word +
                        "</word>");
    std::smatch m;
    INFO(r.out);
    REQUIRE(std::regex_search(r.out, m, re));
    return {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])};
}

void check_no_images(const fs::path& pdf) {
    const auto r = tool({"pdfimages", "-list", pdf.string()});
    // Only the two header lines: the QR codes are vector rectangles.
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
}

// Renders `count` devices with a built-in layout and checks the PDF the way a reader sees it.
void check_builtin(const std::string& name, int count, bool with_claim) {
    INFO("layout " << name);
    const Layout layout = load_layout(name);
    const auto items = items_for(count, with_claim);
    const Rendered r = render_pdf(layout, items);
    CHECK(r.format == Format::pdf);
    CHECK(r.bytes.rfind("%PDF-", 0) == 0);
    const int per_page = layout.labels_per_page();
    CHECK(r.pages == (count + per_page - 1) / per_page);
    REQUIRE(r.labels.size() == items.size());

    test::TempDir dir;
    const auto pdf = write_pdf(dir, name + ".pdf", r);
    const auto sizes = page_sizes_mm(pdf, r.pages);
    REQUIRE(sizes.size() == static_cast<std::size_t>(r.pages));
    for (const auto& [w, h] : sizes) {
        CHECK(w == Approx(layout.page_width_mm()).margin(0.01));
        CHECK(h == Approx(layout.page_height_mm()).margin(0.01));
    }

    // The payloads the ledger's devices should carry, computed here, not taken from the renderer.
    std::vector<std::string> wanted;
    for (int i = 0; i < count; ++i) {
        const auto d = device(i);
        wanted.push_back(with_claim
                             ? "HTTPS://VESPER.EXAMPLE/C/" + d.serial + "/" + creds::claim_code(kSecret, d.serial)
                             : d.serial);
    }
    std::vector<std::string> laid_out;
    for (const auto& l : r.labels)
        laid_out.push_back(l.payload);
    CHECK(laid_out == wanted);

    const auto expected = expected_payloads(r);
    CHECK(decode_pages(pdf, 203, false) == expected);
    CHECK(decode_pages(pdf, 300, true) == expected);
    std::vector<std::string> decoded_all;
    for (const auto& page : decode_pages(pdf, 300, true))
        decoded_all.insert(decoded_all.end(), page.begin(), page.end());
    std::sort(wanted.begin(), wanted.end());
    std::sort(decoded_all.begin(), decoded_all.end());
    CHECK(decoded_all == wanted);

    const std::string text = pdf_text(pdf);
    for (int i = 0; i < count; ++i) {
        const auto d = device(i);
        const auto v = device_values(d);
        INFO(d.serial);
        CHECK(text.find(d.serial) != std::string::npos);
        CHECK(text.find("MAC " + v.at("mac")) != std::string::npos);
        CHECK(text.find("Vesper " + d.hw_type + " rev " + d.hw_version) != std::string::npos);
        CHECK(text.find("Batch " + std::to_string(d.batch_id) + " DC " + v.at("date_code")) != std::string::npos);
        if (with_claim && name != "ql-62x29")
            CHECK(text.find(creds::claim_code(kSecret, d.serial)) != std::string::npos);
    }
    CHECK(text.find("FCC ID: 2AXYZ-BC02 CE") != std::string::npos);
    check_no_images(pdf);
}

} // namespace

TEST_CASE("label pdf: roll-50x30, one page per label, every QR decodes at 203 and 300 dpi", "[label][pdf]") {
    check_builtin("roll-50x30", 4, true);
}

TEST_CASE("label pdf: ql-62x29, the serial alone in the QR code", "[label][pdf]") {
    check_builtin("ql-62x29", 3, false);
}

TEST_CASE("label pdf: a4-l7160, 23 labels fill one sheet of 21 and start a second", "[label][pdf]") {
    check_builtin("a4-l7160", 23, true);
}

TEST_CASE("label pdf: each built-in at the other resolution still decodes at that resolution", "[label][pdf]") {
    for (const auto& name : builtin_layout_names()) {
        const int other = load_layout(name).dpi == 203 ? 300 : 203;
        INFO(name << " at " << other << " dpi");
        const Layout layout = load_layout(name, other);
        const Rendered r = render_pdf(layout, items_for(2, name != "ql-62x29"));
        CHECK(r.dpi == other);
        for (const auto& l : r.labels) {
            // A module is a whole number of dots at this resolution, and at least the layout's minimum.
            const double dots = l.qr.module_mm / (kMmPerInch / other);
            CHECK(dots == Approx(std::round(dots)).margin(1e-9));
            CHECK(l.qr.module_mm >= layout.min_module_mm);
        }
        test::TempDir dir;
        const auto pdf = write_pdf(dir, name + ".pdf", r);
        CHECK(decode_pages(pdf, other, true) == expected_payloads(r));
    }
}

TEST_CASE("label pdf: a sheet started part-way fills the free positions first", "[label][pdf]") {
    const Layout layout = load_layout("a4-l7160");
    const Rendered r = render_pdf(layout, items_for(4, true), RenderOptions{"", 19});
    CHECK(r.pages == 2);
    REQUIRE(r.labels.size() == 4);
    CHECK(r.labels[0].row == 6);
    CHECK(r.labels[0].column == 1);
    CHECK(r.labels[2].page == 1);
    test::TempDir dir;
    const auto pdf = write_pdf(dir, "part.pdf", r);
    const auto decoded = decode_pages(pdf, 300, true);
    REQUIRE(decoded.size() == 2);
    CHECK(decoded[0].size() == 2);
    CHECK(decoded[1].size() == 2);
    CHECK(decoded == expected_payloads(r));
}

TEST_CASE("label pdf: Greek and Cyrillic text is set in embedded DejaVu Sans and comes out as text", "[label][pdf]") {
    const std::string yaml = R"(label: {width: 60, height: 30}
printer: {dpi: 300}
fields:
  - {name: qr, qr: "{{serial_number}}", x: 1, y: 1, size: 18}
  - {name: greek, text: "Σειριακός αριθμός", x: 20, y: 2, width: 39, height: 5, font_size: 8}
  - {name: russian, text: "Серийный номер", x: 20, y: 8, width: 39, height: 5, font_size: 8}
  - {name: serial, text: "{{serial_number}}", x: 20, y: 14, width: 39, height: 5, font_size: 8}
)";
    const Layout layout = parse_layout(yaml, "unicode.yaml");
    const Rendered r = render_pdf(layout, items_for(2, false));
    test::TempDir dir;
    const auto pdf = write_pdf(dir, "unicode.pdf", r);
    const std::string text = pdf_text(pdf);
    CHECK(text.find("Σειριακός αριθμός") != std::string::npos);
    CHECK(text.find("Серийный номер") != std::string::npos);
    CHECK(text.find(device(1).serial) != std::string::npos);

    // pdffonts: name type encoding emb sub uni object ID; DejaVu Sans embedded, Helvetica not needed to be.
    const auto fonts = tool({"pdffonts", pdf.string()}).out;
    INFO(fonts);
    bool dejavu_embedded = false, helvetica = false;
    std::istringstream lines(fonts);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream cols(line);
        std::vector<std::string> c;
        for (std::string w; cols >> w;)
            c.push_back(w);
        if (line.find("DejaVuSans") != std::string::npos && c.size() >= 5)
            dejavu_embedded = dejavu_embedded || std::find(c.begin(), c.end(), "yes") != c.end();
        if (!c.empty() && c[0] == "Helvetica") helvetica = true;
    }
    CHECK(dejavu_embedded);
    CHECK(helvetica);
    CHECK(decode_pages(pdf, 300, true) == expected_payloads(r));
    check_no_images(pdf);
}

TEST_CASE("label pdf: text sits where its box and alignment say, moved by the printer's calibration", "[label][pdf]") {
    const std::string yaml = R"(label: {width: 80, height: 30}
printer: {dpi: 300}
calibration:
  shifted: {x: 1.5, y: -2}
fields:
  - {name: left, text: "LEFTWORD", x: 10, y: 5, width: 60, height: 6, font_size: 10}
  - {name: centre, text: "MIDWORD", x: 10, y: 12, width: 60, height: 6, font_size: 10, align: center}
  - {name: right, text: "RIGHTWORD", x: 10, y: 19, width: 60, height: 6, font_size: 10, align: right}
)";
    const Layout layout = parse_layout(yaml, "align.yaml");
    test::TempDir dir;
    const auto plain = write_pdf(dir, "plain.pdf", render_pdf(layout, items_for(1, false)));
    const auto shifted =
        write_pdf(dir, "shifted.pdf", render_pdf(layout, items_for(1, false), RenderOptions{"shifted", 0}));
    const double k = kPtPerMm;
    const WordBox l = word_box(plain, "LEFTWORD");
    const WordBox c = word_box(plain, "MIDWORD");
    const WordBox r = word_box(plain, "RIGHTWORD");
    CHECK(l.x_min == Approx(10 * k).margin(0.5));
    CHECK((c.x_min + c.x_max) / 2 == Approx(40 * k).margin(0.5));
    CHECK(r.x_max == Approx(70 * k).margin(0.5));
    // Vertically centred: the word's box (ascent to descent) centred on the field's.
    CHECK((l.y_min + l.y_max) / 2 == Approx(8 * k).margin(1.0));
    CHECK((r.y_min + r.y_max) / 2 == Approx(22 * k).margin(1.0));
    const WordBox moved = word_box(shifted, "LEFTWORD");
    CHECK(moved.x_min - l.x_min == Approx(1.5 * k).margin(0.05));
    CHECK(moved.y_min - l.y_min == Approx(-2 * k).margin(0.05));
}

TEST_CASE("label pdf: a device whose values do not fit fails before any PDF exists", "[label][pdf]") {
    const Layout layout = load_layout("roll-50x30");
    // No claim secret: {{claim_code}} has no value.
    try {
        render_pdf(layout, items_for(1, false));
        FAIL("rendered without a claim code");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_placeholder);
        CHECK(std::string(e.what()).find(device(0).serial) != std::string::npos);
    }
    auto items = items_for(2, true);
    items[1].values["batch_id"] = std::string(40, '9');
    try {
        render_pdf(layout, items);
        FAIL("rendered an overflowing batch id");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_text_overflow);
        CHECK(std::string(e.what()).find("field 'batch'") != std::string::npos);
    }
    CHECK_THROWS_AS(render_pdf(layout, {}), Error);
}
