#pragma once
// The `Retry-After` header (RFC 9110 10.2.3): delta-seconds or an HTTP-date. Parsed here rather than
// taken from CURLINFO_RETRY_AFTER, which Debian's libcurl 7.88 reports as negative for a past date.
#include <chrono>
#include <optional>
#include <string_view>

namespace vesper::backend {

// Seconds to wait, in [0, max_s]: a date in the past is 0, a far one max_s. nullopt for a value that is
// neither form (garbage, a negative or fractional number).
std::optional<double> retry_after_seconds(std::string_view value, std::chrono::system_clock::time_point now,
                                          double max_s);

// An HTTP-date in any of the three forms a recipient must accept: IMF-fixdate ("Sun, 06 Nov 1994
// 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

} // namespace vesper::backend
