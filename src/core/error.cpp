#include "vesper/core/error.hpp"

namespace vesper {

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code), kind_(info(code).kind) {}

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), code_(general_code(kind)), kind_(kind) {}

Error::Error(const Error& cause, const std::string& message)
    : std::runtime_error(message), code_(cause.code_), kind_(cause.kind_), hint_(cause.hint_),
      rom_status_(cause.rom_status_) {}

std::string Error::hint() const { return hint_.empty() ? std::string(info(code_).help) : hint_; }

int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::input: return 2;
    case ErrorKind::not_found: return 3;
    case ErrorKind::conflict: return 4;
    case ErrorKind::io: return 5;
    case ErrorKind::device: return 6;
    case ErrorKind::verify: return 7;
    case ErrorKind::internal: return 1;
    case ErrorKind::interrupted: return 130; // SIGINT; a SIGTERM exits 143 (interrupt::exit_code)
    }
    return 1;
}

const char* to_string(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::input: return "input";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::io: return "io";
    case ErrorKind::device: return "device";
    case ErrorKind::verify: return "verify";
    case ErrorKind::internal: return "internal";
    case ErrorKind::interrupted: return "interrupted";
    }
    return "internal";
}

} // namespace vesper
