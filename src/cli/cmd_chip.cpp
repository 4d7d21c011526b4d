// vesperctl chip: connect to a board's ROM loader and say what it is: chip, ROM features, MAC, flash.
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "device_args.hpp"
#include "vesper/core/text.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::cli {

namespace {

// What the ROM loader of this chip can do for us, from its row.
std::vector<std::string> rom_features(const esp::ChipInfo& c) {
    std::vector<std::string> f;
    if (c.rom.deflate) f.emplace_back("compressed writes");
    if (c.rom.md5) f.emplace_back("MD5 verify");
    if (c.rom.read_flash_slow) f.emplace_back("flash read");
    if (c.rom.change_baud) f.emplace_back("baud change");
    if (c.rom.spi_attach) f.emplace_back("SPI attach");
    if (c.rom.security_info) f.emplace_back("security info");
    if (c.usb_jtag_serial) f.emplace_back("USB-Serial/JTAG");
    if (c.usb_otg) f.emplace_back("USB-OTG");
    return f;
}

void run_chip(const Context& ctx, const DeviceArgs& args) {
    Device dev = connect_device(args, true, warnings_on_stderr(ctx));
    const esp::DeviceInfo& info = dev.loader->info();
    const esp::ChipInfo& c = *info.chip;
    const auto features = rom_features(c);
    dev.loader->leave(after_option(args.after));

    if (ctx.json) {
        auto doc = device_json(info, args.port);
        doc["features"] = features;
        if (info.security)
            doc["security"] = {{"flags", info.security->flags},
                               {"secure_boot", info.security->secure_boot()},
                               {"secure_download_mode", info.security->secure_download_mode()},
                               {"flash_crypt_cnt", info.security->flash_crypt_cnt}};
        else
            doc["security"] = nullptr;
        ctx.print_json(doc);
        return;
    }
    std::cout << "Port:      " << args.port << "\n"
              << "Chip:      " << c.display_name << " (" << c.name << "), detected by " << info.detected_by << "\n"
              << "Features:  " << join(features) << "\n"
              << "MAC:       " << esp::format_mac(info.mac) << "\n"
              << "Flash:     " << (info.flash_size ? esp::format_flash_size(*info.flash_size) : std::string("unknown"))
              << ", JEDEC " << jedec_text(info) << "\n";
    if (info.security)
        std::cout << "Security:  secure boot " << (info.security->secure_boot() ? "on" : "off")
                  << ", flash encryption count " << int(info.security->flash_crypt_cnt) << "\n";
    std::cout << "Baud:      " << info.baud << "\n";
}

} // namespace

void register_chip(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<DeviceArgs>();
    auto* cmd = app.add_subcommand("chip", "Connect to a board's ROM loader: chip, features, MAC, flash id and size");
    add_device_options(cmd, *args);
    cmd->callback([&ctx, args, cmd] {
        prepare_device(cmd, *args);
        run_chip(ctx, *args);
    });
}

} // namespace vesper::cli
