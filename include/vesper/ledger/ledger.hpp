#pragma once
// The ledger: every batch, device, serial, MAC binding, audit record and outbox record, in SQLite (WAL).
// Each public call is one transaction: it either happens whole or not at all.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vesper/serial/serial_number.hpp"

struct sqlite3;

namespace vesper::ledger {

enum class DeviceStatus { manufactured, flashed, tested, registered, failed };
const char* to_string(DeviceStatus s);
std::optional<DeviceStatus> parse_status(std::string_view s);
// The life cycle: manufactured -> flashed -> tested -> registered; any state may go to failed, and a
// failed device may be retried from manufactured or flashed. Anything else is refused.
bool transition_allowed(DeviceStatus from, DeviceStatus to);

struct Batch {
    std::int64_t id = 0;
    std::string board_type;
    std::string revision;
    int quantity = 0;
    std::string subscription_plan;
    int available_outputs = 0;
    std::string created_at;
    std::string operator_name;
};

struct Device {
    std::string serial;
    std::int64_t batch_id = 0;
    std::string hw_type;
    std::string hw_version;
    DeviceStatus status = DeviceStatus::manufactured;
    std::string mac; // empty until flashed
    std::string subscription_plan;
    int available_outputs = 0;
    std::string created_at;
    std::string updated_at;
    std::string flashed_at;    // empty until reached
    std::string tested_at;     // empty until reached
    std::string registered_at; // empty until reached
    std::string last_error;
};

// The fields a device exposes to NVS templates ({{name}}) and exports: serial_number, hw_type,
// hw_version, subscription_plan, available_outputs, batch_id, status, mac, created_at.
std::map<std::string, std::string> template_fields(const Device& d);

struct BatchSpec {
    std::string board_type;
    std::string revision;
    int quantity = 0;
    std::string subscription_plan = "standard";
    int available_outputs = 8;
    std::optional<serial::Date> date; // serial date; today (local) when unset
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string at;
    std::string actor;
    std::string action;
    std::string subject;
    std::string details; // JSON text
};

struct OutboxEntry {
    std::int64_t id = 0;
    std::string serial;
    std::string kind;    // e.g. "device.upsert"
    std::string payload; // JSON text
    std::string created_at;
    int attempts = 0;
    std::string last_error;
    std::string sent_at; // empty while pending
};

struct SerialReservation {
    std::string serial;
    std::string reserved_at;
    std::optional<std::int64_t> batch_id;
};

class Ledger {
public:
    // Opens (creating folders and the file if needed) and migrates the schema to the current version.
    // Throws Error(io) naming the path when it cannot. A ledger from a newer vesperctl is refused.
    static Ledger open(const std::filesystem::path& path, std::string actor);
    ~Ledger();
    Ledger(Ledger&&) noexcept;
    Ledger& operator=(Ledger&&) noexcept;

    const std::filesystem::path& path() const { return path_; }
    int schema_version() const;
    static int current_schema_version();

    // Reserves `count` new serials for a board type/revision/date, unique against every serial the
    // ledger has ever issued. Throws Error(conflict) when the prefix cannot hold that many more.
    std::vector<std::string> reserve_serials(std::string_view board_type, std::string_view revision,
                                             const serial::Date& date, int count);
    std::optional<SerialReservation> find_serial(std::string_view serial) const;

    // Creates the batch and its devices (status manufactured) and queues each device record in the
    // outbox, in one transaction.
    Batch create_batch(const BatchSpec& spec);
    std::vector<Batch> list_batches() const;
    std::optional<Batch> find_batch(std::int64_t id) const;
    Batch get_batch(std::int64_t id) const; // Error(not_found) when missing

    std::vector<Device> devices_of_batch(std::int64_t batch_id) const;
    std::optional<Device> find_device(std::string_view serial) const;
    Device get_device(std::string_view serial) const; // Error(not_found) when missing
    std::map<DeviceStatus, int> status_counts(std::int64_t batch_id) const;

    // Moves a device along its life cycle (Error(conflict) when the move is not allowed), recording the
    // reason for `failed` and an audit entry.
    void set_status(std::string_view serial, DeviceStatus to, std::string_view error = {});

    std::vector<AuditEntry> audit_log(std::optional<std::string> subject = std::nullopt) const;
    std::vector<OutboxEntry> pending_outbox() const;

    // Testing hook for the allocation policy: where random draws come from (default: CSPRNG).
    void set_random_source(serial::RandomSource rng);

private:
    Ledger(std::filesystem::path path, sqlite3* db, std::string actor);
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
    std::string actor_;
    serial::RandomSource rng_;
};

// The JSON record the backend takes for a device (backend field names).
std::string backend_record_json(const Device& d);

} // namespace vesper::ledger
