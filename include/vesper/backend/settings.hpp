#pragma once
// Where and how vesperctl reaches the company backend: the factory config's `backend:` section
// (docs/config.md) and the bearer token, which never comes from the config itself.
#include <cstddef>
#include <filesystem>
#include <string>

namespace vesper::backend {

struct BackendSettings {
    std::string url;                               // https://host[:port][/base]; http:// only with allow_plain_http
    std::filesystem::path token_file;              // else $VESPER_BACKEND_TOKEN
    std::filesystem::path ca_file;                 // empty: the system's trust store
    std::string pinned_public_key;                 // "sha256//BASE64" (one or more joined by ';'), optional
    std::filesystem::path client_cert, client_key; // mTLS, optional (both or neither)
    std::size_t bulk_size = 100;                   // 1: one PUT per record; >1: POST /v1/devices:bulk (NDJSON)
    int max_in_flight = 4;                         // requests at once (1..64)
    double connect_timeout_s = 5, request_timeout_s = 30;
    double backoff_base_s = 0.5, backoff_max_s = 300; // full jitter: uniform(0, min(max, base*2^attempts))
    bool insecure_skip_verify = false;                // config key `insecure_skip_verify: true`; never the default
    bool allow_plain_http = false;                    // config key `allow_plain_http: true` (loopback tests, demo)
    int line = 0;                                     // where `backend:` is
};

// The environment variable that holds the bearer token.
inline constexpr const char* kTokenEnv = "VESPER_BACKEND_TOKEN";

// The bearer token: `token_file_override` (the CLI's --token-file) when given, else $VESPER_BACKEND_TOKEN,
// else the settings' token_file. Surrounding whitespace (a trailing newline) is stripped.
// Error(secret.missing) naming the places looked at when none gives a token; Error(input) for a token
// with characters a bearer token cannot hold (RFC 6750: letters, digits, -._~+/=). The token itself
// never appears in a message.
std::string load_token(const BackendSettings& settings, const std::filesystem::path& token_file_override = {});

// Whether `value` is one or more "sha256//BASE64" pins (each the 44 base64 characters of a SHA-256)
// joined by ';'. `why` says what is wrong otherwise.
bool valid_pinned_public_key(const std::string& value, std::string* why = nullptr);

} // namespace vesper::backend
