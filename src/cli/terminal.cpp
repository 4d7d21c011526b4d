#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace vesper::cli {

Terminal terminal_from(bool is_tty, const char* term, const char* no_color) {
    Terminal t;
    t.tty = is_tty;
    const std::string_view term_name = term ? term : "";
    t.cursor = is_tty && !term_name.empty() && term_name != "dumb";
    t.color = t.cursor && (no_color == nullptr || *no_color == '\0');
    return t;
}

Terminal terminal_for(int fd) { return terminal_from(::isatty(fd) == 1, std::getenv("TERM"), std::getenv("NO_COLOR")); }

std::string paint(const Terminal& t, std::string_view sgr, std::string_view text) {
    if (!t.color) return std::string(text);
    return "\033[" + std::string(sgr) + "m" + std::string(text) + "\033[0m";
}

} // namespace vesper::cli
