#pragma once
// Local serial ports as the operator sees them: device path, the stable udev names that point at it
// (/dev/serial/by-id, /dev/serial/by-path), USB identity, and a guess whether an ESP board is behind it.
// A guess, not a detection: only connecting to the ROM loader (`vesperctl chip`) proves what is there.
// The USB adapter table is data (port_list.cpp) so a new bridge chip is a new row.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vesper::esp {

// What the USB id says about the board behind the port.
enum class EspGuess {
    espressif_usb, // the ESP's own USB (USB-Serial/JTAG or USB-OTG, vendor 0x303A): an ESP for sure
    usb_bridge,    // a USB-UART bridge found on most ESP development boards: likely an ESP
    unknown,       // any other adapter, or no USB identity at all
};
std::string_view to_string(EspGuess guess); // "espressif-usb", "usb-bridge", "unknown"

// One row of the adapter table. `pid` empty: every product of the vendor (Espressif's own vendor id).
struct UsbAdapter {
    std::uint16_t vid;
    std::optional<std::uint16_t> pid;
    std::string_view name; // "CP210x", "ESP USB-Serial/JTAG"
    EspGuess guess;
};
std::span<const UsbAdapter> known_usb_adapters();
// The exact vid:pid row if there is one, else the vendor-wide row, else nullptr.
const UsbAdapter* find_usb_adapter(std::uint16_t vid, std::uint16_t pid);

enum class PortTransport { native, usb, bluetooth };
std::string_view to_string(PortTransport t); // "native", "usb", "bluetooth"

struct UsbIdentity {
    std::uint16_t vid = 0, pid = 0;
    std::string serial;       // iSerial, empty when the adapter has none
    std::string manufacturer; // iManufacturer
    std::string product;      // iProduct
};

struct SerialPortInfo {
    std::string path;        // "/dev/ttyUSB0"
    std::string description; // libserialport's one-line description
    PortTransport transport = PortTransport::native;
    std::optional<UsbIdentity> usb;
    std::vector<std::string> by_id;      // /dev/serial/by-id/* links resolving to path (sorted)
    std::vector<std::string> by_path;    // /dev/serial/by-path/* links resolving to path (sorted)
    const UsbAdapter* adapter = nullptr; // from the USB id; nullptr when unknown or not USB
    EspGuess guess = EspGuess::unknown;
};

// Fills adapter and guess from the USB identity.
void classify(SerialPortInfo& port);

// The udev names in `serial_root`/by-id and `serial_root`/by-path whose symlinks resolve to `device`
// (both sides resolved, so /dev/ttyUSB0 reached through another link still matches). A missing or
// unreadable folder gives no names, not an error: many systems have no /dev/serial at all.
struct StableNames {
    std::vector<std::string> by_id, by_path;
};
StableNames find_stable_names(const std::filesystem::path& device,
                              const std::filesystem::path& serial_root = "/dev/serial");

// Every serial port libserialport sees, classified and with its stable names (looked up in
// `serial_root`), sorted by path with numbers in order (ttyUSB2 before ttyUSB10). Throws Error(device)
// when the operating system cannot be asked.
std::vector<SerialPortInfo> list_serial_ports(const std::filesystem::path& serial_root = "/dev/serial");

// A port's adapter as a person names it: "CP210x", "ESP USB-Serial/JTAG", else libserialport's
// description, else "unknown adapter".
std::string describe_port(const SerialPortInfo& port);

// The port a device command uses when none is given (esptool's and espflash's habit): the one port
// whose guess is not `unknown`. None or several: Error(input) listing the candidates (or, with none,
// every port seen) and saying to choose with --port or VESPER_PORT.
const SerialPortInfo& choose_auto_port(const std::vector<SerialPortInfo>& ports);

// "/dev/ttyUSB2" before "/dev/ttyUSB10": digit runs compare as numbers.
bool port_path_less(std::string_view a, std::string_view b);

} // namespace vesper::esp
