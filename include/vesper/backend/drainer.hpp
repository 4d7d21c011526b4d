#pragma once
// The outbox drainer: sends the ledger's pending device records to the backend (docs/registration.md)
// and records what the backend made of each. It opens its own ledger connection, so it can run beside
// a station whose workers write the same file.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "vesper/backend/settings.hpp"
#include "vesper/core/error.hpp"

namespace vesper::backend {

enum class DrainMode { once, until_empty, until_stopped };
// once: send what is due now, one pass, then return. until_empty: keep going (sleeping until the next
// entry is due) until no entry of the batch is pending (dead ones don't count). until_stopped: keep
// going until `stop` (a station run's drainer thread), polling the ledger for new entries every poll_s.
struct DrainOptions {
    std::optional<std::int64_t> batch;
    DrainMode mode = DrainMode::once;
    double poll_s = 0.5;
};

struct DrainStats {
    int sent = 0, stale = 0, retries = 0, dead = 0; // entries confirmed / stale-confirmed / retried / dead-lettered
    int requests = 0;                               // HTTP requests made
    int pending = 0, waiting = 0;                   // left in the outbox at the end (outbox_depth)
    std::optional<vesper::Error> stopped_by;        // auth or TLS failure that ended the drain, with its code
};

// "sent", "stale", "retry", "dead", "auth", "tls", "split"; never holds the token.
struct DrainEvent {
    std::string kind;
    std::string serial;
    std::string detail;
};

class Drainer {
public:
    Drainer(std::filesystem::path ledger_path, BackendSettings settings, std::string token, std::string actor);
    ~Drainer();
    Drainer(const Drainer&) = delete;
    Drainer& operator=(const Drainer&) = delete;

    // Drains as `options.mode` says. Errors of the ledger or a bug throw; what the backend answers does
    // not (an auth or TLS failure ends the drain with stats.stopped_by set).
    DrainStats run(const DrainOptions& options, const std::atomic<bool>& stop,
                   const std::function<void(const DrainEvent&)>& on_event = {});

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vesper::backend
