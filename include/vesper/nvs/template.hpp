#pragma once
// An NVS CSV compiled once, rendered many times. Values may hold `{{name}}` placeholders filled from a
// field map at render time (the mass-manufacturing case). Everything that does not depend on the
// fields (row checks, namespace indices, file contents, encoded placeholder-free values) is done when
// compiling, so rendering is a fill of the image, a few substitutions and the CRCs.
//
// A plain CSV is a template without placeholders; build_image() compiles with placeholders off, so
// `{{` in a plain CSV is literal text, as in the reference generator.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/nvs/csv.hpp"
#include "vesper/nvs/format.hpp"

namespace vesper::nvs {

using Fields = std::map<std::string, std::string>;

struct TemplateOptions {
    bool placeholders = true; // false: `{{...}}` is ordinary text
};

// What one render wrote.
struct RenderInfo {
    std::size_t namespaces = 0;
    std::size_t values = 0;     // key/value items, namespaces not counted
    std::size_t slots_used = 0; // 32-byte entries
    std::size_t pages_used = 0; // pages holding entries (the rest of the image stays erased)
};

class Template {
public:
    // Compiles parsed rows: checks keys (length, duplicates within a namespace), namespaces (no
    // re-opening, at most 254), placeholders (only in data values) and encodes every value that has no
    // placeholder, reading `file` rows. Errors are Error(input) "SOURCE:LINE: key 'k': reason".
    static Template compile(const CsvFile& csv, TemplateOptions options = {});
    static Template load(const std::filesystem::path& csv_path, TemplateOptions options = {});

    ~Template();
    Template(Template&&) noexcept;
    Template& operator=(Template&&) noexcept;

    const std::string& source() const;
    // Placeholder names used, sorted, each once.
    const std::vector<std::string>& placeholders() const;
    bool uses(const std::string& name) const;
    // Error(input) "SOURCE:LINE: key 'k': unknown placeholder {{name}} (fields: ...)" for the first
    // placeholder not in `fields`: what every render would fail on, found before any.
    void check_fields(const std::vector<std::string>& fields) const;

    // Renders an image of `size` bytes into `out` (resized; its capacity is reused, so a caller
    // rendering many images keeps one buffer). Throws Error(input) "SOURCE:LINE: key 'k': reason" for a
    // field missing from `fields` ("unknown placeholder {{name}}"), a value its encoding rejects, or
    // data that does not fit. Safe to call from several threads at once.
    RenderInfo render_into(const Fields& fields, std::size_t size, Version version, Bytes& out) const;
    Bytes render(const Fields& fields, std::size_t size, Version version, RenderInfo* info = nullptr) const;

private:
    struct Impl;
    explicit Template(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Builds an image from a plain CSV file (placeholders off).
Bytes build_image(const std::filesystem::path& csv_path, std::size_t size, Version version, RenderInfo* info = nullptr);

} // namespace vesper::nvs
