#pragma once
// The ledger: every batch, device, serial, MAC binding, audit record and outbox record, in SQLite (WAL).
// Each public call is one transaction: it either happens whole or not at all.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vesper/serial/serial_number.hpp"

struct sqlite3;

namespace vesper::ledger {

enum class DeviceStatus { manufactured, flashed, tested, registered, failed };
const char* to_string(DeviceStatus s);
std::optional<DeviceStatus> parse_status(std::string_view s);
// The life cycle: manufactured -> flashed -> tested -> registered; any state but registered may go to
// failed, a flashed or tested board may be flashed again and a tested one tested again, and a failed
// device may reach any state again (the step retried decides which). Anything else is refused.
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
    // Where and with what it was last flashed (empty until then); schema 2.
    std::string station;
    std::string port;
    std::string firmware_version;
    std::string firmware_sha256;
    // SHA-256 of its claim code (creds::claim_code_hash), set when a claim code was made for it (flash,
    // label); empty until then. The code itself is never stored. Schema 6.
    std::string claim_code_hash;
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

// The outbox (docs/ledger.md, "outbox"): every change of a device queues its whole record in the
// transaction that made the change; `vesperctl register` sends them to the backend. Only a device's
// newest pending record is sent (a record is the device's whole state, so an older one is superseded
// by it); the backend's confirmation marks it sent, a permanent refusal dead (kept with the answer,
// sent again only when asked), anything else waits until next_attempt_at (schema 7).
enum class OutboxState { pending, sent, superseded, dead };
const char* to_string(OutboxState s);

struct OutboxEntry {
    std::int64_t id = 0;
    std::string serial;
    std::string kind;    // e.g. "device.upsert"
    std::string payload; // JSON text
    std::string created_at;
    int attempts = 0;
    std::string last_error;
    std::string sent_at; // empty while pending
    OutboxState state = OutboxState::pending;
    std::string next_attempt_at; // empty: due now
    std::string response;        // dead: the backend's answer (status and body)
    std::string record_sha256;   // sent: the backend's hash of the record it holds
    std::int64_t batch_id = 0;   // the device's batch
    // Stable across retries, processes and restarts, so the backend stores a record once: the serial
    // and the first 128 bits of the SHA-256 of the payload (which is canonical JSON text).
    std::string idempotency_key() const;
};

// What the drainer reports about an outbox entry it sent.
struct OutboxDelivery {
    std::int64_t id = 0;
    std::string record_sha256; // confirmed
};

// One run of one pipeline step ("flash", "test", "label", "register") on one board at one port. Written
// when the step starts (result "running") and finished in the same transaction that moves the device
// along its life cycle as the step says, so the ledger never says "flashed" without the attempt that
// did it. Whether a device has passed a step is read from its attempts: its latest one of that step.
enum class AttemptResult { running, passed, failed, interrupted };

// A step name the ledger takes (and the step registry gives): 1-32 of a-z, 0-9, '-', '_'.
bool is_step_name(std::string_view step);
const char* to_string(AttemptResult r);

struct Attempt {
    std::int64_t id = 0;
    std::int64_t batch_id = 0;
    std::string serial; // empty: the board failed before it was bound to a device (schema 3)
    std::string step;
    std::string station;
    std::string port;
    std::string mac;
    std::string started_at;
    std::string finished_at; // empty while running
    AttemptResult result = AttemptResult::running;
    std::string cause; // failures: short machine word, e.g. "connect", "chip_mismatch", "write", "verify", "too_slow"
    std::string error; // failures: the full one-line message
    std::string code;  // failures: the error's stable code, e.g. "esp.no_sync" (schema 4; "" before)
    std::string firmware_version;
    std::string firmware_sha256;
    double seconds = 0;        // wall time of the step
    std::string phases = "{}"; // JSON object: phase name -> seconds, e.g. {"connect":1.2,"write":31.0}
};

// One test of a factory test run, kept with the attempt of the step that ran it (schema 5), in the
// plan's order.
struct TestRecord {
    std::string name;              // the plan's test name ("outputs")
    std::string command;           // what was sent ("outputs", "check: mac", "send: TEXT")
    std::string measured = "null"; // JSON text: the checked fields' values
    std::string limits;            // the rules as text ("best_rssi min -80")
    std::string verdict;           // pass | fail | skip | error
    bool required = true;
    int tries = 0;       // requests made; 0 when skipped
    double seconds = 0;  // the test's wall time
    std::string message; // why it failed, errored or was skipped; empty on a pass
};

// A test as the ledger keeps it: with its attempt, the device, the step and when the attempt finished.
struct TestResultRow {
    std::int64_t attempt_id = 0;
    std::string serial;
    std::string step;
    std::string finished_at;
    int position = 0; // its place in the plan, from 0
    TestRecord test;
};

// A label made for a device (schema 6): printed, or written to a file. Every one is recorded, reprints
// too, with an audit entry (label.print, or label.reprint).
struct LabelRecord {
    std::int64_t id = 0;
    std::string serial;
    std::string layout;      // the layout's name
    std::string format;      // pdf | zpl
    std::string destination; // "printer:NAME", or the file written
    int copies = 1;
    bool reprint = false;  // the device had a label before
    bool untested = false; // made for a device that had not passed its test (--include-untested)
    std::string printed_at;
    std::string actor;
};

// A test verdict the ledger takes: pass, fail, skip or error.
bool is_test_verdict(std::string_view verdict);

// What a finished step reports.
struct AttemptOutcome {
    bool passed = false;
    // The status a pass moves the device to (flashed, tested, registered); none for a step that only
    // records its attempt (a label). A failure of a step that sets a status moves the device to failed.
    std::optional<DeviceStatus> sets_status;
    std::string cause;
    std::string error;
    std::string code;
    // Set by a step that writes firmware: kept on the device with the station and port, on a pass.
    std::string firmware_version;
    std::string firmware_sha256;
    double seconds = 0;
    std::string phases = "{}";
    // A test step's tests, recorded with the attempt (schema 5).
    std::vector<TestRecord> tests;
    // A label step's labels, recorded with the attempt (schema 6); their serial is the attempt's.
    std::vector<LabelRecord> labels;
    // The hash of the claim code the step used (flash: in NVS, label: on the label), kept on the device
    // as set_claim_code_hash does; empty: none.
    std::string claim_code_hash;
    // A pass queues the device's record in the outbox (the register step), unless its newest entry, pending
    // or sent, already holds the same record.
    bool queue_record = false;
};

struct BindResult {
    Device device;
    bool newly_bound = false; // false: the MAC was already bound to this device (a board seen before)
};

struct SerialReservation {
    std::string serial;
    std::string reserved_at;
    std::optional<std::int64_t> batch_id;
};

// How a command uses the ledger file.
enum class Access {
    create,    // read and write; a missing file becomes a new ledger (folders made as needed)
    existing,  // read and write; a missing file is Error(not_found)
    read_only, // reads only (the connection cannot write); a missing file is Error(not_found)
};

// Every ledger carries this SQLite application_id ("VSPR"), so no other SQLite file is taken for one.
inline constexpr std::uint32_t kApplicationId = 0x56535052;

class Ledger {
public:
    // Opens the ledger and migrates its schema to the current version (also under read_only: a
    // migration is not a change of its records). Before anything is written the file is identified,
    // and any file that is not a vesperctl ledger is refused untouched: Error(input) for a SQLite
    // database of something else or a file that is not SQLite at all. Ledgers of earlier versions
    // without the application_id (schema 1 and 2 with the ledger's tables) are ours and get it set.
    // Errors name the path and say the problem in words: Error(not_found) for a missing file (unless
    // `create`), Error(io) for a file that cannot be written (read-only) or is damaged,
    // Error(conflict) for a ledger from a newer vesperctl.
    static Ledger open(const std::filesystem::path& path, std::string actor, Access access = Access::create);
    ~Ledger();
    Ledger(Ledger&&) noexcept;
    Ledger& operator=(Ledger&&) noexcept;

    const std::filesystem::path& path() const { return path_; }
    // True when this open made a new ledger (the file did not exist, or held an empty database).
    bool created() const { return created_; }
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

    // --- Stations (schema 2) ---------------------------------------------------------------------
    // Binds a board's MAC ("aa:bb:cc:dd:ee:ff", lower case) to a device of the batch, in one transaction:
    // the device that already holds this MAC is returned as it is (a board seen before keeps its serial);
    // else the first device of the batch (by serial) that has no MAC yet takes it, with an audit entry.
    // Error(conflict) when the MAC is bound to a device of another batch ("MAC m is bound to S of batch N")
    // or when every device of the batch is already bound ("batch N has no unbound device left").
    BindResult bind_mac(std::int64_t batch_id, std::string_view mac);
    std::optional<Device> find_device_by_mac(std::string_view mac) const;

    // Records the start of a step on a board (result running) and returns the attempt id. Attempts of the
    // same serial and step still "running" (a process killed mid-step) become "interrupted" first
    // (their finished_at stays empty: when they stopped is unknown).
    std::int64_t begin_attempt(std::string_view serial, std::string_view step, std::string_view station,
                               std::string_view port);
    // Finishes the attempt and moves the device, in one transaction, as `outcome.sets_status` says:
    // passed -> that status (transition_allowed), with station, port, firmware_version and
    // firmware_sha256 set on the device when the outcome carries firmware; failed -> status failed with
    // `error` as last_error (the MAC binding stays, so a retry reuses the serial). Without sets_status
    // only the attempt is recorded. Audit entry and outbox record as set_status does.
    // Error(not_found) for an unknown attempt, Error(conflict) if it is not running.
    // Error(input) when phases is not a JSON object or seconds is negative. A failure without a cause
    // is recorded as cause "unknown" (and its cause as last_error when there is no error text).
    // `outcome.tests` are written with the attempt, in their order, in the same transaction: all of it
    // or none. Before anything is written they are checked: Error(input) for an empty name, a verdict
    // that is not pass/fail/skip/error, a measured that is not JSON text, negative tries or seconds, or
    // a passed outcome carrying a required test that failed or errored.
    void finish_attempt(std::int64_t attempt_id, const AttemptOutcome& outcome);
    // Records a step attempt that failed before the board was bound to a device of the batch (it did
    // not connect, was another chip, or the batch had no device left), so that reports count it: no
    // serial, finished now, started `outcome.seconds` ago. Error(input) for a passed outcome or one
    // carrying tests (a test result belongs to a device: tests run only on a bound board),
    // Error(not_found) for an unknown batch. Returns the attempt id.
    std::int64_t record_unbound_failure(std::int64_t batch_id, std::string_view step, std::string_view station,
                                        std::string_view port, std::string_view mac, const AttemptOutcome& outcome);
    std::vector<Attempt> attempts_of(std::string_view serial) const; // oldest first
    // The steps a device has passed: those whose latest attempt on it passed (a later failed,
    // interrupted or running attempt of a step undoes its pass).
    std::set<std::string> passed_steps(std::string_view serial) const;
    // The same for every device of a batch, by serial (devices with no passed step included, empty).
    std::map<std::string, std::set<std::string>> passed_steps_of_batch(std::int64_t batch_id) const;
    std::vector<Attempt> attempts_of_batch(std::int64_t batch_id) const; // oldest first, unbound ones included
    // The test results of a device, or of every device of a batch (schema 5): oldest attempt first, each
    // attempt's tests in plan order. Empty for an unknown serial or batch.
    std::vector<TestResultRow> test_results_of(std::string_view serial) const;
    std::vector<TestResultRow> test_results_of_batch(std::int64_t batch_id) const;

    // --- Labels and claim codes (schema 6) -----------------------------------------------------
    // Records labels made, in one transaction, each with its audit entry (label.print or label.reprint;
    // details: layout, format, destination, copies, untested). printed_at and actor are the ledger's.
    // Error(input) for an empty layout or destination, a format not pdf/zpl or copies outside 1-100;
    // Error(ledger.device_not_found) for an unknown serial, with nothing recorded.
    void record_labels(const std::vector<LabelRecord>& labels);
    std::vector<LabelRecord> labels_of(std::string_view serial) const;     // oldest first
    std::vector<LabelRecord> labels_of_batch(std::int64_t batch_id) const; // oldest first
    // Keeps the hash of the device's claim code (64 lower-case hex digits, else Error(input)). Nothing
    // changes when it is the same; a different one (another claim secret) replaces it with an audit
    // entry (device.claim_code) and queues the record in the outbox.
    void set_claim_code_hash(std::string_view serial, std::string_view hash);

    // Runs `writes` (calls of this ledger's methods) in one write transaction: all of them or none, and
    // one commit (one sync to disk) for them all, e.g. the answers of a bulk request. The methods'
    // own transactions join it (no savepoints): an error thrown by one must leave `writes`, which rolls
    // back everything; caught inside, the part that method wrote before it threw would stay.
    void write_batch(const std::function<void()>& writes);

    // From now on this connection's commits do not wait for the disk: they survive this process being
    // killed, but a power cut or an OS crash may undo the last of them (SQLite's WAL with synchronous =
    // NORMAL; commits are synced at checkpoints). Only for writes that can be done again with the same
    // result: the drainer's confirmations, whose records go again under the same idempotency keys.
    void sync_at_checkpoints();

    // Runs `reads` (calls of this ledger's const methods) in one read transaction, so together they see
    // one consistent state of the ledger while other processes write. Nested calls join the outer one.
    void read_snapshot(const std::function<void()>& reads) const;

    std::vector<AuditEntry> audit_log(std::optional<std::string> subject = std::nullopt) const;
    // The entries waiting to be sent: at most one a device (its newest record), oldest first.
    std::vector<OutboxEntry> pending_outbox() const;
    // Every record ever queued, in any state, oldest first.
    std::vector<OutboxEntry> outbox_entries() const;

    // --- The outbox drain (schema 7) --------------------------------------------------------------
    // The entries to send now: per device (of `batch`, or every batch), its pending entry (its newest
    // record), when its next_attempt_at is not after `now` (ISO 8601 UTC, as the ledger writes times);
    // oldest first, at most `limit`, only entries newer than `after_id` (a drain's cursor).
    std::vector<OutboxEntry> due_outbox(std::optional<std::int64_t> batch, const std::string& now, std::size_t limit,
                                        std::int64_t after_id = 0) const;
    // Devices with a pending entry (of `batch`, or all), and of those how many wait for a retry later
    // than `now`.
    struct OutboxDepth {
        int pending = 0;
        int waiting = 0;
        int dead = 0;              // devices whose newest entry is dead
        std::string next_retry_at; // the earliest retry of those waiting; empty when none waits
    };
    OutboxDepth outbox_depth(std::optional<std::int64_t> batch, const std::string& now) const;
    // The backend confirmed the entry, in one transaction: it is sent (with the backend's record hash),
    // every older pending entry of its device superseded, and a device whose confirmed record said
    // `tested` and that is still tested becomes `registered` (which queues its new record). Error(not_found)
    // for an unknown entry; a confirmation of an entry no longer pending (another drainer's) changes
    // nothing and returns false.
    bool outbox_confirmed(const OutboxDelivery& delivery);
    // A failure worth retrying: attempts + 1, the error kept, due again at `next_attempt_at`.
    void outbox_retry_later(std::int64_t id, const std::string& error, const std::string& next_attempt_at);
    // A permanent refusal: dead with the answer kept, older pending entries of the device superseded
    // (they are older states of the same record), an audit entry (outbox.dead).
    void outbox_dead(std::int64_t id, const std::string& error, const std::string& response);
    // Dead entries (of `batch`, or all), the newest of each device only.
    std::vector<OutboxEntry> dead_outbox(std::optional<std::int64_t> batch) const;
    // Each device's newest sent entry (of `batch`, or all), by serial: the record the backend confirmed
    // last, for `register --verify`.
    std::vector<OutboxEntry> sent_outbox(std::optional<std::int64_t> batch) const;
    // Makes the devices' dead entries pending again, due now (an audit entry each); returns how many.
    int requeue_dead(std::optional<std::int64_t> batch);

    // Testing hook for the allocation policy: where random draws come from (default: CSPRNG).
    void set_random_source(serial::RandomSource rng);

private:
    Ledger(std::filesystem::path path, sqlite3* db, std::string actor);
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
    std::string actor_;
    bool created_ = false;
    serial::RandomSource rng_;
};

// A device's last factory test run, as its backend record summarises it: how many tests ran, and the
// names of those that failed or errored. `passed` is exactly `failed` being empty (docs/backend-api.md).
struct TestSummary {
    bool passed = false;
    int tests = 0;
    std::vector<std::string> failed;
};

// The JSON record the backend takes for a device (backend field names): canonical JSON text. `firmware`
// is {version, sha256} once the device has been flashed (null before); `test` is there when given (the
// outbox gives the device's last test run; `batch export` has none).
std::string backend_record_json(const Device& d, const std::optional<TestSummary>& test = std::nullopt);

} // namespace vesper::ledger
