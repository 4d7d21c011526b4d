#include "vesper/ledger/ledger.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "records.hpp"
#include "schema.hpp"
#include "sqlite.hpp"
#include "statement_cache.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::ledger {

using detail::audit;
using detail::kDeviceColumns;
using detail::queue_outbox;
using detail::read_device;

namespace {

// Switching the file to WAL takes an exclusive lock. When other processes open the same new file at
// the same moment, SQLite answers SQLITE_BUSY at once instead of going through the busy handler (waiting
// there could deadlock), so wait and retry here, within the busy timeout's 30 s.
void enable_wal(sqlite3* db, const std::filesystem::path& path) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        sqlite3_stmt* st = nullptr;
        int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, nullptr);
        std::string mode;
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW) {
            if (mode != "wal")
                fail(ErrorKind::io, "ledger " + path.string() + ": cannot switch to WAL journal (mode " + mode + ")");
            return;
        }
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline)
            fail(sql::error_code(rc), "ledger " + path.string() + ": cannot switch to WAL journal: " +
                                          sql::sqlite_problem(rc, sqlite3_errmsg(db)));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

sqlite3* open_connection(const std::filesystem::path& path, int flags) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const int code = db ? sqlite3_extended_errcode(db) : rc;
        const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        fail(sql::error_code(code), "ledger " + path.string() + ": " + sql::sqlite_problem(code, msg));
    }
    // Concurrent vesperctl processes wait for each other's transactions instead of failing.
    sqlite3_busy_timeout(db, 30000);
    return db;
}

// The kept statements go first: sqlite3_close refuses a connection that still has statements.
void close_connection(sqlite3* db) {
    if (!db) return;
    sql::statement_cache::release(db);
    sqlite3_close(db);
}

// What the file at `path` is, looked at through a read-only connection: nothing is written, so a file
// that turns out not to be ours is left exactly as it was.
FileIdentity look_at(const std::filesystem::path& path) {
    struct Closer {
        sqlite3* db;
        ~Closer() { sqlite3_close(db); }
    } probe{open_connection(path, SQLITE_OPEN_READONLY)};
    // One snapshot for all the reads: another process may be making this very file a ledger meanwhile.
    sql::Transaction snapshot(probe.db, sql::Transaction::Mode::read);
    return identify(probe.db);
}

// How many draws in a row may hit serials already issued before we call the prefix full. With 32^5
// serials per prefix, 64 straight collisions only happen when nearly all of them are taken.
constexpr int kMaxConsecutiveCollisions = 64;

const char* const kBatchColumns =
    "id, board_type, revision, quantity, subscription_plan, available_outputs, created_at, operator";

Batch read_batch(const sql::Stmt& st) {
    Batch b;
    b.id = st.integer(0);
    b.board_type = st.text(1);
    b.revision = st.text(2);
    b.quantity = static_cast<int>(st.integer(3));
    b.subscription_plan = st.text(4);
    b.available_outputs = static_cast<int>(st.integer(5));
    b.created_at = st.text(6);
    b.operator_name = st.text(7);
    return b;
}

void validate_plan(std::string_view plan) {
    if (plan.empty() || plan.size() > 32)
        fail(ErrorKind::input, "subscription plan '" + std::string(plan) + "': must be 1-32 characters");
    for (char c : plan)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            fail(ErrorKind::input, "subscription plan '" + std::string(plan) +
                                       "': only lowercase letters, digits, '-' and '_' are allowed");
}

// Draws and inserts `count` new serials under one prefix; must run inside a transaction.
std::vector<std::string> allocate(sqlite3* db, const serial::RandomSource& rng, const serial::SerialNumber& proto,
                                  int count, std::optional<std::int64_t> batch_id) {
    const std::string prefix = proto.prefix();
    std::int64_t used = 0;
    {
        sql::Stmt st(db, "SELECT COUNT(*) FROM serials WHERE prefix = ?");
        st.bind(1, prefix);
        st.step();
        used = st.integer(0);
    }
    if (static_cast<std::uint64_t>(used) + static_cast<std::uint64_t>(count) > serial::kSerialsPerPrefix)
        fail(ErrorCode::serial_prefix_exhausted, "serial prefix " + prefix + " is exhausted: " + std::to_string(used) +
                                                     " of " + std::to_string(serial::kSerialsPerPrefix) + " issued, " +
                                                     std::to_string(count) + " more requested");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    sql::Stmt ins(db, "INSERT OR IGNORE INTO serials(serial, prefix, reserved_at, batch_id) VALUES (?,?,?,?)");
    const std::string now = now_utc_iso8601();
    int collisions = 0;
    serial::SerialNumber sn = proto;
    while (static_cast<int>(out.size()) < count) {
        sn.random = serial::random_part(rng);
        std::string s = sn.str();
        ins.reset();
        ins.bind(1, s).bind(2, prefix).bind(3, now);
        if (batch_id)
            ins.bind(4, *batch_id);
        else
            ins.bind_null(4);
        ins.run();
        if (sqlite3_changes(db) == 0) {
            if (++collisions >= kMaxConsecutiveCollisions)
                fail(ErrorCode::serial_prefix_exhausted,
                     "serial prefix " + prefix + " is exhausted: " + std::to_string(kMaxConsecutiveCollisions) +
                         " random draws in a row were already issued (" +
                         std::to_string(used + static_cast<std::int64_t>(out.size())) + " serials in this prefix)");
            continue;
        }
        collisions = 0;
        out.push_back(std::move(s));
    }
    return out;
}

serial::SerialNumber prototype(std::string_view type, std::string_view rev, const serial::Date& date) {
    serial::validate_board_type(type);
    serial::validate_revision(rev);
    serial::validate_date(date);
    serial::SerialNumber sn;
    sn.date = date;
    sn.board_type = std::string(type);
    sn.revision = std::string(rev);
    return sn;
}

} // namespace

const char* to_string(DeviceStatus s) {
    switch (s) {
    case DeviceStatus::manufactured: return "manufactured";
    case DeviceStatus::flashed: return "flashed";
    case DeviceStatus::tested: return "tested";
    case DeviceStatus::registered: return "registered";
    case DeviceStatus::failed: return "failed";
    }
    return "failed";
}

std::optional<DeviceStatus> parse_status(std::string_view s) {
    for (auto st : {DeviceStatus::manufactured, DeviceStatus::flashed, DeviceStatus::tested, DeviceStatus::registered,
                    DeviceStatus::failed})
        if (s == to_string(st)) return st;
    return std::nullopt;
}

bool transition_allowed(DeviceStatus from, DeviceStatus to) {
    using S = DeviceStatus;
    if (to == S::failed) return from != S::registered;
    switch (from) {
    case S::manufactured: return to == S::flashed;
    case S::flashed: return to == S::tested || to == S::flashed;                       // re-flash of a board is allowed
    case S::tested: return to == S::registered || to == S::flashed || to == S::tested; // and a re-test
    case S::registered: return false;
    // A retried step passes from failed: the pipeline decides which step that is.
    case S::failed: return to != S::failed;
    }
    return false;
}

std::map<std::string, std::string> template_fields(const Device& d) {
    return {
        {"serial_number", d.serial},
        {"hw_type", d.hw_type},
        {"hw_version", d.hw_version},
        {"subscription_plan", d.subscription_plan},
        {"available_outputs", std::to_string(d.available_outputs)},
        {"batch_id", std::to_string(d.batch_id)},
        {"status", to_string(d.status)},
        {"mac", d.mac},
        {"created_at", d.created_at},
    };
}

std::string backend_record_json(const Device& d, const std::optional<TestSummary>& test) {
    auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    nlohmann::json j{
        {"serial_number", d.serial},
        {"hw_type", d.hw_type},
        {"hw_version", d.hw_version},
        {"status", to_string(d.status)},
        {"subscription_plan", d.subscription_plan},
        {"available_outputs", d.available_outputs},
        {"created_at", d.created_at},
        {"owner", nullptr},
        {"users_list", nlohmann::json::array()},
        {"mac", opt(d.mac)},
        {"batch_id", d.batch_id},
        {"updated_at", d.updated_at},
        {"flashed_at", opt(d.flashed_at)},
        {"tested_at", opt(d.tested_at)},
        {"registered_at", opt(d.registered_at)},
        {"last_error", opt(d.last_error)},
        // The hash, never the code: whoever holds the record cannot claim the device with it.
        {"claim_code_hash", opt(d.claim_code_hash)},
        {"firmware",
         d.firmware_sha256.empty()
             ? nlohmann::json(nullptr)
             : nlohmann::json{{"version", d.firmware_version.empty() ? std::string("unknown") : d.firmware_version},
                              {"sha256", d.firmware_sha256}}},
    };
    if (test) j["test"] = {{"passed", test->passed}, {"tests", test->tests}, {"failed", test->failed}};
    return json_text(j);
}

Ledger::Ledger(std::filesystem::path path, sqlite3* db, std::string actor)
    : path_(std::move(path)), db_(db), actor_(std::move(actor)), rng_(serial::csprng()) {
    sql::statement_cache::keep(db_);
}

Ledger::~Ledger() { close_connection(db_); }

Ledger::Ledger(Ledger&& o) noexcept
    : path_(std::move(o.path_)), db_(o.db_), actor_(std::move(o.actor_)), created_(o.created_),
      rng_(std::move(o.rng_)) {
    o.db_ = nullptr;
}

Ledger& Ledger::operator=(Ledger&& o) noexcept {
    if (this != &o) {
        close_connection(db_);
        path_ = std::move(o.path_);
        db_ = o.db_;
        actor_ = std::move(o.actor_);
        created_ = o.created_;
        rng_ = std::move(o.rng_);
        o.db_ = nullptr;
    }
    return *this;
}

Ledger Ledger::open(const std::filesystem::path& path, std::string actor, Access access) {
    namespace fs = std::filesystem;
    const std::string where = "ledger " + path.string();
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    const bool exists = fs::exists(status);
    if (!exists && ec && ec != std::errc::no_such_file_or_directory)
        fail(ErrorCode::io_read, where + ": cannot look at it: " + ec.message());
    if (exists && fs::is_directory(status)) fail(ErrorCode::file_is_folder, where + ": is a folder, not a ledger file");
    bool set_up = access != Access::read_only; // WAL journal and migrations, on a connection that writes
    if (!exists) {
        if (access != Access::create) fail(ErrorCode::ledger_not_found, where + " does not exist");
        if (path.has_parent_path()) {
            fs::create_directories(path.parent_path(), ec);
            if (ec) fail(ErrorCode::io_write, where + ": cannot create its folder: " + ec.message());
        }
    } else {
        const FileIdentity id = look_at(path);
        refuse_unless_ledger(id, path.string());
        if (id.kind == FileIdentity::empty && access != Access::create)
            fail(ErrorCode::ledger_not_found, where + " holds no ledger yet (an empty database)");
        set_up = set_up || needs_migration(id);
    }

    if (set_up) {
        Ledger l(path, open_connection(path, SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE)), actor);
        // SQLite opens a file it may not write read-only without a word; say so before the first write.
        if (sqlite3_db_readonly(l.db_, "main") == 1)
            fail(ErrorCode::ledger_read_only,
                 where + ": " + sql::sqlite_problem(SQLITE_READONLY, "") +
                     (access == Access::read_only ? "; it needs an upgrade from an earlier vesperctl" : ""));
        sql::exec(l.db_, "PRAGMA foreign_keys = ON");
        enable_wal(l.db_, path);
        sql::exec(l.db_, "PRAGMA synchronous = FULL");
        l.created_ = migrate(l.db_);
        if (access != Access::read_only) return l;
    }
    Ledger l(path, open_connection(path, SQLITE_OPEN_READONLY), std::move(actor));
    sql::exec(l.db_, "PRAGMA foreign_keys = ON");
    return l;
}

int Ledger::schema_version() const {
    sql::Stmt st(db_, "PRAGMA user_version");
    st.step();
    return static_cast<int>(st.integer(0));
}

int Ledger::current_schema_version() { return schema_version_count(); }

void Ledger::set_random_source(serial::RandomSource rng) { rng_ = std::move(rng); }

std::vector<std::string> Ledger::reserve_serials(std::string_view type, std::string_view rev, const serial::Date& date,
                                                 int count) {
    if (count < 1 || count > 100000)
        fail(ErrorKind::input, "count " + std::to_string(count) + ": must be between 1 and 100000");
    auto proto = prototype(type, rev, date);
    sql::Transaction tx(db_);
    auto serials = allocate(db_, rng_, proto, count, std::nullopt);
    audit(db_, actor_, "serial.reserve", proto.prefix(), {{"count", count}, {"serials", serials}});
    tx.commit();
    return serials;
}

std::optional<SerialReservation> Ledger::find_serial(std::string_view serial) const {
    sql::Stmt st(db_, "SELECT serial, reserved_at, batch_id FROM serials WHERE serial = ?");
    st.bind(1, serial);
    if (!st.step()) return std::nullopt;
    SerialReservation r{st.text(0), st.text(1), std::nullopt};
    if (!st.is_null(2)) r.batch_id = st.integer(2);
    return r;
}

Batch Ledger::create_batch(const BatchSpec& spec) {
    if (spec.quantity < 1 || spec.quantity > 100000)
        fail(ErrorKind::input, "quantity " + std::to_string(spec.quantity) + ": must be between 1 and 100000");
    if (spec.available_outputs < 0 || spec.available_outputs > 255)
        fail(ErrorKind::input,
             "available outputs " + std::to_string(spec.available_outputs) + ": must be between 0 and 255");
    validate_plan(spec.subscription_plan);
    auto proto = prototype(spec.board_type, spec.revision, spec.date.value_or(serial::today_local()));

    sql::Transaction tx(db_);
    const std::string now = now_utc_iso8601();
    Batch b;
    b.board_type = spec.board_type;
    b.revision = spec.revision;
    b.quantity = spec.quantity;
    b.subscription_plan = spec.subscription_plan;
    b.available_outputs = spec.available_outputs;
    b.created_at = now;
    b.operator_name = actor_;
    {
        sql::Stmt st(db_, "INSERT INTO batches(board_type, revision, quantity, subscription_plan, available_outputs, "
                          "created_at, operator) VALUES (?,?,?,?,?,?,?)");
        st.bind(1, b.board_type).bind(2, b.revision).bind(3, b.quantity).bind(4, b.subscription_plan);
        st.bind(5, b.available_outputs).bind(6, now).bind(7, actor_);
        st.run();
        b.id = sqlite3_last_insert_rowid(db_);
    }
    auto serials = allocate(db_, rng_, proto, spec.quantity, b.id);
    sql::Stmt ins(db_, "INSERT INTO devices(serial, batch_id, hw_type, hw_version, status, subscription_plan, "
                       "available_outputs, created_at, updated_at) VALUES (?,?,?,?,'manufactured',?,?,?,?)");
    for (const auto& s : serials) {
        Device d;
        d.serial = s;
        d.batch_id = b.id;
        d.hw_type = b.board_type;
        d.hw_version = b.revision;
        d.subscription_plan = b.subscription_plan;
        d.available_outputs = b.available_outputs;
        d.created_at = d.updated_at = now;
        ins.reset();
        ins.bind(1, s).bind(2, b.id).bind(3, d.hw_type).bind(4, d.hw_version).bind(5, d.subscription_plan);
        ins.bind(6, d.available_outputs).bind(7, now).bind(8, now);
        ins.run();
        queue_outbox(db_, d, "device.upsert");
    }
    audit(db_, actor_, "batch.create", "batch:" + std::to_string(b.id),
          {{"board_type", b.board_type},
           {"revision", b.revision},
           {"quantity", b.quantity},
           {"subscription_plan", b.subscription_plan},
           {"available_outputs", b.available_outputs},
           {"first_serial", serials.front()},
           {"last_serial", serials.back()}});
    tx.commit();
    return b;
}

std::vector<Batch> Ledger::list_batches() const {
    sql::Stmt st(db_, std::string("SELECT ") + kBatchColumns + " FROM batches ORDER BY id");
    std::vector<Batch> out;
    while (st.step())
        out.push_back(read_batch(st));
    return out;
}

std::optional<Batch> Ledger::find_batch(std::int64_t id) const {
    sql::Stmt st(db_, std::string("SELECT ") + kBatchColumns + " FROM batches WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_batch(st);
}

Batch Ledger::get_batch(std::int64_t id) const {
    auto b = find_batch(id);
    if (!b)
        fail(ErrorCode::ledger_batch_not_found,
             "batch " + std::to_string(id) + " not found in ledger " + path_.string());
    return *b;
}

std::vector<Device> Ledger::devices_of_batch(std::int64_t batch_id) const {
    sql::Stmt st(db_, std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE batch_id = ? ORDER BY rowid");
    st.bind(1, batch_id);
    std::vector<Device> out;
    while (st.step())
        out.push_back(read_device(st));
    return out;
}

std::optional<Device> Ledger::find_device(std::string_view serial) const {
    return detail::device_by_serial(db_, serial);
}

Device Ledger::get_device(std::string_view serial) const {
    auto d = find_device(serial);
    if (!d)
        fail(ErrorCode::ledger_device_not_found,
             "device " + std::string(serial) + " not found in ledger " + path_.string());
    return *d;
}

std::map<DeviceStatus, int> Ledger::status_counts(std::int64_t batch_id) const {
    std::map<DeviceStatus, int> out{{DeviceStatus::manufactured, 0},
                                    {DeviceStatus::flashed, 0},
                                    {DeviceStatus::tested, 0},
                                    {DeviceStatus::registered, 0},
                                    {DeviceStatus::failed, 0}};
    sql::Stmt st(db_, "SELECT status, COUNT(*) FROM devices WHERE batch_id = ? GROUP BY status");
    st.bind(1, batch_id);
    while (st.step())
        if (auto s = parse_status(st.text(0))) out[*s] = static_cast<int>(st.integer(1));
    return out;
}

void Ledger::set_status(std::string_view serial, DeviceStatus to, std::string_view error) {
    sql::Transaction tx(db_);
    detail::move_device(db_, actor_, get_device(serial), to, error);
    tx.commit();
}

void Ledger::write_batch(const std::function<void()>& writes) {
    sql::Transaction tx(db_);
    writes();
    tx.commit();
}

void Ledger::sync_at_checkpoints() { sql::exec(db_, "PRAGMA synchronous = NORMAL"); }

void Ledger::read_snapshot(const std::function<void()>& reads) const {
    sql::Transaction tx(db_, sql::Transaction::Mode::read); // inside another transaction: joins it
    reads();
    tx.commit();
}

std::vector<AuditEntry> Ledger::audit_log(std::optional<std::string> subject) const {
    sql::Stmt st(db_, subject ? "SELECT id, at, actor, action, subject, details FROM audit_log WHERE subject = ? "
                                "ORDER BY id"
                              : "SELECT id, at, actor, action, subject, details FROM audit_log ORDER BY id");
    if (subject) st.bind(1, *subject);
    std::vector<AuditEntry> out;
    while (st.step())
        out.push_back({st.integer(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5)});
    return out;
}

} // namespace vesper::ledger
