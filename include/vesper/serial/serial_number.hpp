#pragma once
// Serial numbers: PV-YYMMM-BBTTR-XXXXX.
//   PV, 2-digit year, month letter A-L + 2-digit day, 2-letter board type, 2-digit revision, literal R,
//   5 random characters from an alphabet without 0/O/1/I.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vesper::serial {

inline constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
inline constexpr int kRandomLength = 5;
// 32^5 serials per prefix (one board type and revision on one day).
inline constexpr std::uint64_t kSerialsPerPrefix = 32ull * 32 * 32 * 32 * 32;

struct Date {
    int year = 0;  // full year, 2000-2099
    int month = 0; // 1-12
    int day = 0;   // 1-31
};

struct SerialNumber {
    Date date;
    std::string board_type; // two letters A-Z
    std::string revision;   // two digits
    std::string random;     // five characters of kAlphabet

    std::string prefix() const; // PV-YYMMM-BBTTR
    std::string str() const;    // the whole serial
};

// Validation of the parts; each throws Error(input) with a message naming the field.
void validate_board_type(std::string_view type);
void validate_revision(std::string_view rev);
void validate_date(const Date& d);

// Board type and revision as the ledger and serial numbers write them: "bc" -> "BC", "2" -> "02".
// Throw Error(input), as the validators above, for anything that is not two letters / one or two digits.
std::string normalize_board_type(std::string_view type);
std::string normalize_revision(std::string_view revision);

// Parses YYYY-MM-DD. Throws Error(input).
Date parse_iso_date(std::string_view text);
Date today_local();

// Parses and validates a serial. On failure, nullopt and `why` says what is wrong.
std::optional<SerialNumber> parse(std::string_view text, std::string* why = nullptr);

// A source of random bytes; the default is OpenSSL's CSPRNG. Tests inject their own.
using RandomSource = std::function<void(std::uint8_t*, std::size_t)>;
RandomSource csprng();

// Draws the 5 random characters. 256 is a multiple of 32, so using 5 bits of each byte is free of
// modulo bias.
std::string random_part(const RandomSource& rng);

} // namespace vesper::serial
