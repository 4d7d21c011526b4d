#include "vesper/creds/claim_code.hpp"

#include <cstdint>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/creds/mqtt.hpp"

namespace vesper::creds {

namespace {

constexpr std::size_t kSymbols = kClaimDataSymbols + 1; // with the check symbol
constexpr std::size_t kGroup = 5;

// GF(32) = GF(2)[x] / (x^5 + x^2 + 1); x is primitive (order 31), so x^1..x^20 and 1 are 21 distinct
// non-zero weights, which is what lets the check symbol catch any single error and any swap.
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
    unsigned r = 0;
    for (int i = 0; i < 5; ++i)
        if (b >> i & 1) r ^= static_cast<unsigned>(a) << i;
    for (int i = 8; i >= 5; --i)
        if (r >> i & 1) r ^= 0x25u << (i - 5);
    return static_cast<std::uint8_t>(r);
}

int symbol_value(char c) {
    const auto at = kCrockfordAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Crockford's decoding: case folded, O reads as 0, I and L as 1. U and the rest are not symbols.
char canonical_symbol(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') return '0';
    if (c == 'I' || c == 'L') return '1';
    return symbol_value(c) < 0 ? '\0' : c;
}

// The 21 symbols, ungrouped, as "XXXXX-XXXXX-XXXXX-XXXXX-C".
std::string grouped(std::string_view symbols) {
    std::string out;
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i > 0 && i % kGroup == 0) out += '-';
        out += symbols[i];
    }
    return out;
}

std::string ungrouped(std::string_view code) {
    std::string out;
    for (char c : code)
        if (c != '-') out += c;
    return out;
}

} // namespace

char claim_check_symbol(std::string_view data_symbols) {
    if (data_symbols.size() != kClaimDataSymbols)
        fail(ErrorCode::internal, "claim_check_symbol: " + std::to_string(data_symbols.size()) + " data symbols");
    std::uint8_t sum = 0, weight = 1;
    for (char c : data_symbols) {
        const int v = symbol_value(c);
        if (v < 0) fail(ErrorCode::internal, std::string("claim_check_symbol: not a symbol: ") + c);
        weight = gf_mul(weight, 2); // x^(i+1) for data symbol i
        sum ^= gf_mul(weight, static_cast<std::uint8_t>(v));
    }
    return kCrockfordAlphabet[sum]; // weight 1: check + sum = 0 in GF(2^5)
}

std::string claim_code(std::string_view secret, std::string_view serial) {
    const auto mac = hmac_sha256(as_bytes(secret), as_bytes(serial));
    std::string symbols;
    for (std::size_t i = 0; i < kClaimDataSymbols; ++i) { // bits 5i..5i+4 of the MAC, most significant first
        unsigned v = 0;
        for (std::size_t b = 5 * i; b < 5 * i + 5; ++b)
            v = v << 1 | (mac[b / 8] >> (7 - b % 8) & 1u);
        symbols += kCrockfordAlphabet[v];
    }
    symbols += claim_check_symbol(symbols);
    return grouped(symbols);
}

std::string normalise_claim_code(std::string_view typed, std::string* why) {
    std::string symbols;
    for (std::size_t i = 0; i < typed.size(); ++i) {
        const char c = typed[i];
        if (c == '-' || c == ' ') continue;
        const char s = canonical_symbol(c);
        if (!s) {
            if (why) {
                const bool printable = c > ' ' && c < 0x7f;
                *why = "character " + std::to_string(i + 1) + " " +
                       (printable ? "'" + std::string(1, c) + "'"
                                  : "(byte " + hex_u(static_cast<unsigned char>(c), 2) + ")") +
                       " is not a claim code symbol (0-9 and A-Z without I, L, O, U; hyphens and spaces are ignored)";
            }
            return {};
        }
        symbols += s;
    }
    if (symbols.size() != kSymbols) {
        if (why)
            *why = "it has " + std::to_string(symbols.size()) + " symbols; a claim code has " +
                   std::to_string(kSymbols) + " (XXXXX-XXXXX-XXXXX-XXXXX-C)";
        return {};
    }
    return grouped(symbols);
}

const char* to_string(ClaimCheck result) noexcept {
    switch (result) {
    case ClaimCheck::valid: return "valid";
    case ClaimCheck::wrong_check_character: return "wrong_check_character";
    case ClaimCheck::not_this_device: return "not_this_device";
    case ClaimCheck::malformed: return "malformed";
    }
    return "malformed";
}

ClaimCheck check_claim_code(std::string_view secret, std::string_view serial, std::string_view typed,
                            std::string* why) {
    const std::string code = normalise_claim_code(typed, why);
    if (code.empty()) return ClaimCheck::malformed;
    const std::string symbols = ungrouped(code);
    if (claim_check_symbol(std::string_view(symbols).substr(0, kClaimDataSymbols)) != symbols.back()) {
        if (why) *why = "the check character does not match: one character is wrong or two are swapped";
        return ClaimCheck::wrong_check_character;
    }
    if (code != claim_code(secret, serial)) {
        if (why) *why = "the code is well-formed but is not this device's claim code";
        return ClaimCheck::not_this_device;
    }
    return ClaimCheck::valid;
}

std::string claim_code_hash(std::string_view code) {
    std::string why;
    const std::string canonical = normalise_claim_code(code, &why);
    if (canonical.empty()) fail(ErrorCode::claim_malformed, "not a claim code: " + why);
    return to_hex(sha256(as_bytes(canonical)));
}

std::string load_claim_secret(const std::filesystem::path& secret_file) {
    std::string secret = load_secret(secret_file, kClaimSecretEnv, "--claim-secret-file");
    if (secret.size() < kClaimSecretMinBytes) {
        const std::string from = secret_file.empty() ? std::string("$") + kClaimSecretEnv : secret_file.string();
        fail(ErrorCode::secret_too_short, from + ": the claim secret is " + std::to_string(secret.size()) +
                                              " bytes; at least " + std::to_string(kClaimSecretMinBytes) +
                                              " are needed (e.g. 32 random bytes, base64)");
    }
    return secret;
}

} // namespace vesper::creds
