#include "vesper/serial/serial_number.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::serial {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

std::string two_digits(int v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d", v % 100);
    return buf;
}

std::string check_date(const Date& d) {
    if (d.year < 2000 || d.year > 2099) return "year " + std::to_string(d.year) + " is outside 2000-2099";
    if (d.month < 1 || d.month > 12) return "month " + std::to_string(d.month) + " is outside 1-12";
    if (d.day < 1 || d.day > days_in_month(d.year, d.month))
        return "day " + std::to_string(d.day) + " does not exist in " + std::to_string(d.year) + "-" +
               two_digits(d.month);
    return {};
}

} // namespace

std::string SerialNumber::prefix() const {
    return "PV-" + two_digits(date.year) + static_cast<char>('A' + date.month - 1) + two_digits(date.day) + "-" +
           board_type + revision + "R";
}

std::string SerialNumber::str() const { return prefix() + "-" + random; }

void validate_board_type(std::string_view type) {
    if (type.size() != 2 || !is_upper(type[0]) || !is_upper(type[1]))
        fail(ErrorKind::input, "board type " + quote_value(type) + ": must be two letters A-Z (e.g. BC)");
}

void validate_revision(std::string_view rev) {
    if (rev.size() != 2 || !is_digit(rev[0]) || !is_digit(rev[1]))
        fail(ErrorKind::input, "board revision " + quote_value(rev) + ": must be two digits (e.g. 02)");
}

std::string normalize_board_type(std::string_view type) {
    std::string t(type);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    validate_board_type(t);
    return t;
}

std::string normalize_revision(std::string_view revision) {
    std::string rev(revision);
    if (rev.size() == 1) rev = "0" + rev; // revision 2 means 02
    validate_revision(rev);
    return rev;
}

void validate_date(const Date& d) {
    std::string why = check_date(d);
    if (!why.empty()) fail(ErrorKind::input, "date: " + why);
}

Date parse_iso_date(std::string_view text) {
    auto bad = [&](const std::string& why) -> Date {
        fail(ErrorKind::input, "date " + quote_value(text) + ": " + why);
    };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad("expected YYYY-MM-DD");
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
        if (!is_digit(text[i])) return bad("expected YYYY-MM-DD");
    auto num = [&](std::size_t at, std::size_t len) {
        int v = 0;
        for (std::size_t i = at; i < at + len; ++i)
            v = v * 10 + (text[i] - '0');
        return v;
    };
    Date d{num(0, 4), num(5, 2), num(8, 2)};
    std::string why = check_date(d);
    if (!why.empty()) return bad(why);
    return d;
}

Date today_local() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

std::optional<SerialNumber> parse(std::string_view s, std::string* why) {
    auto reject = [&](std::string reason) -> std::optional<SerialNumber> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    // PV-YYMMM-BBTTR-XXXXX is 20 characters.
    if (s.size() != 20) return reject("expected 20 characters (PV-YYMMM-BBTTR-XXXXX), got " + std::to_string(s.size()));
    if (s.substr(0, 3) != "PV-") return reject("must start with 'PV-'");
    if (s[8] != '-' || s[14] != '-') return reject("dashes must be at positions 3, 9 and 15");
    if (!is_digit(s[3]) || !is_digit(s[4]))
        return reject("year '" + std::string(s.substr(3, 2)) + "' is not two digits");
    if (s[5] < 'A' || s[5] > 'L') return reject("month letter '" + std::string(1, s[5]) + "' is not A-L");
    if (!is_digit(s[6]) || !is_digit(s[7]))
        return reject("day '" + std::string(s.substr(6, 2)) + "' is not two digits");
    SerialNumber sn;
    sn.date = Date{2000 + (s[3] - '0') * 10 + (s[4] - '0'), s[5] - 'A' + 1, (s[6] - '0') * 10 + (s[7] - '0')};
    std::string date_why = check_date(sn.date);
    if (!date_why.empty()) return reject("date: " + date_why);
    sn.board_type = std::string(s.substr(9, 2));
    if (!is_upper(sn.board_type[0]) || !is_upper(sn.board_type[1]))
        return reject("board type " + quote_value(sn.board_type) + " is not two letters A-Z");
    sn.revision = std::string(s.substr(11, 2));
    if (!is_digit(sn.revision[0]) || !is_digit(sn.revision[1]))
        return reject("revision " + quote_value(sn.revision) + " is not two digits");
    if (s[13] != 'R') return reject("expected the letter R after the revision, got '" + std::string(1, s[13]) + "'");
    sn.random = std::string(s.substr(15, 5));
    for (std::size_t i = 0; i < sn.random.size(); ++i)
        if (kAlphabet.find(sn.random[i]) == std::string_view::npos)
            return reject("character '" + std::string(1, sn.random[i]) + "' at position " + std::to_string(16 + i) +
                          " is not in the serial alphabet (no 0, O, 1 or I)");
    return sn;
}

RandomSource csprng() {
    return [](std::uint8_t* out, std::size_t n) { random_bytes(out, n); };
}

std::string random_part(const RandomSource& rng) {
    std::uint8_t raw[kRandomLength];
    rng(raw, sizeof raw);
    std::string out(kRandomLength, ' ');
    for (int i = 0; i < kRandomLength; ++i)
        out[i] = kAlphabet[raw[i] & 0x1F];
    return out;
}

} // namespace vesper::serial
