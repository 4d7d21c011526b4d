#pragma once
// Presenting a Dump: human text and one JSON document (the shapes are documented in docs/nvs.md).
#include <nlohmann/json.hpp>

#include <string>

#include "vesper/nvs/reader.hpp"

namespace vesper::nvs {

// Pages (runs of erased pages folded into one line), every entry, the logical values, then the
// problems (or "no problems").
std::string dump_text(const Dump& dump, const std::string& image_name);

// {"image", "size", "ok", "pages": [...], "namespaces": [...], "entries": [...], "values": [...],
//  "problems": [...]}. Text that is not valid UTF-8 is shown with \xNN escapes so the document stays
// valid JSON.
nlohmann::json dump_json(const Dump& dump, const std::string& image_name);

// A value as JSON: integers as numbers, strings as text, blobs as lower-case hex.
nlohmann::json value_json(const NvsValue& v);

} // namespace vesper::nvs
