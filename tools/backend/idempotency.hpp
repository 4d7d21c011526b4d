#pragma once
// Idempotency keys (docs/backend-api.md, "Idempotency"): a client sends a key with every write and the
// same key again when it retries. The server keeps, per token and key, the fingerprint of the record
// and the response it gave: the same key with the same record gets that response again (replayed),
// with another record 422 idempotency.mismatch.
#include <optional>
#include <string>

#include "backend/record.hpp"
#include "backend/store.hpp"

namespace vesper::backend {

// Keys are 1..255 printable ASCII characters without spaces. The problem, or nullopt when valid; a
// missing key (`key` null) is idempotency.key_missing.
std::optional<ApiError> check_key(const std::string* key);

// The scope keys live in for a token: a hash of it, so that the database never holds a token and two
// clients with their own tokens cannot collide on a key.
std::string key_scope(const std::string& token);

enum class KeyState { fresh, replay, mismatch };

struct KeyLookup {
    KeyState state = KeyState::fresh;
    StoredResponse stored; // replay: the response to give again
};

// What the key means for a request whose record has `fingerprint`.
KeyLookup look_up_key(const Store& store, const std::string& scope, const std::string& key,
                      const std::string& fingerprint);

ApiError mismatch_error(const std::string& key);

} // namespace vesper::backend
