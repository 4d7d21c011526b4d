#include "vesper/core/json_text.hpp"

#include "vesper/core/utf8.hpp"

namespace vesper {

namespace {

bool all_valid(const nlohmann::json& j) {
    if (j.is_string()) return is_valid_utf8(j.get_ref<const std::string&>());
    if (j.is_object()) {
        for (const auto& [key, value] : j.items())
            if (!is_valid_utf8(key) || !all_valid(value)) return false;
        return true;
    }
    if (j.is_array()) {
        for (const auto& value : j)
            if (!all_valid(value)) return false;
    }
    return true;
}

nlohmann::json escaped(const nlohmann::json& j) {
    if (j.is_string()) return escape_invalid_utf8(j.get_ref<const std::string&>());
    if (j.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, value] : j.items())
            out[escape_invalid_utf8(key)] = escaped(value);
        return out;
    }
    if (j.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& value : j)
            out.push_back(escaped(value));
        return out;
    }
    return j;
}

} // namespace

std::string json_text(const nlohmann::json& doc, int indent) {
    // Most documents are valid: check first, copy only when something needs escaping. `replace` is only a
    // backstop; after escaping there is nothing left for it to replace.
    constexpr auto replace = nlohmann::json::error_handler_t::replace;
    if (all_valid(doc)) return doc.dump(indent, ' ', false, replace);
    return escaped(doc).dump(indent, ' ', false, replace);
}

std::string json_ascii_text(const nlohmann::json& doc) {
    constexpr auto replace = nlohmann::json::error_handler_t::replace;
    if (all_valid(doc)) return doc.dump(-1, ' ', true, replace); // no copy of a valid document
    return escaped(doc).dump(-1, ' ', true, replace);
}

} // namespace vesper
