#pragma once
// Options every command that talks to a board shares (--port, --baud, --before, --after, --chip), their
// defaults from the environment (VESPER_PORT, VESPER_BAUD) or the one ESP-looking local port, checks
// of every value before a port is touched, and opening + connecting from them. Used by chip, flash,
// read-flash and erase.
#include <memory>
#include <string>

#include "cli.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/rom/loader.hpp"

namespace vesper::cli {

inline constexpr std::uint32_t kDefaultFlashBaud = 460800;

struct DeviceArgs {
    std::string port;
    std::uint32_t baud = kDefaultFlashBaud;
    std::string before = "default-reset"; // canonical names once parsed (esptool spellings accepted)
    std::string after = "hard-reset";
    std::string chip = "auto";
};

// Adds --port unless `with_port` is false, --baud/--before/--chip, and --after when `with_after`. --before
// and --after take esptool's spellings and are stored by their canonical names.
void add_device_options(CLI::App* cmd, DeviceArgs& args, bool with_after = true, bool with_port = true);

// Before anything else a device command does: VESPER_BAUD when --baud was not given, and every value
// checked (--baud, --chip, --before/--after, and --after against the chip when --chip names one).
// Error(input) for any bad value, before a file is read or a port listed or opened.
void check_device_flags(const CLI::App* cmd, DeviceArgs& args);
// check_device_flags, then args.port = resolve_port(args.port).
void prepare_device(const CLI::App* cmd, DeviceArgs& args);

// The port to use: `given` (--port), else $VESPER_PORT, else the only local serial port that looks like
// an ESP board (said on stderr). Error(input) listing the candidates when there are none or several.
std::string resolve_port(const std::string& given);

const esp::ChipInfo* chip_option(const std::string& value);
esp::AfterFlash after_option(const std::string& value);
esp::BeforeConnect before_option(const std::string& value);

// An open port with a connected loader.
using Device = esp::ConnectedBoard;

// Opens the port and runs the whole connect sequence. `note` receives warnings (printed on stderr
// by the callers unless --json).
Device connect_device(const DeviceArgs& args, bool probe_flash, std::function<void(std::string_view)> note);

// Connect notes for chip, read-flash and erase: "vesperctl: warning: ..." on stderr, none with --json
// (whose consumers read the result document; flash reports them as JSON events instead).
std::function<void(std::string_view)> warnings_on_stderr(const Context& ctx);

// Text helpers shared by the device commands.
std::string jedec_text(const esp::DeviceInfo& info);
nlohmann::json device_json(const esp::DeviceInfo& info, const std::string& port);

} // namespace vesper::cli
