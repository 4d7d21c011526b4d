#pragma once
// The backend's SQLite database: the device records (canonical text, its SHA-256, updated_at) and the
// idempotency keys (scope, key, request fingerprint, the response given). One connection, used by one
// thread at a time: the caller (Registry) holds a lock around every use.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vesper::backend {

struct StoredRecord {
    std::string serial_number;
    std::string record;        // canonical text
    std::string record_sha256; // of `record`
    std::string updated_at;    // the record's own updated_at, as sent
    std::string stored_at;     // when this server last wrote it (UTC)
};

struct StoredResponse {
    std::string fingerprint; // SHA-256 of the request's canonical record
    int status = 0;
    std::string body;
};

class Store {
public:
    // Opens or creates the database (":memory:" for none on disk). Throws Error(io) naming the path.
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    std::optional<StoredRecord> get(const std::string& serial) const;
    void put(const StoredRecord& record);
    // Records in serial-number order (bytes), those after `after` (empty: from the first), at most `limit`.
    std::vector<StoredRecord> list(const std::string& after, int limit) const;
    std::int64_t count() const;

    std::optional<StoredResponse> response(const std::string& scope, const std::string& key) const;
    void save_response(const std::string& scope, const std::string& key, const StoredResponse& response);

    // One transaction around a batch of writes (a bulk request): all of it is stored, or none.
    void begin();
    void commit();
    void rollback() noexcept;

private:
    void exec(const char* sql);
    void close() noexcept;
    sqlite3* db_ = nullptr;
    sqlite3_stmt *get_ = nullptr, *put_ = nullptr, *list_ = nullptr, *count_ = nullptr, *response_ = nullptr,
                 *save_response_ = nullptr;
    std::string path_;
};

} // namespace vesper::backend
