// The check before printing. Both formats end in the same raster check: a page at the printer's
// resolution (poppler for a PDF; for ZPL, what the printer would draw from the parsed formats), and per
// label the QR box cut out, decoded with zbar and measured. Everything is per call, so station threads
// may verify concurrently.
#include "vesper/label/verify.hpp"

#include <zbar.h>

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "zpl_detail.hpp"

namespace vesper::label {

namespace {

using namespace zbar; // zbar.h puts its C API in namespace zbar when compiled as C++

// Grey levels below this are ink.
constexpr std::uint8_t kDarkBelow = 128;
// A measured module may be this much under the minimum: edges of a rasterised module land on whole
// pixels, so the average over the symbol is within a fraction of a pixel of the true size.
constexpr double kModuleTolerancePx = 0.5;

struct Raster {
    int width = 0, height = 0;
    std::vector<std::uint8_t> gray; // row-major, 255 = white

    Raster() = default;
    Raster(int w, int h) : width(w), height(h), gray(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), 255) {}
    bool dark(int x, int y) const {
        return gray[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)] <
               kDarkBelow;
    }
    void fill(int x0, int y0, int w, int h) {
        for (int y = std::max(0, y0); y < std::min(height, y0 + h); ++y)
            for (int x = std::max(0, x0); x < std::min(width, x0 + w); ++x)
                gray[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)] = 0;
    }
};

struct Decoded {
    std::string data;
    int min_x = 0, min_y = 0, max_x = 0, max_y = 0; // zbar's outline of the symbol, in the image
};

// The first QR symbol zbar finds in a grey image, with its bytes as encoded (no charset guessing).
// zbar scans every `density`th row and column: at half a module apart, lines still cross each finder
// pattern 14 times, for a fraction of the cost.
std::optional<Decoded> decode_qr(std::vector<std::uint8_t>& gray, int width, int height, int density) {
    std::unique_ptr<zbar_image_scanner_t, decltype(&zbar_image_scanner_destroy)> scanner(zbar_image_scanner_create(),
                                                                                         &zbar_image_scanner_destroy);
    std::unique_ptr<zbar_image_t, decltype(&zbar_image_destroy)> image(zbar_image_create(), &zbar_image_destroy);
    if (!scanner || !image) fail(ErrorKind::internal, "zbar could not start (out of memory)");
    zbar_image_scanner_set_config(scanner.get(), ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner.get(), ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_scanner_set_config(scanner.get(), ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    zbar_image_scanner_set_config(scanner.get(), ZBAR_NONE, ZBAR_CFG_X_DENSITY, density);
    zbar_image_scanner_set_config(scanner.get(), ZBAR_NONE, ZBAR_CFG_Y_DENSITY, density);
    zbar_image_set_format(image.get(), zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(image.get(), static_cast<unsigned>(width), static_cast<unsigned>(height));
    zbar_image_set_data(image.get(), gray.data(), gray.size(), nullptr);
    if (zbar_scan_image(scanner.get(), image.get()) <= 0) return std::nullopt;
    for (const zbar_symbol_t* s = zbar_image_first_symbol(image.get()); s; s = zbar_symbol_next(s)) {
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE) continue;
        Decoded d;
        d.data.assign(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
        const unsigned n = zbar_symbol_get_loc_size(s);
        if (n == 0) return d;
        d.min_x = d.max_x = zbar_symbol_get_loc_x(s, 0);
        d.min_y = d.max_y = zbar_symbol_get_loc_y(s, 0);
        for (unsigned i = 1; i < n; ++i) {
            d.min_x = std::min(d.min_x, zbar_symbol_get_loc_x(s, i));
            d.max_x = std::max(d.max_x, zbar_symbol_get_loc_x(s, i));
            d.min_y = std::min(d.min_y, zbar_symbol_get_loc_y(s, i));
            d.max_y = std::max(d.max_y, zbar_symbol_get_loc_y(s, i));
        }
        return d;
    }
    return std::nullopt;
}

// The symbol's edges measured on the raster (inclusive pixel bounds) and its module size.
struct Measured {
    int left = 0, top = 0, right = 0, bottom = 0;
    double module_px = 0;
};

// Finds the symbol's outer edges from its three finder patterns, near where zbar outlined it: the
// top-left finder's corner is its first ink, its top row is 7 dark modules (the module size), and the
// other two finders' outer edges end the symbol's top row and left column.
std::optional<Measured> measure_symbol(const Raster& r, int x0, int y0, const Decoded& d) {
    auto run_right = [&](int x, int y) {
        int n = 0;
        while (x + n < r.width && r.dark(x + n, y))
            ++n;
        return n;
    };
    auto run_down = [&](int x, int y) {
        int n = 0;
        while (y + n < r.height && r.dark(x, y + n))
            ++n;
        return n;
    };
    auto dark_at = [&](double x, double y) {
        const int xi = static_cast<int>(x), yi = static_cast<int>(y);
        return xi >= 0 && yi >= 0 && xi < r.width && yi < r.height && r.dark(xi, yi);
    };
    // A finder's corner: 7 modules of ink along its top row and left column, a light ring inside,
    // a dark core, and the light separator to its right. Ink that merely sits near the corner (a mark
    // in the quiet zone) fails this.
    auto finder_at = [&](int x, int y) {
        const int across = run_right(x, y), down = run_down(x, y);
        if (across < 7 || std::abs(across - down) > 2) return false;
        const double m = (across + down) / 14.0;
        return !dark_at(x + 1.5 * m, y + 1.5 * m) && dark_at(x + 3.5 * m, y + 3.5 * m) &&
               !dark_at(x + 7.5 * m, y + 3.5 * m) && !dark_at(x + 3.5 * m, y + 7.5 * m);
    };
    const int search = std::max(4, (d.max_x - d.min_x) / 10);
    std::vector<std::tuple<int, int, int>> candidates; // (x + y, x, y): nearest the corner first
    for (int y = std::max(0, y0 + d.min_y - search); y <= std::min(r.height - 1, y0 + d.min_y + search); ++y)
        for (int x = std::max(0, x0 + d.min_x - search); x <= std::min(r.width - 1, x0 + d.min_x + search); ++x)
            if (r.dark(x, y)) candidates.emplace_back(x + y, x, y);
    std::sort(candidates.begin(), candidates.end());
    std::optional<std::pair<int, int>> corner;
    for (const auto& [sum, x, y] : candidates)
        if (finder_at(x, y)) {
            corner = {x, y};
            break;
        }
    if (!corner) return std::nullopt;
    const auto [cx, cy] = *corner;
    const double finder_module = (run_right(cx, cy) + run_down(cx, cy)) / 14.0;
    if (finder_module < 1) return std::nullopt;
    // The top-right finder's top row ends the symbol's first row: walk right from inside it.
    const int mid = static_cast<int>(finder_module / 2);
    int right = x0 + d.max_x - static_cast<int>(3 * finder_module);
    const int row = cy + mid;
    if (right <= cx || right >= r.width || !r.dark(right, row)) return std::nullopt;
    right += run_right(right, row) - 1;
    int bottom = y0 + d.max_y - static_cast<int>(3 * finder_module);
    const int col = cx + mid;
    if (bottom <= cy || bottom >= r.height || !r.dark(col, bottom)) return std::nullopt;
    bottom += run_down(col, bottom) - 1;
    // The finder's run is ragged by a pixel or two, so its module estimate is rough: the symbol's width
    // in modules is the QR size (21, 25, ... 177) nearest the estimate, and must be near it.
    const double estimate = (right - cx + 1) / finder_module;
    const int modules = 17 + 4 * static_cast<int>(std::lround((estimate - 17) / 4));
    if (modules < 21 || modules > 177 || std::abs(estimate - modules) > 1.5) return std::nullopt;
    Measured m;
    m.left = cx;
    m.top = cy;
    m.right = right;
    m.bottom = bottom;
    m.module_px = ((right - cx + 1) + (bottom - cy + 1)) / (2.0 * modules);
    return m;
}

// Blank whole modules between the symbol and the nearest ink on its smallest side, looking as far as
// `limit` modules (within the raster; the page's edge counts as blank paper). Ink within half a module
// of the measured edge is the edge itself: rasterisers round module edges to whole pixels, so a
// symbol's outline is ragged by a pixel.
int quiet_modules(const Raster& r, const Measured& m, int limit) {
    const double mod = m.module_px;
    const int reach = static_cast<int>(std::ceil(limit * mod));
    const int ragged = std::max(1, static_cast<int>(mod / 2));
    auto any_dark = [&](int xa, int xb, int ya, int yb) {
        for (int y = std::max(0, ya); y <= std::min(r.height - 1, yb); ++y)
            for (int x = std::max(0, xa); x <= std::min(r.width - 1, xb); ++x)
                if (r.dark(x, y)) return true;
        return false;
    };
    // From the edge outward, corners included: the whole modules before the first ink.
    auto blank = [&](auto dark_at_distance) {
        int d = ragged + 1;
        while (d <= reach && !dark_at_distance(d))
            ++d;
        return static_cast<int>((d - 1) / mod + 1e-6);
    };
    const int xa = m.left - reach, xb = m.right + reach, ya = m.top - reach, yb = m.bottom + reach;
    const int top = blank([&](int d) { return any_dark(xa, xb, m.top - d, m.top - d); });
    const int bottom = blank([&](int d) { return any_dark(xa, xb, m.bottom + d, m.bottom + d); });
    const int left = blank([&](int d) { return any_dark(m.left - d, m.left - d, ya, yb); });
    const int right = blank([&](int d) { return any_dark(m.right + d, m.right + d, ya, yb); });
    return std::min({top, bottom, left, right});
}

int px(double mm, int dpi) { return static_cast<int>(std::floor(mm * dpi / kMmPerInch + 1e-6)); }

const Field* qr_box_of(const Layout& layout) {
    for (const Field& f : layout.fields)
        if (f.type == FieldType::qr) return &f;
    return nullptr;
}

// A part of a page's raster: x, y, width, height in pixels (within the page).
using Cut = std::function<Raster(int, int, int, int)>;

struct Rect {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0; // x1, y1 exclusive
    bool contains(const Rect& o) const { return o.x0 >= x0 && o.y0 >= y0 && o.x1 <= x1 && o.y1 <= y1; }
};

// The pixels a label's QR check looks at: its QR box, widened by a quiet zone's worth of modules so ink
// just outside the box is seen too, within the page.
Rect qr_region(const Layout& layout, const PlacedLabel& label, const Field& box, int dpi, int page_w, int page_h) {
    const double margin_mm = (kQuietModules + 1) * std::max(label.qr.module_mm, layout.min_module_mm);
    Rect r;
    r.x0 = std::max(0, px(label.x_mm + box.x_mm - margin_mm, dpi));
    r.y0 = std::max(0, px(label.y_mm + box.y_mm - margin_mm, dpi));
    r.x1 = std::min(page_w, px(label.x_mm + box.x_mm + box.width_mm + margin_mm, dpi) + 1);
    r.y1 = std::min(page_h, px(label.y_mm + box.y_mm + box.height_mm + margin_mm, dpi) + 1);
    return r;
}

// Decodes and measures one label's QR on its page, cut from the page's raster at the printer's dpi.
void check_qr(LabelCheck& check, int page_w, int page_h, const Cut& cut, const Layout& layout, const PlacedLabel& label,
              const Field& box, int dpi) {
    const Rect region = qr_region(layout, label, box, dpi, page_w, page_h);
    if (region.x1 - region.x0 < 21 || region.y1 - region.y0 < 21) {
        check.problem = "its QR box is not on the page";
        return;
    }
    Raster crop = cut(region.x0, region.y0, region.x1 - region.x0, region.y1 - region.y0);
    // The expected module size only sets how densely zbar scans; what is measured is the raster's.
    const int density = std::clamp(label.qr.module_dots / 2, 1, 4);
    const auto decoded = decode_qr(crop.gray, crop.width, crop.height, density);
    if (!decoded) {
        check.problem = "no QR code could be decoded in its box at " + std::to_string(dpi) + " dpi";
        return;
    }
    std::vector<std::string> problems;
    check.decoded = decoded->data;
    if (decoded->data != label.payload)
        problems.push_back("the QR code reads " + quote_value(decoded->data) + ", expected " +
                           quote_value(label.payload));
    const auto m = measure_symbol(crop, 0, 0, *decoded);
    if (!m) {
        problems.push_back("the QR symbol's finder patterns could not be measured");
    } else {
        check.module_px = m->module_px;
        check.quiet_modules = quiet_modules(crop, *m, kQuietModules);
        if (check.quiet_modules < kQuietModules)
            problems.push_back("the quiet zone is " + std::to_string(check.quiet_modules) +
                               " modules on its narrowest side, at least " + std::to_string(kQuietModules) +
                               " must be blank");
        const double dot_mm = kMmPerInch / dpi;
        const int min_dots = std::max(1, static_cast<int>(std::ceil(layout.min_module_mm / dot_mm - 1e-9)));
        if (m->module_px + kModuleTolerancePx < min_dots) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "a QR module is %.1f dots, the minimum is %d dots (%.2f mm at %d dpi)",
                          m->module_px, min_dots, layout.min_module_mm, dpi);
            problems.push_back(buf);
        }
    }
    check.problem = join(problems, "; ");
    check.passed = problems.empty();
}

// Labels without a QR box have nothing to decode: their text fit was checked when they were laid out.
void check_label(VerifyReport& report, int page_w, int page_h, const Cut& cut, const Layout& layout,
                 const Rendered& rendered, std::size_t label_index) {
    const PlacedLabel& label = rendered.labels[label_index];
    LabelCheck& check = report.labels[label_index];
    const Field* box = qr_box_of(layout);
    if (!label.has_qr || !box) {
        check.passed = true;
        return;
    }
    check_qr(check, page_w, page_h, cut, layout, label, *box, rendered.dpi);
}

void fail_all(VerifyReport& report, const std::string& problem, bool every = false) {
    for (LabelCheck& c : report.labels) {
        if (!every && (c.passed || !c.problem.empty())) continue;
        c.passed = false;
        c.problem = problem;
    }
}

void quiet_poppler(const std::string&, void*) {}

// Checks the labels on one page. Returns why the page could not be checked, or nothing.
std::optional<std::string> check_pdf_page(VerifyReport& report, const Layout& layout, const Rendered& rendered,
                                          const poppler::page_renderer& renderer, poppler::document& doc, int p,
                                          const std::vector<std::size_t>& on_page) {
    std::unique_ptr<poppler::page> page(doc.create_page(p));
    if (!page) return "poppler cannot read page " + std::to_string(p + 1) + " of the PDF";
    const poppler::rectf size = page->page_rect(poppler::media_box);
    const int page_w = static_cast<int>(std::ceil(size.width() * rendered.dpi / 72.0 - 1e-6));
    const int page_h = static_cast<int>(std::ceil(size.height() * rendered.dpi / 72.0 - 1e-6));
    // The page is rasterised once, over the area its labels' QR regions cover. Each render_page
    // parses the page's content and sets up its fonts again, which cost more than the pixels when
    // regions were rendered one by one; and parts of the page no check looks at are left out.
    const Field* box = qr_box_of(layout);
    std::optional<Rect> area;
    if (box)
        for (std::size_t i : on_page) {
            const Rect r = qr_region(layout, rendered.labels[i], *box, rendered.dpi, page_w, page_h);
            area = !area ? r
                         : Rect{std::min(area->x0, r.x0), std::min(area->y0, r.y0), std::max(area->x1, r.x1),
                                std::max(area->y1, r.y1)};
        }
    std::optional<poppler::image> img;
    bool rendered_ok = true;
    const Cut cut = [&](int x, int y, int w, int h) {
        Raster part(w, h);
        if (!area || !area->contains({x, y, x + w, y + h})) {
            rendered_ok = false;
            return part;
        }
        const int aw = area->x1 - area->x0, ah = area->y1 - area->y0;
        if (!img) img = renderer.render_page(page.get(), rendered.dpi, rendered.dpi, area->x0, area->y0, aw, ah);
        if (!img->is_valid() || img->format() != poppler::image::format_gray8 || img->width() != aw ||
            img->height() != ah) {
            rendered_ok = false;
            return part;
        }
        for (int r = 0; r < h; ++r)
            std::copy_n(img->const_data() +
                            static_cast<std::size_t>(y - area->y0 + r) *
                                static_cast<std::size_t>(img->bytes_per_row()) +
                            static_cast<std::size_t>(x - area->x0),
                        w, &part.gray[static_cast<std::size_t>(r) * static_cast<std::size_t>(w)]);
        return part;
    };
    for (std::size_t i : on_page) {
        check_label(report, page_w, page_h, cut, layout, rendered, i);
        if (!rendered_ok) return "poppler cannot render page " + std::to_string(p + 1) + " of the PDF";
    }
    return std::nullopt;
}

void verify_pdf(VerifyReport& report, const Layout& layout, const Rendered& rendered) {
    // Poppler reports malformed input on stderr unless told otherwise; the report says it instead.
    static std::once_flag quiet;
    std::call_once(quiet, [] { poppler::set_debug_error_function(&quiet_poppler, nullptr); });
    if (rendered.bytes.size() > static_cast<std::size_t>(INT32_MAX))
        return fail_all(report, "the PDF is larger than poppler reads");
    auto load = [&] {
        return std::unique_ptr<poppler::document>(
            poppler::document::load_from_raw_data(rendered.bytes.data(), static_cast<int>(rendered.bytes.size())));
    };
    std::unique_ptr<poppler::document> doc = load();
    if (!doc || doc->is_locked()) return fail_all(report, "poppler cannot read the PDF");
    std::vector<std::vector<std::size_t>> labels_on(static_cast<std::size_t>(doc->pages()));
    for (std::size_t i = 0; i < rendered.labels.size(); ++i)
        if (rendered.labels[i].page >= 0 && rendered.labels[i].page < doc->pages())
            labels_on[static_cast<std::size_t>(rendered.labels[i].page)].push_back(i);
    // Pages are independent: up to 4 threads take every Nth page, each with its own poppler document
    // and renderer (poppler objects are not shared between threads), each writing only its pages'
    // labels' checks.
    const int pages = doc->pages();
    const int threads =
        std::max(1, std::min({static_cast<int>(std::thread::hardware_concurrency()), 4, (pages + 1) / 2}));
    std::vector<std::optional<std::string>> errors(static_cast<std::size_t>(threads));
    auto work = [&](int t, poppler::document* mine) {
        std::unique_ptr<poppler::document> own;
        if (!mine) {
            own = load();
            if (!own) {
                errors[static_cast<std::size_t>(t)] = "poppler cannot read the PDF";
                return;
            }
            mine = own.get();
        }
        poppler::page_renderer renderer;
        // With anti-aliasing each pixel is the share of it the ink covers, so modules on the dot grid come
        // out exactly and the threshold splits edge pixels fairly. Without it, poppler widens every filled
        // rectangle to the pixels it touches: 2-dot modules render as 3 dark and 1 light.
        renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
        renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
        renderer.set_image_format(poppler::image::format_gray8);
        for (int p = t; p < pages; p += threads) {
            const auto& on_page = labels_on[static_cast<std::size_t>(p)];
            if (on_page.empty()) continue;
            if (auto error = check_pdf_page(report, layout, rendered, renderer, *mine, p, on_page)) {
                errors[static_cast<std::size_t>(t)] = std::move(error);
                return;
            }
        }
    };
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads; ++t)
        helpers.emplace_back(work, t, nullptr);
    work(0, doc.get());
    for (std::thread& h : helpers)
        h.join();
    for (const auto& error : errors)
        if (error) return fail_all(report, *error, true);
    fail_all(report, "its page is not in the PDF");
}

// --- ZPL: a parser of what render_zpl writes, and the printer's drawing of it ---

struct ZplField {
    bool has_data = false, hex = false;
    int x = 0, y = 0;
    bool qr = false;
    int font_height = 0;
    int block_width = 0;
    int magnification = 0;
    std::string data; // as written, escapes included
};

struct ZplFormat {
    int width = -1, length = -1;
    bool utf8 = false;
    std::vector<ZplField> fields;
};

std::vector<int> int_params(std::string_view params, std::size_t count, std::string_view command) {
    std::vector<int> out;
    for (const std::string& p : split(params, ',')) {
        const auto v = parse_int(p);
        if (!v || *v < 0 || *v > 32000)
            fail(ErrorCode::label_verify, "ZPL ^" + std::string(command) + " has a bad parameter " + quote_value(p));
        out.push_back(static_cast<int>(*v));
    }
    if (out.size() != count)
        fail(ErrorCode::label_verify, "ZPL ^" + std::string(command) + " takes " + std::to_string(count) +
                                          " numbers, not " + quote_value(params));
    return out;
}

// Parses the formats; Error(label.verify) naming the byte offset for anything render_zpl does not write.
std::vector<ZplFormat> parse_zpl(std::string_view doc) {
    std::vector<ZplFormat> formats;
    std::optional<ZplFormat> format;
    std::optional<ZplField> field;
    std::size_t i = 0;
    auto where = [&](std::size_t at) { return "ZPL at byte " + std::to_string(at) + ": "; };
    while (i < doc.size()) {
        if (doc[i] == '\n' || doc[i] == '\r') {
            ++i;
            continue;
        }
        const std::size_t at = i;
        if (doc[i] != '^' || i + 3 > doc.size())
            fail(ErrorCode::label_verify, where(at) + "expected a ^ command, found " + quote_value(doc.substr(i, 8)));
        const std::string cmd(doc.substr(i + 1, 2));
        i += 3;
        if (cmd == "FD") {
            const std::size_t end = doc.find("^FS", i);
            if (!field || end == std::string_view::npos || doc.substr(i, end - i).find('^') != std::string_view::npos)
                fail(ErrorCode::label_verify, where(at) + "^FD outside a field or not ended by ^FS");
            field->data = std::string(doc.substr(i, end - i));
            field->has_data = true;
            i = end;
            continue;
        }
        std::size_t end = doc.find_first_of("^\n", i);
        if (end == std::string_view::npos) end = doc.size();
        const std::string_view params = doc.substr(i, end - i);
        i = end;
        if (cmd == "XA") {
            if (format) fail(ErrorCode::label_verify, where(at) + "^XA inside a format (no ^XZ before it)");
            format.emplace();
            continue;
        }
        if (!format) fail(ErrorCode::label_verify, where(at) + "^" + cmd + " outside ^XA..^XZ");
        if (cmd == "XZ") {
            if (field) fail(ErrorCode::label_verify, where(at) + "^XZ inside a field (no ^FS)");
            if (format->width < 0 || format->length < 0 || !format->utf8)
                fail(ErrorCode::label_verify, where(at) + "a format without ^CI28, ^PW or ^LL");
            formats.push_back(std::move(*format));
            format.reset();
        } else if (cmd == "CI") {
            if (params != "28")
                fail(ErrorCode::label_verify, where(at) + "^CI" + std::string(params) + " is not UTF-8 (28)");
            format->utf8 = true;
        } else if (cmd == "PW") {
            format->width = int_params(params, 1, cmd)[0];
        } else if (cmd == "LL") {
            format->length = int_params(params, 1, cmd)[0];
        } else if (cmd == "LH") {
            if (int_params(params, 2, cmd) != std::vector<int>{0, 0})
                fail(ErrorCode::label_verify, where(at) + "^LH must be 0,0");
        } else if (cmd == "FO") {
            if (field) fail(ErrorCode::label_verify, where(at) + "^FO inside a field (no ^FS before it)");
            const auto xy = int_params(params, 2, cmd);
            field.emplace();
            field->x = xy[0];
            field->y = xy[1];
        } else if (cmd == "FS") {
            if (!field || !field->has_data)
                fail(ErrorCode::label_verify, where(at) + "^FS without ^FO and ^FD before it");
            if (!field->qr && (field->font_height == 0 || field->block_width == 0))
                fail(ErrorCode::label_verify, where(at) + "a text field without ^A0 and ^FB");
            format->fields.push_back(std::move(*field));
            field.reset();
        } else if (!field) {
            fail(ErrorCode::label_verify, where(at) + "^" + cmd + " before the field's ^FO");
        } else if (cmd == "A0") {
            if (params.empty() || params[0] != 'N')
                fail(ErrorCode::label_verify, where(at) + "^A0 must be upright (N)");
            field->font_height = int_params(params.substr(std::min<std::size_t>(2, params.size())), 2, cmd)[0];
        } else if (cmd == "FB") {
            const auto parts = split(params, ',');
            if (parts.size() != 5 || parts[1] != "1" || parts[2] != "0" || parts[4] != "0" ||
                (parts[3] != "L" && parts[3] != "C" && parts[3] != "R"))
                fail(ErrorCode::label_verify, where(at) + "^FB" + std::string(params) + " is not a one-line block");
            field->block_width = int_params(parts[0], 1, cmd)[0];
        } else if (cmd == "FH") {
            if (!params.empty()) fail(ErrorCode::label_verify, where(at) + "^FH with another indicator than _");
            field->hex = true;
        } else if (cmd == "BQ") {
            const auto parts = split(params, ',');
            if (parts.size() != 3 || parts[0] != "N" || parts[1] != "2")
                fail(ErrorCode::label_verify,
                     where(at) + "^BQ" + std::string(params) + " is not an upright model 2 QR");
            field->qr = true;
            field->magnification = int_params(parts[2], 1, cmd)[0];
            if (field->magnification < 1 || field->magnification > zpl::kMaxMagnification)
                fail(ErrorCode::label_verify, where(at) + "^BQ magnification " + parts[2] + " is not 1-10");
        } else {
            fail(ErrorCode::label_verify, where(at) + "^" + cmd + " is not a command vesperctl writes");
        }
    }
    if (format || field) fail(ErrorCode::label_verify, "ZPL ends inside a format (no ^XZ)");
    return formats;
}

// The payload a ^BQ field carries, after "<ecc>M," and the mode; checks the mode against the data.
std::string zpl_qr_payload(const ZplField& f, QrEcc expected_ecc, bool& alphanumeric) {
    const std::string data = f.hex ? zpl::unescape_field_data(f.data, false) : f.data;
    if (data.size() < 4 || data[1] != 'M' || data[2] != ',')
        throw std::runtime_error("the ^BQ field data does not start with <ecc>M, (manual input)");
    if (std::string(1, data[0]) != to_string(expected_ecc))
        throw std::runtime_error(std::string("the ^BQ error correction is ") + data[0] + ", the layout says " +
                                 to_string(expected_ecc));
    if (data[3] == 'A') {
        alphanumeric = true;
        std::string payload = data.substr(4);
        if (!zpl::qr_alphanumeric(payload))
            throw std::runtime_error("the ^BQ alphanumeric data holds other characters");
        return payload;
    }
    if (data[3] == 'B' && data.size() >= 8) {
        alphanumeric = false;
        const auto count = parse_uint(data.substr(4, 4));
        std::string payload = data.substr(8);
        if (!count || *count != payload.size())
            throw std::runtime_error("the ^BQ byte count " + quote_value(data.substr(4, 4)) + " is not the " +
                                     std::to_string(payload.size()) + " bytes that follow");
        return payload;
    }
    throw std::runtime_error("the ^BQ field data's mode is not A or Bnnnn");
}

void verify_zpl(VerifyReport& report, const Layout& layout, const Rendered& rendered) {
    std::vector<ZplFormat> formats;
    try {
        formats = parse_zpl(rendered.bytes);
    } catch (const Error& e) {
        return fail_all(report, e.what());
    }
    const Field* box = qr_box_of(layout);
    const int dpi = rendered.dpi;
    const int want_w = static_cast<int>(std::lround(layout.width_mm * dpi / kMmPerInch));
    const int want_h = static_cast<int>(std::lround(layout.height_mm * dpi / kMmPerInch));
    for (std::size_t i = 0; i < rendered.labels.size(); ++i) {
        LabelCheck& check = report.labels[i];
        const PlacedLabel& label = rendered.labels[i];
        if (i >= formats.size()) {
            check.problem = "the ZPL has no ^XA..^XZ format for it (" + std::to_string(formats.size()) + " formats)";
            continue;
        }
        const ZplFormat& f = formats[i];
        if (f.width != want_w || f.length != want_h) {
            check.problem = "the ZPL format is " + std::to_string(f.width) + "x" + std::to_string(f.length) +
                            " dots, the label is " + std::to_string(want_w) + "x" + std::to_string(want_h);
            continue;
        }
        Raster r(f.width, f.length);
        int qr_fields = 0;
        try {
            for (const ZplField& field : f.fields) {
                if (!field.qr) {
                    r.fill(field.x, field.y, field.block_width, field.font_height);
                    continue;
                }
                ++qr_fields;
                if (!box) throw std::runtime_error("the ZPL has a QR code, the layout has no QR box");
                bool alnum = false;
                const std::string payload = zpl_qr_payload(field, box->ecc, alnum);
                if (payload != label.payload)
                    throw std::runtime_error("the ^BQ data is " + quote_value(payload) + ", expected " +
                                             quote_value(label.payload));
                const QrSymbol sym = encode_qr_segment(payload, box->ecc, alnum);
                const int mag = field.magnification;
                for (int y = 0; y < sym.width; ++y)
                    for (int x = 0; x < sym.width; ++x)
                        if (sym.dark_at(x, y)) r.fill(field.x + x * mag, field.y + y * mag, mag, mag);
            }
            if (qr_fields != (label.has_qr ? 1 : 0))
                throw std::runtime_error("the ZPL format has " + std::to_string(qr_fields) + " QR fields");
        } catch (const std::runtime_error& e) { // vesper::Error from the decoders too
            check.problem = e.what();
            continue;
        }
        const Cut cut = [&r](int x, int y, int w, int h) {
            Raster part(w, h);
            for (int row = 0; row < h; ++row)
                std::copy_n(&r.gray[static_cast<std::size_t>(y + row) * static_cast<std::size_t>(r.width) +
                                    static_cast<std::size_t>(x)],
                            w, &part.gray[static_cast<std::size_t>(row) * static_cast<std::size_t>(w)]);
            return part;
        };
        check_label(report, r.width, r.height, cut, layout, rendered, i);
    }
    if (formats.size() > rendered.labels.size())
        fail_all(report,
                 "the ZPL has " + std::to_string(formats.size()) + " formats for " +
                     std::to_string(rendered.labels.size()) + " labels",
                 true);
}

} // namespace

bool VerifyReport::passed() const {
    return std::all_of(labels.begin(), labels.end(), [](const LabelCheck& c) { return c.passed; });
}

void VerifyReport::require_passed() const {
    for (const LabelCheck& c : labels)
        if (!c.passed) fail(ErrorCode::label_verify, "label " + c.serial + ": " + c.problem);
}

VerifyReport verify(const Layout& layout, const Rendered& rendered) {
    VerifyReport report;
    report.dpi = rendered.dpi;
    report.labels.resize(rendered.labels.size());
    for (std::size_t i = 0; i < rendered.labels.size(); ++i)
        report.labels[i].serial = rendered.labels[i].serial;
    if (rendered.dpi < 72 || rendered.dpi > 1200) {
        fail_all(report, "the document's resolution " + std::to_string(rendered.dpi) + " dpi is not 72-1200");
        return report;
    }
    if (rendered.format == Format::pdf)
        verify_pdf(report, layout, rendered);
    else
        verify_zpl(report, layout, rendered);
    return report;
}

} // namespace vesper::label
