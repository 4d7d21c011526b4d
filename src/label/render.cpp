// The output formats by name, and rendering by format.
#include "vesper/label/render.hpp"

namespace vesper::label {

const char* to_string(Format f) {
    switch (f) {
    case Format::pdf: return "pdf";
    case Format::zpl: return "zpl";
    }
    return "?";
}

Rendered render(Format format, const Layout& layout, const std::vector<LabelItem>& items,
                const RenderOptions& options) {
    return format == Format::zpl ? render_zpl(layout, items, options) : render_pdf(layout, items, options);
}

} // namespace vesper::label
