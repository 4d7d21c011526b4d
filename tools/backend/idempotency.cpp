#include "backend/idempotency.hpp"

namespace vesper::backend {

std::optional<ApiError> check_key(const std::string* key) {
    if (key == nullptr)
        return ApiError{400, "idempotency.key_missing",
                        "every write needs an idempotency key (the Idempotency-Key header, or idempotency_key in a "
                        "bulk item)"};
    if (key->empty() || key->size() > 255)
        return ApiError{400, "idempotency.key_invalid", "the idempotency key must be 1..255 characters long"};
    for (char c : *key)
        if (c < 0x21 || c > 0x7E)
            return ApiError{400, "idempotency.key_invalid",
                            "the idempotency key may hold only printable ASCII characters, no spaces"};
    return std::nullopt;
}

std::string key_scope(const std::string& token) {
    // Domain-separated and cut to 64 bits: enough to tell tokens apart, and tokens of at least 16
    // characters keep it from being reversed.
    return sha256_hex("vesper-backend idempotency scope\n" + token).substr(0, 16);
}

KeyLookup look_up_key(const Store& store, const std::string& scope, const std::string& key,
                      const std::string& fingerprint) {
    auto stored = store.response(scope, key);
    if (!stored) return {};
    if (stored->fingerprint != fingerprint) return {KeyState::mismatch, {}};
    return {KeyState::replay, std::move(*stored)};
}

ApiError mismatch_error(const std::string& key) {
    return {422, "idempotency.mismatch",
            "idempotency key '" + key +
                "' was used before with another record; a retry must send the same record "
                "with its key, a new record needs a new key"};
}

} // namespace vesper::backend
