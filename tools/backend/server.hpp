#pragma once
// Runs vesper-backend: opens the store, sets up HTTP or HTTPS (and mTLS), binds, prints the ready line
// (URL and, over TLS, the certificate's SPKI pin) and serves until SIGINT or SIGTERM.
#include <string>
#include <vector>

#include "backend/options.hpp"

namespace vesper::backend {

// Returns the exit code (0 after a clean stop). Throws vesper::Error for what stops it from starting.
int run_server(const Options& options, const std::vector<std::string>& tokens);

} // namespace vesper::backend
