#pragma once
// Per-device MQTT credentials. The backend derives the same password from the same master secret, so
// a device only ever holds its own password, never the master secret.
#include <filesystem>
#include <string>
#include <string_view>

namespace vesper::creds {

// The NVS template field that carries a device's MQTT password ({{mqtt_password}}).
inline constexpr const char* kMqttPasswordField = "mqtt_password";

// HMAC-SHA256(secret, serial) as lowercase hex, first 32 characters.
std::string mqtt_password(std::string_view secret, std::string_view serial);

// Loads the master secret: from `secret_file` when given (surrounding whitespace and a trailing newline
// are stripped), else from the environment variable `env_var`. Throws Error(input) saying where it
// looked (`env_var`, `file_option`) when neither yields a non-empty secret; the secret itself never
// appears in a message.
std::string load_secret(const std::filesystem::path& secret_file, const char* env_var,
                        const char* file_option = "--secret-file");

} // namespace vesper::creds
