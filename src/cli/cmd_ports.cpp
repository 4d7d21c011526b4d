// vesperctl ports: the local serial ports, their stable udev names and USB identity, and a guess which
// ones have an ESP board behind them (to fill a station config or pick a --port).
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/port/port_list.hpp"

namespace vesper::cli {

namespace {

struct PortsArgs {
    bool all = false;
};

std::string vid_pid(const esp::UsbIdentity& usb) {
    // "10C4:EA60", the way lsusb and vendor docs write it (without the 0x of hex_u).
    return hex_u(usb.vid, 4).substr(2) + ":" + hex_u(usb.pid, 4).substr(2);
}

std::string board_text(const esp::SerialPortInfo& p) {
    if (p.adapter == nullptr) return "-";
    switch (p.guess) {
    case esp::EspGuess::espressif_usb: return "ESP (" + std::string(p.adapter->name) + ")";
    case esp::EspGuess::usb_bridge: return "likely (" + std::string(p.adapter->name) + ")";
    case esp::EspGuess::unknown: break;
    }
    return std::string(p.adapter->name);
}

nlohmann::json port_json(const esp::SerialPortInfo& p) {
    nlohmann::json usb = nullptr;
    if (p.usb)
        usb = {{"vid", p.usb->vid},
               {"pid", p.usb->pid},
               {"id", vid_pid(*p.usb)},
               {"serial", p.usb->serial},
               {"manufacturer", p.usb->manufacturer},
               {"product", p.usb->product}};
    return {{"port", p.path},
            {"by_id", p.by_id},
            {"by_path", p.by_path},
            {"transport", esp::to_string(p.transport)},
            {"usb", usb},
            {"description", p.description},
            {"adapter", p.adapter != nullptr ? nlohmann::json(p.adapter->name) : nlohmann::json(nullptr)},
            {"esp_guess", esp::to_string(p.guess)}};
}

void run_ports(const Context& ctx, const PortsArgs& args) {
    std::vector<esp::SerialPortInfo> ports = esp::list_serial_ports();
    const std::size_t total = ports.size();
    if (!args.all)
        std::erase_if(ports, [](const esp::SerialPortInfo& p) { return p.transport != esp::PortTransport::usb; });

    if (ctx.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : ports)
            list.push_back(port_json(p));
        ctx.print_json({{"ports", list}});
        return;
    }
    if (ports.empty()) {
        std::cout << "no serial ports found";
        if (total > 0)
            std::cout << " (" << total << " non-USB port" << (total == 1 ? "" : "s") << " hidden; --all shows them)";
        std::cout << "\n";
        return;
    }
    // With --all the kind of port matters (an on-board UART, Bluetooth); without it every row is USB.
    std::vector<std::string> header{"PORT", "USB ID", "USB SERIAL", "ESP BOARD?", "DESCRIPTION"};
    if (args.all) header.insert(header.begin() + 1, "TYPE");
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : ports) {
        std::vector<std::string> row{p.path, p.usb ? vid_pid(*p.usb) : "-",
                                     p.usb && !p.usb->serial.empty() ? p.usb->serial : "-", board_text(p),
                                     or_dash(p.description)};
        if (args.all) row.insert(row.begin() + 1, std::string(esp::to_string(p.transport)));
        rows.push_back(std::move(row));
    }
    print_table(std::cout, header, rows);

    // Stable names last: they are long, and they are what a station config should name (by-path is the
    // physical USB socket, by-id the adapter itself).
    bool titled = false;
    for (const auto& p : ports) {
        if (p.by_id.empty() && p.by_path.empty()) continue;
        if (!titled) std::cout << "\nStable names:\n";
        titled = true;
        std::cout << p.path << "\n";
        for (const auto& n : p.by_path)
            std::cout << "  by-path  " << n << "\n";
        for (const auto& n : p.by_id)
            std::cout << "  by-id    " << n << "\n";
    }
}

} // namespace

void register_ports(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<PortsArgs>();
    auto* cmd =
        app.add_subcommand("ports", "List local serial ports: stable names, USB id and serial, ESP board guess");
    cmd->add_flag("--all", args->all, "Also list non-USB ports (on-board UARTs, Bluetooth); default: USB ports only");
    cmd->callback([&ctx, args] { run_ports(ctx, *args); });
}

} // namespace vesper::cli
