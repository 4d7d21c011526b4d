#include "json_output.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <string_view>

#include "cli.hpp"
#include "vesper/core/json_text.hpp"

namespace vesper::cli {

void Context::print_json(const nlohmann::json& doc) const {
    std::cout << json_text(doc, stdout_is_tty ? 2 : -1) << "\n";
}

bool json_requested(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") return false;
        if (arg == "--json") return true;
    }
    return false;
}

std::string json_error_line(ErrorKind kind, const std::string& message) {
    const nlohmann::json err{
        {"error", {{"kind", to_string(kind)}, {"message", message}, {"exit_code", exit_code_for(kind)}}}};
    return json_text(err) + "\n";
}

int print_error(bool json, ErrorKind kind, const std::string& message) {
    if (json) {
        std::cerr << json_error_line(kind, message);
    } else {
        std::string line = message;
        for (char& c : line)
            if (c == '\n' || c == '\r') c = ' ';
        std::cerr << "vesperctl: " << (kind == ErrorKind::internal ? "internal error: " : "error: ") << line << "\n";
    }
    return exit_code_for(kind);
}

} // namespace vesper::cli
