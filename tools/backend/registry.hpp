#pragma once
// The write and read paths of the API over the store: record checks, idempotency, out-of-order writes
// (a record older than the stored one is acknowledged but not applied), the bulk form. One request at
// a time holds the registry, so a key and a record are always checked against what is stored.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/record.hpp"
#include "backend/store.hpp"

namespace vesper::backend {

// A write's answer: its HTTP status and JSON body.
struct WriteResult {
    int status = 0;
    std::string body;
    bool replayed = false;
};

// One item of a bulk request, as parsed: a record and its key, or what was wrong with the item.
struct BulkItem {
    std::optional<nlohmann::json> record;
    std::optional<std::string> key;
    std::optional<ApiError> error;
};

// Bulk request bodies: "application/x-ndjson" (one item per line, blank lines skipped) or
// "application/json" (an array of items). The problem with the request as a whole (415, 400, 413 above
// `max_items`), or the items in order.
struct BulkParse {
    std::optional<ApiError> error;
    std::vector<BulkItem> items;
};
BulkParse parse_bulk(const std::string& content_type, const std::string& body, int max_items);

std::string error_body(const ApiError& e);

struct RegistryCounters {
    std::atomic<std::uint64_t> created{0}, updated{0}, unchanged{0}, stale{0}, replays{0}, mismatches{0};
};

class Registry {
public:
    explicit Registry(Store& store) : store_(store) {}

    // PUT /v1/devices/{serial}: `body` is the request body, `key` the Idempotency-Key header.
    WriteResult put(const std::string& scope, const std::string* key, const std::string& path_serial,
                    const std::string& body);
    // POST /v1/devices:bulk, after parse_bulk: the results array's items, in order.
    nlohmann::json bulk(const std::string& scope, const std::vector<BulkItem>& items);

    std::optional<StoredRecord> get(const std::string& serial);
    std::vector<StoredRecord> list(const std::string& after, int limit);
    std::int64_t count();
    const RegistryCounters& counters() const { return counters_; }

private:
    WriteResult write_one(const std::string& scope, const std::string* key, const nlohmann::json& record,
                          const std::string* path_serial);

    Store& store_;
    std::mutex mutex_;
    RegistryCounters counters_;
};

} // namespace vesper::backend
