// vesperctl erase (also erase-region): erase a sector-aligned range of a board's flash; and
// erase-flash: the whole chip. The ROM has no erase-region or erase-chip command (those are the
// stub's), but FLASH_BEGIN erases its whole range before it answers, so an empty FLASH_BEGIN is the
// ROM's erase.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "device_args.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/flash/flasher.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::cli {

namespace {

struct EraseArgs {
    DeviceArgs device;
    std::string address, size;
};

struct Range {
    std::uint32_t address = 0, size = 0;
};

// Connects, erases `range` (the whole flash the board reports when nullopt) and reports it.
void erase(const Context& ctx, const CLI::App* cmd, DeviceArgs& device, std::optional<Range> range) {
    prepare_device(cmd, device);
    const auto t0 = std::chrono::steady_clock::now();
    const auto warn = warnings_on_stderr(ctx);
    Device dev = connect_device(device, true, warn);
    if (!range) {
        const auto flash_size = dev.loader->info().flash_size;
        if (!flash_size)
            fail(ErrorCode::esp_flash_size_unknown, device.port +
                                                        ": the board did not report its flash size (no JEDEC id); " +
                                                        "erase a range with erase-region ADDR SIZE");
        range = Range{0, std::min(*flash_size, esp::kRomMaxFlashAddress)};
        if (*flash_size > range->size)
            warn("the ROM loader reaches only the first 16MB of the board's " + esp::format_flash_size(*flash_size) +
                 " flash; erasing those");
    }
    esp::DeflateCache unused;
    esp::Flasher flasher(*dev.loader, unused);
    flasher.erase(range->address, range->size);
    dev.loader->leave(after_option(device.after));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ctx.json) {
        ctx.print_json(
            {{"port", device.port}, {"address", range->address}, {"size", range->size}, {"seconds", seconds}});
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
        std::cout << "Erased " << range->size << " bytes at " << esp::hex32(range->address) << " in " << buf << "\n";
    }
}

Range checked_range(const EraseArgs& a) {
    const std::uint32_t address = parse_u32("address", a.address);
    const std::uint32_t size = parse_u32("size", a.size);
    // Before connecting: whole sectors, within what the ROM loader reaches.
    esp::check_flash_region({address, size, "erase " + esp::hex32(address) + " size " + esp::hex32(size)},
                            esp::RegionRules{esp::rom_loader_bound(), esp::kFlashSectorSize, esp::kFlashSectorSize});
    return {address, size};
}

} // namespace

void register_erase(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<EraseArgs>();
    auto* cmd = app.add_subcommand("erase", "Erase a range of a board's flash (4 KiB aligned)");
    cmd->alias("erase-region"); // esptool's name
    add_device_options(cmd, args->device);
    cmd->add_option("address", args->address, "Flash address, a multiple of 0x1000")->required();
    cmd->add_option("size", args->size, "Bytes to erase, a multiple of 0x1000")->required();
    cmd->callback([&ctx, args, cmd] {
        const Range range = checked_range(*args); // before the port is looked for or touched
        erase(ctx, cmd, args->device, range);
    });

    auto whole = std::make_shared<DeviceArgs>();
    auto* chip = app.add_subcommand("erase-flash", "Erase a board's whole flash (the size its flash chip reports)");
    add_device_options(chip, *whole);
    chip->callback([&ctx, whole, chip] { erase(ctx, chip, *whole, std::nullopt); });
}

} // namespace vesper::cli
