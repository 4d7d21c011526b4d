// vesperctl image: inspect ESP firmware images (and recognise partition tables and NVS partitions), merge
// (address, file) pairs into one factory image, and synthesize demo/test app images. docs/images.md.
#include <memory>
#include <sstream>

#include "cli.hpp"
#include "output_file.hpp"
#include "table.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_merge.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

namespace vesper::cli {

namespace {

using nlohmann::json;

std::string hex(std::uint64_t v, int digits = 0) { return hex_u(v, digits); }

template <std::size_t N> std::string hex_bytes(const std::array<std::uint8_t, N>& b) { return to_hex(ByteView(b)); }

std::string revision(std::uint16_t full) { return "v" + std::to_string(full / 100) + "." + std::to_string(full % 100); }

std::string max_revision(std::uint16_t full) {
    if (full == esp::kMaxChipRevUnset) return "no maximum";
    if (full == 0) return "not set";
    return revision(full);
}

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

json image_json(const esp::ImageInfo& im) {
    const esp::ChipInfo* chip = im.chip;
    json header{{"segment_count", im.header.segment_count},
                {"flash_mode", esp::flash_mode_name(im.header.flash_mode)},
                {"flash_mode_code", im.header.flash_mode},
                {"flash_size", esp::flash_size_name(chip, im.header.flash_size_code())},
                {"flash_size_code", im.header.flash_size_code()},
                {"flash_freq", esp::flash_freq_name(chip, im.header.flash_freq_code())},
                {"flash_freq_code", im.header.flash_freq_code()},
                {"entry", im.header.entry}};
    json ext = nullptr;
    if (im.has_extended_header) {
        const auto& x = im.extended;
        ext = {{"wp_pin", x.wp_pin},
               {"spi_pin_drv", x.spi_pin_drv},
               {"chip_id", x.chip_id},
               {"min_chip_rev", x.min_chip_rev},
               {"min_chip_rev_full", x.min_chip_rev_full},
               {"max_chip_rev_full", x.max_chip_rev_full},
               {"reserved", x.reserved},
               {"hash_appended", x.hash_appended}};
    }
    json segments = json::array();
    for (std::size_t i = 0; i < im.segments.size(); ++i) {
        const auto& s = im.segments[i];
        json regions = json::array();
        for (auto r : s.regions)
            regions.push_back(std::string(r));
        segments.push_back({{"index", i},
                            {"load_address", s.load_address},
                            {"length", s.length},
                            {"file_offset", s.data_offset()},
                            {"regions", regions}});
    }
    json sha{{"present", im.sha256_present}, {"valid", im.sha256_present ? json(im.sha256_ok()) : json(nullptr)}};
    if (im.sha256_present) {
        sha["offset"] = im.sha256_offset;
        sha["stored"] = hex_bytes(im.sha256_stored);
        sha["computed"] = hex_bytes(im.sha256_computed);
    }
    json app = nullptr;
    if (im.app) {
        const auto& a = *im.app;
        app = {{"offset", a.offset},
               {"secure_version", a.secure_version},
               {"version", a.version},
               {"project_name", a.project_name},
               {"time", a.time},
               {"date", a.date},
               {"idf_ver", a.idf_ver},
               {"app_elf_sha256", hex_bytes(a.app_elf_sha256)},
               {"min_efuse_blk_rev_full", a.min_efuse_blk_rev_full},
               {"max_efuse_blk_rev_full", a.max_efuse_blk_rev_full}};
    }
    json boot = nullptr;
    if (im.bootloader) {
        const auto& b = *im.bootloader;
        boot = {{"offset", b.offset},
                {"secure_version", b.secure_version},
                {"version", b.version},
                {"idf_ver", b.idf_ver},
                {"date_time", b.date_time}};
    }
    return {{"role", esp::to_string(im.role())},
            {"chip", chip ? json(std::string(chip->name)) : json(nullptr)},
            {"header", header},
            {"extended_header", ext},
            {"segments", segments},
            {"checksum",
             {{"offset", im.checksum_offset},
              {"stored", im.checksum_stored},
              {"computed", im.checksum_computed},
              {"valid", im.checksum_ok()}}},
            {"sha256", sha},
            {"image_size", im.image_size},
            {"app_description", app},
            {"bootloader_description", boot},
            {"warnings", im.warnings}};
}

json identity_json(const std::string& file, std::size_t size, const esp::FileIdentity& id) {
    // Each kind's details under its own key; the other kinds' keys are null.
    json doc{{"input", file},       {"size", size},     {"kind", esp::to_string(id.kind)},
             {"valid", id.valid()}, {"image", nullptr}, {"partition_table", nullptr},
             {"nvs", nullptr}};
    switch (id.kind) {
    case esp::FileKind::esp_image: doc["image"] = image_json(*id.image); break;
    case esp::FileKind::partition_table:
        doc["partition_table"] = {
            {"entries", id.partitions.entries},
            {"md5", id.partitions.md5_present ? (id.partitions.md5_ok ? "valid" : "invalid") : "absent"}};
        break;
    case esp::FileKind::nvs_partition: doc["nvs"] = {{"pages", id.nvs.pages}, {"used_pages", id.nvs.used_pages}}; break;
    case esp::FileKind::erased: break;
    }
    return doc;
}

void print_indented_table(std::ostream& out, const std::vector<std::string>& header,
                          const std::vector<std::vector<std::string>>& rows) {
    std::ostringstream table;
    print_table(table, header, rows);
    std::istringstream lines(table.str());
    for (std::string line; std::getline(lines, line);)
        out << "  " << line << "\n";
}

void field(const std::string& name, const std::string& value) {
    std::cout << "  " << name << std::string(name.size() < 17 ? 17 - name.size() : 1, ' ') << value << "\n";
}

void print_image_text(const std::string& file, std::size_t size, const esp::ImageInfo& im) {
    const esp::ChipInfo* chip = im.chip;
    const std::string chip_name = chip ? std::string(chip->display_name) : "unknown-chip";
    std::cout << file << ": " << chip_name << " " << esp::to_string(im.role()) << " image, " << size << " bytes, "
              << (im.valid() ? "valid" : "INVALID") << "\n";

    std::cout << "Header\n";
    field("segments", std::to_string(im.header.segment_count));
    field("flash mode", esp::flash_mode_name(im.header.flash_mode) + " (" + std::to_string(im.header.flash_mode) + ")");
    field("flash size",
          esp::flash_size_name(chip, im.header.flash_size_code()) + " (code " + hex(im.header.flash_size_code()) + ")");
    field("flash frequency",
          esp::flash_freq_name(chip, im.header.flash_freq_code()) + " (code " + hex(im.header.flash_freq_code()) + ")");
    field("entry point", hex(im.header.entry, 8));

    if (im.has_extended_header) {
        const auto& x = im.extended;
        std::cout << "Extended header\n";
        field("chip", chip_name + " (chip id " + std::to_string(x.chip_id) + ")");
        field("WP pin", hex(x.wp_pin, 2) + (x.wp_pin == esp::kWpPinDisabled ? " (disabled)" : ""));
        field("pin drive bytes", to_hex(ByteView(x.spi_pin_drv)));
        field("chip revision", revision(x.min_chip_rev_full) + " to " + max_revision(x.max_chip_rev_full) +
                                   " (legacy minimum " + std::to_string(x.min_chip_rev) + ")");
        field("hash appended", x.hash_appended == 1 ? "yes" : "no");
    }

    std::cout << "Segments\n";
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < im.segments.size(); ++i) {
        const auto& s = im.segments[i];
        rows.push_back({std::to_string(i), hex(s.load_address, 8), hex(s.length, 5), hex(s.data_offset(), 8),
                        s.regions.empty() ? "-" : join(s.regions, ", ")});
    }
    print_indented_table(std::cout, {"#", "load addr", "length", "file offset", "memory"}, rows);

    std::cout << "Footer\n";
    field("checksum",
          hex(im.checksum_stored, 2) + " at " + hex(im.checksum_offset) +
              (im.checksum_ok() ? " (valid)" : " (INVALID: segments give " + hex(im.checksum_computed, 2) + ")"));
    if (!im.sha256_present)
        field("SHA-256", "absent");
    else if (im.sha256_ok())
        field("SHA-256", hex_bytes(im.sha256_stored) + " (valid)");
    else
        field("SHA-256",
              hex_bytes(im.sha256_stored) + " (INVALID: image hashes to " + hex_bytes(im.sha256_computed) + ")");

    if (im.app) {
        const auto& a = *im.app;
        std::cout << "App description\n";
        field("project", a.project_name);
        field("version", a.version);
        field("secure version", std::to_string(a.secure_version));
        field("compiled", a.date + " " + a.time);
        field("ESP-IDF", a.idf_ver);
        field("ELF SHA-256", hex_bytes(a.app_elf_sha256));
    }
    if (im.bootloader) {
        const auto& b = *im.bootloader;
        std::cout << "Bootloader description\n";
        field("version", std::to_string(b.version));
        field("secure version", std::to_string(b.secure_version));
        field("ESP-IDF", b.idf_ver);
        field("compiled", b.date_time);
    }
    if (!im.warnings.empty()) {
        std::cout << "Warnings\n";
        for (const auto& w : im.warnings)
            std::cout << "  " << w << "\n";
    }
}

void print_identity_text(const std::string& file, std::size_t size, const esp::FileIdentity& id) {
    switch (id.kind) {
    case esp::FileKind::esp_image: print_image_text(file, size, *id.image); break;
    case esp::FileKind::partition_table:
        std::cout << file << " is a partition table (" << id.partitions.entries << " entries)\n";
        std::cout << "  MD5 row: "
                  << (id.partitions.md5_present ? (id.partitions.md5_ok ? "valid" : "INVALID") : "absent") << "\n"
                  << "  (vesperctl part dump " << file << " shows the entries)\n";
        break;
    case esp::FileKind::nvs_partition:
        std::cout << file << " is an NVS partition image (" << id.nvs.pages << " pages, " << id.nvs.used_pages
                  << " in use)\n"
                  << "  (vesperctl nvs dump " << file << " shows the values)\n";
        break;
    case esp::FileKind::erased: std::cout << file << " is blank: all " << size << " bytes are 0xFF (erased flash)\n";
    }
}

std::string invalid_reason(const std::string& file, const esp::FileIdentity& id) {
    if (id.kind == esp::FileKind::partition_table)
        return file + ": the MD5 row does not match the partition rows before it";
    const auto& im = *id.image;
    std::string why;
    if (!im.checksum_ok())
        why = "checksum at " + hex(im.checksum_offset) + " is " + hex(im.checksum_stored, 2) + ", the segments give " +
              hex(im.checksum_computed, 2);
    if (!im.sha256_ok())
        why += std::string(why.empty() ? "" : "; ") + "the SHA-256 at " + hex(im.sha256_offset) +
               " does not match the image";
    return file + ": invalid image: " + why;
}

struct InfoArgs {
    std::string file, chip;
};

void run_info(const Context& ctx, const InfoArgs& a) {
    const esp::ChipInfo* hint = optional_chip(a.chip);
    const Bytes data = read_file(a.file);
    const auto id = esp::identify_file(data, a.file, {.chip = hint});
    if (ctx.json)
        ctx.print_json(identity_json(a.file, data.size(), id));
    else
        print_identity_text(a.file, data.size(), id);
    if (!id.valid())
        fail(id.kind == esp::FileKind::partition_table ? ErrorCode::part_md5_mismatch : ErrorCode::image_checksum,
             invalid_reason(a.file, id));
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
    print_indented_table(out, {"address", "size", "file"}, rows);
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
