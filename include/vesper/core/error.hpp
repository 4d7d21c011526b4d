#pragma once
// One error type for the whole library. It carries a kind (which the CLI maps to a stable exit code)
// and a message that already says what failed, where and why.
#include <stdexcept>
#include <string>

namespace vesper {

enum class ErrorKind {
    input,     // bad user input: arguments, CSV/YAML content, malformed serial (exit 2)
    not_found, // a named batch, serial, file or port does not exist (exit 3)
    conflict,  // the request clashes with stored state: exhausted prefix, bad status transition (exit 4)
    io,        // file system or ledger could not be read/written (exit 5)
    device,    // a board or port did not answer as expected (exit 6)
    verify,    // data written did not read back the same (exit 7)
    internal,  // a bug: an invariant broke (exit 1)
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

// Exit codes are part of the CLI contract (docs/cli.md); keep them stable.
int exit_code_for(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

} // namespace vesper
