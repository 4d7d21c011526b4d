#pragma once
// Usage errors (exit 2) that vesperctl words itself instead of CLI11: an unknown command or
// subcommand, with the nearest known name. They are CLI::ParseErrors, so every usage error leaves
// main() through the same catch block and is printed the same way.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vesper::cli {

class UnknownCommand : public CLI::ParseError {
public:
    explicit UnknownCommand(std::string message)
        : CLI::ParseError("UnknownCommand", std::move(message), CLI::ExitCodes::ExtrasError) {}
};

// "unknown command 'flsh'; did you mean 'flash'?" for `word` among the subcommands of `parent` (names
// and aliases, hidden ones included); without a close name, the list of commands instead.
UnknownCommand unknown_command(CLI::App& parent, const std::string& word);

// The message for a usage error caught from app.parse(): CLI11's own, except where the command line
// names a command that does not exist (CLI11 then says only "A subcommand is required" or "The
// following arguments were not expected").
std::string usage_error_message(CLI::App& app, const CLI::ParseError& e);

} // namespace vesper::cli
