// vesperctl image: inspect ESP firmware images (and recognise partition tables and NVS partitions), merge
// (address, file) pairs into one factory image, and synthesize demo/test app images. docs/images.md.
#include <memory>

#include "cli.hpp"
#include "output_file.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_merge.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_report.hpp"
#include "vesper/image/image_synth.hpp"

namespace vesper::cli {

namespace {

using nlohmann::json;

std::string hex(std::uint64_t v, int digits = 0) { return hex_u(v, digits); }

const esp::ChipInfo* optional_chip(const std::string& name) {
    return name.empty() ? nullptr : &esp::chip_by_name(name);
}

// Sizes as people type them: "1MB", "512KB", or a byte count in decimal or 0x hex.
std::uint64_t parse_size(const std::string& option, const std::string& text) {
    if (auto b = esp::flash_size_bytes(trim(text))) return *b;
    if (auto n = parse_uint(trim(text))) return *n;
    fail(ErrorKind::input,
         option + " " + quote_value(text) + ": expected a size such as 4MB, 512KB, 1048576 or 0x100000");
}

// ---- image info ----

struct InfoArgs {
    std::string file, chip;
};

void run_info(const Context& ctx, const InfoArgs& a) {
    const esp::ChipInfo* hint = optional_chip(a.chip);
    const Bytes data = read_file(a.file);
    const auto id = esp::identify_file(data, a.file, {.chip = hint});
    if (ctx.json)
        ctx.print_json(esp::identity_json(a.file, data.size(), id));
    else
        esp::write_identity_text(std::cout, a.file, data.size(), id);
    if (!id.valid())
        fail(id.kind == esp::FileKind::partition_table ? ErrorCode::part_md5_mismatch : ErrorCode::image_checksum,
             esp::invalid_reason(a.file, id));
}

// ---- image merge ----

struct MergeArgs {
    std::string chip, output, flash_mode{esp::kKeep}, flash_size{esp::kKeep}, flash_freq{esp::kKeep}, fill,
        target_offset = "0";
    std::vector<std::string> pairs;
};

void run_merge(const Context& ctx, const MergeArgs& a) {
    check_output_option(ctx, a.output);
    const esp::ChipInfo& chip = esp::chip_by_name(a.chip);
    esp::MergeOptions opts;
    opts.flash = {a.flash_mode, a.flash_size, a.flash_freq};
    esp::check_flash_params(chip, opts.flash); // before reading any file
    if (!a.fill.empty()) opts.fill_to = parse_size("--fill-flash-size", a.fill);
    opts.target_offset = parse_u32("--target-offset", a.target_offset);

    // Addresses and sizes are checked against the chip's flash before any file is read; merge_images checks
    // again on the bytes read.
    const std::vector<esp::FlashRegion> planned = esp::parse_region_pairs("image merge", a.pairs);
    esp::check_flash_regions(planned, esp::RegionRules{esp::chip_bound(chip)});
    if (opts.fill_to) esp::check_flash_size("--fill-flash-size", *opts.fill_to, esp::chip_bound(chip));

    std::vector<esp::MergeRegion> regions;
    for (const auto& p : planned)
        regions.push_back({static_cast<std::uint32_t>(p.address), read_file(p.name), p.name});
    std::vector<std::vector<std::string>> rows;
    json listed = json::array();
    for (const auto& r : regions) {
        rows.push_back({hex(r.address, 8), hex(r.data.size()), r.name});
        listed.push_back({{"address", r.address}, {"size", r.data.size()}, {"input", r.name}});
    }

    const auto result = esp::merge_images(chip, std::move(regions), opts);
    write_output(a.output, result.image);

    if (ctx.json) {
        ctx.print_json({{"output", a.output},
                        {"chip", std::string(chip.name)},
                        {"size", result.image.size()},
                        {"target_offset", opts.target_offset},
                        {"regions", listed},
                        {"bootloader_patched", result.bootloader_patched},
                        {"notes", result.notes}});
        return;
    }
    std::ostream& out = summary_stream(a.output);
    out << a.output << ": " << result.image.size() << " bytes (" << hex(result.image.size()) << ") for "
        << chip.display_name << ", flash it at " << hex(opts.target_offset) << "\n";
    print_table(out, {"address", "size", "file"}, rows, "  ");
    if (result.bootloader_patched)
        out << "  bootloader header set to mode " << a.flash_mode << ", size " << a.flash_size << ", freq "
            << a.flash_freq << "\n";
    for (const auto& n : result.notes)
        out << "  note: " << n << "\n";
}

// ---- image synth ----

struct SynthArgs {
    std::string chip, output, size = "1MB", project = "vesper-factory", version = "1.0.0";
    std::uint32_t secure_version = 0;
};

void run_synth(const Context& ctx, const SynthArgs& a) {
    check_output_option(ctx, a.output);
    const esp::ChipInfo& chip = esp::chip_by_name(a.chip);
    esp::SynthOptions opts;
    const std::uint64_t size = parse_size("--size", a.size);
    esp::check_flash_size("--size", size, esp::chip_bound(chip));
    opts.size = static_cast<std::size_t>(size);
    opts.project = a.project;
    opts.version = a.version;
    opts.secure_version = a.secure_version;
    const Bytes image = esp::synthesize_app_image(chip, opts);
    write_output(a.output, image);
    if (ctx.json) {
        ctx.print_json({{"output", a.output},
                        {"chip", std::string(chip.name)},
                        {"size", image.size()},
                        {"project", opts.project},
                        {"version", opts.version},
                        {"secure_version", opts.secure_version},
                        {"synthetic", true}});
        return;
    }
    summary_stream(a.output) << a.output << ": synthetic " << chip.display_name << " app image, " << image.size()
                             << " bytes, " << opts.project << " " << opts.version << "\n"
                             << "  demo/test image: valid format, does NOT run on hardware\n";
}

} // namespace

void register_image(CLI::App& app, Context& ctx) {
    auto* image = app.add_subcommand("image", "ESP firmware images: inspect, merge, synthesize test images");
    image->require_subcommand(1);

    auto info_args = std::make_shared<InfoArgs>();
    auto* info = image->add_subcommand(
        "info", "Show an image's header, segments, checksum, SHA-256 and app description (exit 7 if invalid)");
    info->add_option("file", info_args->file, "Image, partition table or NVS partition binary")->required();
    info->add_option("--chip", info_args->chip, "Chip, needed only for ESP8266 images (esp8266)");
    info->callback([&ctx, info_args] { run_info(ctx, *info_args); });

    auto merge_args = std::make_shared<MergeArgs>();
    auto* merge = image->add_subcommand("merge", "Merge ADDRESS FILE pairs into one image flashed at 0x0");
    merge->add_option("--chip", merge_args->chip, "Target chip (esp32, esp32s3, esp32c3, ...)")->required();
    merge->add_option("-o,--output", merge_args->output, "Merged image to write (- for stdout)")->required();
    merge->add_option("--flash-mode", merge_args->flash_mode, "Bootloader header: keep, qio, qout, dio, dout")
        ->capture_default_str();
    merge->add_option("--flash-size", merge_args->flash_size, "Bootloader header: keep, 1MB, 2MB, 4MB, ...")
        ->capture_default_str();
    merge->add_option("--flash-freq", merge_args->flash_freq, "Bootloader header: keep, 80m, 40m, ... (per chip)")
        ->capture_default_str();
    merge->add_option("--fill-flash-size", merge_args->fill, "Pad the output with 0xFF to this flash size (e.g. 4MB)");
    merge->add_option("--target-offset", merge_args->target_offset, "Flash address of the output's first byte")
        ->capture_default_str();
    merge->add_option("pairs", merge_args->pairs, "ADDRESS FILE [ADDRESS FILE ...]")->required();
    merge->callback([&ctx, merge_args] { run_merge(ctx, *merge_args); });

    auto synth_args = std::make_shared<SynthArgs>();
    auto* synth = image->add_subcommand(
        "synth", "Write a synthetic app image for demos and benchmarks (valid format, does NOT run on hardware)");
    synth->add_option("--chip", synth_args->chip, "Chip (ESP32 family)")->required();
    synth->add_option("-o,--output", synth_args->output, "Image to write (- for stdout)")->required();
    synth->add_option("--size", synth_args->size, "File size: 1MB, 256KB, bytes (multiple of 16)")
        ->capture_default_str();
    synth->add_option("--project", synth_args->project, "Project name in the app description")->capture_default_str();
    synth->add_option("--version", synth_args->version, "Version in the app description")->capture_default_str();
    synth->add_option("--secure-version", synth_args->secure_version, "Anti-rollback secure version")
        ->capture_default_str();
    synth->callback([&ctx, synth_args] { run_synth(ctx, *synth_args); });
}

} // namespace vesper::cli
