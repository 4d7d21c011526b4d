// The bearer token and the checks on `backend:` values that the config reader shares with the client.
#include "vesper/backend/settings.hpp"

#include <cstdlib>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

bool token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

std::string checked(std::string token, const std::string& where) {
    for (char c : token)
        if (!token_char(c))
            fail(ErrorCode::input_invalid, "the bearer token in " + where +
                                               " has a character a token cannot hold (RFC 6750: letters, "
                                               "digits and -._~+/=)");
    return token;
}

std::string from_file(const std::filesystem::path& file) {
    std::string token(trim(read_text_file(file)));
    if (token.empty()) fail(ErrorCode::secret_missing, file.string() + ": the token file is empty");
    return checked(std::move(token), file.string());
}

bool base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

std::string load_token(const BackendSettings& settings, const std::filesystem::path& token_file_override) {
    if (!token_file_override.empty()) return from_file(token_file_override);
    if (const char* v = std::getenv(kTokenEnv); v && *v) {
        std::string token(trim(v));
        if (!token.empty()) return checked(std::move(token), std::string("$") + kTokenEnv);
    }
    if (!settings.token_file.empty()) return from_file(settings.token_file);
    fail(ErrorCode::secret_missing, std::string("no backend token: set ") + kTokenEnv +
                                        ", or name a file with --token-file or the config's backend.token_file");
}

bool valid_pinned_public_key(const std::string& value, std::string* why) {
    auto no = [&](const std::string& reason) {
        if (why) *why = reason;
        return false;
    };
    if (value.empty()) return no("empty");
    std::size_t start = 0;
    while (true) {
        const std::size_t end = value.find(';', start);
        const std::string pin = value.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!pin.starts_with("sha256//")) return no(quote_value(pin) + " does not start with sha256//");
        const std::string b64 = pin.substr(8);
        // A SHA-256 is 32 bytes: 43 base64 characters and one '='.
        if (b64.size() != 44 || b64[43] != '=')
            return no(quote_value(pin) + " is not the base64 of a SHA-256 (44 characters ending in '=')");
        for (std::size_t i = 0; i < 43; ++i)
            if (!base64_char(b64[i])) return no(quote_value(pin) + " is not base64");
        if (end == std::string::npos) return true;
        start = end + 1;
    }
}

} // namespace vesper::backend
