#include "device_args.hpp"

#include <cstdlib>
#include <iostream>

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/port/baud_range.hpp"
#include "vesper/port/port_list.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::cli {

namespace {

std::string without_spaces(std::string s) {
    std::erase(s, ' ');
    return s;
}

// A CLI11 transform that accepts every spelling `parse` knows and stores the canonical name, so the
// value is checked while parsing, long before a port is opened.
template <class Parse, class Name> CLI::Validator mode_validator(Parse parse, Name name, std::string list) {
    return CLI::Validator(
        [parse, name, list](std::string& value) -> std::string {
            const auto mode = parse(value);
            if (!mode) return "'" + value + "': expected one of " + list + " (or esptool's underscore spellings)";
            value = std::string(name(*mode));
            return {};
        },
        // Described as CLI11 describes a set ("{a,b}"), so help, the shell completions and the man page
        // list the canonical names.
        "{" + without_spaces(list) + "}");
}

} // namespace

void add_device_options(CLI::App* cmd, DeviceArgs& args, bool with_after, bool with_port) {
    if (with_port)
        cmd->add_option("-p,--port", args.port,
                        "Port: /dev/ttyUSB0, socket://HOST:PORT or rfc2217://HOST:PORT (default $VESPER_PORT, else "
                        "the only local port that looks like an ESP board)");
    cmd->add_option("-b,--baud", args.baud,
                    "Baud rate after connecting (default $VESPER_BAUD, else 460800; the ROM syncs at 115200 and "
                    "falls back there if the link fails)")
        ->capture_default_str()
        ->check(CLI::Range(esp::kMinBaud, esp::kMaxBaud));
    cmd->add_option("--before", args.before, "How to connect: " + esp::before_mode_list())
        ->capture_default_str()
        ->transform(mode_validator([](const std::string& v) { return esp::before_mode_from_name(v); },
                                   [](esp::BeforeConnect m) { return esp::to_string(m); }, esp::before_mode_list()));
    if (with_after)
        cmd->add_option("--after", args.after, "How to end: " + esp::after_mode_list())
            ->capture_default_str()
            ->transform(mode_validator([](const std::string& v) { return esp::after_mode_from_name(v); },
                                       [](esp::AfterFlash m) { return esp::to_string(m); }, esp::after_mode_list()));
    cmd->add_option("--chip", args.chip, "Expected chip (auto, esp32, esp32s3, esp32c3, esp8266, ...)")
        ->capture_default_str();
}

void check_device_flags(const CLI::App* cmd, DeviceArgs& args) {
    if (cmd->count("--baud") == 0)
        if (const char* env = std::getenv("VESPER_BAUD"); env && *env) {
            const auto v = parse_uint(trim(env));
            if (!v) fail(ErrorKind::input, std::string("VESPER_BAUD '") + env + "': expected a baud rate");
            esp::check_baud("VESPER_BAUD", *v);
            args.baud = static_cast<std::uint32_t>(*v);
        }
    esp::check_baud("--baud", args.baud);
    before_option(args.before);
    const esp::AfterFlash after = after_option(args.after);
    if (const esp::ChipInfo* chip = chip_option(args.chip)) esp::check_after_mode(*chip, after);
}

void prepare_device(const CLI::App* cmd, DeviceArgs& args) {
    check_device_flags(cmd, args);
    args.port = resolve_port(args.port);
}

std::string resolve_port(const std::string& given) {
    if (!given.empty()) return given;
    if (const char* env = std::getenv("VESPER_PORT"); env && *env) return env;
    const auto ports = esp::list_serial_ports();
    const esp::SerialPortInfo& p = esp::choose_auto_port(ports);
    std::cerr << "vesperctl: using " << p.path << " (" << esp::describe_port(p)
              << "), the only serial port that looks like an ESP board\n";
    return p.path;
}

const esp::ChipInfo* chip_option(const std::string& value) {
    if (value == "auto") return nullptr;
    return &esp::chip_by_name(value);
}

esp::AfterFlash after_option(const std::string& value) { return esp::parse_after_mode(value); }
esp::BeforeConnect before_option(const std::string& value) { return esp::parse_before_mode(value); }

Device connect_device(const DeviceArgs& args, bool probe_flash, std::function<void(std::string_view)> note) {
    esp::ConnectOptions opts;
    opts.baud = args.baud;
    opts.before = before_option(args.before);
    opts.after = after_option(args.after);
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
