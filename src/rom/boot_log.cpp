#include "vesper/rom/boot_log.hpp"

#include <regex>

namespace vesper::esp {

namespace {

// Control bytes and SLIP frames become spaces, so a regex can run over the text.
std::string printable(ByteView bytes) {
    std::string s;
    s.reserve(bytes.size());
    for (std::uint8_t b : bytes)
        s.push_back((b >= 0x20 && b < 0x7F) || b == '\n' ? static_cast<char>(b) : ' ');
    return s;
}

std::string squeeze(const std::string& s, std::size_t max) {
    std::string out;
    for (char c : s) {
        if (c == '\n') c = ' ';
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out.push_back(c);
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (out.size() > max) out = out.substr(0, max) + "...";
    return out;
}

} // namespace

BootTriage triage_boot_log(ByteView received) {
    BootTriage t;
    if (received.empty()) return t;
    const std::string text = printable(received);
    t.excerpt = squeeze(text, 120);
    if (t.excerpt.empty()) {
        t.state = BootState::unrecognised;
        t.excerpt = std::to_string(received.size()) + " unprintable bytes";
        return t;
    }

    // The last boot line wins: an earlier one may belong to a boot before our reset.
    static const std::regex esp32_boot(R"(boot:0x[0-9a-fA-F]+[^\n]*)");
    static const std::regex esp8266_boot(R"(boot mode:\((\d+),\d+\))");
    std::smatch m, last;
    bool found = false;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), esp32_boot); it != std::sregex_iterator(); ++it) {
        last = *it;
        found = true;
    }
    if (found) {
        t.boot_line = squeeze(last.str(0), 80);
        const auto rest = text.substr(static_cast<std::size_t>(last.position(0)));
        t.state =
            rest.find("waiting for download") != std::string::npos ? BootState::download_mode : BootState::normal_boot;
        return t;
    }
    std::string::const_iterator from = text.begin();
    while (std::regex_search(from, text.end(), m, esp8266_boot)) {
        last = m;
        found = true;
        from = m[0].second;
    }
    if (found) {
        t.boot_line = last.str(0);
        // ESP8266 strapping (MTDO, GPIO0, GPIO2): mode 1 = UART download, 3 = boot from flash.
        t.state = last.str(1) == "1" ? BootState::download_mode : BootState::normal_boot;
        return t;
    }
    t.state = BootState::unrecognised;
    return t;
}

std::string describe_boot_triage(const BootTriage& t) {
    switch (t.state) {
    case BootState::silent:
        return "no answer at all: nothing came back on the port (check power, the cable, the port name, and "
               "that nothing else holds the port)";
    case BootState::normal_boot:
        return "not in download mode: the board booted normally (" + t.boot_line +
               "); hold BOOT/GPIO0 low during reset, or check the DTR/RTS auto-reset circuit";
    case BootState::download_mode:
        return "in download mode but no sync: the ROM printed '" + t.boot_line +
               "' and waits for download, but did not answer SYNC (check the board's RX line and the baud rate)";
    case BootState::unrecognised:
        return "no bootloader reply: the port sent output that is not a boot log we know ('" + t.excerpt +
               "'); wrong port, wrong baud, or the application is running";
    }
    return "no bootloader reply";
}

} // namespace vesper::esp
