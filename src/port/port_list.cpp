#include "vesper/port/port_list.hpp"

#include <libserialport.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <system_error>

#include "sp_text.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/port/reset.hpp"

namespace vesper::esp {

namespace {

// USB ids and why each row is here. Espressif's vendor id 0x303A only ever sits on Espressif chips;
// the bridges are the ones ESP development boards and factory jig cables carry.
constexpr UsbAdapter kAdapters[] = {
    // The built-in USB-Serial/JTAG controller (ESP32-C3/C5/C6/H2/S3/P4; esptool's USB_JTAG_SERIAL_PID).
    {kEspressifUsbVid, kUsbJtagSerialPid, "ESP USB-Serial/JTAG", EspGuess::espressif_usb},
    // USB-OTG CDC of the ROM download mode: ESP32-S2 and ESP32-S3.
    {kEspressifUsbVid, 0x0002, "ESP32-S2 USB-OTG", EspGuess::espressif_usb},
    {kEspressifUsbVid, 0x0009, "ESP32-S3 USB-OTG", EspGuess::espressif_usb},
    // Any other Espressif product id: the application's own USB stack (TinyUSB CDC and the like).
    {kEspressifUsbVid, std::nullopt, "Espressif USB", EspGuess::espressif_usb},
    // Silicon Labs: CP2102/CP2102N/CP2104 (ESP32-DevKitC, ESP32-S3-DevKitC UART port), CP2105 dual UART.
    {0x10C4, 0xEA60, "CP210x", EspGuess::usb_bridge},
    {0x10C4, 0xEA70, "CP2105", EspGuess::usb_bridge},
    // WCH: CH340 (most low-cost ESP8266/ESP32 boards), CH9102 (later DevKitC batches and clones),
    // CH343 (UART port of many ESP32-S3/C6 boards).
    {0x1A86, 0x7523, "CH340", EspGuess::usb_bridge},
    {0x1A86, 0x55D4, "CH9102", EspGuess::usb_bridge},
    {0x1A86, 0x55D3, "CH343", EspGuess::usb_bridge},
    // FTDI: FT232R cables, FT2232H (ESP-Prog, ESP-WROVER-KIT), FT232H, FT-X (FT230X/FT231X).
    {0x0403, 0x6001, "FT232R", EspGuess::usb_bridge},
    {0x0403, 0x6010, "FT2232H", EspGuess::usb_bridge},
    {0x0403, 0x6014, "FT232H", EspGuess::usb_bridge},
    {0x0403, 0x6015, "FT-X", EspGuess::usb_bridge},
    // Prolific PL2303: generic USB-UART cables, common in factory test jigs wired to bare modules.
    {0x067B, 0x2303, "PL2303", EspGuess::usb_bridge},
};

// The sorted names of the links in `dir` that resolve to `target` (already canonical).
std::vector<std::string> links_to(const std::filesystem::path& dir, const std::filesystem::path& target) {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return names;
    for (const fs::directory_entry& entry : it) {
        std::error_code e;
        if (!entry.is_symlink(e) || e) continue;
        const fs::path resolved = fs::canonical(entry.path(), e);
        if (e) continue; // dangling: the device is gone
        if (resolved == target) names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string take(char* s) { return s != nullptr ? std::string(s) : std::string(); }

struct PortListDeleter {
    void operator()(sp_port** list) const { sp_free_port_list(list); }
};

} // namespace

std::string_view to_string(EspGuess guess) {
    switch (guess) {
    case EspGuess::espressif_usb: return "espressif-usb";
    case EspGuess::usb_bridge: return "usb-bridge";
    case EspGuess::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view to_string(PortTransport t) {
    switch (t) {
    case PortTransport::native: return "native";
    case PortTransport::usb: return "usb";
    case PortTransport::bluetooth: return "bluetooth";
    }
    return "native";
}

std::span<const UsbAdapter> known_usb_adapters() { return kAdapters; }

const UsbAdapter* find_usb_adapter(std::uint16_t vid, std::uint16_t pid) {
    const UsbAdapter* vendor_wide = nullptr;
    for (const UsbAdapter& a : kAdapters) {
        if (a.vid != vid) continue;
        if (a.pid == pid) return &a;
        if (!a.pid && vendor_wide == nullptr) vendor_wide = &a;
    }
    return vendor_wide;
}

void classify(SerialPortInfo& port) {
    port.adapter = port.usb ? find_usb_adapter(port.usb->vid, port.usb->pid) : nullptr;
    port.guess = port.adapter != nullptr ? port.adapter->guess : EspGuess::unknown;
}

StableNames find_stable_names(const std::filesystem::path& device, const std::filesystem::path& serial_root) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::canonical(device, ec);
    if (ec) return {};
    return {links_to(serial_root / "by-id", target), links_to(serial_root / "by-path", target)};
}

bool port_path_less(std::string_view a, std::string_view b) {
    auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            std::size_t ie = i, je = j;
            while (ie < a.size() && digit(a[ie]))
                ++ie;
            while (je < b.size() && digit(b[je]))
                ++je;
            // Compare as numbers without overflow: skip leading zeros, then longer is larger.
            std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
            na.remove_prefix(std::min(na.find_first_not_of('0'), na.size()));
            nb.remove_prefix(std::min(nb.find_first_not_of('0'), nb.size()));
            if (na.size() != nb.size()) return na.size() < nb.size();
            if (na != nb) return na < nb;
            i = ie;
            j = je;
            continue;
        }
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
    }
    if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
    return a < b; // equal as numbers ("01" vs "1"): any fixed order
}

std::string describe_port(const SerialPortInfo& port) {
    if (port.adapter != nullptr) return std::string(port.adapter->name);
    if (!port.description.empty()) return port.description;
    return "unknown adapter";
}

const SerialPortInfo& choose_auto_port(const std::vector<SerialPortInfo>& ports) {
    std::vector<const SerialPortInfo*> candidates;
    for (const SerialPortInfo& p : ports)
        if (p.guess != EspGuess::unknown) candidates.push_back(&p);
    if (candidates.size() == 1) return *candidates.front();
    const auto listed = [](const std::vector<const SerialPortInfo*>& list) {
        std::vector<std::string> items;
        for (const SerialPortInfo* p : list)
            items.push_back(p->path + " (" + describe_port(*p) + ")");
        return join(items);
    };
    if (candidates.empty()) {
        std::vector<const SerialPortInfo*> all;
        for (const SerialPortInfo& p : ports)
            all.push_back(&p);
        fail(ErrorCode::port_not_given,
             "no --port given, VESPER_PORT is not set, and no serial port looks like an ESP board (" +
                 (all.empty() ? std::string("no serial ports at all") : "seen: " + listed(all)) +
                 "); give --port or set VESPER_PORT");
    }
    fail(ErrorCode::port_not_given, "no --port given and " + std::to_string(candidates.size()) +
                                        " serial ports look like ESP boards: " + listed(candidates) +
                                        "; choose one with --port or VESPER_PORT");
}

std::vector<SerialPortInfo> list_serial_ports(const std::filesystem::path& serial_root) {
    sp_port** raw = nullptr;
    const sp_return r = sp_list_ports(&raw);
    if (r != SP_OK)
        fail(ErrorKind::device,
             "listing serial ports: " + detail::sp_why(r) + (r == SP_ERR_SUPP ? " on this system" : ""));
    const std::unique_ptr<sp_port*, PortListDeleter> list(raw);

    std::vector<SerialPortInfo> ports;
    for (sp_port** p = raw; *p != nullptr; ++p) {
        SerialPortInfo info;
        info.path = take(sp_get_port_name(*p));
        info.description = take(sp_get_port_description(*p));
        switch (sp_get_port_transport(*p)) {
        case SP_TRANSPORT_USB: info.transport = PortTransport::usb; break;
        case SP_TRANSPORT_BLUETOOTH: info.transport = PortTransport::bluetooth; break;
        case SP_TRANSPORT_NATIVE: info.transport = PortTransport::native; break;
        }
        int vid = 0, pid = 0;
        if (info.transport == PortTransport::usb && sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
            UsbIdentity usb;
            usb.vid = static_cast<std::uint16_t>(vid);
            usb.pid = static_cast<std::uint16_t>(pid);
            usb.serial = take(sp_get_port_usb_serial(*p));
            usb.manufacturer = take(sp_get_port_usb_manufacturer(*p));
            usb.product = take(sp_get_port_usb_product(*p));
            info.usb = std::move(usb);
        }
        StableNames names = find_stable_names(info.path, serial_root);
        info.by_id = std::move(names.by_id);
        info.by_path = std::move(names.by_path);
        classify(info);
        ports.push_back(std::move(info));
    }
    std::sort(ports.begin(), ports.end(),
              [](const SerialPortInfo& a, const SerialPortInfo& b) { return port_path_less(a.path, b.path); });
    return ports;
}

} // namespace vesper::esp
