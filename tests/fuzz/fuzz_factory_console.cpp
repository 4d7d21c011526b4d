// The companion firmware's factory console (firmware/lib/vesper_factory): bytes a host, a person at a
// serial monitor or line noise send to a board. The input goes through the JSON reader on its own (every
// token walked) and then, as a byte stream, into a console on a small fake board. Every line the console
// writes must be a whole protocol line of at most 1024 bytes whose CRC (checked with zlib) matches.
#include <cstring>

#include "fuzz_support.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper_factory.hpp"

using namespace vesper_factory;

namespace {

struct FuzzHal final : Hal {
    std::uint32_t now = 0;
    std::uint8_t flag = 0;
    std::uint8_t level[64] = {};
    void console_write(const char* data, std::size_t len) override {
        // One call, one line: "~VF1 ", at most 1024 bytes, '\n' last, the CRC of the rest before it.
        if (len < 16 || len > kMaxAnswerLine || std::memcmp(data, "~VF1 ", 5) != 0 || data[len - 1] != '\n' ||
            data[len - 10] != ' ')
            __builtin_trap();
        char hex[8];
        hex32(vesper::crc32(0, vesper::ByteView(reinterpret_cast<const std::uint8_t*>(data), len - 10)), hex);
        if (std::memcmp(hex, data + len - 9, 8) != 0) __builtin_trap();
    }
    std::uint32_t millis() override { return now; }
    const char* chip_name() override { return "ESP32"; }
    std::uint16_t chip_revision() override { return 301; }
    void mac_address(std::uint8_t mac[6]) override { std::memset(mac, 0xA5, 6); }
    std::uint32_t flash_id() override { return 0x204016; }
    std::uint32_t flash_size() override { return 4u << 20; }
    std::uint32_t psram_size() override { return 0; }
    std::uint32_t free_heap() override { return 200000; }
    std::uint32_t min_free_heap() override { return 190000; }
    const char* reset_reason() override { return "sw"; }
    bool app_sha256_hex(char out[65]) override {
        std::memset(out, 'b', 64);
        out[64] = '\0';
        return true;
    }
    bool identity_string(const char* key, char* out, std::size_t cap) override {
        if (std::strcmp(key, "hw_version") == 0 || cap < 8) return false;
        std::strcpy(out, "v\"\x01\xff");
        return true;
    }
    bool identity_u8(const char*, std::uint8_t& out) override { return out = 6, true; }
    bool identity_u32(const char*, std::uint32_t&) override { return false; }
    void sha256(const std::uint8_t*, std::size_t, std::uint8_t digest[32]) override { std::memset(digest, 1, 32); }
    std::uint8_t output_count() override { return 6; }
    bool output_set(std::uint8_t index, bool on) override { return index < 6 ? (level[index] = on, true) : false; }
    bool output_read(std::uint8_t index, bool& on) override { return index < 6 ? (on = level[index], true) : false; }
    bool gpio_allowed(std::uint8_t pin) override { return pin < 40 && pin != 6; }
    void gpio_drive(std::uint8_t pin, bool high) override { level[pin] = high; }
    bool gpio_read(std::uint8_t pin, Pull) override { return level[pin ^ 1]; }
    void gpio_release(std::uint8_t) override {}
    std::size_t gpio_pairs(GpioPair* out, std::size_t cap) override { return cap ? (out[0] = {4, 5}, 1) : 0; }
    int wifi_scan(WifiNetwork* out, std::size_t cap, std::size_t& seen) override {
        std::size_t n = 0;
        for (; n < cap; ++n) {
            std::memset(out[n].ssid, static_cast<int>(n * 37), sizeof out[n].ssid);
            out[n].ssid_len = static_cast<std::uint8_t>(n * 7 % 33);
            out[n].rssi = static_cast<std::int8_t>(-30 - static_cast<int>(n * 13 % 60));
            out[n].channel = static_cast<std::uint8_t>(1 + n % 13);
        }
        seen = n + 3;
        return static_cast<int>(n);
    }
    bool factory_flag_read(std::uint8_t& value) override { return value = flag, true; }
    bool factory_flag_write(std::uint8_t value) override { return flag = value, true; }
    void request_reboot() override {}
};

// Kept static, as a board keeps them: about 4 KB.
JsonReader reader;
FuzzHal hal;
Console console;

} // namespace

VESPER_FUZZ_TARGET(fuzz_factory_console)(const std::uint8_t* data, std::size_t size) {
    const char* text = reinterpret_cast<const char*>(data);
    if (reader.parse(text, size)) {
        const int n = reader.size();
        for (int t = 0; t < n; ++t) {
            if (reader.end(t) <= t || reader.end(t) > n) __builtin_trap();
            (void)reader.count(t);
            (void)reader.find(t, "pairs");
            std::int32_t i = 0;
            bool b = false;
            char s[40];
            std::size_t len = 0;
            (void)reader.get_int(t, i);
            (void)reader.get_bool(t, b);
            if (reader.get_string(t, s, sizeof s, len) && (len >= sizeof s || s[len] != '\0')) __builtin_trap();
        }
    }
    // A board whose flag is unset answers everything; the bytes arrive in pieces as a UART delivers them.
    hal.now = 0;
    hal.flag = 0;
    console.begin(hal, "vesper-factory", "1.0.0");
    for (std::size_t off = 0; off < size; off += 7)
        console.feed(data + off, size - off < 7 ? size - off : 7);
    console.poll();
    // A tested board: listening until 3 s, whatever arrives.
    hal.flag = 1;
    console.begin(hal, "vesper-factory", "1.0.0");
    hal.now = size > 0 ? data[0] * 20u : 0;
    console.feed(data, size);
    console.poll();
    return 0;
}
