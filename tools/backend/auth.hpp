#pragma once
// Bearer tokens (RFC 6750): every request names one of the server's tokens in its Authorization
// header. Tokens are compared in constant time and never written anywhere; a token's idempotency scope
// is a hash of it.
#include <optional>
#include <string>
#include <vector>

#include "backend/record.hpp"

namespace vesper::backend {

struct AuthResult {
    std::optional<std::string> scope; // set when the token is one of ours
    std::optional<ApiError> error;    // 401 auth.missing or auth.invalid otherwise
    std::string challenge;            // the WWW-Authenticate header for a 401
};

class Auth {
public:
    explicit Auth(const std::vector<std::string>& tokens);
    AuthResult check(const std::string& authorization) const;

private:
    struct Known {
        std::string digest; // SHA-256 of the token: compared, so every comparison has the same length
        std::string scope;
    };
    std::vector<Known> known_;
};

} // namespace vesper::backend
