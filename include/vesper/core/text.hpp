#pragma once
// Small text parsing helpers shared by the CSV, YAML and CLI readers.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vesper {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);

// The items (strings or string_views) with `sep` between them: join({"a", "b"}) is "a, b".
template <class Range> std::string join(const Range& items, std::string_view sep = ", ") {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
        if (!first) out += sep;
        out += item;
        first = false;
    }
    return out;
}

// A value the user gave, quoted for an error or warning message: 'value'. Long values are cut (at a
// character boundary) with an ellipsis and their length, 'abc…' (100000 bytes), so a hostile input cannot
// make a message huge; control characters are shown as \xNN so the message stays on one line. Every
// message that echoes user input goes through this.
inline constexpr std::size_t kQuotedValueMax = 64;
std::string quote_value(std::string_view value, std::size_t max_bytes = kQuotedValueMax);

// Parses a whole string as an integer: decimal, or hex with 0x/0X prefix. nullopt on any junk or
// overflow of the 64-bit types.
std::optional<std::uint64_t> parse_uint(std::string_view s);
std::optional<std::int64_t> parse_int(std::string_view s);
// A 32-bit address, offset or size given by the user (spaces around allowed). Error(input)
// "WHAT 'TEXT': expected a 32-bit number, decimal or 0x hex".
std::uint32_t parse_u32(std::string_view what, std::string_view text);

// Current UTC time as ISO 8601 with seconds, e.g. 2026-11-21T09:30:00Z.
std::string now_utc_iso8601();
// A UTC time as ISO 8601 with milliseconds, e.g. 2026-11-21T09:30:00.125Z: for things often less than a
// second apart (station events, step attempts).
std::string utc_iso8601_ms(std::chrono::system_clock::time_point at);

// Equal but for ASCII letter case: "4mb" and "4MB".
bool iequals(std::string_view a, std::string_view b);

} // namespace vesper
