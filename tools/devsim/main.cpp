// vesper-devsim: simulated ESP boards speaking the ROM serial bootloader protocol over TCP, RFC 2217
// or a pseudo-terminal. See docs/devsim.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "devsim/server.hpp"
#include "vesper/core/error.hpp"

using namespace vesper;
using namespace vesper::devsim;

namespace {

constexpr const char* kFooter = R"(
Transports:
  tcp:PORT      raw bytes, no control lines; the board starts in the mode --boot gives
  rfc2217:PORT  telnet + RFC 2217; DTR/RTS drive EN/IO0 through the reset circuit (--reset-circuit):
                auto     the usual two transistors: EN low while RTS is asserted and DTR is not, IO0
                         low while DTR is asserted and RTS is not
                en-only  RTS asserted pulls EN low, DTR is not wired, IO0 is the --boot strap
                         (--boot app: IO0 high, so every reset boots the app and prints its log)
                EN released with IO0 low enters download mode, with IO0 high boots the app.
  Port 0 lets the OS choose; every ready line on stdout says where each device listens:
    devsim: esp32 MAC 24:0a:c4:00:00:01 listening on tcp:127.0.0.1:4000 (flash flash-0.bin)
  One client per device; a second connection is closed at once. The device keeps its state (flash,
  loader) when a client leaves.

Several devices (--count N): ports PORT..PORT+N-1 (each its own with port 0), MACs counting up from
--mac, flash files FILE-0.EXT .. FILE-<N-1>.EXT.

Faults (--fault, repeatable, counters per device, deterministic):
  corrupt-every=N            flip the lowest bit of every Nth byte sent to the host
  drop-every=N               do not send every Nth reply frame
  drop-frame=N               do not send the Nth reply frame (once)
  stall-after-bytes=N:MS     after N bytes to the host, send nothing for MS ms (once)
  stall-after-commands=N:MS  answer the Nth command MS ms late (once)
  disconnect-after-bytes=N   close the connection after N bytes to the host (once)
  fail-write-at=ADDR         flash data blocks reaching ADDR or beyond fail with ROM error 0x08
  fail-write-block=N         the Nth flash data block fails with ROM error 0x08 (once)
  max-baud=N                 the line carries at most N baud: while the UART runs faster (after
                             CHANGE_BAUDRATE) every byte sent arrives shifted one bit ((b<<1)|1, so
                             no frame ever ends) and every byte received is lost; a reset brings the
                             UART back to 115200, where it works again
App faults (the factory console each board runs once its app boots; docs/devsim.md, "The app"):
  stuck-output=I             output I (from 0) always reads back on; repeatable
  weak-wifi                  every scanned network at -88 dBm or weaker
  no-hello                   the app runs no factory console: boot log, then nothing
  panic-at=COMMAND           the first request for COMMAND panics the app (Guru Meditation), which
                             reboots (reset line, boot log, hello)
  line-noise=N               before every Nth protocol line: a line of binary junk and a copy of the
                             line with a wrong CRC
  late-answer=COMMAND:MS     the answer to the first request for COMMAND comes MS ms late
  N:SPEC                     SPEC for device N only (from 1, in the order of the ready lines), e.g.
                             --fault 6:stuck-output=2; without N: every device

Exit: SIGINT or SIGTERM stops the simulator cleanly (exit code 0). An error is one line on stderr,
"vesper-devsim: error: ...", and exits with 2 (bad arguments), 5 (files, sockets) or 1 (internal).
)";

// Every error leaves through here: one line with the program's name, and the documented exit code.
int error_exit(const std::string& message, int code) {
    std::fprintf(stderr, "vesper-devsim: error: %s\n", message.c_str());
    return code;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"vesper-devsim: simulated ESP boards running the ROM serial bootloader"};
    cli.footer(kFooter);
    std::string chip_name = "esp32";
    std::optional<std::string> mac_text, flash_file, listen_text, log_file;
    std::optional<int> port;
    std::string flash_size_text = "4MB", bind = "127.0.0.1", boot_text = "download", timing_text = "off";
    std::string circuit_text = "auto";
    int count = 1;
    bool pty = false, quiet = false;
    std::vector<std::string> fault_specs;

    std::string chips;
    for (const auto& c : esp::all_chips())
        chips += (chips.empty() ? "" : "|") + std::string(c.name);
    cli.add_option("--chip", chip_name, "chip to simulate: " + chips)->capture_default_str();
    cli.add_option("--mac", mac_text,
                   "factory MAC of the (first) device, e.g. 24:0a:c4:00:00:01 (default: chip OUI + 00:00:01)");
    cli.add_option("--flash", flash_file, "flash image file, created 0xFF-filled when missing (default: in memory)");
    cli.add_option("--flash-size", flash_size_text, "flash size: 1MB..16MB, KB or bytes")->capture_default_str();
    cli.add_option("--listen", listen_text, "tcp:PORT or rfc2217:PORT (PORT 0: any free port)");
    cli.add_option("--port", port, "same as --listen tcp:PORT");
    cli.add_option("--bind", bind, "address to listen on")->capture_default_str();
    cli.add_option("--count", count, "number of devices")->capture_default_str()->check(CLI::Range(1, 256));
    cli.add_option("--boot", boot_text, "download|app: power-on mode, and the IO0 strap without control lines")
        ->capture_default_str();
    cli.add_option("--reset-circuit", circuit_text,
                   "auto|en-only: how DTR/RTS reach EN and IO0 on rfc2217 ports (see below)")
        ->capture_default_str();
    cli.add_flag("--pty", pty, "also offer each device on a pseudo-terminal (path on the ready line)");
    cli.add_option("--timing", timing_text,
                   "off|realistic: pace the UART at the current baud and wait for flash "
                   "erase/program (W25Q32JV typical times)")
        ->capture_default_str();
    cli.add_option("--fault", fault_specs, "inject a fault (see below); repeatable");
    cli.add_option("--log", log_file, "append one JSON line per command to FILE");
    cli.add_flag("--quiet", quiet, "no event lines on stderr");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return cli.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return cli.exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11's own codes (105 for a value out of range, 106 for an unknown option, ...) are not ours.
        return error_exit(e.what(), exit_code_for(ErrorKind::input));
    }

    try {
        const esp::ChipInfo& chip = esp::chip_by_name(chip_name);
        Mac mac{static_cast<std::uint8_t>(chip.example_oui >> 16),
                static_cast<std::uint8_t>(chip.example_oui >> 8),
                static_cast<std::uint8_t>(chip.example_oui),
                0,
                0,
                1};
        if (mac_text) mac = parse_mac(*mac_text);

        ServerConfig server;
        server.bind = bind;
        server.pty = pty;
        server.quiet = quiet;
        if (log_file) server.log = *log_file;
        if (listen_text && port) throw Error(ErrorCode::cli_usage, "give either --listen or --port, not both");
        if (listen_text) server.listen = parse_listen(*listen_text);
        if (port) {
            if (*port < 0 || *port > 65535) throw Error(ErrorCode::cli_usage, "--port must be 0..65535");
            server.listen = ListenSpec{ListenKind::tcp, static_cast<std::uint16_t>(*port)};
        }
        if (server.listen && server.listen->port != 0 && server.listen->port + count - 1 > 65535)
            throw Error(ErrorCode::cli_usage, "--count " + std::to_string(count) + " devices do not fit above port " +
                                                  std::to_string(server.listen->port));

        const std::uint32_t flash_size = parse_flash_size(flash_size_text);
        const TimingModel timing(parse_timing(timing_text));
        const BootMode boot = parse_boot_mode(boot_text);
        const ResetCircuit circuit = parse_reset_circuit(circuit_text);

        std::vector<DeviceSetup> devices;
        for (int i = 0; i < count; ++i) {
            DeviceSetup d;
            d.config.index = i;
            d.config.chip = &chip;
            d.config.mac = mac_add(mac, static_cast<std::uint64_t>(i));
            mac_words(chip, d.config.mac); // rejects MACs the chip cannot hold, before anything starts
            d.config.boot = boot;
            d.config.reset_circuit = circuit;
            d.config.timing = timing;
            d.config.faults = fault_plan_for(fault_specs, i, count);
            d.flash_size = flash_size;
            if (flash_file) d.flash_file = indexed_path(*flash_file, i, count);
            devices.push_back(std::move(d));
        }
        std::vector<std::string> fault_lines;
        for (const DeviceSetup& d : devices)
            if (!d.config.faults.empty())
                fault_lines.push_back((count == 1
                                           ? std::string("devsim: faults: ")
                                           : "devsim: device " + std::to_string(d.config.index + 1) + " faults: ") +
                                      describe(d.config.faults));
        Server srv(server, std::move(devices));
        srv.start();
        if (!quiet)
            for (const std::string& line : fault_lines)
                std::fprintf(stderr, "%s\n", line.c_str());
        if (circuit == ResetCircuit::en_only && !quiet)
            std::fprintf(stderr, "devsim: reset circuit en-only: RTS drives EN, DTR is not wired, IO0 strapped %s\n",
                         boot == BootMode::app ? "high (resets boot the app)" : "low (resets enter download mode)");
        return srv.run();
    } catch (const Error& e) {
        return error_exit(e.what(), exit_code_for(e.kind()));
    } catch (const std::exception& e) {
        return error_exit(std::string("internal: ") + e.what(), exit_code_for(ErrorKind::internal));
    }
}
