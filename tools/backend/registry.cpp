#include "backend/registry.hpp"

#include "backend/idempotency.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

using nlohmann::json;

WriteResult failure(const ApiError& e) { return {e.status, error_body(e), false}; }

// The media type without parameters, lower-case: "application/json; charset=utf-8" -> "application/json".
std::string media_type(const std::string& content_type) {
    std::string t{trim(content_type.substr(0, content_type.find(';')))};
    for (char& c : t)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
}

BulkItem item_from(const json& j) {
    BulkItem item;
    if (!j.is_object()) {
        item.error = ApiError{400, "bulk.item_invalid", "a bulk item must be an object {idempotency_key, record}"};
        return item;
    }
    if (j.contains("idempotency_key")) {
        if (!j["idempotency_key"].is_string()) {
            item.error = ApiError{400, "idempotency.key_invalid", "idempotency_key must be a string"};
            return item;
        }
        item.key = j["idempotency_key"].get<std::string>();
    }
    if (!j.contains("record")) {
        item.error = ApiError{400, "bulk.item_invalid", "a bulk item must have a 'record'"};
        return item;
    }
    item.record = j["record"];
    return item;
}

} // namespace

std::string error_body(const ApiError& e) {
    return json_text(json{{"error", {{"code", e.code}, {"message", e.message}}}});
}

BulkParse parse_bulk(const std::string& content_type, const std::string& body, int max_items) {
    BulkParse out;
    const std::string type = media_type(content_type);
    const auto too_many = [&](std::size_t n) {
        return ApiError{413, "bulk.too_large",
                        "a bulk request takes at most " + std::to_string(max_items) + " records; this one has " +
                            std::to_string(n) + ": split it"};
    };
    if (type == "application/x-ndjson") {
        std::size_t line_no = 0, count = 0;
        for (const std::string& line : split(body, '\n'))
            if (!trim(line).empty()) ++count;
        if (count > static_cast<std::size_t>(max_items)) {
            out.error = too_many(count);
            return out;
        }
        for (const std::string& line : split(body, '\n')) {
            ++line_no;
            if (trim(line).empty()) continue;
            const json j = json::parse(line, nullptr, false);
            if (j.is_discarded()) {
                BulkItem item;
                item.error = ApiError{400, "bulk.item_invalid", "line " + std::to_string(line_no) + " is not JSON"};
                out.items.push_back(std::move(item));
                continue;
            }
            out.items.push_back(item_from(j));
        }
        return out;
    }
    if (type == "application/json") {
        const json j = json::parse(body, nullptr, false);
        if (j.is_discarded() || !j.is_array()) {
            out.error = ApiError{400, "request.invalid_json", "the body must be a JSON array of bulk items"};
            return out;
        }
        if (j.size() > static_cast<std::size_t>(max_items)) {
            out.error = too_many(j.size());
            return out;
        }
        for (const json& item : j)
            out.items.push_back(item_from(item));
        return out;
    }
    out.error = ApiError{415, "request.media_type",
                         "a bulk request is application/x-ndjson or application/json, not '" + type + "'"};
    return out;
}

WriteResult Registry::write_one(const std::string& scope, const std::string* key, const json& record,
                                const std::string* path_serial) {
    if (auto e = check_key(key)) return failure(*e);
    if (auto e = check_record(record, path_serial)) return failure(*e);
    const std::string canonical = canonical_text(record);
    const std::string fingerprint = sha256_hex(canonical);

    const KeyLookup seen = look_up_key(store_, scope, *key, fingerprint);
    if (seen.state == KeyState::replay) {
        ++counters_.replays;
        return {seen.stored.status, seen.stored.body, true};
    }
    if (seen.state == KeyState::mismatch) {
        ++counters_.mismatches;
        return failure(mismatch_error(*key));
    }

    const std::string serial = record["serial_number"].get<std::string>();
    const std::string updated_at = record["updated_at"].get<std::string>();
    const auto existing = store_.get(serial);
    StoredRecord now{serial, canonical, fingerprint, updated_at, now_utc_iso8601()};
    int status = 200;
    std::string result;
    bool applied = true;
    if (!existing) {
        status = 201;
        result = "created";
        store_.put(now);
        ++counters_.created;
    } else if (*timestamp_order_key(updated_at) < *timestamp_order_key(existing->updated_at)) {
        // A retry that arrives after a newer write: acknowledged, so the client stops retrying, but the
        // newer record stays.
        result = "stale";
        applied = false;
        now = *existing;
        ++counters_.stale;
    } else if (existing->record == canonical) {
        result = "unchanged";
        now = *existing;
        ++counters_.unchanged;
    } else {
        result = "updated";
        store_.put(now);
        ++counters_.updated;
    }
    const std::string body = json_text(json{{"serial_number", serial},
                                            {"result", result},
                                            {"applied", applied},
                                            {"record_sha256", now.record_sha256},
                                            {"updated_at", now.updated_at}});
    store_.save_response(scope, *key, {fingerprint, status, body});
    return {status, body, false};
}

WriteResult Registry::put(const std::string& scope, const std::string* key, const std::string& path_serial,
                          const std::string& body) {
    if (!valid_serial(path_serial))
        return failure({400, "record.invalid",
                        "the serial number in the path must be 1..64 characters of A-Z a-z "
                        "0-9 . _ -"});
    const json record = json::parse(body, nullptr, false);
    if (record.is_discarded()) return failure({400, "request.invalid_json", "the body is not JSON"});
    std::lock_guard lock(mutex_);
    store_.begin();
    try {
        WriteResult r = write_one(scope, key, record, &path_serial);
        store_.commit();
        return r;
    } catch (...) {
        store_.rollback();
        throw;
    }
}

json Registry::bulk(const std::string& scope, const std::vector<BulkItem>& items) {
    json results = json::array();
    std::lock_guard lock(mutex_);
    store_.begin();
    try {
        for (const BulkItem& item : items) {
            json serial = nullptr;
            if (item.record && item.record->is_object() && item.record->contains("serial_number") &&
                (*item.record)["serial_number"].is_string())
                serial = (*item.record)["serial_number"];
            WriteResult r;
            if (item.error)
                r = failure(*item.error);
            else
                r = write_one(scope, item.key ? &*item.key : nullptr, *item.record, nullptr);
            json entry = json::parse(r.body);
            if (entry.contains("error")) entry["serial_number"] = serial;
            entry["status"] = r.status;
            if (r.replayed) entry["replayed"] = true;
            results.push_back(std::move(entry));
        }
        store_.commit();
    } catch (...) {
        store_.rollback();
        throw;
    }
    return results;
}

std::optional<StoredRecord> Registry::get(const std::string& serial) {
    std::lock_guard lock(mutex_);
    return store_.get(serial);
}

std::vector<StoredRecord> Registry::list(const std::string& after, int limit) {
    std::lock_guard lock(mutex_);
    return store_.list(after, limit);
}

std::int64_t Registry::count() {
    std::lock_guard lock(mutex_);
    return store_.count();
}

} // namespace vesper::backend
