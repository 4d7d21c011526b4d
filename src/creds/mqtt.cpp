#include "vesper/creds/mqtt.hpp"

#include <cstdlib>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"

namespace vesper::creds {

std::string mqtt_password(std::string_view secret, std::string_view serial) {
    auto mac = hmac_sha256(as_bytes(secret), as_bytes(serial));
    return to_hex(mac).substr(0, 32);
}

std::string load_secret(const std::filesystem::path& secret_file, const char* env_var, const char* file_option) {
    if (!secret_file.empty()) {
        std::string text = read_text_file(secret_file);
        std::string secret(trim(text));
        if (secret.empty()) fail(ErrorCode::secret_missing, secret_file.string() + ": secret file is empty");
        return secret;
    }
    const char* v = std::getenv(env_var);
    if (v && *v) return v;
    fail(ErrorCode::secret_missing, std::string("no secret: set ") + env_var + " or pass " + file_option + " FILE");
}

} // namespace vesper::creds
