#pragma once
// A command's `-o FILE`: written with core/files' write_output (regular files atomically, devices and
// FIFOs directly, symlinks followed). `-o -` sends a binary output to stdout, so stdout cannot carry the
// --json document too, and the one-line summary moves to stderr.
#include <iosfwd>
#include <string>

#include "cli.hpp"

namespace vesper::cli {

// Refuses `-o -` with --json (exit 2), before any work is done.
void check_output_option(const Context& ctx, const std::string& output);

// Where the human summary of a command that wrote `output` goes: stderr when the output was stdout.
std::ostream& summary_stream(const std::string& output);

} // namespace vesper::cli
