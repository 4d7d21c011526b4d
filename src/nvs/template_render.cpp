// Rendering a compiled Template: the hot path of `nvs batch`. Per image: one fill of the buffer, the
// placeholder substitutions, and the entry CRCs; no parsing, no file access.
#include "template_impl.hpp"
#include "vesper/core/error.hpp"
#include "vesper/nvs/page_writer.hpp"

namespace vesper::nvs {

void encode_value(Encoding e, std::string_view text, std::uint64_t& integer, Bytes& data) {
    switch (e) {
    case Encoding::string:
        data.assign(text.begin(), text.end());
        data.push_back(0);
        return;
    case Encoding::binary: data.assign(text.begin(), text.end()); return;
    case Encoding::hex2bin: decode_hex_into(text, data); return;
    case Encoding::base64: decode_base64_into(text, data); return;
    default: integer = encode_integer(e, text); return;
    }
}

namespace {

void write_value(PageWriter& w, const CompiledRow& row, std::uint64_t integer, const Bytes& data) {
    switch (row.encoding) {
    case Encoding::string: w.write_string(row.ns, row.key, data); break;
    case Encoding::binary:
    case Encoding::hex2bin:
    case Encoding::base64: w.write_blob(row.ns, row.key, data); break;
    default: w.write_integer(row.ns, row.key, item_type(row.encoding), integer); break;
    }
}

} // namespace

RenderInfo Template::render_into(const Fields& fields, std::size_t size, Version version, Bytes& out) const {
    out.resize(size);
    PageWriter writer(out, version); // checks the size and erases the buffer to 0xFF
    RenderInfo info;
    std::string text;
    Bytes data;
    for (const CompiledRow& row : impl_->rows) {
        try {
            if (row.type == RowType::namespace_) {
                writer.write_namespace(row.key, row.ns);
                ++info.namespaces;
                continue;
            }
            if (!row.dynamic) {
                write_value(writer, row, row.integer, row.data);
            } else {
                text.clear();
                for (const Segment& s : row.segments) {
                    if (!s.placeholder) {
                        text += s.text;
                        continue;
                    }
                    auto it = fields.find(s.text);
                    if (it == fields.end())
                        fail(ErrorCode::nvs_template, "unknown placeholder {{" + s.text + "}} (no such field)");
                    text += it->second;
                }
                std::uint64_t integer = 0;
                encode_value(row.encoding, text, integer, data);
                write_value(writer, row, integer, data);
            }
            ++info.values;
        } catch (const Error& e) {
            // A value filled in from the fields that does not encode is the template's problem, not a
            // CSV's; anything else (nvs.full, a literal value too long, ...) keeps its code.
            if (row.dynamic && e.code() == ErrorCode::csv_invalid)
                fail(ErrorCode::nvs_template, row.context + e.what());
            fail(e, row.context + e.what());
        }
    }
    info.slots_used = writer.slots_used();
    info.pages_used = writer.pages_used();
    return info;
}

Bytes Template::render(const Fields& fields, std::size_t size, Version version, RenderInfo* info) const {
    Bytes out;
    RenderInfo i = render_into(fields, size, version, out);
    if (info) *info = i;
    return out;
}

} // namespace vesper::nvs
