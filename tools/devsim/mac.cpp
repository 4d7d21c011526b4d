#include "devsim/mac.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "vesper/core/error.hpp"

namespace vesper::devsim {

Mac parse_mac(std::string_view text) {
    Mac mac{};
    std::size_t pos = 0;
    auto bad = [&](const std::string& why) {
        fail(ErrorCode::cli_usage,
             "MAC '" + std::string(text) + "': " + why + " (expected six hex bytes like 24:0a:c4:00:00:01)");
    };
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (int i = 0; i < 6; ++i) {
        if (i > 0) {
            if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')) bad("missing separator");
            ++pos;
        }
        if (pos + 2 > text.size()) bad("too short");
        const int hi = nibble(text[pos]), lo = nibble(text[pos + 1]);
        if (hi < 0 || lo < 0) bad("not a hex digit at position " + std::to_string(pos + 1));
        mac[i] = static_cast<std::uint8_t>(hi << 4 | lo);
        pos += 2;
    }
    if (pos != text.size()) bad("trailing characters");
    return mac;
}

Mac mac_add(const Mac& mac, std::uint64_t n) {
    std::uint64_t v = 0;
    for (std::uint8_t b : mac)
        v = v << 8 | b;
    v = (v + n) & 0xFFFFFFFFFFFFull;
    Mac out{};
    for (int i = 5; i >= 0; --i) {
        out[i] = static_cast<std::uint8_t>(v);
        v >>= 8;
    }
    return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> mac_words(const esp::ChipInfo& chip, const Mac& mac) {
    const auto addrs = chip.mac.addresses();
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    switch (chip.mac.rule) {
    case esp::MacRule::efuse_low_high: {
        const std::uint32_t low = static_cast<std::uint32_t>(mac[2]) << 24 | static_cast<std::uint32_t>(mac[3]) << 16 |
                                  static_cast<std::uint32_t>(mac[4]) << 8 | mac[5];
        const std::uint32_t high = static_cast<std::uint32_t>(mac[0]) << 8 | mac[1];
        out = {{addrs[0], low}, {addrs[1], high}};
        break;
    }
    case esp::MacRule::esp8266_otp: {
        const std::uint32_t oui =
            static_cast<std::uint32_t>(mac[0]) << 16 | static_cast<std::uint32_t>(mac[1]) << 8 | mac[2];
        if (oui == 0)
            fail(ErrorCode::cli_usage, "MAC " + esp::format_mac(mac) +
                                           ": an ESP8266 cannot hold OUI 00:00:00 (its OTP reads that as no OUI)");
        // The two Espressif OUIs are selected by MAC1[23:16] with MAC3 blank, as on older parts;
        // any other OUI goes into MAC3 as on newer ones.
        const auto& ouis = chip.mac.selector_ouis;
        const auto known = std::find(ouis.begin(), ouis.end(), oui);
        const std::uint32_t selector = known != ouis.end() ? static_cast<std::uint32_t>(known - ouis.begin()) : 0;
        const std::uint32_t mac3 = known != ouis.end() ? 0 : oui;
        const std::uint32_t mac0 = static_cast<std::uint32_t>(mac[5]) << 24;
        const std::uint32_t mac1 = selector << 16 | static_cast<std::uint32_t>(mac[3]) << 8 | mac[4];
        out = {{addrs[0], mac0}, {addrs[1], mac1}, {addrs[2], mac3}};
        break;
    }
    }
    return out;
}

} // namespace vesper::devsim
