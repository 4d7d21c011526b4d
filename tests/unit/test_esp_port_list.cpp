// Port listing without USB hardware: the adapter table and classification, the by-id/by-path lookup
// against a fake /dev/serial tree made of real symlinks in a temporary folder, and path ordering.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "vesper/core/error.hpp"
#include "vesper/port/port_list.hpp"

using namespace vesper::esp;
namespace fs = std::filesystem;

namespace {

// A temporary folder holding a fake /dev: dev/ttyUSB0, dev/ttyUSB1, dev/ttyACM0 (plain files standing in
// for device nodes) and dev/serial/{by-id,by-path} with relative symlinks the way udev makes them.
struct FakeDev {
    vesper::test::TempDir tmp;
    fs::path root = tmp.path();
    FakeDev() {
        fs::create_directories(root / "dev/serial/by-id");
        fs::create_directories(root / "dev/serial/by-path");
        for (const char* name : {"ttyUSB0", "ttyUSB1", "ttyACM0"})
            std::ofstream(root / "dev" / name) << "";
    }
    fs::path dev(const std::string& name) const { return root / "dev" / name; }
    fs::path serial() const { return root / "dev/serial"; }
    void link(const std::string& kind, const std::string& name, const std::string& target) const {
        fs::create_symlink(target, serial() / kind / name);
    }
};

} // namespace

TEST_CASE("port list: the adapter table has the bridges ESP boards use", "[esp][ports]") {
    struct Expect {
        std::uint16_t vid, pid;
        std::string_view name;
        EspGuess guess;
    };
    for (const Expect& e : {
             Expect{0x303A, 0x1001, "ESP USB-Serial/JTAG", EspGuess::espressif_usb},
             Expect{0x303A, 0x0002, "ESP32-S2 USB-OTG", EspGuess::espressif_usb},
             Expect{0x303A, 0x0009, "ESP32-S3 USB-OTG", EspGuess::espressif_usb},
             Expect{0x303A, 0x4001, "Espressif USB", EspGuess::espressif_usb}, // any other Espressif PID
             Expect{0x10C4, 0xEA60, "CP210x", EspGuess::usb_bridge},
             Expect{0x10C4, 0xEA70, "CP2105", EspGuess::usb_bridge},
             Expect{0x1A86, 0x7523, "CH340", EspGuess::usb_bridge},
             Expect{0x1A86, 0x55D4, "CH9102", EspGuess::usb_bridge},
             Expect{0x0403, 0x6001, "FT232R", EspGuess::usb_bridge},
             Expect{0x0403, 0x6010, "FT2232H", EspGuess::usb_bridge},
             Expect{0x0403, 0x6014, "FT232H", EspGuess::usb_bridge},
             Expect{0x0403, 0x6015, "FT-X", EspGuess::usb_bridge},
         }) {
        INFO(e.name);
        const UsbAdapter* a = find_usb_adapter(e.vid, e.pid);
        REQUIRE(a != nullptr);
        CHECK(a->name == e.name);
        CHECK(a->guess == e.guess);
    }
    // Other products of bridge vendors are not guessed: only Espressif's vendor id is vendor-wide.
    CHECK(find_usb_adapter(0x10C4, 0x8A2A) == nullptr);
    CHECK(find_usb_adapter(0x1A86, 0xE024) == nullptr);
    CHECK(find_usb_adapter(0x0403, 0xCDCD) == nullptr);
    CHECK(find_usb_adapter(0x046D, 0xC52B) == nullptr); // a Logitech receiver
}

TEST_CASE("port list: adapter rows are unique and well formed", "[esp][ports]") {
    std::set<std::pair<std::uint16_t, int>> seen;
    std::set<std::uint16_t> vendor_wide;
    for (const UsbAdapter& a : known_usb_adapters()) {
        INFO(a.name);
        CHECK(!a.name.empty());
        CHECK(a.vid != 0);
        CHECK(a.guess != EspGuess::unknown);
        CHECK(seen.insert({a.vid, a.pid ? int(*a.pid) : -1}).second);
        if (!a.pid) vendor_wide.insert(a.vid);
        // Every row is reachable: an exact row is returned for its own id.
        if (a.pid) CHECK(find_usb_adapter(a.vid, *a.pid) == &a);
    }
    CHECK(vendor_wide == std::set<std::uint16_t>{0x303A});
}

TEST_CASE("port list: classification follows the USB identity", "[esp][ports]") {
    SerialPortInfo usj;
    usj.transport = PortTransport::usb;
    usj.usb = UsbIdentity{0x303A, 0x1001, "F4:12:FA:00:11:22", "Espressif", "USB JTAG/serial debug unit"};
    classify(usj);
    REQUIRE(usj.adapter != nullptr);
    CHECK(usj.guess == EspGuess::espressif_usb);
    CHECK(to_string(usj.guess) == "espressif-usb");

    SerialPortInfo cp;
    cp.transport = PortTransport::usb;
    cp.usb = UsbIdentity{0x10C4, 0xEA60, "0001", "Silicon Labs", "CP2102N USB to UART Bridge Controller"};
    classify(cp);
    CHECK(cp.guess == EspGuess::usb_bridge);
    CHECK(to_string(cp.guess) == "usb-bridge");

    SerialPortInfo other;
    other.transport = PortTransport::usb;
    other.usb = UsbIdentity{0x2341, 0x0043, "", "Arduino", "Uno"};
    classify(other);
    CHECK(other.adapter == nullptr);
    CHECK(other.guess == EspGuess::unknown);

    // A native UART has no USB identity: nothing to guess from, even if a stale adapter was set.
    SerialPortInfo uart;
    uart.adapter = cp.adapter;
    uart.guess = EspGuess::usb_bridge;
    classify(uart);
    CHECK(uart.adapter == nullptr);
    CHECK(uart.guess == EspGuess::unknown);
    CHECK(to_string(uart.guess) == "unknown");
    CHECK(to_string(PortTransport::usb) == "usb");
    CHECK(to_string(PortTransport::native) == "native");
    CHECK(to_string(PortTransport::bluetooth) == "bluetooth");
}

TEST_CASE("port list: stable names are the by-id and by-path links that resolve to the device", "[esp][ports]") {
    FakeDev d;
    // udev style: relative links two levels up.
    d.link("by-id", "usb-Silicon_Labs_CP2102N_USB_to_UART_Bridge_Controller_0001-if00-port0", "../../ttyUSB0");
    d.link("by-path", "pci-0000:00:14.0-usb-0:2:1.0-port0", "../../ttyUSB0");
    d.link("by-path", "pci-0000:00:14.0-usbv2-0:2:1.0-port0", "../../ttyUSB0");
    d.link("by-id", "usb-1a86_USB_Serial-if00-port0", "../../ttyUSB1");
    d.link("by-path", "pci-0000:00:14.0-usb-0:3:1.0-port0", (d.root / "dev/ttyUSB1").string()); // absolute
    d.link("by-id", "usb-gone-if00-port0", "../../ttyUSB9");                                    // dangling
    std::ofstream(d.serial() / "by-id" / "not-a-link") << "";                                   // plain file

    const StableNames usb0 = find_stable_names(d.dev("ttyUSB0"), d.serial());
    REQUIRE(usb0.by_id.size() == 1);
    CHECK(fs::path(usb0.by_id[0]).filename() ==
          "usb-Silicon_Labs_CP2102N_USB_to_UART_Bridge_Controller_0001-if00-port0");
    CHECK(fs::path(usb0.by_id[0]).parent_path() == d.serial() / "by-id");
    REQUIRE(usb0.by_path.size() == 2);
    CHECK(fs::path(usb0.by_path[0]).filename() == "pci-0000:00:14.0-usb-0:2:1.0-port0"); // sorted
    CHECK(fs::path(usb0.by_path[1]).filename() == "pci-0000:00:14.0-usbv2-0:2:1.0-port0");

    const StableNames usb1 = find_stable_names(d.dev("ttyUSB1"), d.serial());
    REQUIRE(usb1.by_id.size() == 1);
    CHECK(fs::path(usb1.by_id[0]).filename() == "usb-1a86_USB_Serial-if00-port0");
    REQUIRE(usb1.by_path.size() == 1);
    CHECK(fs::path(usb1.by_path[0]).filename() == "pci-0000:00:14.0-usb-0:3:1.0-port0");

    // The device reached through a link of its own still matches (the names resolve both sides).
    fs::create_symlink(d.dev("ttyUSB0"), d.root / "esp-jig-slot-1");
    const StableNames via_link = find_stable_names(d.root / "esp-jig-slot-1", d.serial());
    CHECK(via_link.by_id == usb0.by_id);
    CHECK(via_link.by_path == usb0.by_path);

    // No links for it, a device that does not exist, a tree without /dev/serial: no names, no error.
    const StableNames acm0 = find_stable_names(d.dev("ttyACM0"), d.serial());
    CHECK(acm0.by_id.empty());
    CHECK(acm0.by_path.empty());
    CHECK(find_stable_names(d.dev("ttyUSB9"), d.serial()).by_id.empty());
    CHECK(find_stable_names(d.dev("ttyUSB0"), d.root / "no-such-folder").by_path.empty());
}

TEST_CASE("port list: paths sort with numbers in numeric order", "[esp][ports]") {
    CHECK(port_path_less("/dev/ttyUSB2", "/dev/ttyUSB10"));
    CHECK_FALSE(port_path_less("/dev/ttyUSB10", "/dev/ttyUSB2"));
    CHECK(port_path_less("/dev/ttyACM0", "/dev/ttyUSB0"));
    CHECK(port_path_less("/dev/ttyUSB0", "/dev/ttyUSB0a"));
    CHECK_FALSE(port_path_less("/dev/ttyUSB0", "/dev/ttyUSB0"));
    CHECK(port_path_less("/dev/ttyS9", "/dev/ttyS31"));
    std::vector<std::string> v{"/dev/ttyUSB10", "/dev/ttyACM1", "/dev/ttyUSB2", "/dev/ttyUSB0", "/dev/ttyACM0"};
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return port_path_less(a, b); });
    CHECK(v ==
          std::vector<std::string>{"/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0", "/dev/ttyUSB2", "/dev/ttyUSB10"});
}

TEST_CASE("port list: listing the ports of this machine works", "[esp][ports]") {
    // No USB hardware here; whatever libserialport reports must be well formed and sorted.
    const auto ports = list_serial_ports();
    for (std::size_t i = 0; i < ports.size(); ++i) {
        INFO(ports[i].path);
        CHECK(!ports[i].path.empty());
        if (ports[i].usb) CHECK(ports[i].transport == PortTransport::usb);
        if (i > 0) CHECK_FALSE(port_path_less(ports[i].path, ports[i - 1].path));
    }
}

TEST_CASE("port list: with no --port, the one ESP-looking port is chosen, else the candidates are listed",
          "[esp][ports][auto]") {
    const auto port = [](const std::string& path, std::optional<std::pair<std::uint16_t, std::uint16_t>> usb) {
        SerialPortInfo p;
        p.path = path;
        p.description = "ttyS-like";
        if (usb) {
            p.transport = PortTransport::usb;
            p.usb = UsbIdentity{usb->first, usb->second, "", "", ""};
        }
        classify(p);
        return p;
    };
    const auto serial_console = port("/dev/ttyS0", std::nullopt);
    const auto unknown_usb = port("/dev/ttyUSB7", std::make_pair(0x1234, 0x5678));
    const auto cp2102 = port("/dev/ttyUSB0", std::make_pair(0x10C4, 0xEA60));
    const auto usj = port("/dev/ttyACM0", std::make_pair(0x303A, 0x1001));

    SECTION("exactly one among others") {
        const std::vector<SerialPortInfo> ports = {serial_console, cp2102, unknown_usb};
        CHECK(choose_auto_port(ports).path == "/dev/ttyUSB0");
        CHECK(describe_port(choose_auto_port(ports)) == "CP210x");
        CHECK(choose_auto_port({usj}).path == "/dev/ttyACM0");
    }
    SECTION("none: an input error naming what was seen") {
        try {
            choose_auto_port({serial_console, unknown_usb});
            FAIL("no error");
        } catch (const vesper::Error& e) {
            CHECK(e.kind() == vesper::ErrorKind::input);
            CHECK_THAT(e.what(), Catch::Contains("no serial port looks like an ESP board"));
            CHECK_THAT(e.what(), Catch::Contains("/dev/ttyS0 (ttyS-like), /dev/ttyUSB7 (ttyS-like)"));
            CHECK_THAT(e.what(), Catch::Contains("--port or set VESPER_PORT"));
        }
        CHECK_THROWS_WITH(choose_auto_port({}), Catch::Contains("no serial ports at all"));
    }
    SECTION("several: an input error listing the candidates only") {
        try {
            choose_auto_port({cp2102, serial_console, usj});
            FAIL("no error");
        } catch (const vesper::Error& e) {
            CHECK(e.kind() == vesper::ErrorKind::input);
            CHECK(std::string(e.what()) == "no --port given and 2 serial ports look like ESP boards: /dev/ttyUSB0 "
                                           "(CP210x), /dev/ttyACM0 (ESP USB-Serial/JTAG); choose one with --port or "
                                           "VESPER_PORT");
        }
    }
}
