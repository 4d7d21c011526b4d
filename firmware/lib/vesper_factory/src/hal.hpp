#pragma once
// The hardware abstraction the factory console runs on. The board adapter (firmware/src/arduino_hal.*)
// implements it with Arduino-ESP32 / ESP-IDF calls, the device simulator with simulated parts, the unit
// tests with a fake. The core calls it only from Console::begin(), feed() and poll(), on the caller's
// thread, one call at a time; nothing here is called from an interrupt.
//
// Conventions: text results are NUL-terminated and must stay valid until the next call into the HAL;
// a bool result of false means "could not" (not found, not readable, hardware error), never a crash.
#include <stddef.h>
#include <stdint.h>

namespace vesper_factory {

// One network seen by a Wi-Fi scan. ssid holds ssid_len bytes (an SSID is up to 32 arbitrary bytes,
// not necessarily UTF-8 and not NUL-terminated).
struct WifiNetwork {
    char ssid[32];
    uint8_t ssid_len;
    int8_t rssi;     // dBm
    uint8_t channel; // 1..14 (2.4 GHz)
};

// Two pins wired to each other on the test fixture (or the board), tested in both directions.
struct GpioPair {
    uint8_t a;
    uint8_t b;
};

// What a pin reads with, while the other pin of its pair drives it.
enum class Pull : uint8_t { none, up, down };

class Hal {
public:
    // ---- console and time
    // Writes bytes to the console (the UART the host is on). May buffer; the bytes must go out in order.
    virtual void console_write(const char* data, size_t len) = 0;
    // Milliseconds since boot (wrapping after 49 days).
    virtual uint32_t millis() = 0;

    // ---- chip facts (the info command and the hello event)
    // The chip's name as ESP-IDF prints it: "ESP32", "ESP32-S3", "ESP32-C3", ...
    virtual const char* chip_name() = 0;
    // Chip revision as major * 100 + minor (v0.2 -> 2, v3.1 -> 301).
    virtual uint16_t chip_revision() = 0;
    // The base MAC address from eFuse.
    virtual void mac_address(uint8_t mac[6]) = 0;
    // The flash chip's JEDEC id (manufacturer << 16 | memory type << 8 | capacity), e.g. 0xEF4016.
    virtual uint32_t flash_id() = 0;
    virtual uint32_t flash_size() = 0;    // bytes
    virtual uint32_t psram_size() = 0;    // bytes, 0 when there is none
    virtual uint32_t free_heap() = 0;     // bytes
    virtual uint32_t min_free_heap() = 0; // bytes, the low-water mark since boot
    // ESP-IDF's esp_reset_reason_t name without "ESP_RST_", lower case: "poweron", "sw", "panic", ...
    virtual const char* reset_reason() = 0;
    // SHA-256 of the running app image as 64 lowercase hex digits and a NUL; false when unknown.
    virtual bool app_sha256_hex(char out[65]) = 0;

    // ---- device identity: NVS namespace "vesper" (templates/vesper-device.csv)
    // false when the key is missing, has another type, or (strings) does not fit in cap with its NUL.
    virtual bool identity_string(const char* key, char* out, size_t cap) = 0;
    virtual bool identity_u8(const char* key, uint8_t& out) = 0;
    virtual bool identity_u32(const char* key, uint32_t& out) = 0;
    // SHA-256 of data (the board has mbedtls, the simulator OpenSSL).
    virtual void sha256(const uint8_t* data, size_t len, uint8_t digest[32]) = 0;

    // ---- outputs (relays, MOSFETs): numbered 0..output_count()-1
    virtual uint8_t output_count() = 0;
    // Switches output index on or off; false when there is no such output or it cannot be driven.
    virtual bool output_set(uint8_t index, bool on) = 0;
    // Reads back the output's state (its feedback input, or the pin's level), after letting it settle;
    // false when it cannot be read.
    virtual bool output_read(uint8_t index, bool& on) = 0;

    // ---- GPIO loopback pairs
    // Whether pin may be driven and read by the gpio command (never flash, PSRAM or console pins).
    virtual bool gpio_allowed(uint8_t pin) = 0;
    // Makes pin an output at the given level.
    virtual void gpio_drive(uint8_t pin, bool high) = 0;
    // Makes pin an input with the given pull and returns its level after letting it settle.
    virtual bool gpio_read(uint8_t pin, Pull pull) = 0;
    // Returns pin to its idle state (input, no pull).
    virtual void gpio_release(uint8_t pin) = 0;
    // The board's configured pairs, at most cap of them into out; returns how many.
    virtual size_t gpio_pairs(GpioPair* out, size_t cap) = 0;

    // ---- Wi-Fi
    // A blocking scan (station mode, all channels). Fills out with at most cap networks (the strongest
    // when more were seen, in any order), sets seen to the number of networks the scan found, and
    // returns how many it filled; returns -1 when the scan failed.
    virtual int wifi_scan(WifiNetwork* out, size_t cap, size_t& seen) = 0;

    // ---- factory flag: NVS namespace "vesper_fct", key "factory_ok" (u8)
    // false when the key is not there (or NVS cannot be read).
    virtual bool factory_flag_read(uint8_t& value) = 0;
    // Writes and commits the flag; false when NVS refused.
    virtual bool factory_flag_write(uint8_t value) = 0;

    // ---- reboot
    // Restarts the chip. Called right after the reboot command's answer was written: the adapter must
    // flush the console first so the answer is out. May return (a simulator restarts later).
    virtual void request_reboot() = 0;

protected:
    // Not deleted through this interface (nothing here is allocated), so no virtual destructor.
    ~Hal() = default;
};

} // namespace vesper_factory
