#pragma once
// The device record as the API takes it (docs/backend-api.md, "The device record"): which fields it
// must have, their types, and its canonical text, whose SHA-256 is the record's fingerprint.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace vesper::backend {

// A problem with a request, as the API reports it: {"error": {"code", "message"}} with an HTTP status.
struct ApiError {
    int status = 400;
    std::string code;
    std::string message;
};

// Serial numbers in paths and records: 1..64 of A-Z a-z 0-9 . _ - (what vesperctl's serial formats
// produce, and safe in a URL path without escaping).
bool valid_serial(const std::string& serial);

// Checks a record: required fields present with their types, optional ones null or of their type, and
// serial_number equal to `path_serial` when one is given. Fields the contract does not know are kept
// (the record grows; a newer client must not be refused by an older server). nullopt when valid.
std::optional<ApiError> check_record(const nlohmann::json& record, const std::string* path_serial);

// One form for equal records: keys sorted by their bytes, no whitespace, UTF-8, integers in decimal.
std::string canonical_text(const nlohmann::json& record);
// Lower-case hex SHA-256 of the text.
std::string sha256_hex(const std::string& text);

// An RFC 3339 UTC timestamp ("2026-12-04T11:08:53Z", fractions allowed) turned into a string that
// sorts in time order ("2026-12-04T11:08:53.000000000"); nullopt when it is not one.
std::optional<std::string> timestamp_order_key(const std::string& timestamp);

} // namespace vesper::backend
