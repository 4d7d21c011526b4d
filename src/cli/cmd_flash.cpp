// vesperctl flash: write ADDRESS FILE pairs to a board through its ROM loader, compressed, skipping
// regions the board already holds, MD5-verified. One port per run today; the work is a FlashJob so a
// --station option can later run one job per port (each in its own thread, sharing the DeflateCache).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "device_args.hpp"
#include "json_output.hpp"
#include "progress_bar.hpp"
#include "station_cli.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"
#include "vesper/flash/flash_board.hpp"
#include "vesper/flash/flash_report.hpp"
#include "vesper/flash/flasher.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/rom/spi_flash.hpp"

namespace vesper::cli {

namespace {

struct FlashArgs {
    DeviceArgs device;
    std::vector<std::string> ports; // one without --station; any of the station's with it
    StationArgs station;
    bool no_compress = false;
    bool force = false;
    std::string flash_mode = "keep", flash_size = "keep", flash_freq = "keep";
    std::vector<std::string> pairs; // ADDR FILE ADDR FILE ...
};

// Everything one port needs; what a station would build per port.
struct FlashJob {
    DeviceArgs device;
    esp::FlashOptions options;
    esp::FlashParams flash_params; // bootloader header fields; all "keep" leaves it as built
    std::vector<esp::RegionSource> regions;
};

std::vector<esp::RegionSource> read_regions(const std::vector<std::string>& pairs) {
    // The layout from the sizes on disk, before any file is loaded (check_layout repeats it on the bytes).
    const std::vector<esp::FlashRegion> planned = esp::parse_region_pairs("flash", pairs);
    esp::check_flash_regions(planned, esp::RegionRules{esp::rom_loader_bound()});
    std::vector<esp::RegionSource> regions;
    for (const auto& r : planned)
        regions.push_back(esp::RegionSource{static_cast<std::uint32_t>(r.address), read_file(r.name), r.name});
    return regions;
}

// A JSON line on stdout, flushed: a consumer follows the run live.
void emit(const nlohmann::json& event) { std::cout << json_text(event) << std::endl; }

// Progress as a person sees it, on stderr: one bar per region and phase (percent, speed, ETA), at most
// 10 redraws a second, only when stderr is a terminal (plain lines on a dumb one; see terminal.hpp).
class ProgressLine {
public:
    explicit ProgressLine(const esp::FlashPlan& plan) : plan_(plan), bar_(terminal_for(STDERR_FILENO)) {}
    void update(const esp::FlashProgress& p) {
        char label[200];
        std::snprintf(label, sizeof label, "[%zu/%zu] %s %s", p.region + 1, p.region_count,
                      plan_.regions[p.region].name.c_str(), esp::to_string(p.phase));
        bar_.update(label, p.done, p.total);
    }
    void clear() { bar_.clear(); }

private:
    const esp::FlashPlan& plan_;
    ProgressBar bar_;
};

// JSON progress events: every phase change, and at most every 5% within a phase.
class ProgressEvents {
public:
    explicit ProgressEvents(const esp::FlashPlan& plan) : plan_(plan) {}
    void update(const esp::FlashProgress& p) {
        const int step = p.total ? static_cast<int>(p.done * 20 / p.total) : 20;
        if (p.region == region_ && p.phase == phase_ && step == step_) return;
        region_ = p.region;
        phase_ = p.phase;
        step_ = step;
        emit({{"event", "progress"},
              {"phase", esp::to_string(p.phase)},
              {"region", p.region},
              {"regions", p.region_count},
              {"input", plan_.regions[p.region].name},
              {"address", plan_.regions[p.region].address},
              {"done", p.done},
              {"total", p.total}});
    }

private:
    const esp::FlashPlan& plan_;
    std::size_t region_ = static_cast<std::size_t>(-1);
    esp::FlashPhase phase_ = esp::FlashPhase::check;
    int step_ = -1;
};

void run_job(const Context& ctx, const FlashJob& job, esp::DeflateCache& cache) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    // Layout errors do not need a board: report them before touching the port.
    esp::check_layout(job.regions);

    auto note = [&](std::string_view w) {
        if (ctx.json)
            emit({{"event", "warning"}, {"message", std::string(w)}});
        else
            std::cerr << "vesperctl: warning: " << w << "\n";
    };
    Device dev = connect_device(job.device, true, note);
    const esp::DeviceInfo& info = dev.loader->info();
    if (ctx.json) {
        auto ev = device_json(info, job.device.port);
        ev["event"] = "connected";
        emit(ev);
    } else {
        std::cout << "Connected to " << info.chip->display_name << " on " << job.device.port << " (MAC "
                  << esp::format_mac(info.mac) << ", flash "
                  << (info.flash_size ? esp::format_flash_size(*info.flash_size) : std::string("size unknown")) << ", "
                  << info.baud << " baud)\n";
    }

    std::optional<esp::FlashPlan> plan;
    std::optional<ProgressLine> line;
    std::optional<ProgressEvents> events;
    esp::FlashBoardEvents on;
    on.warn = note;
    on.planned = [&](const esp::FlashPlan& p) {
        plan = p;
        line.emplace(*plan);
        events.emplace(*plan);
        if (!ctx.json)
            for (const auto& r : plan->regions)
                if (r.header_patched)
                    std::cout << r.name << ": bootloader header flash parameters updated at " << esp::hex32(r.address)
                              << "\n";
    };
    on.progress = [&](const esp::FlashProgress& p) {
        if (ctx.json)
            events->update(p);
        else
            line->update(p);
    };
    on.region_done = [&](const esp::RegionResult& r) {
        if (ctx.json) {
            emit(esp::region_json(r));
        } else {
            line->clear();
            std::cout << esp::region_text(r, plan->regions.size()) << "\n";
        }
    };
    std::vector<esp::RegionResult> results;
    try {
        results = esp::flash_board(*dev.loader, cache, {job.regions, job.flash_params, job.options}, on);
    } catch (...) {
        if (line) line->clear();
        throw;
    }
    if (line) line->clear();
    const esp::AfterFlash after = after_option(job.device.after);
    dev.loader->leave(after);

    std::size_t written = 0, skipped = 0, unverified = 0;
    for (const auto& r : results) {
        (r.written ? written : skipped) += 1;
        if (r.verified == esp::Verification::not_possible) ++unverified;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (ctx.json) {
        emit({{"event", "done"},
              {"port", job.device.port},
              {"regions", results.size()},
              {"written", written},
              {"skipped", skipped},
              {"unverified", unverified},
              {"seconds", seconds},
              {"after", job.device.after}});
    } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
        std::cout << "Done: " << results.size() << " region(s), " << written << " written, " << skipped
                  << " skipped in " << buf << "; " << esp::after_text(after) << "\n";
        if (unverified)
            std::cout << "Note: " << unverified << " region(s) could not be verified by this chip's ROM loader\n";
    }
}

void run_flash(const Context& ctx, FlashArgs& a, const CLI::App* cmd) {
    // Every flag is checked before any file is read or port opened: a typo never costs a board reset.
    check_device_flags(cmd, a.device);
    const esp::FlashParams params{a.flash_mode, a.flash_size, a.flash_freq};
    esp::check_flash_param_names(chip_option(a.device.chip), params);
    FlashJob job;
    job.options.compress = !a.no_compress;
    job.options.force = a.force;
    job.flash_params = params;
    job.regions = read_regions(a.pairs);
    a.device.port = resolve_port(a.device.port);
    job.device = a.device;
    // One cache per process today; the station shares one across its port threads.
    esp::DeflateCache cache;
    try {
        run_job(ctx, job, cache);
    } catch (const Error& e) {
        // JSON-lines consumers see how the run ended on stdout too; the error line on stderr follows.
        if (ctx.json) {
            nlohmann::json event{{"event", "error"}, {"port", a.device.port}};
            event.update(error_fields(e));
            emit(event);
        }
        throw;
    }
}

// flash --station: the station's boards, in parallel, with what the config's board profile says.
void run_flash_station(const Context& ctx, FlashArgs& a, CLI::App* cmd) {
    if (!a.pairs.empty())
        fail(ErrorCode::cli_usage, "flash --station takes no ADDRESS FILE pairs: the images come from the board "
                                   "profile in the config");
    // What the profile decides is not overridden per run: refused rather than silently ignored.
    for (const char* option : {"--chip", "--flash-mode", "--flash-size", "--flash-freq"})
        if (cmd->count(option))
            fail(ErrorCode::cli_usage, std::string("flash --station: ") + option +
                                           " comes from the board profile in the config (chip:, flash:)");
    // A station run connects and ends the way its config's flash.before/after can say: no other modes.
    if (cmd->count("--before") && a.device.before != "default-reset" && a.device.before != "no-reset")
        fail(ErrorCode::cli_usage, "flash --station: --before " + a.device.before +
                                       " is for single-port runs (a station takes default-reset or no-reset)");
    if (cmd->count("--after") && a.device.after != "hard-reset" && a.device.after != "no-reset")
        fail(ErrorCode::cli_usage, "flash --station: --after " + a.device.after +
                                       " is for single-port runs (a station takes hard-reset or no-reset)");
    StationArgs& s = a.station;
    s.ports = a.ports;
    if (cmd->count("--baud")) s.baud = a.device.baud;
    if (cmd->count("--before")) s.before = a.device.before;
    if (cmd->count("--after")) s.after = a.device.after;
    s.force = a.force;
    s.no_compress = a.no_compress;
    run_station_command(ctx, s, *cmd);
}

} // namespace

void register_flash(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<FlashArgs>();
    auto* cmd = app.add_subcommand(
        "flash", "Write files to a board's flash through the ROM loader, verified; or a whole station (--station)");
    cmd->alias("write-flash"); // esptool's name
    add_device_options(cmd, args->device, true, false);
    cmd->add_option("-p,--port", args->ports,
                    "Port: /dev/ttyUSB0, socket://HOST:PORT or rfc2217://HOST:PORT (default $VESPER_PORT, else the "
                    "only local port that looks like an ESP board); with --station, limits the run to these ports "
                    "of the station (repeatable)")
        ->allow_extra_args(false) // one value per --port: ADDRESS FILE pairs may follow
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    add_station_options(cmd, args->station, true);
    cmd->add_flag("--no-compress", args->no_compress, "Send the data uncompressed (FLASH_DATA)");
    cmd->add_flag("--force", args->force,
                  "Write every region even when the board already holds the same bytes, and write images for "
                  "another chip or a --flash-size larger than the board's (with a warning)");
    cmd->add_option("--flash-mode", args->flash_mode, "Bootloader header flash mode: keep, qio, qout, dio, dout")
        ->capture_default_str();
    cmd->add_option("--flash-size", args->flash_size, "Bootloader header flash size: keep, detect, 1MB, 2MB, 4MB...")
        ->capture_default_str();
    cmd->add_option("--flash-freq", args->flash_freq, "Bootloader header flash frequency: keep, 80m, 40m, ...")
        ->capture_default_str();
    cmd->add_option("regions", args->pairs, "ADDRESS FILE [ADDRESS FILE ...] (not with --station)")->expected(-1);
    cmd->callback([&ctx, args, cmd] {
        if (!args->station.station.empty()) return run_flash_station(ctx, *args, cmd);
        for (const char* opt : {"--batch", "--config", "--secret-file", "--claim-secret-file", "--reflash"})
            if (cmd->count(opt)) fail(ErrorCode::cli_usage, std::string("flash: ") + opt + " goes with --station");
        if (args->ports.size() > 1)
            fail(ErrorCode::cli_usage, "flash: one --port at a time (several go with --station)");
        if (args->pairs.empty()) fail(ErrorCode::cli_usage, "flash: give ADDRESS FILE pairs to write");
        // No --port: $VESPER_PORT or the one ESP-looking port (resolve_port, once the flags are checked).
        args->device.port = args->ports.empty() ? std::string() : args->ports.front();
        run_flash(ctx, *args, cmd);
    });
}

} // namespace vesper::cli
