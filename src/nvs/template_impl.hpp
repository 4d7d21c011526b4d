#pragma once
// The compiled form of a Template, shared by template_compile.cpp and template_render.cpp.
#include <string>
#include <vector>

#include "vesper/nvs/template.hpp"

namespace vesper::nvs {

// A value is literal text and placeholders, in order.
struct Segment {
    bool placeholder = false;
    std::string text; // literal text, or the placeholder's field name
};

struct CompiledRow {
    RowType type = RowType::data;
    Encoding encoding = Encoding::string;
    std::string key;
    std::uint8_t ns = 0;  // data rows: their namespace index; namespace rows: the index they define
    std::string context;  // "SOURCE:LINE: key 'k': ", ready for error messages
    bool dynamic = false; // value has placeholders: encoded at render time from `segments`
    std::vector<Segment> segments;
    std::uint64_t integer = 0; // static integer value (bits)
    Bytes data;                // static string (with NUL) or blob bytes
};

// Encodes a value's text: integers into `integer`, everything else into `data` (strings get their NUL).
void encode_value(Encoding e, std::string_view text, std::uint64_t& integer, Bytes& data);

struct Template::Impl {
    std::string source;
    std::vector<CompiledRow> rows;
    std::vector<std::string> placeholders; // sorted, unique
};

} // namespace vesper::nvs
