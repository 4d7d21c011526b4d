#pragma once
// How results and errors look under --json, in one place: every JSON text goes through
// vesper::json_text (bytes that are not UTF-8 become \xNN, so printing never fails), and every error
// is one line holding the documented error object. Commands print through Context::print_json; main and
// anything that must report an error itself (a signal handler's "interrupted") use the functions here.
#include <nlohmann/json.hpp>

#include <string>

#include "vesper/core/error.hpp"

namespace vesper::cli {

// Was --json given anywhere on the command line, before or after the subcommand? For errors that
// CLI11 raises before it has set Context::json. Arguments after "--" are operands, not options.
bool json_requested(int argc, const char* const* argv);

// What an error says about itself: {"code","kind","message","exit_code","hint"}, and "rom_status" when
// a ROM loader or stub answered with a failure status. The inside of the error object, and what a
// JSON-lines "error" event carries.
nlohmann::json error_fields(const Error& e);

// {"error":{...error_fields...}} and a newline: the one-line error object.
std::string json_error_line(const Error& e);

// Reports an error on stderr, as the JSON error object when `json`, else as one line
// "vesperctl: error: MESSAGE" (line breaks in the message folded into spaces). Returns the exit code
// that goes with its kind.
int print_error(bool json, const Error& e);

} // namespace vesper::cli
