#pragma once
// Every error kind, for what lists them all: the man page's EXIT STATUS and the test that
// docs/cli.md documents each exit code. Keep in step with ErrorKind (error.hpp).
#include "vesper/core/error.hpp"

namespace vesper {

inline constexpr ErrorKind kAllErrorKinds[] = {ErrorKind::input,    ErrorKind::not_found,  ErrorKind::conflict,
                                               ErrorKind::io,       ErrorKind::device,     ErrorKind::verify,
                                               ErrorKind::internal, ErrorKind::interrupted};

} // namespace vesper
