// Retry-After, read by hand: delta-seconds, or an HTTP-date compared with now.
#include "vesper/backend/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace vesper::backend {

namespace {

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// `width` digits at s[pos] (a leading space allowed for asctime's day when `space_pad`).
std::optional<int> number_at(std::string_view s, std::size_t pos, std::size_t width, bool space_pad = false) {
    if (pos + width > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = s[pos + i];
        if (space_pad && i == 0 && c == ' ') continue;
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::optional<int> month_at(std::string_view s, std::size_t pos) {
    if (pos + 3 > s.size()) return std::nullopt;
    for (std::size_t i = 0; i < kMonths.size(); ++i)
        if (s.substr(pos, 3) == kMonths[i]) return static_cast<int>(i) + 1;
    return std::nullopt;
}

// "HH:MM:SS" at pos, as seconds of the day.
std::optional<int> clock_at(std::string_view s, std::size_t pos) {
    const auto h = number_at(s, pos, 2), m = number_at(s, pos + 3, 2), sec = number_at(s, pos + 6, 2);
    if (!h || !m || !sec || s.substr(pos + 2, 1) != ":" || s.substr(pos + 5, 1) != ":") return std::nullopt;
    if (*h > 23 || *m > 59 || *sec > 60) return std::nullopt;
    return *h * 3600 + *m * 60 + *sec;
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, int month, int day, int seconds) {
    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                             std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) return std::nullopt;
    return system_clock::time_point(sys_days(ymd).time_since_epoch() + std::chrono::seconds(seconds));
}

} // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
    const std::string_view s = trimmed(value);
    const auto comma = s.find(',');
    if (comma == 3) {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters)
        if (s.size() != 29 || s.substr(4, 1) != " " || s.substr(7, 1) != " " || s.substr(11, 1) != " " ||
            s.substr(16, 1) != " " || s.substr(25) != " GMT")
            return std::nullopt;
        const auto day = number_at(s, 5, 2), month = month_at(s, 8), year = number_at(s, 12, 4), t = clock_at(s, 17);
        if (!day || !month || !year || !t) return std::nullopt;
        return make_time(*year, *month, *day, *t);
    }
    if (comma != std::string_view::npos) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year within 50 years of now's century
        // is taken as 19xx above 69, else 20xx.
        const std::string_view r = s.substr(comma + 1);
        if (r.size() != 23 || r.substr(0, 1) != " " || r.substr(3, 1) != "-" || r.substr(7, 1) != "-" ||
            r.substr(10, 1) != " " || r.substr(19) != " GMT")
            return std::nullopt;
        const auto day = number_at(r, 1, 2), month = month_at(r, 4), yy = number_at(r, 8, 2), t = clock_at(r, 11);
        if (!day || !month || !yy || !t) return std::nullopt;
        return make_time(*yy > 69 ? 1900 + *yy : 2000 + *yy, *month, *day, *t);
    }
    // asctime: "Sun Nov  6 08:49:37 1994" (24 characters)
    if (s.size() != 24 || s.substr(3, 1) != " " || s.substr(7, 1) != " " || s.substr(10, 1) != " " ||
        s.substr(19, 1) != " ")
        return std::nullopt;
    const auto month = month_at(s, 4), day = number_at(s, 8, 2, true), t = clock_at(s, 11), year = number_at(s, 20, 4);
    if (!day || !month || !year || !t) return std::nullopt;
    return make_time(*year, *month, *day, *t);
}

std::optional<double> retry_after_seconds(std::string_view value, std::chrono::system_clock::time_point now,
                                          double max_s) {
    const std::string_view s = trimmed(value);
    double seconds = 0;
    if (all_digits(s)) {
        // Digits beyond what a double holds exactly only mean "very long": clamped below.
        seconds = s.size() > 12 ? max_s : std::stod(std::string(s));
    } else if (const auto when = parse_http_date(s)) {
        seconds = std::chrono::duration<double>(*when - now).count();
    } else {
        return std::nullopt;
    }
    return std::clamp(seconds, 0.0, std::max(max_s, 0.0));
}

} // namespace vesper::backend
