#pragma once
// Row reading and the writes every ledger change shares (audit entry, outbox record, status move), for
// the ledger's implementation files. Callers hold the transaction.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "sqlite.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger::detail {

// The columns read_device() expects, in its order; every SELECT of devices uses them.
extern const char* const kDeviceColumns;
Device read_device(const sql::Stmt& st);
std::optional<Device> device_by_serial(sqlite3* db, std::string_view serial);

void audit(sqlite3* db, const std::string& actor, std::string_view action, std::string_view subject,
           const nlohmann::json& details);
// The device's last test run (the newest attempt that recorded tests); none before any.
std::optional<TestSummary> last_test_summary(sqlite3* db, std::string_view serial);
// Queues the device's whole backend record (with its last test run) in the outbox.
void queue_outbox(sqlite3* db, const Device& d, std::string_view kind);
// The same, unless the device's newest entry (pending or sent) already holds the record it would queue;
// true when it queued one.
bool queue_outbox_once(sqlite3* db, const Device& d, std::string_view kind);

// Moves `d` to `to`: Error(conflict) when transition_allowed() refuses; stamps the *_at column of the
// state reached, sets last_error (kept only for failed), then writes the audit entry (details: from, to,
// error, plus `extra`) and queues the new device record in the outbox.
void move_device(sqlite3* db, const std::string& actor, const Device& d, DeviceStatus to, std::string_view error,
                 const nlohmann::json& extra = nlohmann::json::object());

} // namespace vesper::ledger::detail
