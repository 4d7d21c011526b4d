// The factory console's HAL on Arduino-ESP32 3.x (ESP-IDF 5.x). Not built in this repository's CI
// (PlatformIO fetches the toolchain and framework from its own registry); see firmware/README.md.
#include "arduino_hal.hpp"

#include <Arduino.h>
#include <Preferences.h>
#include <WiFi.h>
#include <string.h>

#include "esp_chip_info.h"
#include "esp_flash.h"
#include "esp_mac.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "mbedtls/sha256.h"

namespace vesper_board {

namespace {

// ---- the board's table ---------------------------------------------------------------------------
// NVS: the identity lives in its own read-only partition (configs/partitions-4mb.csv), the factory flag
// in the app's default "nvs" partition, which the app may write.
constexpr const char* kIdentityPartition = "fctry";
constexpr const char* kIdentityNamespace = "vesper";
constexpr const char* kFlagNamespace = "vesper_fct";
constexpr const char* kFlagKey = "factory_ok";

struct Output {
    uint8_t drive; // the pin that switches it
    uint8_t sense; // the pin that reads it back (the drive pin itself when the board has no feedback)
    bool active_high;
};

// The outputs and loopback pairs of the development boards the test fixture holds. A product board
// changes these tables (or, when its relays sit behind an I2C expander, output_set/output_read).
// Never list strapping, flash/PSRAM, USB or console (UART0) pins.
#if CONFIG_IDF_TARGET_ESP32S3
// ESP32-S3-DevKitC-1 (4 MB flash build): GPIO 0/3/45/46 strapping, 19/20 USB, 26-37 flash and octal
// PSRAM, 43/44 UART0.
const Output kOutputs[] = {{4, 4, true}, {5, 5, true}, {6, 6, true}, {7, 7, true}, {15, 15, true}, {16, 16, true}};
const vesper_factory::GpioPair kPairs[] = {{8, 9}, {10, 11}, {12, 13}};
const uint8_t kTestPins[] = {1, 2, 8, 9, 10, 11, 12, 13, 14, 17, 18, 21, 38, 39, 40, 41, 42, 47};
#elif CONFIG_IDF_TARGET_ESP32
// ESP32-DevKitC / esp32dev: GPIO 0/2/5/12/15 strapping, 1/3 UART0, 6-11 flash, 34-39 input only.
const Output kOutputs[] = {{16, 16, true}, {17, 17, true}, {18, 18, true},
                           {19, 19, true}, {21, 21, true}, {22, 22, true}};
const vesper_factory::GpioPair kPairs[] = {{25, 26}, {27, 32}, {33, 4}};
const uint8_t kTestPins[] = {4, 13, 14, 23, 25, 26, 27, 32, 33};
#else
#error "vesper_board: no pin table for this chip (add one in arduino_hal.cpp)"
#endif

// How long a relay takes to switch before its feedback is read, and a pin to follow a driver or a pull.
constexpr uint32_t kOutputSettleMs = 20;
constexpr uint32_t kPinSettleUs = 200;

constexpr size_t kOutputCount = sizeof kOutputs / sizeof kOutputs[0];

const char kHex[] = "0123456789abcdef";

} // namespace

void ArduinoHal::begin() {
    for (const Output& o : kOutputs) {
        pinMode(o.drive, OUTPUT); // Arduino-ESP32's OUTPUT keeps the input enabled: digitalRead works
        digitalWrite(o.drive, o.active_high ? LOW : HIGH);
        if (o.sense != o.drive) pinMode(o.sense, INPUT);
    }
}

// ---- console and time

void ArduinoHal::console_write(const char* data, size_t len) {
    Serial.write(reinterpret_cast<const uint8_t*>(data), len);
}

uint32_t ArduinoHal::millis() { return ::millis(); }

// ---- chip facts

const char* ArduinoHal::chip_name() {
    esp_chip_info_t info;
    esp_chip_info(&info);
    switch (info.model) {
    case CHIP_ESP32: return "ESP32";
    case CHIP_ESP32S2: return "ESP32-S2";
    case CHIP_ESP32S3: return "ESP32-S3";
    case CHIP_ESP32C3: return "ESP32-C3";
    case CHIP_ESP32C6: return "ESP32-C6";
    case CHIP_ESP32H2: return "ESP32-H2";
    default: return "unknown";
    }
}

uint16_t ArduinoHal::chip_revision() {
    esp_chip_info_t info;
    esp_chip_info(&info);
    return info.revision; // ESP-IDF 5: major * 100 + minor
}

void ArduinoHal::mac_address(uint8_t mac[6]) {
    if (esp_efuse_mac_get_default(mac) != ESP_OK) memset(mac, 0, 6);
}

uint32_t ArduinoHal::flash_id() {
    uint32_t id = 0;
    if (esp_flash_read_id(nullptr, &id) != ESP_OK) return 0; // nullptr: the main flash chip
    return id;
}

uint32_t ArduinoHal::flash_size() { return ESP.getFlashChipSize(); }
uint32_t ArduinoHal::psram_size() { return ESP.getPsramSize(); }
uint32_t ArduinoHal::free_heap() { return ESP.getFreeHeap(); }
uint32_t ArduinoHal::min_free_heap() { return ESP.getMinFreeHeap(); }

const char* ArduinoHal::reset_reason() {
    switch (esp_reset_reason()) {
    case ESP_RST_POWERON: return "poweron";
    case ESP_RST_EXT: return "ext";
    case ESP_RST_SW: return "sw";
    case ESP_RST_PANIC: return "panic";
    case ESP_RST_INT_WDT: return "int_wdt";
    case ESP_RST_TASK_WDT: return "task_wdt";
    case ESP_RST_WDT: return "wdt";
    case ESP_RST_DEEPSLEEP: return "deepsleep";
    case ESP_RST_BROWNOUT: return "brownout";
    case ESP_RST_SDIO: return "sdio";
    case ESP_RST_USB: return "usb";
    case ESP_RST_JTAG: return "jtag";
    case ESP_RST_EFUSE: return "efuse";
    case ESP_RST_PWR_GLITCH: return "pwr_glitch";
    case ESP_RST_CPU_LOCKUP: return "cpu_lockup";
    default: return "unknown";
    }
}

bool ArduinoHal::app_sha256_hex(char out[65]) {
    // Hashing the app partition reads the whole image: done once, on first use.
    if (!app_sha_tried_) {
        app_sha_tried_ = true;
        uint8_t digest[32];
        const esp_partition_t* running = esp_ota_get_running_partition();
        if (running != nullptr && esp_partition_get_sha256(running, digest) == ESP_OK) {
            for (size_t i = 0; i < 32; ++i) {
                app_sha_[2 * i] = kHex[digest[i] >> 4];
                app_sha_[2 * i + 1] = kHex[digest[i] & 0x0F];
            }
            app_sha_[64] = '\0';
            app_sha_known_ = true;
        }
    }
    if (app_sha_known_) memcpy(out, app_sha_, sizeof app_sha_);
    return app_sha_known_;
}

// ---- identity (read-only NVS partition "fctry", namespace "vesper")

bool ArduinoHal::identity_string(const char* key, char* out, size_t cap) {
    Preferences prefs;
    if (!prefs.begin(kIdentityNamespace, /*readOnly=*/true, kIdentityPartition)) return false;
    bool ok = prefs.isKey(key) && prefs.getType(key) == PT_STR;
    // getString() returns 0 when the value (with its NUL) does not fit in cap.
    ok = ok && prefs.getString(key, out, cap) > 0;
    prefs.end();
    return ok;
}

bool ArduinoHal::identity_u8(const char* key, uint8_t& out) {
    Preferences prefs;
    if (!prefs.begin(kIdentityNamespace, true, kIdentityPartition)) return false;
    const bool ok = prefs.isKey(key) && prefs.getType(key) == PT_U8;
    if (ok) out = prefs.getUChar(key, 0);
    prefs.end();
    return ok;
}

bool ArduinoHal::identity_u32(const char* key, uint32_t& out) {
    Preferences prefs;
    if (!prefs.begin(kIdentityNamespace, true, kIdentityPartition)) return false;
    const bool ok = prefs.isKey(key) && prefs.getType(key) == PT_U32;
    if (ok) out = prefs.getULong(key, 0);
    prefs.end();
    return ok;
}

void ArduinoHal::sha256(const uint8_t* data, size_t len, uint8_t digest[32]) {
    // mbedtls 3 (ESP-IDF 5): one call, is224 = 0 for SHA-256.
    if (mbedtls_sha256(data, len, digest, 0) != 0) memset(digest, 0, 32);
}

// ---- outputs

uint8_t ArduinoHal::output_count() { return static_cast<uint8_t>(kOutputCount); }

bool ArduinoHal::output_set(uint8_t index, bool on) {
    if (index >= kOutputCount) return false;
    const Output& o = kOutputs[index];
    digitalWrite(o.drive, on == o.active_high ? HIGH : LOW);
    return true;
}

bool ArduinoHal::output_read(uint8_t index, bool& on) {
    if (index >= kOutputCount) return false;
    const Output& o = kOutputs[index];
    delay(kOutputSettleMs);
    on = (digitalRead(o.sense) == HIGH) == o.active_high;
    return true;
}

// ---- gpio

bool ArduinoHal::gpio_allowed(uint8_t pin) {
    for (uint8_t p : kTestPins)
        if (p == pin) return true;
    return false;
}

void ArduinoHal::gpio_drive(uint8_t pin, bool high) {
    pinMode(pin, OUTPUT);
    digitalWrite(pin, high ? HIGH : LOW);
    delayMicroseconds(kPinSettleUs);
}

bool ArduinoHal::gpio_read(uint8_t pin, vesper_factory::Pull pull) {
    pinMode(pin, pull == vesper_factory::Pull::up     ? INPUT_PULLUP
                 : pull == vesper_factory::Pull::down ? INPUT_PULLDOWN
                                                      : INPUT);
    delayMicroseconds(kPinSettleUs);
    return digitalRead(pin) == HIGH;
}

void ArduinoHal::gpio_release(uint8_t pin) { pinMode(pin, INPUT); }

size_t ArduinoHal::gpio_pairs(vesper_factory::GpioPair* out, size_t cap) {
    size_t n = 0;
    for (const vesper_factory::GpioPair& p : kPairs) {
        if (n == cap) break;
        out[n++] = p;
    }
    return n;
}

// ---- wifi

int ArduinoHal::wifi_scan(vesper_factory::WifiNetwork* out, size_t cap, size_t& seen) {
    if (WiFi.getMode() == WIFI_OFF) WiFi.mode(WIFI_STA);
    const int16_t found = WiFi.scanNetworks(/*async=*/false, /*show_hidden=*/true);
    if (found < 0) return -1; // WIFI_SCAN_FAILED
    seen = static_cast<size_t>(found);
    // Keep the strongest cap networks: replace the weakest kept one when a stronger one comes.
    size_t n = 0;
    for (int16_t i = 0; i < found; ++i) {
        const int32_t rssi = WiFi.RSSI(i);
        size_t slot = n;
        if (n == cap) {
            size_t weakest = 0;
            for (size_t k = 1; k < n; ++k)
                if (out[k].rssi < out[weakest].rssi) weakest = k;
            if (cap == 0 || out[weakest].rssi >= rssi) continue;
            slot = weakest;
        } else {
            ++n;
        }
        const String ssid = WiFi.SSID(i);
        vesper_factory::WifiNetwork& w = out[slot];
        w.ssid_len = static_cast<uint8_t>(ssid.length() > sizeof w.ssid ? sizeof w.ssid : ssid.length());
        memcpy(w.ssid, ssid.c_str(), w.ssid_len);
        w.rssi = static_cast<int8_t>(rssi < -128 ? -128 : rssi > 127 ? 127 : rssi);
        w.channel = static_cast<uint8_t>(WiFi.channel(i));
    }
    WiFi.scanDelete();
    return static_cast<int>(n);
}

// ---- factory flag (default "nvs" partition, namespace "vesper_fct")

bool ArduinoHal::factory_flag_read(uint8_t& value) {
    Preferences prefs;
    if (!prefs.begin(kFlagNamespace, /*readOnly=*/true)) return false; // no namespace yet: never written
    const bool ok = prefs.isKey(kFlagKey) && prefs.getType(kFlagKey) == PT_U8;
    if (ok) value = prefs.getUChar(kFlagKey, 0);
    prefs.end();
    return ok;
}

bool ArduinoHal::factory_flag_write(uint8_t value) {
    Preferences prefs;
    if (!prefs.begin(kFlagNamespace, /*readOnly=*/false)) return false;
    const bool ok = prefs.putUChar(kFlagKey, value) == 1; // put* commits
    prefs.end();
    return ok;
}

// ---- reboot

void ArduinoHal::request_reboot() {
    Serial.flush(); // the answer must be out before the chip restarts
    ESP.restart();
}

} // namespace vesper_board
