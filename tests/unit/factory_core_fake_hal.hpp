#pragma once
// A fake board for the factory console's unit tests (test_factory_core_*.cpp): every HAL call is
// answered from plain fields a test sets, and what the console writes is kept in `written`.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vesper/core/checksum.hpp"
#include "vesper_factory.hpp"

namespace vesper::test {

// A protocol line as the board must send it: body, a space, zlib's CRC-32 of the body in 8 lowercase
// hex digits, a newline. The CRC comes from zlib, not from the code under test.
inline std::string framed(const std::string& body) {
    const auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
    return body + " " + hex + "\n";
}

struct FakeHal final : vesper_factory::Hal {
    // console and time
    std::string written;
    std::vector<std::string> events; // "write" and "reboot", in call order
    std::uint32_t now = 0;
    void console_write(const char* data, std::size_t len) override {
        written.append(data, len);
        events.push_back("write");
    }
    std::uint32_t millis() override { return now; }

    // chip facts
    const char* chip_name() override { return "ESP32-S3"; }
    std::uint16_t chip_revision() override { return 2; }
    void mac_address(std::uint8_t mac[6]) override {
        const std::uint8_t m[6] = {0x7c, 0xdf, 0xa1, 0x0b, 0x2c, 0x0e};
        std::copy(m, m + 6, mac);
    }
    std::uint32_t flash_id() override { return 0xEF4016; }
    std::uint32_t flash_size() override { return 4u << 20; }
    std::uint32_t psram_size() override { return 0; }
    std::uint32_t free_heap() override { return 281234; }
    std::uint32_t min_free_heap() override { return 270000; }
    const char* reset_reason() override { return "poweron"; }
    std::optional<std::string> app_sha = std::string(64, 'a');
    bool app_sha256_hex(char out[65]) override {
        if (!app_sha) return false;
        std::copy(app_sha->begin(), app_sha->end(), out);
        out[64] = '\0';
        return true;
    }

    // identity
    std::map<std::string, std::string> strings;
    std::map<std::string, std::uint8_t> u8s;
    std::map<std::string, std::uint32_t> u32s;
    bool identity_string(const char* key, char* out, std::size_t cap) override {
        const auto it = strings.find(key);
        if (it == strings.end() || it->second.size() + 1 > cap) return false;
        std::copy(it->second.begin(), it->second.end(), out);
        out[it->second.size()] = '\0';
        return true;
    }
    bool identity_u8(const char* key, std::uint8_t& out) override {
        const auto it = u8s.find(key);
        if (it == u8s.end()) return false;
        out = it->second;
        return true;
    }
    bool identity_u32(const char* key, std::uint32_t& out) override {
        const auto it = u32s.find(key);
        if (it == u32s.end()) return false;
        out = it->second;
        return true;
    }
    void sha256(const std::uint8_t* data, std::size_t len, std::uint8_t digest[32]) override {
        const auto d = vesper::sha256(vesper::ByteView(data, len));
        std::copy(d.begin(), d.end(), digest);
    }

    // outputs: a stuck output reads the same whatever it is set to
    std::uint8_t outputs = 6;
    std::map<int, bool> stuck_outputs;
    std::map<int, bool> output_state;
    std::vector<std::string> output_log; // "2:on", "2:off"
    std::uint8_t output_count() override { return outputs; }
    bool output_set(std::uint8_t index, bool on) override {
        if (index >= outputs) return false;
        output_state[index] = on;
        output_log.push_back(std::to_string(index) + (on ? ":on" : ":off"));
        return true;
    }
    bool output_read(std::uint8_t index, bool& on) override {
        if (index >= outputs) return false;
        const auto stuck = stuck_outputs.find(index);
        on = stuck != stuck_outputs.end() ? stuck->second : output_state[index];
        return true;
    }

    // gpio: wires join pins; a driven pin sets the level its partner reads, an undriven one floats to
    // the reader's pull; a stuck pin reads its stuck level whatever happens.
    std::map<int, int> wires;
    std::map<int, bool> stuck_pins;
    std::set<int> allowed = {4, 5, 12, 13, 14, 15, 16, 17};
    std::map<int, bool> driven;
    std::vector<vesper_factory::GpioPair> configured;
    void wire(int a, int b) { wires[a] = b, wires[b] = a; }
    bool gpio_allowed(std::uint8_t pin) override { return allowed.count(pin) != 0; }
    void gpio_drive(std::uint8_t pin, bool high) override { driven[pin] = high; }
    bool gpio_read(std::uint8_t pin, vesper_factory::Pull pull) override {
        driven.erase(pin);
        if (const auto s = stuck_pins.find(pin); s != stuck_pins.end()) return s->second;
        if (const auto w = wires.find(pin); w != wires.end())
            if (const auto d = driven.find(w->second); d != driven.end()) return d->second;
        return pull == vesper_factory::Pull::up;
    }
    void gpio_release(std::uint8_t pin) override { driven.erase(pin); }
    std::size_t gpio_pairs(vesper_factory::GpioPair* out, std::size_t cap) override {
        std::size_t n = 0;
        for (; n < configured.size() && n < cap; ++n)
            out[n] = configured[n];
        return n;
    }

    // wifi
    std::vector<vesper_factory::WifiNetwork> networks;
    bool scan_fails = false;
    std::size_t scans = 0;
    void add_network(const std::string& ssid, int rssi, int channel) {
        vesper_factory::WifiNetwork n{};
        std::copy(ssid.begin(), ssid.end(), n.ssid);
        n.ssid_len = static_cast<std::uint8_t>(ssid.size());
        n.rssi = static_cast<std::int8_t>(rssi);
        n.channel = static_cast<std::uint8_t>(channel);
        networks.push_back(n);
    }
    int wifi_scan(vesper_factory::WifiNetwork* out, std::size_t cap, std::size_t& seen) override {
        ++scans;
        if (scan_fails) return -1;
        seen = networks.size();
        std::size_t n = 0;
        for (; n < networks.size() && n < cap; ++n)
            out[n] = networks[n];
        return static_cast<int>(n);
    }

    // factory flag
    std::optional<std::uint8_t> flag;
    bool flag_write_fails = false;
    bool factory_flag_read(std::uint8_t& value) override {
        if (!flag) return false;
        value = *flag;
        return true;
    }
    bool factory_flag_write(std::uint8_t value) override {
        if (flag_write_fails) return false;
        flag = value;
        return true;
    }

    int reboots = 0;
    void request_reboot() override {
        ++reboots;
        events.push_back("reboot");
    }
};

// The hello object the fake board announces (fw "vesper-factory" 1.0.0).
inline const std::string kFakeHello =
    R"({"proto":1,"fw":"vesper-factory","fw_version":"1.0.0","app_sha256":")" + std::string(64, 'a') +
    R"(","caps":["hello","info","identity","outputs","gpio","wifi_scan","mark_tested","reboot"]})";

// A console on a fake board whose factory flag is unset (active from the start), hello already read.
struct ActiveConsole {
    FakeHal hal;
    vesper_factory::Console console;
    ActiveConsole() {
        console.begin(hal, "vesper-factory", "1.0.0");
        REQUIRE(hal.written == framed("~VF1 0 hello " + kFakeHello));
        hal.written.clear();
        hal.events.clear();
    }
    // Sends one request line (a '-' CRC unless crc is set) and returns what the board wrote.
    std::string ask(const std::string& line) {
        hal.written.clear();
        console.feed(line.data(), line.size());
        return hal.written;
    }
    std::string request(int id, const std::string& command, const std::string& json = "{}") {
        return ask(framed("~VF1 " + std::to_string(id) + " " + command + " " + json));
    }
};

} // namespace vesper::test
