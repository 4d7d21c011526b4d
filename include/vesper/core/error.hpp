#pragma once
// One error type for the whole library. It carries a stable code ("esp.chip_mismatch", see
// error_codes.hpp), the kind that code belongs to (which the CLI maps to a stable exit code), a message
// that already says what failed, where and why, and optionally a hint on what to do about it.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "vesper/core/error_codes.hpp"

namespace vesper {

class Error : public std::runtime_error {
public:
    // The kind follows from the code.
    Error(ErrorCode code, const std::string& message);
    // The kind's general code (input.invalid, io.failed, ...), for errors no caller tells apart.
    Error(ErrorKind kind, const std::string& message);
    // The same error (code, kind, hint, ROM status) under another message: for adding context to an
    // error from below on its way up ("device PV-...: " + e.what()).
    Error(const Error& cause, const std::string& message);

    ErrorKind kind() const noexcept { return kind_; }
    ErrorCode code() const noexcept { return code_; }
    std::string_view code_name() const noexcept { return to_string(code_); }

    // What the user can do about it; the code's own help when none was given.
    std::string hint() const;
    Error& with_hint(std::string hint) {
        hint_ = std::move(hint);
        return *this;
    }

    // The status byte a ROM loader or flasher stub answered with, when that is what failed.
    std::optional<std::uint8_t> rom_status() const noexcept { return rom_status_; }
    Error& with_rom_status(std::uint8_t status) {
        rom_status_ = status;
        return *this;
    }

private:
    ErrorCode code_;
    ErrorKind kind_;
    std::string hint_;
    std::optional<std::uint8_t> rom_status_;
};

// Exit codes are part of the CLI contract (docs/cli.md); keep them stable.
int exit_code_for(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }
[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }
// Rethrows `cause` with a new message, keeping its code, hint and ROM status.
[[noreturn]] inline void fail(const Error& cause, const std::string& message) { throw Error(cause, message); }

} // namespace vesper
