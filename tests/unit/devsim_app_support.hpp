#pragma once
// A simulated board with the company's flash layout for the devsim app tests (test_devsim_app*.cpp):
// configs/partitions-4mb.csv at 0x8000, a synthetic app image in ota_0, and an identity NVS image in
// fctry rendered from templates/vesper-device.csv by the project's NVS generator. The board is driven
// step by step with made-up times; what it sends is cut into lines and the protocol lines decoded with
// the HOST library (src/factory/frame), not the firmware's codec.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "devsim/device.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/files.hpp"
#include "vesper/factory/frame.hpp"
#include "vesper/image/image_synth.hpp"
#include "vesper/nvs/template.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::devsim_test {

using namespace std::chrono_literals;
using devsim::Device;
using devsim::TimePoint;

inline constexpr std::uint32_t kTableAddr = 0x8000, kNvsAddr = 0x9000, kFctryAddr = 0x10000, kAppAddr = 0x20000;
inline constexpr std::size_t kFctrySize = 0x6000, kNvsSize = 0x5000;

inline const nvs::Fields& identity_fields() {
    static const nvs::Fields f = {{"serial_number", "PV-26A18-BC02R-X7KQA"},
                                  {"hw_type", "BC"},
                                  {"hw_version", "2.1"},
                                  {"mqtt_password", "5d41402abc4b2a76b9719d911017c592"},
                                  {"subscription_plan", "pro"},
                                  {"available_outputs", "6"},
                                  {"batch_id", "4242"}};
    return f;
}

inline Bytes partition_table_bytes() {
    const std::string csv = read_text_file(std::filesystem::path(VESPER_SOURCE_DIR) / "configs/partitions-4mb.csv");
    return esp::encode_partition_table(esp::parse_partition_csv(csv, "partitions-4mb.csv"));
}

inline Bytes identity_image(const nvs::Fields& fields = identity_fields()) {
    const auto t = nvs::Template::load(std::filesystem::path(VESPER_SOURCE_DIR) / "templates/vesper-device.csv");
    return t.render(fields, kFctrySize, nvs::Version::v2);
}

inline Bytes app_image(const esp::ChipInfo& chip, const std::string& version = "1.4.2") {
    esp::SynthOptions o;
    o.size = 64 * 1024;
    o.project = "vesper-factory";
    o.version = version;
    return esp::synthesize_app_image(chip, o);
}

struct BoardLayout {
    bool table = true;
    bool app = true;
    bool identity = true;
};

// The flash of a provisioned board.
inline void provision(devsim::FlashStore& flash, const esp::ChipInfo& chip, BoardLayout layout = {}) {
    if (layout.table) flash.program(kTableAddr, partition_table_bytes());
    if (layout.app) flash.program(kAppAddr, app_image(chip));
    if (layout.identity) flash.program(kFctryAddr, identity_image());
}

inline devsim::DeviceConfig app_config(const std::string& chip, const std::vector<std::string>& faults = {},
                                       devsim::Timing timing = devsim::Timing::off) {
    devsim::DeviceConfig c;
    c.chip = &esp::chip_by_name(chip);
    c.mac = {0x7c, 0xdf, 0xa1, 0x00, 0x00, 0x2a};
    c.boot = devsim::BootMode::app;
    c.timing = devsim::TimingModel(timing);
    for (const auto& f : faults)
        devsim::add_fault(c.faults, f);
    return c;
}

// A board and a host-side view of its output.
class Board {
public:
    explicit Board(devsim::DeviceConfig config, BoardLayout layout = {}, devsim::CommandLog* log = nullptr)
        : Board(std::move(config), devsim::FlashStore::in_memory(0x400000), layout, log) {}
    Board(devsim::DeviceConfig config, devsim::FlashStore flash, BoardLayout layout, devsim::CommandLog* log = nullptr,
          bool provision_flash = true) {
        const esp::ChipInfo& chip = *config.chip;
        if (provision_flash) provision(flash, chip, layout);
        device = std::make_unique<Device>(std::move(config), std::move(flash), log);
        device->attach_host(now);
        device->power_on(now);
    }

    // Everything the board sent by `t` (ticking it there first), as text.
    std::string read_until(TimePoint t) {
        device->tick(t);
        const Bytes b = device->take_output(t).bytes;
        return std::string(b.begin(), b.end());
    }
    std::string read() { return read_until(now); }
    void send(const std::string& text) { device->receive(as_bytes(text), now); }
    // A request under `id`; returns what came back by now + `wait`.
    std::string ask(std::uint32_t id, const std::string& command, const nlohmann::json& args = nullptr,
                    std::chrono::milliseconds wait = 0ms) {
        send(factory::encode_request(id, command, args));
        return read_until(now + wait);
    }

    std::unique_ptr<Device> device;
    TimePoint now{};
};

// The lines of `text` (cut at '\n').
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        if (end == std::string::npos) {
            out.push_back(text.substr(at));
            break;
        }
        out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// Every valid protocol frame in `text`, decoded by the host library.
inline std::vector<factory::Frame> frames_of(const std::string& text) {
    std::vector<factory::Frame> out;
    for (const std::string& line : lines_of(text)) {
        auto d = factory::decode_line(line);
        if (d.frame) out.push_back(std::move(*d.frame));
    }
    return out;
}

// The one answer with `id` in `text`; fails the test when there is not exactly one.
inline factory::Frame answer_of(const std::string& text, std::uint32_t id) {
    std::vector<factory::Frame> found;
    for (auto& f : frames_of(text))
        if (f.id == id) found.push_back(f);
    INFO(text);
    REQUIRE(found.size() == 1);
    return found[0];
}

} // namespace vesper::devsim_test
