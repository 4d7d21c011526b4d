#pragma once
// Claim codes: what a customer types (or scans) to claim a device in the app. The backend derives the
// same code from the same claim secret, so nothing per-device is stored; records carry only its hash.
//
// Format (docs/claim-codes.md): HMAC-SHA256(claim secret, serial), first 100 bits, as 20 Crockford
// base32 symbols, then one check symbol from the same alphabet, grouped "XXXXX-XXXXX-XXXXX-XXXXX-C".
// The check symbol makes sum(w_i * s_i) = 0 over GF(32) with distinct non-zero weights, so every
// single wrong symbol and every swap of two different symbols (adjacent or not) is caught.
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace vesper::creds {

// The NVS template / label field that carries a device's claim code ({{claim_code}}).
inline constexpr const char* kClaimCodeField = "claim_code";
inline constexpr const char* kClaimSecretEnv = "VESPER_CLAIM_SECRET";
inline constexpr std::size_t kClaimSecretMinBytes = 16;
inline constexpr std::size_t kClaimCodeBits = 100;
inline constexpr std::size_t kClaimDataSymbols = kClaimCodeBits / 5; // 20
inline constexpr std::string_view kCrockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The grouped canonical code of `serial`, e.g. "7M2QK-0Z4XH-…-C" (25 characters).
std::string claim_code(std::string_view secret, std::string_view serial);

// The check symbol for 20 data symbols (canonical alphabet). Exposed for tests and the docs' example.
char claim_check_symbol(std::string_view data_symbols);

// A typed code as its canonical grouped form: case ignored, hyphens and spaces ignored, Crockford's
// aliases O->0, I/L->1. Empty (and `why` says what is wrong) when it is not 21 alphabet symbols.
// The check symbol is not checked here.
std::string normalise_claim_code(std::string_view typed, std::string* why = nullptr);

enum class ClaimCheck {
    valid,                 // the code of this device
    wrong_check_character, // the check symbol disagrees: a typo (one wrong or two swapped characters)
    not_this_device,       // well-formed and checks, but another device's (or another secret's) code
    malformed,             // not 21 symbols of the alphabet
};
const char* to_string(ClaimCheck result) noexcept;

ClaimCheck check_claim_code(std::string_view secret, std::string_view serial, std::string_view typed,
                            std::string* why = nullptr);

// SHA-256 (lowercase hex) of the canonical grouped code: what exported and registered records carry
// instead of the code. Error(claim.malformed) when `code` does not normalise.
std::string claim_code_hash(std::string_view code);

// The claim secret from `secret_file` when given, else $VESPER_CLAIM_SECRET (creds::load_secret).
// Error(secret.missing) when neither has one, Error(secret.too_short) under kClaimSecretMinBytes;
// messages name where it came from, never the secret.
std::string load_claim_secret(const std::filesystem::path& secret_file);

} // namespace vesper::creds
