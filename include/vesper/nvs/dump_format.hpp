#pragma once
// Presenting a Dump: human text and one JSON document (the shapes are documented in docs/nvs.md).
#include <nlohmann/json.hpp>

#include <string>

#include "vesper/nvs/reader.hpp"

namespace vesper::nvs {

// Pages (runs of erased pages folded into one line), every entry, the logical values, then the
// problems (or "no problems").
std::string dump_text(const Dump& dump, const std::string& image_name);

// {"input", "size", "ok", "pages": [...], "namespaces": [...], "entries": [...], "values": [...],
//  "problems": [...]}. Strings hold the image's bytes as they are; vesper::json_text writes bytes that
// are not UTF-8 as \xNN.
nlohmann::json dump_json(const Dump& dump, const std::string& image_name);

// A value as JSON: integers as numbers, strings as text, blobs as lower-case hex.
nlohmann::json value_json(const NvsValue& v);

} // namespace vesper::nvs
