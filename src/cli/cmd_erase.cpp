// vesperctl erase: erase a sector-aligned range of a board's flash. The ROM has no erase-region
// command (that is the stub's), but FLASH_BEGIN erases its whole range before it answers, so an
// empty FLASH_BEGIN is the ROM's erase.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "device_args.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/esp/flash_limits.hpp"
#include "vesper/esp/flasher.hpp"

namespace vesper::cli {

namespace {

struct EraseArgs {
    DeviceArgs device;
    std::string address, size;
};

void run_erase(const Context& ctx, EraseArgs& a, const CLI::App* cmd) {
    const std::uint32_t address = parse_u32("address", a.address);
    const std::uint32_t size = parse_u32("size", a.size);
    // Before connecting: whole sectors, within what the ROM loader reaches.
    esp::check_flash_region({address, size, "erase " + esp::hex32(address) + " size " + esp::hex32(size)},
                            esp::RegionRules{esp::rom_loader_bound(), esp::kFlashSectorSize, esp::kFlashSectorSize});
    prepare_device(cmd, a.device);
    const auto t0 = std::chrono::steady_clock::now();
    Device dev = connect_device(a.device, true, warnings_on_stderr(ctx));
    esp::DeflateCache unused;
    esp::Flasher flasher(*dev.loader, unused);
    flasher.erase(address, size);
    dev.loader->leave(after_option(a.device.after));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ctx.json) {
        ctx.print_json({{"port", a.device.port}, {"address", address}, {"size", size}, {"seconds", seconds}});
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
        std::cout << "Erased " << size << " bytes at " << esp::hex32(address) << " in " << buf << "\n";
    }
}

} // namespace

void register_erase(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<EraseArgs>();
    auto* cmd = app.add_subcommand("erase", "Erase a range of a board's flash (4 KiB aligned)");
    add_device_options(cmd, args->device);
    cmd->add_option("address", args->address, "Flash address, a multiple of 0x1000")->required();
    cmd->add_option("size", args->size, "Bytes to erase, a multiple of 0x1000")->required();
    cmd->callback([&ctx, args, cmd] { run_erase(ctx, *args, cmd); });
}

} // namespace vesper::cli
