#pragma once
// The factory console's HAL on Arduino-ESP32 3.x (ESP-IDF 5.x): docs/firmware.md. Which pins are
// outputs, loopback pairs and test pins is a per-board table in arduino_hal.cpp.
#include <stddef.h>
#include <stdint.h>

#include <vesper_factory.hpp>

namespace vesper_board {

class ArduinoHal final : public vesper_factory::Hal {
public:
    // Call once in setup(), after Serial.begin(): sets the outputs to off.
    void begin();

    void console_write(const char* data, size_t len) override;
    uint32_t millis() override;

    const char* chip_name() override;
    uint16_t chip_revision() override;
    void mac_address(uint8_t mac[6]) override;
    uint32_t flash_id() override;
    uint32_t flash_size() override;
    uint32_t psram_size() override;
    uint32_t free_heap() override;
    uint32_t min_free_heap() override;
    const char* reset_reason() override;
    bool app_sha256_hex(char out[65]) override;

    bool identity_string(const char* key, char* out, size_t cap) override;
    bool identity_u8(const char* key, uint8_t& out) override;
    bool identity_u32(const char* key, uint32_t& out) override;
    void sha256(const uint8_t* data, size_t len, uint8_t digest[32]) override;

    uint8_t output_count() override;
    bool output_set(uint8_t index, bool on) override;
    bool output_read(uint8_t index, bool& on) override;

    bool gpio_allowed(uint8_t pin) override;
    void gpio_drive(uint8_t pin, bool high) override;
    bool gpio_read(uint8_t pin, vesper_factory::Pull pull) override;
    void gpio_release(uint8_t pin) override;
    size_t gpio_pairs(vesper_factory::GpioPair* out, size_t cap) override;

    int wifi_scan(vesper_factory::WifiNetwork* out, size_t cap, size_t& seen) override;

    bool factory_flag_read(uint8_t& value) override;
    bool factory_flag_write(uint8_t value) override;

    void request_reboot() override;

private:
    char app_sha_[65] = {};
    bool app_sha_known_ = false;
    bool app_sha_tried_ = false;
};

} // namespace vesper_board
