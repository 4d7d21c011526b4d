// vesperctl read-flash: copy a range of a board's flash into a file (ROM READ_FLASH_SLOW, 64 bytes a
// command, each 4 KiB checked against the ROM's MD5). The file is written atomically.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "device_args.hpp"
#include "output_file.hpp"
#include "progress_bar.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/flash/flasher.hpp"

namespace vesper::cli {

namespace {

struct ReadArgs {
    DeviceArgs device;
    std::string address, size, output;
};

void run_read(const Context& ctx, ReadArgs& a, const CLI::App* cmd) {
    const std::uint32_t address = parse_u32("address", a.address);
    const std::uint32_t size = parse_u32("size", a.size);
    check_output_option(ctx, a.output);
    // Before connecting: not empty, within what the ROM loader reaches (reads need no alignment).
    esp::check_flash_region({address, size, "read of " + std::to_string(size) + " bytes"},
                            esp::RegionRules{esp::rom_loader_bound(), 1});
    prepare_device(cmd, a.device);
    const auto t0 = std::chrono::steady_clock::now();
    Device dev = connect_device(a.device, true, warnings_on_stderr(ctx));
    esp::DeflateCache unused;
    esp::Flasher flasher(*dev.loader, unused);
    // Live progress on a terminal (never with --json: its consumers read stdout, but a bar is for people).
    ProgressBar bar(ctx.json ? Terminal{} : terminal_for(STDERR_FILENO));
    auto progress = [&](const esp::FlashProgress& p) { bar.update("read", p.done, p.total); };
    Bytes data = flasher.read(address, size, progress);
    bar.clear();
    dev.loader->leave(after_option(a.device.after));
    write_output(a.output, data);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ctx.json) {
        ctx.print_json({{"port", a.device.port},
                        {"address", address},
                        {"size", size},
                        {"output", a.output},
                        {"seconds", seconds}});
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
        summary_stream(a.output) << "Read " << size << " bytes at " << esp::hex32(address) << " into " << a.output
                                 << " in " << buf << "\n";
    }
}

} // namespace

void register_read_flash(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<ReadArgs>();
    auto* cmd = app.add_subcommand("read-flash", "Read a range of a board's flash into a file");
    add_device_options(cmd, args->device);
    cmd->add_option("address", args->address, "Flash address (decimal or 0x hex)")->required();
    cmd->add_option("size", args->size, "Bytes to read (decimal or 0x hex)")->required();
    // FILE as esptool takes it (read-flash ADDR SIZE FILE), or -o FILE.
    cmd->add_option("file,-o,--output", args->output, "File to write (atomically; - for stdout)")->required();
    cmd->callback([&ctx, args, cmd] { run_read(ctx, *args, cmd); });
}

} // namespace vesper::cli
