#include "vesper/label/label_job.hpp"

#include <algorithm>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/printer.hpp"

namespace vesper::label {

bool uses_placeholder(const Layout& layout, std::string_view name) {
    return std::any_of(layout.fields.begin(), layout.fields.end(), [&](const Field& f) {
        const auto names = placeholders_in(f.content);
        return std::find(names.begin(), names.end(), name) != names.end();
    });
}

JobResult produce(const Layout& layout, Format format, const std::vector<LabelItem>& items,
                  const RenderOptions& options, const Delivery& delivery) {
    if (delivery.file.empty() && delivery.printer.empty())
        fail(ErrorKind::input, "a label job needs an output file or a printer");
    JobResult r;
    r.rendered = render(format, layout, items, options);
    r.report = verify(layout, r.rendered);
    r.report.require_passed();
    if (!delivery.file.empty()) write_output(delivery.file, std::string_view(r.rendered.bytes));
    if (!delivery.printer.empty())
        r.print_reply = print(r.rendered, PrintJob{delivery.printer, delivery.title, delivery.copies});
    return r;
}

} // namespace vesper::label
