#include "backend/auth.hpp"

#include <openssl/crypto.h>

#include "backend/idempotency.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

constexpr const char* kRealm = "Bearer realm=\"vesper-backend\"";

std::string digest_of(const std::string& token) { return sha256_hex(token); }

} // namespace

Auth::Auth(const std::vector<std::string>& tokens) {
    for (const std::string& t : tokens)
        known_.push_back({digest_of(t), key_scope(t)});
}

AuthResult Auth::check(const std::string& authorization) const {
    AuthResult r;
    const std::string_view header = trim(authorization);
    if (header.empty()) {
        r.error = ApiError{401, "auth.missing", "the request has no Authorization: Bearer TOKEN header"};
        r.challenge = kRealm;
        return r;
    }
    const auto space = header.find(' ');
    if (space == std::string_view::npos || !iequals(header.substr(0, space), "Bearer")) {
        r.error = ApiError{401, "auth.missing", "the Authorization header is not of the Bearer scheme"};
        r.challenge = kRealm;
        return r;
    }
    const std::string digest = digest_of(std::string(trim(header.substr(space + 1))));
    bool found = false;
    for (const Known& k : known_)
        if (CRYPTO_memcmp(k.digest.data(), digest.data(), digest.size()) == 0 && !found) {
            found = true;
            r.scope = k.scope;
        }
    if (!found) {
        r.error = ApiError{401, "auth.invalid", "the bearer token is not one this server accepts"};
        r.challenge = std::string(kRealm) + ", error=\"invalid_token\"";
    }
    return r;
}

} // namespace vesper::backend
