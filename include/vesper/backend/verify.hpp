#pragma once
// Reconciliation (`vesperctl register --verify`): what the backend holds of each registered device,
// against the record the ledger sent it last.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vesper/backend/settings.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::backend {

struct DeviceCheck {
    std::string serial;
    std::string state;            // "match", "missing" (404), "differs", "unknown" (no answer: the message says why)
    std::string sent_sha256;      // SHA-256 of the canonical record the ledger sent last
    std::string confirmed_sha256; // what the backend said it held when it confirmed that record
    std::string backend_sha256;   // what it holds now (empty when missing or unknown)
    std::string detail;           // for unknown: the failure
};

struct VerifyReport {
    std::vector<DeviceCheck> devices; // registered devices of the batch, by serial
    int matched = 0, missing = 0, differs = 0, unknown = 0;
    int requests = 0;
};

// GETs every `registered` device of `batch` (or of every batch), max_in_flight at once. A device
// registered without a sent record in its outbox counts as "differs" against nothing. Auth and TLS
// failures throw Error(backend.auth / backend.tls); other failures mark the device unknown.
VerifyReport verify_registered(const ledger::Ledger& ledger, std::optional<std::int64_t> batch,
                               const BackendSettings& settings, const std::string& token);

// The lower-case hex SHA-256 of a record's canonical JSON text (docs/backend-api.md, "Canonical form").
std::string record_sha256(const std::string& record_json);

} // namespace vesper::backend
