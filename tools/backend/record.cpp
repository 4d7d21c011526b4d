#include "backend/record.hpp"

#include <cctype>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::backend {

namespace {

using nlohmann::json;

ApiError invalid(const std::string& message) { return {400, "record.invalid", message}; }

bool is_digits(std::string_view s) {
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

bool is_hex64(const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
    return true;
}

// An integer >= 0 (parsed JSON holds these as unsigned; a record built in code may hold a signed one).
bool is_count(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0); }

bool is_mac(const std::string& s) {
    if (s.size() != 17) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool sep = i % 3 == 2;
        if (sep ? s[i] != ':' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

// Field checks, each returning the problem or nothing. `f` is the field's name for the message.
std::optional<ApiError> need_string(const json& r, const char* f, bool allow_empty = false) {
    if (!r.contains(f)) return invalid(std::string("field '") + f + "' is missing");
    if (!r[f].is_string()) return invalid(std::string("field '") + f + "' must be a string");
    if (!allow_empty && r[f].get_ref<const std::string&>().empty())
        return invalid(std::string("field '") + f + "' must not be empty");
    return std::nullopt;
}

std::optional<ApiError> need_timestamp(const json& r, const char* f, bool optional) {
    if (!r.contains(f) || r[f].is_null()) {
        if (optional) return std::nullopt;
        return invalid(std::string("field '") + f + "' is missing");
    }
    if (!r[f].is_string() || !timestamp_order_key(r[f].get<std::string>()))
        return invalid(std::string("field '") + f + "' must be an RFC 3339 UTC timestamp like 2026-12-04T11:08:53Z");
    return std::nullopt;
}

std::optional<ApiError> optional_of(const json& r, const char* f, bool (json::*is_type)() const noexcept,
                                    const char* type) {
    if (!r.contains(f) || r[f].is_null() || (r[f].*is_type)()) return std::nullopt;
    return invalid(std::string("field '") + f + "' must be " + type + " or null");
}

std::optional<ApiError> check_firmware(const json& r) {
    if (!r.contains("firmware") || r["firmware"].is_null()) return std::nullopt;
    const json& fw = r["firmware"];
    if (!fw.is_object()) return invalid("field 'firmware' must be an object {version, sha256} or null");
    if (!fw.contains("version") || !fw["version"].is_string() || fw["version"].get_ref<const std::string&>().empty())
        return invalid("field 'firmware.version' must be a non-empty string");
    if (!fw.contains("sha256") || !fw["sha256"].is_string() || !is_hex64(fw["sha256"].get<std::string>()))
        return invalid("field 'firmware.sha256' must be 64 lower-case hex digits");
    return std::nullopt;
}

std::optional<ApiError> check_test(const json& r) {
    if (!r.contains("test") || r["test"].is_null()) return std::nullopt;
    const json& t = r["test"];
    if (!t.is_object()) return invalid("field 'test' must be an object {passed, tests, failed} or null");
    if (!t.contains("passed") || !t["passed"].is_boolean()) return invalid("field 'test.passed' must be true or false");
    if (!t.contains("tests") || !is_count(t["tests"])) return invalid("field 'test.tests' must be an integer >= 0");
    if (!t.contains("failed") || !t["failed"].is_array()) return invalid("field 'test.failed' must be an array");
    for (const json& name : t["failed"])
        if (!name.is_string() || name.get_ref<const std::string&>().empty())
            return invalid("field 'test.failed' must hold the failed tests' names (non-empty strings)");
    if (t["failed"].size() > t["tests"].get<std::uint64_t>())
        return invalid("field 'test.failed' names more tests than 'test.tests' counts");
    if (t["passed"].get<bool>() != t["failed"].empty())
        return invalid("field 'test.passed' must be true exactly when 'test.failed' is empty");
    return std::nullopt;
}

} // namespace

bool valid_serial(const std::string& serial) {
    if (serial.empty() || serial.size() > 64) return false;
    for (char c : serial)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

std::optional<ApiError> check_record(const json& r, const std::string* path_serial) {
    if (!r.is_object()) return invalid("the record must be a JSON object");
    if (auto e = need_string(r, "serial_number")) return e;
    const std::string& serial = r["serial_number"].get_ref<const std::string&>();
    if (!valid_serial(serial)) return invalid("field 'serial_number' must be 1..64 characters of A-Z a-z 0-9 . _ -");
    if (path_serial && serial != *path_serial)
        return ApiError{400, "record.serial_mismatch",
                        "the record's serial_number '" + serial + "' is not the one in the path, '" + *path_serial +
                            "'"};
    for (const char* f : {"hw_type", "hw_version", "subscription_plan"})
        if (auto e = need_string(r, f)) return e;
    if (auto e = need_string(r, "status")) return e;
    if (!ledger::parse_status(r["status"].get<std::string>()))
        return invalid("field 'status' must be one of manufactured, flashed, tested, registered, failed");
    if (!r.contains("available_outputs") || !is_count(r["available_outputs"]))
        return invalid("field 'available_outputs' must be an integer >= 0");
    if (auto e = need_timestamp(r, "created_at", false)) return e;
    if (auto e = need_timestamp(r, "updated_at", false)) return e;
    for (const char* f : {"flashed_at", "tested_at", "registered_at"})
        if (auto e = need_timestamp(r, f, true)) return e;
    // The factory creates devices unowned; owners and users are the backend's, after a customer claims one.
    if (!r.contains("owner") || !r["owner"].is_null()) return invalid("field 'owner' must be null");
    if (!r.contains("users_list") || !r["users_list"].is_array() || !r["users_list"].empty())
        return invalid("field 'users_list' must be an empty array");
    if (auto e = optional_of(r, "mac", &json::is_string, "a string")) return e;
    if (r.contains("mac") && r["mac"].is_string() && !is_mac(r["mac"].get<std::string>()))
        return invalid("field 'mac' must look like 24:0a:c4:00:00:01");
    if (r.contains("batch_id") && !r["batch_id"].is_null() && !is_count(r["batch_id"]))
        return invalid("field 'batch_id' must be an integer >= 0 or null");
    if (auto e = optional_of(r, "last_error", &json::is_string, "a string")) return e;
    if (auto e = optional_of(r, "claim_code_hash", &json::is_string, "a string")) return e;
    if (r.contains("claim_code_hash") && r["claim_code_hash"].is_string() &&
        !is_hex64(r["claim_code_hash"].get<std::string>()))
        return invalid("field 'claim_code_hash' must be 64 lower-case hex digits (SHA-256)");
    if (auto e = check_firmware(r)) return e;
    if (auto e = check_test(r)) return e;
    return std::nullopt;
}

std::string canonical_text(const json& record) { return json_text(record); }

std::string sha256_hex(const std::string& text) { return to_hex(sha256(as_bytes(text))); }

std::optional<std::string> timestamp_order_key(const std::string& ts) {
    // YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z
    if (ts.size() < 20 || ts.back() != 'Z') return std::nullopt;
    const std::string_view s(ts);
    const bool shape = is_digits(s.substr(0, 4)) && s[4] == '-' && is_digits(s.substr(5, 2)) && s[7] == '-' &&
                       is_digits(s.substr(8, 2)) && s[10] == 'T' && is_digits(s.substr(11, 2)) && s[13] == ':' &&
                       is_digits(s.substr(14, 2)) && s[16] == ':' && is_digits(s.substr(17, 2));
    if (!shape) return std::nullopt;
    const auto num = [&](std::size_t at, std::size_t n) { return std::stoi(std::string(s.substr(at, n))); };
    if (num(5, 2) < 1 || num(5, 2) > 12 || num(8, 2) < 1 || num(8, 2) > 31 || num(11, 2) > 23 || num(14, 2) > 59 ||
        num(17, 2) > 60)
        return std::nullopt;
    std::string fraction;
    const std::string_view rest = s.substr(19, s.size() - 20);
    if (!rest.empty()) {
        if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10 || !is_digits(rest.substr(1))) return std::nullopt;
        fraction = std::string(rest.substr(1));
    }
    fraction.resize(9, '0');
    return std::string(s.substr(0, 19)) + "." + fraction;
}

} // namespace vesper::backend
