// Claim codes (creds/claim_code): the code is the HMAC computed here with OpenSSL directly and
// encoded here bit by bit; the check symbol catches every single wrong symbol and every swap of two
// symbols, shown exhaustively for a sample of codes; typed codes normalise; the secret's rules.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <string>

#include "temp_dir.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"

using namespace vesper;
using creds::ClaimCheck;

namespace {

const std::string kSecret = "claim-secret-for-tests-0123456789";
const std::string kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The first 100 bits of HMAC-SHA256(secret, serial) as 20 symbols, from OpenSSL and a 128-bit number.
std::string expected_data_symbols(const std::string& secret, const std::string& serial) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(serial.data()), serial.size(), mac, &len);
    REQUIRE(len == 32);
    unsigned __int128 n = 0;
    for (int i = 0; i < 13; ++i) // 104 bits; the top 100 are the code
        n = n << 8 | mac[i];
    n >>= 4;
    std::string out(20, '?');
    for (int i = 19; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kAlphabet[static_cast<std::size_t>(n & 31)];
        n >>= 5;
    }
    return out;
}

std::string ungrouped(const std::string& code) {
    std::string out;
    for (char c : code)
        if (c != '-') out += c;
    return out;
}

std::string grouped(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && i % 5 == 0) out += '-';
        out += s[i];
    }
    return out;
}

std::string sample_serial(int i) { return "PV-26A18-BC02R-" + std::to_string(10000 + i); }

} // namespace

TEST_CASE("claim code: HMAC-SHA256(secret, serial), first 100 bits, Crockford base32, grouped, check symbol",
          "[creds][claim]") {
    for (int i = 0; i < 20; ++i) {
        const std::string serial = sample_serial(i);
        const std::string code = creds::claim_code(kSecret, serial);
        INFO(serial << " " << code);
        REQUIRE(code.size() == 25);
        CHECK(code[5] == '-');
        CHECK(code[11] == '-');
        CHECK(code[17] == '-');
        CHECK(code[23] == '-');
        const std::string symbols = ungrouped(code);
        CHECK(symbols.substr(0, 20) == expected_data_symbols(kSecret, serial));
        CHECK(symbols[20] == creds::claim_check_symbol(symbols.substr(0, 20)));
        CHECK(creds::check_claim_code(kSecret, serial, code) == ClaimCheck::valid);
    }
    // A fixed vector, so a change of format cannot pass unnoticed (the backend derives the same).
    CHECK(creds::claim_code("0123456789abcdef0123", "PV-26A18-BC02R-X7KQA") == "TD768-48ENH-A1YWT-Y2M15-Z");
    CHECK(creds::claim_code(kSecret, "A") != creds::claim_code(kSecret, "B"));
    CHECK(creds::claim_code(kSecret, "A") != creds::claim_code(kSecret + "x", "A"));
}

TEST_CASE("claim code: every single wrong symbol, at every position, is caught by the check symbol", "[creds][claim]") {
    for (int i = 0; i < 40; ++i) {
        const std::string serial = sample_serial(i);
        const std::string symbols = ungrouped(creds::claim_code(kSecret, serial));
        for (std::size_t pos = 0; pos < symbols.size(); ++pos)
            for (char c : kAlphabet) {
                if (c == symbols[pos]) continue;
                std::string typo = symbols;
                typo[pos] = c;
                INFO(serial << " position " << pos << " " << symbols[pos] << "->" << c);
                REQUIRE(creds::check_claim_code(kSecret, serial, grouped(typo)) == ClaimCheck::wrong_check_character);
            }
    }
}

TEST_CASE("claim code: every swap of two different symbols, adjacent or not, check symbol included, is caught",
          "[creds][claim]") {
    int adjacent = 0;
    for (int i = 0; i < 40; ++i) {
        const std::string serial = sample_serial(i);
        const std::string symbols = ungrouped(creds::claim_code(kSecret, serial));
        for (std::size_t a = 0; a < symbols.size(); ++a)
            for (std::size_t b = a + 1; b < symbols.size(); ++b) {
                if (symbols[a] == symbols[b]) continue; // the same code
                std::string swapped = symbols;
                std::swap(swapped[a], swapped[b]);
                INFO(serial << " swap " << a << "," << b);
                REQUIRE(creds::check_claim_code(kSecret, serial, grouped(swapped)) ==
                        ClaimCheck::wrong_check_character);
                if (b == a + 1) ++adjacent;
            }
    }
    CHECK(adjacent > 40 * 15); // the sample really holds adjacent swaps
    // And for every pair of symbols at every adjacent position, not only the pairs the sample holds:
    // the data symbols are free, the check symbol follows.
    for (std::size_t pos = 0; pos + 1 < 20; ++pos)
        for (char x : kAlphabet)
            for (char y : kAlphabet) {
                if (x == y) continue;
                std::string data(20, '0');
                data[pos] = x;
                data[pos + 1] = y;
                std::string swapped = data;
                std::swap(swapped[pos], swapped[pos + 1]);
                INFO("position " << pos << " " << x << y);
                REQUIRE(creds::claim_check_symbol(data) != creds::claim_check_symbol(swapped));
            }
    // The last data symbol swapped with the check symbol.
    for (char x : kAlphabet) {
        std::string data(20, '0');
        data[19] = x;
        const char check = creds::claim_check_symbol(data);
        if (check == x) continue;
        std::string swapped = data;
        swapped[19] = check;
        CHECK(creds::claim_check_symbol(swapped) != x);
    }
}

TEST_CASE("claim code: typed codes normalise (case, hyphens, spaces, O I L aliases)", "[creds][claim]") {
    const std::string serial = sample_serial(7);
    const std::string code = creds::claim_code(kSecret, serial);
    std::string lower = code;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(creds::normalise_claim_code(lower) == code);
    CHECK(creds::normalise_claim_code(" " + ungrouped(code) + " ") == code);
    std::string spaced;
    for (char c : ungrouped(code))
        spaced += std::string(1, c) + " -";
    CHECK(creds::normalise_claim_code(spaced) == code);
    CHECK(creds::check_claim_code(kSecret, serial, lower) == ClaimCheck::valid);

    // Aliases: O reads as 0, I and L (either case) as 1.
    CHECK(creds::normalise_claim_code("OoIiL-l0000-00000-00000-0") == "00111-10000-00000-00000-0");
    const std::string zero_code = "00000-00000-00000-00000-0";
    CHECK(creds::normalise_claim_code("OOOOO-OOOOO-OOOOO-OOOOO-O") == zero_code);
}

TEST_CASE("claim code: malformed input says why and is never valid", "[creds][claim]") {
    const std::string serial = sample_serial(3);
    const std::string code = creds::claim_code(kSecret, serial);
    const std::pair<std::string, std::string> cases[] = {
        {"", "0 symbols"},
        {code.substr(0, 24), "20 symbols"},
        {code + "0", "22 symbols"},
        {"U" + code.substr(1), "'U' is not a claim code symbol"},
        {code.substr(0, 3) + "_" + code.substr(4), "character 4 '_'"},
        {code.substr(0, 10) + "\xc3\x96" + code.substr(11), "(byte"},
        {code.substr(0, 5) + "\t" + code.substr(5), "character 6 (byte 0x09)"},
    };
    for (const auto& [typed, reason] : cases) {
        INFO(typed);
        std::string why;
        CHECK(creds::normalise_claim_code(typed, &why).empty());
        CHECK_THAT(why, Catch::Contains(reason));
        CHECK(creds::check_claim_code(kSecret, serial, typed) == ClaimCheck::malformed);
    }
}

TEST_CASE("claim code: a well-formed code of another device or secret is not this device's", "[creds][claim]") {
    const std::string code = creds::claim_code(kSecret, sample_serial(1));
    std::string why;
    CHECK(creds::check_claim_code(kSecret, sample_serial(2), code, &why) == ClaimCheck::not_this_device);
    CHECK_THAT(why, Catch::Contains("not this device's"));
    CHECK(creds::check_claim_code(kSecret + "-other", sample_serial(1), code) == ClaimCheck::not_this_device);
    CHECK(std::string(creds::to_string(ClaimCheck::wrong_check_character)) == "wrong_check_character");
}

TEST_CASE("claim code: its hash is SHA-256 of the canonical code, the same for any typing of it", "[creds][claim]") {
    const std::string code = creds::claim_code(kSecret, sample_serial(5));
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(code.data()), code.size(), digest);
    std::string hex;
    for (unsigned char b : digest) {
        static const char* d = "0123456789abcdef";
        hex += d[b >> 4];
        hex += d[b & 15];
    }
    CHECK(creds::claim_code_hash(code) == hex);
    std::string lower = ungrouped(code);
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(creds::claim_code_hash(lower) == hex);
    CHECK(hex.find(ungrouped(code)) == std::string::npos);
    try {
        (void)creds::claim_code_hash("not-a-code");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::claim_malformed);
    }
}

TEST_CASE("claim code: the secret from a file or $VESPER_CLAIM_SECRET, at least 16 bytes, never in a message",
          "[creds][claim]") {
    test::TempDir dir;
    const std::string good = "a-long-enough-claim-secret";
    write_file_atomic(dir / "secret", std::string_view(good + "\n"));
    CHECK(creds::load_claim_secret(dir / "secret") == good);

    const std::string short_secret = "tiny-s3cret";
    write_file_atomic(dir / "short", std::string_view(short_secret + "\n"));
    try {
        (void)creds::load_claim_secret(dir / "short");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::secret_too_short);
        CHECK_THAT(e.what(), Catch::Contains((dir / "short").string()) && Catch::Contains("11 bytes"));
        CHECK(std::string(e.what()).find(short_secret) == std::string::npos);
    }

    ::setenv("VESPER_CLAIM_SECRET", short_secret.c_str(), 1);
    try {
        (void)creds::load_claim_secret({});
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::secret_too_short);
        CHECK_THAT(e.what(), Catch::Contains("$VESPER_CLAIM_SECRET"));
        CHECK(std::string(e.what()).find(short_secret) == std::string::npos);
    }
    ::setenv("VESPER_CLAIM_SECRET", good.c_str(), 1);
    CHECK(creds::load_claim_secret({}) == good);
    ::unsetenv("VESPER_CLAIM_SECRET");
    try {
        (void)creds::load_claim_secret({});
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::secret_missing);
        CHECK_THAT(e.what(), Catch::Contains("VESPER_CLAIM_SECRET") && Catch::Contains("--claim-secret-file"));
    }
}
