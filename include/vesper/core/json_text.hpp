#pragma once
// The one way vesperctl turns a JSON document into text (stdout, files, the ledger, event lines).
// nlohmann::json::dump throws on strings that are not valid UTF-8, and file names, argv values and
// damaged images can hold any bytes; here every such byte is written as \xNN instead (see
// escape_invalid_utf8), in values and in keys, so producing JSON text never fails.
#include <nlohmann/json.hpp>

#include <string>

namespace vesper {

// The document as JSON text: one line when indent < 0, else pretty-printed with `indent` spaces.
std::string json_text(const nlohmann::json& doc, int indent = -1);
// One line of pure ASCII: characters beyond it as \uXXXX escapes (for the factory protocol, whose
// firmware parser reads bytes, not UTF-8); bytes that are not UTF-8 still as \xNN.
std::string json_ascii_text(const nlohmann::json& doc);

} // namespace vesper
