// Compiling CSV rows into a Template: every check and every encoding that does not depend on fields.
#include <algorithm>
#include <map>

#include "template_impl.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/placeholders.hpp"
#include "vesper/core/text.hpp"
#include "vesper/nvs/page_writer.hpp"

namespace vesper::nvs {

namespace {

bool valid_field_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// Splits "a{{ name }}b" into literal and placeholder segments. Throws Error(input) (reason only).
std::vector<Segment> parse_segments(std::string_view value) {
    const PlaceholderSplit split = split_placeholders(value);
    std::vector<Segment> out;
    for (const TextPiece& piece : split.pieces) {
        if (piece.placeholder && !valid_field_name(piece.text))
            fail(ErrorCode::nvs_template,
                 "bad placeholder " + quote_value(piece.written) + ": names are letters, digits and '_'");
        out.push_back({piece.placeholder, std::string(piece.text)});
    }
    if (!split.unclosed.empty())
        fail(ErrorCode::nvs_template, "placeholder " + quote_value(split.unclosed) + " is never closed with '}}'");
    return out;
}

Bytes read_row_file(const CsvFile& csv, const std::string& value) {
    std::filesystem::path p(value);
    if (p.is_relative()) p = csv.base_dir / p;
    std::error_code ec;
    if (!std::filesystem::exists(p, ec))
        fail(ErrorCode::csv_invalid, "file " + quote_value(value) + " not found (looked for " + p.string() + ")");
    if (!std::filesystem::is_regular_file(p, ec))
        fail(ErrorCode::csv_invalid, "file " + quote_value(value) + " is not a regular file (" + p.string() + ")");
    try {
        return read_file(p);
    } catch (const Error& e) {
        fail(ErrorCode::csv_invalid, "file " + quote_value(value) + ": " + e.what());
    }
}

} // namespace

Template::Template(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

const std::string& Template::source() const { return impl_->source; }
const std::vector<std::string>& Template::placeholders() const { return impl_->placeholders; }
bool Template::uses(const std::string& name) const {
    return std::binary_search(impl_->placeholders.begin(), impl_->placeholders.end(), name);
}

void Template::check_fields(const std::vector<std::string>& fields) const {
    for (const CompiledRow& row : impl_->rows)
        for (const Segment& s : row.segments)
            if (s.placeholder && std::find(fields.begin(), fields.end(), s.text) == fields.end())
                fail(ErrorCode::nvs_template,
                     row.context + "unknown placeholder {{" + s.text + "}} (fields: " + join(fields) + ")");
}

Template Template::compile(const CsvFile& csv, TemplateOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->source = csv.source;
    impl->rows.reserve(csv.rows.size());

    struct NamespaceSeen {
        std::uint8_t index;
        int line;
        std::map<std::string, int> keys; // key -> line, to refuse duplicates
    };
    std::map<std::string, NamespaceSeen> namespaces;
    NamespaceSeen* current = nullptr;
    std::string current_name;

    for (const CsvRow& row : csv.rows) {
        CompiledRow out;
        out.type = row.type;
        out.key = row.key;
        out.context = row_context(csv.source, row.line, row.key);
        try {
            check_key(row.key);
            if (options.placeholders && row.key.find("{{") != std::string::npos)
                fail(ErrorCode::nvs_template, "placeholders are only allowed in values");

            if (row.type == RowType::namespace_) {
                if (auto it = namespaces.find(row.key); it != namespaces.end())
                    fail(ErrorCode::csv_invalid, "namespace opened again (first at line " +
                                                     std::to_string(it->second.line) +
                                                     "); keep each namespace's rows together");
                if (namespaces.size() >= max_namespaces)
                    fail(ErrorCode::csv_invalid, "more than " + std::to_string(max_namespaces) + " namespaces");
                auto index = static_cast<std::uint8_t>(namespaces.size() + 1);
                current = &namespaces.emplace(row.key, NamespaceSeen{index, row.line, {}}).first->second;
                current_name = row.key;
                out.ns = index;
                impl->rows.push_back(std::move(out));
                continue;
            }

            if (!current) fail(ErrorCode::csv_invalid, "data row before any namespace row");
            if (auto [it, added] = current->keys.emplace(row.key, row.line); !added)
                fail(ErrorCode::csv_invalid, "key defined twice in namespace " + quote_value(current_name) +
                                                 " (first at line " + std::to_string(it->second) + ")");
            out.ns = current->index;
            out.encoding = *row.encoding;

            if (row.type == RowType::file) {
                if (options.placeholders && row.value.find("{{") != std::string::npos)
                    fail(ErrorCode::nvs_template, "placeholders are not allowed in file paths");
                Bytes content = read_row_file(csv, row.value);
                if (out.encoding == Encoding::binary) {
                    out.data = std::move(content);
                } else {
                    std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
                    if (out.encoding == Encoding::string && !is_valid_utf8(text))
                        fail(ErrorCode::csv_invalid,
                             "file " + quote_value(row.value) + " is not UTF-8 text (use encoding binary)");
                    encode_value(out.encoding, text, out.integer, out.data);
                }
            } else if (options.placeholders && row.value.find("{{") != std::string::npos) {
                out.dynamic = true;
                out.segments = parse_segments(row.value);
                for (const auto& s : out.segments)
                    if (s.placeholder) impl->placeholders.push_back(s.text);
            } else {
                encode_value(out.encoding, row.value, out.integer, out.data);
            }
        } catch (const Error& e) {
            fail(e, out.context + e.what());
        }
        impl->rows.push_back(std::move(out));
    }

    auto& ph = impl->placeholders;
    std::sort(ph.begin(), ph.end());
    ph.erase(std::unique(ph.begin(), ph.end()), ph.end());
    return Template(std::move(impl));
}

Template Template::load(const std::filesystem::path& csv_path, TemplateOptions options) {
    return compile(read_csv(csv_path), options);
}

Bytes build_image(const std::filesystem::path& csv_path, std::size_t size, Version version, RenderInfo* info) {
    return Template::load(csv_path, TemplateOptions{.placeholders = false}).render({}, size, version, info);
}

} // namespace vesper::nvs
