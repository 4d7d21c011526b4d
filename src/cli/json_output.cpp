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

nlohmann::json error_fields(const Error& e) {
    nlohmann::json f{{"code", std::string(e.code_name())},
                     {"kind", to_string(e.kind())},
                     {"message", e.what()},
                     {"exit_code", exit_code_for(e.kind())},
                     {"hint", e.hint()}};
    if (const auto status = e.rom_status()) f["rom_status"] = *status;
    return f;
}

std::string json_error_line(const Error& e) { return json_text(nlohmann::json{{"error", error_fields(e)}}) + "\n"; }

int print_error(bool json, const Error& e) {
    if (json) {
        std::cerr << json_error_line(e);
    } else {
        std::string line = e.what();
        for (char& c : line)
            if (c == '\n' || c == '\r') c = ' ';
        std::cerr << "vesperctl: " << (e.kind() == ErrorKind::internal ? "internal error: " : "error: ") << line
                  << "\n";
    }
    return exit_code_for(e.kind());
}

} // namespace vesper::cli
