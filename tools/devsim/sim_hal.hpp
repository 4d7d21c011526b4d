#pragma once
// The factory console's HAL on the simulated board (the third HAL, after the Arduino adapter and the
// unit tests' fake; docs/firmware.md). Chip facts come from the chip row, the MAC and flash from the
// device, the identity and the factory flag from NVS partitions in the device's own flash; outputs,
// GPIO pairs and Wi-Fi are simulated parts, shaped by the app faults. Calls that take time on a board
// add to a modelled duration the app reads after each command (docs/devsim.md, "The app").
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "devsim/faults.hpp"
#include "devsim/flash_nvs.hpp"
#include "devsim/flash_store.hpp"
#include "devsim/mac.hpp"
#include "devsim/timing.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper_factory.hpp"

namespace vesper::devsim {

// The flash JEDEC id the HAL reports (manufacturer << 16 | type << 8 | capacity) from the RDID word the
// simulated SPI controller returns (manufacturer in the low byte).
std::uint32_t jedec_from_rdid(std::uint32_t rdid_word);

// The simulated fixture: GPIO pairs wired to each other, and the pins the gpio command may use.
inline constexpr vesper_factory::GpioPair kSimGpioPairs[] = {{4, 5}, {18, 19}};
inline constexpr std::uint8_t kSimGpioPins[] = {4, 5, 18, 19, 21, 22};
// Outputs when the identity does not say (NVS vesper/outputs).
inline constexpr std::uint8_t kDefaultSimOutputs = 8;

class SimHal final : public vesper_factory::Hal {
public:
    SimHal(const esp::ChipInfo& chip, const Mac& mac, FlashStore& flash, std::uint32_t flash_id, FaultState& faults);

    // A boot into the app: `reset_reason` in ESP-IDF's spelling ("poweron", "sw", "panic", ...), the
    // running app's SHA-256 as esp_partition_get_sha256 gives it (nullopt: unknown). Decodes the
    // identity from the fctry partition and forgets outputs, GPIO levels and the console's output.
    void boot(const char* reset_reason, std::optional<std::array<std::uint8_t, 32>> app_sha256);
    // The firmware's clock before a call into the console: milliseconds since boot.
    void set_clock(std::uint32_t ms) {
        clock_ms_ = ms;
        busy_ = Duration::zero();
    }
    // The modelled time the HAL calls took since set_clock.
    Duration busy() const { return busy_; }
    // What the console wrote since the last call, taken.
    std::string take_output() { return std::exchange(output_, {}); }
    // Whether the console asked for a restart since the last call, taken.
    bool take_reboot() { return std::exchange(reboot_, false); }

    // vesper_factory::Hal
    void console_write(const char* data, size_t len) override { output_.append(data, len); }
    uint32_t millis() override;
    const char* chip_name() override;
    uint16_t chip_revision() override { return 0; } // devsim's eFuses read revision v0.0 (as the boot log says)
    void mac_address(uint8_t mac[6]) override;
    uint32_t flash_id() override { return flash_id_; }
    uint32_t flash_size() override { return flash_.size(); }
    uint32_t psram_size() override { return 0; }
    uint32_t free_heap() override;
    uint32_t min_free_heap() override;
    const char* reset_reason() override { return reset_reason_; }
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
    void request_reboot() override { reboot_ = true; }

private:
    const nvs::NvsValue* identity(const char* key, nvs::ItemType type) const;

    const esp::ChipInfo& chip_;
    Mac mac_;
    FlashStore& flash_;
    std::uint32_t flash_id_;
    FaultState& faults_;
    FirmwareTimes times_;

    const char* reset_reason_ = "poweron";
    std::optional<std::array<std::uint8_t, 32>> app_sha256_;
    std::vector<nvs::NvsValue> identity_;
    std::string chip_name_;
    std::uint32_t clock_ms_ = 0;
    Duration busy_{};
    std::string output_;
    bool reboot_ = false;
    std::array<bool, kMaxSimOutputs> relays_{};
    std::array<std::optional<bool>, 256> driven_{}; // per pin: the level it drives, when an output
};

} // namespace vesper::devsim
