#pragma once
// What a stream may be drawn on, decided in one place for every live view (flash and read-flash
// progress, the station view):
//  * a terminal (isatty) gets live progress; a pipe or file gets only result lines;
//  * TERM unset, empty or "dumb" gets plain lines: no carriage-return redraws, no cursor movement, no
//    colour (dumb terminals and editor shells print escape sequences as text);
//  * NO_COLOR set to anything non-empty turns colour off (https://no-color.org), cursor movement stays.
#include <string>
#include <string_view>

namespace vesper::cli {

struct Terminal {
    bool tty = false;    // live progress is wanted
    bool cursor = false; // lines may be rewritten in place (\r, ESC[K, ESC[nA)
    bool color = false;  // SGR colours may be used
};

// The decision for file descriptor `fd` (STDOUT_FILENO, STDERR_FILENO) in this process's environment.
Terminal terminal_for(int fd);
// The same decision from its inputs; for tests.
Terminal terminal_from(bool is_tty, const char* term, const char* no_color);

// `text` in SGR colour `sgr` ("32" green, "31" red, "36" cyan) when the terminal allows colour, else as is.
std::string paint(const Terminal& t, std::string_view sgr, std::string_view text);

} // namespace vesper::cli
