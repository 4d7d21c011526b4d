// Label layouts: YAML in, a checked Layout out (schema in docs/labels.md).
#include "vesper/label/layout.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <system_error>

#include "builtin_layouts.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/qr.hpp"
#include "vesper/label/text_metrics.hpp"
#include "vesper/yaml/reader.hpp"

namespace vesper::label {

namespace fs = std::filesystem;

namespace {

using yaml::Entry;
using yaml::Kind;
using yaml::Node;
using yaml::Reader;

constexpr double kMaxMm = 1000; // larger than any label or sheet a label printer takes
constexpr double kEpsMm = 1e-6; // layouts are written to 0.01 mm; this only absorbs float error
constexpr const char* kFontDir = "/usr/share/fonts";

// The PDF core fonts that take WinAnsiEncoding (Symbol and ZapfDingbats have their own encodings).
constexpr std::string_view kCoreFonts[] = {
    "Helvetica",   "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
    "Times-Roman", "Times-Bold",     "Times-Italic",      "Times-BoldItalic",
    "Courier",     "Courier-Bold",   "Courier-Oblique",   "Courier-BoldOblique"};

std::string mm_text(double mm) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g mm", std::round(mm * 1000) / 1000);
    return buf;
}

// What a check of the library below (placeholders, text fit, QR fit) says, without the "field 'NAME': "
// it starts with: the location in front already names the field.
std::string reason_of(const Error& e, const std::string& field_name) {
    const std::string what = e.what();
    const std::string prefix = "field '" + field_name + "': ";
    return what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

struct Box {
    double x, y, w, h;
};

bool overlap(const Box& a, const Box& b) {
    return a.x < b.x + b.w - kEpsMm && b.x < a.x + a.w - kEpsMm && a.y < b.y + b.h - kEpsMm && b.y < a.y + a.h - kEpsMm;
}

// A TrueType font by name: NAME.ttf anywhere under /usr/share/fonts (the first in path order, so the
// answer does not depend on the directory's listing order).
fs::path find_installed_font(const std::string& name) {
    std::error_code ec;
    std::vector<fs::path> found;
    const std::string wanted = name + ".ttf";
    for (fs::recursive_directory_iterator it(kFontDir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        if (it->path().filename() == wanted) found.push_back(it->path());
    }
    if (found.empty()) return {};
    std::sort(found.begin(), found.end());
    return found.front();
}

class LayoutReader {
public:
    LayoutReader(const std::string& file, std::optional<int> dpi) : file_(file), r_(file), dpi_override_(dpi) {}

    Layout read(const Node& root) {
        if (root.kind == Kind::null) r_.fail_at(root, "", "the layout is empty (see docs/labels.md)");
        const auto entries = r_.entries(
            root, "", {"name", "label", "sheet", "printer", "calibration", "font", "unicode_font", "fields"});
        Layout l;
        l.file = file_;
        l.name = fs::path(file_).stem().string();
        if (const auto* e = yaml::find(entries, "name")) l.name = r_.string(e->value, "name");

        const auto* label = yaml::find(entries, "label");
        if (!label) r_.fail_at(root, "label", "missing: give the label's size, e.g. label: {width: 50, height: 30}");
        const auto size = r_.entries(label->value, "label", {"width", "height"});
        l.width_mm = required_mm(label->value, size, "label", "width", 1);
        l.height_mm = required_mm(label->value, size, "label", "height", 1);

        if (const auto* e = yaml::find(entries, "printer")) read_printer(e->value, l);
        if (dpi_override_) {
            if (*dpi_override_ < 100 || *dpi_override_ > 1200)
                fail(ErrorCode::label_layout, file_ + ": a printer resolution of " + std::to_string(*dpi_override_) +
                                                  " dpi is out of range (100..1200)");
            l.dpi = *dpi_override_;
        }
        if (const auto* e = yaml::find(entries, "calibration")) read_calibration(e->value, l);

        const Node* font_node = nullptr;
        l.font = Font{"Helvetica", {}};
        if (const auto* e = yaml::find(entries, "font")) {
            font_node = &e->value;
            l.font = resolve_font(e->value, "font");
        }
        l.unicode_font = Font{"DejaVuSans", {}};
        const Node* unicode_node = nullptr;
        if (const auto* e = yaml::find(entries, "unicode_font")) {
            unicode_node = &e->value;
            l.unicode_font = resolve_font(e->value, "unicode_font");
            if (l.unicode_font.core())
                r_.fail_at(e->value, "unicode_font",
                           "'" + l.unicode_font.name +
                               "' is a PDF core font, which sets Latin-1 only: name a TrueType font (DejaVuSans)",
                           ErrorCode::label_font_missing);
        } else {
            l.unicode_font.file = find_installed_font("DejaVuSans");
            if (l.unicode_font.file.empty())
                r_.fail_at(root, "unicode_font",
                           "DejaVuSans.ttf is not under /usr/share/fonts (install fonts-dejavu-core) and the layout "
                           "names no other",
                           ErrorCode::label_font_missing);
        }
        check_loads(l.font, font_node ? *font_node : root, "font");
        check_loads(l.unicode_font, unicode_node ? *unicode_node : root, "unicode_font");

        if (const auto* e = yaml::find(entries, "sheet")) read_sheet(*e, l);

        const auto* fields = yaml::find(entries, "fields");
        if (!fields) r_.fail_at(root, "fields", "missing: a label with nothing on it prints nothing");
        const auto& items = r_.items(fields->value, "fields");
        if (items.empty()) r_.fail_at(fields->value, "fields", "is empty: a label with nothing on it prints nothing");
        for (std::size_t i = 0; i < items.size(); ++i)
            read_field(items[i], i, l);
        return l;
    }

private:
    double required_mm(const Node& map, const std::vector<Entry>& entries, const std::string& field,
                       std::string_view key, double min) const {
        const auto* e = yaml::find(entries, key);
        const std::string where = field + "." + std::string(key);
        if (!e) r_.fail_at(map, where, "missing (millimetres)");
        return r_.number(e->value, where, min, kMaxMm);
    }

    void read_printer(const Node& node, Layout& l) const {
        const auto entries = r_.entries(node, "printer", {"dpi", "min_module"});
        if (const auto* e = yaml::find(entries, "dpi"))
            l.dpi = static_cast<int>(r_.uint(e->value, "printer.dpi", 100, 1200));
        if (const auto* e = yaml::find(entries, "min_module"))
            l.min_module_mm = r_.number(e->value, "printer.min_module", 0.05, 5);
    }

    void read_calibration(const Node& node, Layout& l) const {
        for (const auto& p : r_.entries(node, "calibration", {})) {
            const std::string where = "calibration." + p.key;
            const auto xy = r_.entries(p.value, where, {"x", "y"});
            Offset o;
            if (const auto* e = yaml::find(xy, "x")) o.x_mm = r_.number(e->value, where + ".x", -50, 50);
            if (const auto* e = yaml::find(xy, "y")) o.y_mm = r_.number(e->value, where + ".y", -50, 50);
            l.calibration[p.key] = o;
        }
    }

    // Errors about the grid as a whole are at the `sheet:` line.
    void read_sheet(const Entry& sheet, Layout& l) const {
        const Node& node = sheet.value;
        const auto entries = r_.entries(node, "sheet", {"paper", "rows", "columns", "pitch", "margin"});
        Sheet s;
        const auto* paper = yaml::find(entries, "paper");
        if (!paper) r_.fail_at(node, "sheet.paper", "missing: A4, Letter or {width: mm, height: mm}");
        if (paper->value.kind == Kind::map) {
            const auto size = r_.entries(paper->value, "sheet.paper", {"width", "height"});
            s.paper = "custom";
            s.width_mm = required_mm(paper->value, size, "sheet.paper", "width", 1);
            s.height_mm = required_mm(paper->value, size, "sheet.paper", "height", 1);
        } else {
            s.paper = r_.choice(paper->value, "sheet.paper", {"A4", "Letter"});
            s.width_mm = s.paper == "A4" ? 210 : 215.9;
            s.height_mm = s.paper == "A4" ? 297 : 279.4;
        }
        const auto count = [&](std::string_view key) {
            const auto* e = yaml::find(entries, key);
            const std::string where = "sheet." + std::string(key);
            if (!e) r_.fail_at(node, where, "missing (labels on the sheet)");
            return static_cast<int>(r_.uint(e->value, where, 1, 100));
        };
        s.rows = count("rows");
        s.columns = count("columns");
        s.pitch_x_mm = l.width_mm;
        s.pitch_y_mm = l.height_mm;
        const Node* pitch_node = &sheet.key_node;
        if (const auto* e = yaml::find(entries, "pitch")) {
            pitch_node = &e->value;
            const auto xy = r_.entries(e->value, "sheet.pitch", {"x", "y"});
            if (const auto* v = yaml::find(xy, "x")) s.pitch_x_mm = r_.number(v->value, "sheet.pitch.x", 1, kMaxMm);
            if (const auto* v = yaml::find(xy, "y")) s.pitch_y_mm = r_.number(v->value, "sheet.pitch.y", 1, kMaxMm);
        }
        if (const auto* e = yaml::find(entries, "margin")) {
            const auto lt = r_.entries(e->value, "sheet.margin", {"left", "top"});
            if (const auto* v = yaml::find(lt, "left"))
                s.margin_left_mm = r_.number(v->value, "sheet.margin.left", 0, kMaxMm);
            if (const auto* v = yaml::find(lt, "top"))
                s.margin_top_mm = r_.number(v->value, "sheet.margin.top", 0, kMaxMm);
        }
        if (s.columns > 1 && s.pitch_x_mm < l.width_mm - kEpsMm)
            r_.fail_at(*pitch_node, "sheet.pitch.x",
                       "labels overlap: the pitch " + mm_text(s.pitch_x_mm) + " is less than the label's width " +
                           mm_text(l.width_mm),
                       ErrorCode::label_layout);
        if (s.rows > 1 && s.pitch_y_mm < l.height_mm - kEpsMm)
            r_.fail_at(*pitch_node, "sheet.pitch.y",
                       "labels overlap: the pitch " + mm_text(s.pitch_y_mm) + " is less than the label's height " +
                           mm_text(l.height_mm),
                       ErrorCode::label_layout);
        const double right = s.margin_left_mm + s.pitch_x_mm * (s.columns - 1) + l.width_mm;
        const double bottom = s.margin_top_mm + s.pitch_y_mm * (s.rows - 1) + l.height_mm;
        if (right > s.width_mm + kEpsMm)
            r_.fail_at(sheet.key_node, "sheet",
                       std::to_string(s.columns) + " columns end " + mm_text(right) + " from the left edge, the " +
                           s.paper + " paper is " + mm_text(s.width_mm) + " wide",
                       ErrorCode::label_layout);
        if (bottom > s.height_mm + kEpsMm)
            r_.fail_at(sheet.key_node, "sheet",
                       std::to_string(s.rows) + " rows end " + mm_text(bottom) + " from the top edge, the " + s.paper +
                           " paper is " + mm_text(s.height_mm) + " high",
                       ErrorCode::label_layout);
        l.sheet = s;
    }

    Font resolve_font(const Node& node, const std::string& field) const {
        const std::string name = r_.string(node, field);
        for (auto core : kCoreFonts)
            if (core == name) return Font{name, {}};
        const bool is_path = name.find('/') != std::string::npos || ends_with_ttf(name);
        if (is_path) {
            fs::path p(name);
            if (p.is_relative()) p = fs::path(file_).parent_path() / p;
            std::error_code ec;
            if (!fs::is_regular_file(p, ec))
                r_.fail_at(node, field, "the font file " + p.string() + " does not exist",
                           ErrorCode::label_font_missing);
            return Font{p.stem().string(), p};
        }
        fs::path found = find_installed_font(name);
        if (found.empty())
            r_.fail_at(node, field,
                       "'" + name + "' is neither a PDF core font (" + join(kCoreFonts) + ") nor a " + name +
                           ".ttf under " + kFontDir,
                       ErrorCode::label_font_missing);
        return Font{name, found};
    }

    static bool ends_with_ttf(const std::string& s) {
        if (s.size() < 4) return false;
        std::string tail = s.substr(s.size() - 4);
        for (auto& c : tail)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return tail == ".ttf";
    }

    // A TrueType file that exists may still not be one libharu can read.
    void check_loads(const Font& font, const Node& node, const std::string& field) {
        try {
            metrics_.line_height_mm(font, 10);
        } catch (const Error& e) {
            r_.fail_at(node, field, e.what(), ErrorCode::label_font_missing);
        }
    }

    void read_field(const Node& node, std::size_t index, Layout& l) {
        std::string where = "fields[" + std::to_string(index) + "]";
        const auto entries = r_.entries(
            node, where,
            {"name", "text", "qr", "x", "y", "width", "height", "size", "font_size", "align", "font", "ecc"});
        Field f;
        f.line = node.line;
        const auto* name = yaml::find(entries, "name");
        if (!name) r_.fail_at(node, where, "has no name (errors and the ledger name fields by it)");
        f.name = r_.string(name->value, where + ".name");
        where = "fields." + f.name;
        for (const Field& other : l.fields)
            if (other.name == f.name)
                r_.fail_at(name->value, where + ".name",
                           "the name is also the field's on line " + std::to_string(other.line));

        const auto* text = yaml::find(entries, "text");
        const auto* qr = yaml::find(entries, "qr");
        if ((text != nullptr) == (qr != nullptr))
            r_.fail_at(node, where, "give one of text: (a text template) and qr: (a QR payload template)");
        f.type = qr ? FieldType::qr : FieldType::text;
        const Entry& content = qr ? *qr : *text;
        f.content = r_.string(content.value, where + "." + content.key);
        check_placeholders(content.value, where + "." + content.key, f.content);

        for (const auto& e : entries) {
            const bool text_only =
                e.key == "width" || e.key == "height" || e.key == "font_size" || e.key == "align" || e.key == "font";
            const bool qr_only = e.key == "size" || e.key == "ecc";
            if ((text_only && qr) || (qr_only && text))
                r_.fail_at(e.key_node, where + "." + e.key,
                           std::string("belongs to a ") + (qr_only ? "qr: box" : "text: field") +
                               (qr ? " (a QR box is square: give size:)" : ""));
        }
        f.x_mm = required_mm(node, entries, where, "x", 0);
        f.y_mm = required_mm(node, entries, where, "y", 0);
        if (qr) {
            f.width_mm = f.height_mm = required_mm(node, entries, where, "size", 1);
            if (const auto* e = yaml::find(entries, "ecc")) {
                const std::string ecc = r_.choice(e->value, where + ".ecc", {"L", "M", "Q", "H"});
                f.ecc = ecc == "L" ? QrEcc::L : ecc == "M" ? QrEcc::M : ecc == "Q" ? QrEcc::Q : QrEcc::H;
            }
            for (const Field& other : l.fields)
                if (other.type == FieldType::qr)
                    r_.fail_at(node, where,
                               "a second QR box (the first is '" + other.name + "' on line " +
                                   std::to_string(other.line) + "); a label carries one",
                               ErrorCode::label_layout);
        } else {
            f.width_mm = required_mm(node, entries, where, "width", 0.5);
            f.height_mm = required_mm(node, entries, where, "height", 0.5);
            if (const auto* e = yaml::find(entries, "font_size"))
                f.font_size_pt = r_.number(e->value, where + ".font_size", 2, 144);
            if (const auto* e = yaml::find(entries, "align")) {
                const std::string a = r_.choice(e->value, where + ".align", {"left", "center", "right"});
                f.align = a == "left" ? Align::left : a == "center" ? Align::center : Align::right;
            }
            f.font = l.font;
            if (const auto* e = yaml::find(entries, "font")) {
                f.font = resolve_font(e->value, where + ".font");
                check_loads(f.font, e->value, where + ".font");
            }
        }

        if (f.x_mm + f.width_mm > l.width_mm + kEpsMm || f.y_mm + f.height_mm > l.height_mm + kEpsMm)
            r_.fail_at(node, where,
                       "the box (" + mm_text(f.x_mm) + ", " + mm_text(f.y_mm) + ") " + mm_text(f.width_mm) + " x " +
                           mm_text(f.height_mm) + " leaves the " + mm_text(l.width_mm) + " x " + mm_text(l.height_mm) +
                           " label",
                       ErrorCode::label_layout);
        const Box box{f.x_mm, f.y_mm, f.width_mm, f.height_mm};
        for (const Field& other : l.fields)
            if (overlap(box, Box{other.x_mm, other.y_mm, other.width_mm, other.height_mm}))
                r_.fail_at(node, where,
                           "the box overlaps field '" + other.name + "' (line " + std::to_string(other.line) + ")",
                           ErrorCode::label_layout);

        // The sample record holds the longest value of every placeholder: what fits here fits any device.
        try {
            const std::string sample = expand(f.content, sample_values());
            if (qr) {
                place_qr(f, encode_qr(sample, f.ecc), l.dpi, l.min_module_mm);
            } else {
                check_text_fits(metrics_, l, f, sample);
            }
        } catch (const Error& e) {
            r_.fail_at(node, where, reason_of(e, f.name) + " (with the longest values)", e.code());
        }
        l.fields.push_back(std::move(f));
    }

    void check_placeholders(const Node& node, const std::string& where, const std::string& tmpl) const {
        std::vector<std::string> names;
        try {
            names = placeholders_in(tmpl);
        } catch (const Error& e) {
            r_.fail_at(node, where, e.what(), ErrorCode::label_placeholder);
        }
        const auto& known = placeholder_names();
        for (const auto& n : names)
            if (std::find(known.begin(), known.end(), n) == known.end())
                r_.fail_at(node, where, "unknown placeholder {{" + n + "}} (placeholders: " + join(known) + ")",
                           ErrorCode::label_placeholder);
    }

    std::string file_;
    Reader r_;
    std::optional<int> dpi_override_;
    TextMetrics metrics_;
};

} // namespace

Offset Layout::offset_for(std::string_view printer) const {
    if (auto it = calibration.find(std::string(printer)); !printer.empty() && it != calibration.end())
        return it->second;
    if (auto it = calibration.find("default"); it != calibration.end()) return it->second;
    return {};
}

const Field* Layout::qr_field() const {
    for (const Field& f : fields)
        if (f.type == FieldType::qr) return &f;
    return nullptr;
}

Layout parse_layout(std::string_view yaml_text, const std::string& file, std::optional<int> dpi) {
    try {
        const yaml::Node root = yaml::parse(yaml_text, file);
        return LayoutReader(file, dpi).read(root);
    } catch (const yaml::LocatedError& e) {
        // The YAML reader's own errors (syntax, unknown keys, types) are the layout's: label.layout.
        if (e.code() == ErrorCode::config_invalid) throw yaml::LocatedError(ErrorCode::label_layout, e.what());
        throw;
    }
}

Layout load_layout(std::string_view name_or_path, std::optional<int> dpi) {
    const std::string name(name_or_path);
    std::error_code ec;
    const bool looks_like_file = name.find('/') != std::string::npos ||
                                 (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0) ||
                                 fs::exists(name, ec);
    if (!looks_like_file) {
        const auto text = builtin_layout_text(name);
        if (!text)
            fail(ErrorCode::label_layout, "'" + name + "' is neither a layout file nor a built-in layout (" +
                                              join(builtin_layout_names()) + ")");
        return parse_layout(*text, "templates/labels/" + name + ".yaml", dpi);
    }
    return parse_layout(read_text_file(name), name, dpi);
}

std::vector<std::string> builtin_layout_names() {
    std::vector<std::string> names;
    for (const auto& b : builtin_layouts())
        names.emplace_back(b.name);
    return names;
}

std::optional<std::string_view> builtin_layout_text(std::string_view name) {
    for (const auto& b : builtin_layouts())
        if (b.name == name) return b.text;
    return std::nullopt;
}

} // namespace vesper::label
