#include "devsim/sim_hal.hpp"

#include <algorithm>
#include <cstring>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"

namespace vesper::devsim {

namespace {

using vesper_factory::GpioPair;
using vesper_factory::Pull;
using vesper_factory::WifiNetwork;

// Free heap an ESP-IDF app reports right after start (before Wi-Fi), per chip: estimates from the
// chips' internal SRAM less what ESP-IDF's startup and a small app keep. The low-water mark is a bit
// below it, as after startup's temporary buffers.
struct HeapRow {
    esp::Chip chip;
    std::uint32_t free_heap;
};
constexpr HeapRow kHeap[] = {
    {esp::Chip::esp8266, 52000},  {esp::Chip::esp32, 294000},   {esp::Chip::esp32s2, 248000},
    {esp::Chip::esp32s3, 352000}, {esp::Chip::esp32c2, 186000}, {esp::Chip::esp32c3, 318000},
    {esp::Chip::esp32c5, 370000}, {esp::Chip::esp32c6, 424000}, {esp::Chip::esp32h2, 236000},
    {esp::Chip::esp32p4, 560000},
};
constexpr std::uint32_t kDefaultFreeHeap = 280000;
constexpr std::uint32_t kHeapLowWaterDrop = 6144;

// The networks around the simulated line, in the order a scan reports them. One SSID holds a byte that
// is not UTF-8 (0xE4, "ä" in Latin-1), as SSIDs may.
struct SimNetwork {
    std::string_view ssid;
    std::int8_t rssi;
    std::uint8_t channel;
};
constexpr SimNetwork kNetworks[] = {
    {"vesper-line", -47, 6},
    {"vesper-office", -63, 1},
    {"Werkhalle\xE4-2", -71, 11},
};
constexpr int kWeakWifiDrop = 41;   // dB: a board whose antenna is not connected
constexpr int kWeakWifiMax = -88;   // weak-wifi: nothing stronger than this
constexpr int kWeakWifiFloor = -95; // and nothing below the radio's sensitivity

bool is_test_pin(std::uint8_t pin) {
    return std::find(std::begin(kSimGpioPins), std::end(kSimGpioPins), pin) != std::end(kSimGpioPins);
}

// The pin wired to `pin` on the fixture, if any.
std::optional<std::uint8_t> partner(std::uint8_t pin) {
    for (const GpioPair& p : kSimGpioPairs) {
        if (p.a == pin) return p.b;
        if (p.b == pin) return p.a;
    }
    return std::nullopt;
}

} // namespace

std::uint32_t jedec_from_rdid(std::uint32_t rdid_word) {
    return (rdid_word & 0xFF) << 16 | (rdid_word & 0xFF00) | (rdid_word >> 16 & 0xFF);
}

SimHal::SimHal(const esp::ChipInfo& chip, const Mac& mac, FlashStore& flash, std::uint32_t flash_id, FaultState& faults)
    : chip_(chip), mac_(mac), flash_(flash), flash_id_(flash_id), faults_(faults), chip_name_(chip.display_name) {}

void SimHal::boot(const char* reset_reason, std::optional<std::array<std::uint8_t, 32>> app_sha256) {
    reset_reason_ = reset_reason;
    app_sha256_ = app_sha256;
    identity_.clear();
    // Decoded at every boot: vesperctl writes the NVS image, then resets the board.
    if (const auto fctry = find_nvs_partition(flash_, "fctry"))
        identity_ = read_nvs_namespace(flash_, *fctry, "vesper");
    clock_ms_ = 0;
    busy_ = Duration::zero();
    output_.clear();
    reboot_ = false;
    relays_.fill(false);
    driven_.fill(std::nullopt);
}

uint32_t SimHal::millis() {
    return clock_ms_ + static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(busy_).count());
}

const char* SimHal::chip_name() { return chip_name_.c_str(); }

void SimHal::mac_address(uint8_t mac[6]) { std::copy(mac_.begin(), mac_.end(), mac); }

uint32_t SimHal::free_heap() {
    for (const HeapRow& row : kHeap)
        if (row.chip == chip_.chip) return row.free_heap;
    return kDefaultFreeHeap;
}

uint32_t SimHal::min_free_heap() { return free_heap() - kHeapLowWaterDrop; }

bool SimHal::app_sha256_hex(char out[65]) {
    if (!app_sha256_) return false;
    const std::string hex = to_hex(*app_sha256_);
    std::memcpy(out, hex.c_str(), 65);
    return true;
}

const nvs::NvsValue* SimHal::identity(const char* key, nvs::ItemType type) const {
    for (const nvs::NvsValue& v : identity_)
        if (v.key == key) return v.type == type ? &v : nullptr; // nvs_get_* of another type: not found
    return nullptr;
}

bool SimHal::identity_string(const char* key, char* out, size_t cap) {
    const nvs::NvsValue* v = identity(key, nvs::ItemType::sz);
    if (!v || v->data.size() + 1 > cap) return false;
    std::memcpy(out, v->data.data(), v->data.size());
    out[v->data.size()] = '\0';
    return true;
}

bool SimHal::identity_u8(const char* key, uint8_t& out) {
    const nvs::NvsValue* v = identity(key, nvs::ItemType::u8);
    if (!v) return false;
    out = static_cast<std::uint8_t>(v->integer);
    return true;
}

bool SimHal::identity_u32(const char* key, uint32_t& out) {
    const nvs::NvsValue* v = identity(key, nvs::ItemType::u32);
    if (!v) return false;
    out = static_cast<std::uint32_t>(v->integer);
    return true;
}

void SimHal::sha256(const uint8_t* data, size_t len, uint8_t digest[32]) {
    const auto d = vesper::sha256(ByteView(data, len));
    std::copy(d.begin(), d.end(), digest);
}

uint8_t SimHal::output_count() {
    std::uint8_t n = kDefaultSimOutputs;
    identity_u8("outputs", n);
    return static_cast<std::uint8_t>(std::min<std::uint32_t>(n, kMaxSimOutputs));
}

bool SimHal::output_set(uint8_t index, bool on) {
    if (index >= output_count()) return false;
    relays_[index] = on;
    return true;
}

bool SimHal::output_read(uint8_t index, bool& on) {
    if (index >= output_count()) return false;
    busy_ += times_.output_settle;
    // The relay follows its drive, unless its contact is welded (stuck-output).
    on = relays_[index] || (faults_.plan().stuck_outputs & (1u << index)) != 0;
    return true;
}

bool SimHal::gpio_allowed(uint8_t pin) { return is_test_pin(pin); }

void SimHal::gpio_drive(uint8_t pin, bool high) { driven_[pin] = high; }

bool SimHal::gpio_read(uint8_t pin, Pull pull) {
    busy_ += times_.gpio_settle;
    driven_[pin].reset(); // an input now
    if (const auto other = partner(pin); other && driven_[*other]) return *driven_[*other];
    return pull == Pull::up;
}

void SimHal::gpio_release(uint8_t pin) { driven_[pin].reset(); }

size_t SimHal::gpio_pairs(GpioPair* out, size_t cap) {
    const std::size_t n = std::min(cap, std::size(kSimGpioPairs));
    std::copy_n(std::begin(kSimGpioPairs), n, out);
    return n;
}

int SimHal::wifi_scan(WifiNetwork* out, size_t cap, size_t& seen) {
    busy_ += times_.wifi_scan;
    const bool weak = faults_.plan().weak_wifi;
    std::size_t n = 0;
    for (const SimNetwork& net : kNetworks) {
        if (n == cap) break;
        WifiNetwork& w = out[n++];
        std::memset(&w, 0, sizeof w);
        w.ssid_len = static_cast<std::uint8_t>(std::min(net.ssid.size(), sizeof w.ssid));
        std::memcpy(w.ssid, net.ssid.data(), w.ssid_len);
        const int rssi = weak ? std::clamp(net.rssi - kWeakWifiDrop, kWeakWifiFloor, kWeakWifiMax) : net.rssi;
        w.rssi = static_cast<std::int8_t>(rssi);
        w.channel = net.channel;
    }
    seen = std::size(kNetworks);
    return static_cast<int>(n);
}

bool SimHal::factory_flag_read(uint8_t& value) {
    const auto nvs_part = find_nvs_partition(flash_, "nvs");
    if (!nvs_part) return false;
    for (const nvs::NvsValue& v : read_nvs_namespace(flash_, *nvs_part, "vesper_fct"))
        if (v.key == "factory_ok" && v.type == nvs::ItemType::u8) {
            value = static_cast<std::uint8_t>(v.integer);
            return true;
        }
    return false;
}

bool SimHal::factory_flag_write(uint8_t value) {
    const auto nvs_part = find_nvs_partition(flash_, "nvs");
    if (!nvs_part) return false;
    busy_ += times_.nvs_commit;
    return write_nvs_u8(flash_, *nvs_part, "vesper_fct", "factory_ok", value);
}

} // namespace vesper::devsim
