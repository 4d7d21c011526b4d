#include "device_args.hpp"

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/esp/spi_flash.hpp"

namespace vesper::cli {

std::uint32_t parse_u32(const std::string& what, const std::string& text) {
    auto v = parse_uint(trim(text));
    if (!v || *v > 0xFFFFFFFFull)
        fail(ErrorKind::input, what + " '" + text + "': expected a 32-bit number, decimal or 0x hex");
    return static_cast<std::uint32_t>(*v);
}

void add_device_options(CLI::App* cmd, DeviceArgs& args, bool with_after, bool with_port) {
    if (with_port)
        cmd->add_option("-p,--port", args.port, "Port: /dev/ttyUSB0, socket://HOST:PORT or rfc2217://HOST:PORT")
            ->required();
    cmd->add_option("-b,--baud", args.baud,
                    "Baud rate after connecting (the ROM syncs at 115200; falls back there if the link fails)")
        ->capture_default_str()
        ->check(CLI::Range(9600u, 5000000u));
    cmd->add_option("--before", args.before, "Reset into download mode first (default) or not (no-reset)")
        ->capture_default_str()
        ->check(CLI::IsMember({"default", "no-reset"}));
    if (with_after)
        cmd->add_option("--after", args.after, "Afterwards: reset into the application, or stay in the loader")
            ->capture_default_str()
            ->check(CLI::IsMember({"hard-reset", "no-reset"}));
    cmd->add_option("--chip", args.chip, "Expected chip (auto, esp32, esp32s3, esp32c3, esp8266, ...)")
        ->capture_default_str();
}

const esp::ChipInfo* chip_option(const std::string& value) {
    if (value == "auto") return nullptr;
    return &esp::chip_by_name(value);
}

esp::AfterFlash after_option(const std::string& value) {
    return value == "no-reset" ? esp::AfterFlash::stay : esp::AfterFlash::hard_reset;
}

Device connect_device(const DeviceArgs& args, bool probe_flash, std::function<void(std::string_view)> note) {
    esp::ConnectOptions opts;
    opts.baud = args.baud;
    opts.before = args.before == "no-reset" ? esp::BeforeConnect::no_reset : esp::BeforeConnect::reset;
    opts.expect_chip = chip_option(args.chip); // before opening: a bad --chip is an input error
    opts.probe_flash = probe_flash;
    opts.note = std::move(note);
    return esp::open_and_connect(args.port, opts);
}

std::function<void(std::string_view)> warnings_on_stderr(const Context& ctx) {
    return [json = ctx.json](std::string_view w) {
        if (!json) std::cerr << "vesperctl: warning: " << w << "\n";
    };
}

std::string jedec_text(const esp::DeviceInfo& info) {
    if (!info.flash_id) return "unknown";
    return hex_u(info.flash_id->raw, 6) + " (" + info.flash_id->to_string() + ")";
}

nlohmann::json device_json(const esp::DeviceInfo& info, const std::string& port) {
    nlohmann::json flash = nullptr;
    if (info.flash_id || info.flash_size) {
        flash = nlohmann::json::object();
        if (info.flash_id) {
            flash["jedec_id"] = hex_u(info.flash_id->raw, 6);
            flash["manufacturer"] = info.flash_id->manufacturer;
            flash["device"] = info.flash_id->device;
        }
        flash["size"] = info.flash_size ? nlohmann::json(*info.flash_size) : nlohmann::json(nullptr);
        flash["size_text"] =
            info.flash_size ? nlohmann::json(esp::format_flash_size(*info.flash_size)) : nlohmann::json(nullptr);
    }
    return {{"port", port},
            {"chip", info.chip ? std::string(info.chip->name) : std::string()},
            {"chip_name", info.chip ? std::string(info.chip->display_name) : std::string()},
            {"detected_by", info.detected_by},
            {"mac", esp::format_mac(info.mac)},
            {"flash", flash},
            {"baud", info.baud},
            {"warnings", info.warnings}};
}

} // namespace vesper::cli
