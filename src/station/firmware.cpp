// A board profile turned into the bytes a station flashes, with the quality gates checked once per run
// rather than once per board: files exist, images fit their partitions and the flash, nothing overlaps,
// the app and bootloader are built for the profile's chip, the NVS template compiles.
#include "vesper/station/firmware.hpp"

#include <algorithm>
#include <cstdio>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/nvs/format.hpp"

namespace vesper::station {

namespace fs = std::filesystem;

namespace {

// "2.1 MB (2202009 bytes)": rounded for reading, exact for deciding.
std::string size_text(std::uint64_t bytes) {
    char buf[64];
    if (bytes >= 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f MB (%llu bytes)", static_cast<double>(bytes) / (1024 * 1024),
                      static_cast<unsigned long long>(bytes));
    else if (bytes >= 1024)
        std::snprintf(buf, sizeof buf, "%.1f KB (%llu bytes)", static_cast<double>(bytes) / 1024,
                      static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    return buf;
}

std::string span_text(std::uint64_t start, std::uint64_t end) {
    return hex32(static_cast<std::uint32_t>(start)) + ".." + hex32(static_cast<std::uint32_t>(end));
}

std::string partition_names(const esp::PartitionTable& table) {
    std::string out;
    for (const auto& p : table)
        out += (out.empty() ? "" : ", ") + p.name;
    return out.empty() ? "none" : out;
}

std::string kind_text(const esp::Partition& p) {
    auto type = esp::partition_type_name(p.type);
    auto sub = esp::partition_subtype_name(p.type, p.subtype);
    return (type ? std::string(*type) : hex32(p.type)) + "/" + (sub ? std::string(*sub) : hex32(p.subtype));
}

// Messages name the config file, the line and the field, and files as the config wrote them.
class Context {
public:
    Context(const BoardProfile& profile, const fs::path& config_file)
        : file_(config_file.string()), base_(fs::absolute(config_file).parent_path().lexically_normal()),
          field_("profiles." + profile.name) {}

    std::string field(const std::string& sub) const { return sub.empty() ? field_ : field_ + "." + sub; }
    std::string show(const fs::path& p) const {
        fs::path rel = p.lexically_relative(base_);
        return rel.empty() ? p.string() : rel.string();
    }
    // config.invalid unless the caller names a code: an error from below keeps its own (file.not_found,
    // part.invalid, nvs.template, ...), the profile's own checks name what is wrong with the file.
    [[noreturn]] void fail_at(int line, const std::string& sub, const std::string& reason,
                              ErrorCode code = ErrorCode::config_invalid) const {
        fail(code, file_ + ":" + std::to_string(line) + ": " + field(sub) + ": " + reason);
    }
    // A file the profile names: not_found keeps its code, with the file as written and where it was looked for.
    Bytes read(const fs::path& p, const char* what, int line, const std::string& sub) const {
        try {
            return read_file(p);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::not_found)
                fail_at(line, sub, std::string(what) + " " + show(p) + " not found (looked for " + p.string() + ")",
                        e.code());
            fail_at(line, sub, e.what(), e.code());
        }
    }

private:
    std::string file_;
    fs::path base_;
    std::string field_;
};

// For a check whose failure is the profile's input whatever failed below: the lower error's code when
// it is an input error (flash.out_of_range, nvs.size_invalid, ...), else config.invalid.
ErrorCode input_code(const Error& e) { return e.kind() == ErrorKind::input ? e.code() : ErrorCode::config_invalid; }

// Where each region (and the per-device NVS image) lies, with the config line that put it there.
struct Placement {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::string name;
    int line = 0;
    std::string field;
};

void check_overlaps(const Context& ctx, std::vector<Placement> placed) {
    std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    // Sorted by start, any overlap shows up between neighbours.
    for (std::size_t i = 1; i < placed.size(); ++i) {
        const auto& a = placed[i - 1];
        const auto& b = placed[i];
        if (a.end > b.start)
            ctx.fail_at(b.line, b.field,
                        b.name + " (" + span_text(b.start, b.end) + ") overlaps " + a.name + " (" +
                            span_text(a.start, a.end) + ", line " + std::to_string(a.line) + ")",
                        ErrorCode::flash_out_of_range);
    }
}

// The image must be an ESP image for the profile's chip, intact. Returns what it says about itself.
esp::ImageInfo check_image_chip(const Context& ctx, const Bytes& data, const std::string& shown,
                                const esp::ChipInfo& chip, const char* role, int line, const std::string& sub) {
    esp::ImageInfo info;
    try {
        info = esp::parse_image(data, shown, esp::ImageParseOptions{&chip});
    } catch (const Error& e) {
        ctx.fail_at(line, sub, std::string(role) + " " + shown + " is not an ESP image: " + e.what(),
                    ErrorCode::image_invalid);
    }
    // The same check as `flash` makes against the connected board.
    if (const auto other = esp::image_chip_mismatch(info, chip))
        ctx.fail_at(line, sub,
                    std::string(role) + " " + shown + " is built for " + *other + ", but the profile's chip is " +
                        std::string(chip.display_name),
                    ErrorCode::image_chip_mismatch);
    if (!info.valid())
        ctx.fail_at(line, sub,
                    std::string(role) + " " + shown + " is corrupt: its " +
                        (info.checksum_ok() ? "SHA-256" : "checksum") + " does not match its contents",
                    ErrorCode::image_invalid);
    return info;
}

} // namespace

FirmwareSet load_firmware(const BoardProfile& profile, const fs::path& config_file) {
    if (!profile.chip) fail(ErrorKind::internal, "profile " + profile.name + " has no chip");
    const esp::ChipInfo& chip = *profile.chip;
    const Context ctx(profile, config_file);
    FirmwareSet fw;
    fw.profile = &profile;
    fw.config_file = config_file;
    std::vector<Placement> placed;

    // The partition table, built from its CSV and flashed like any other region.
    const std::string table_shown = ctx.show(profile.partition_table);
    const int table_line = profile.partition_table_line ? profile.partition_table_line : profile.line;
    {
        const Bytes csv = ctx.read(profile.partition_table, "partition table", table_line, "partition_table");
        esp::TableOptions opts;
        opts.table_offset = profile.partition_table_offset;
        Bytes binary;
        try {
            fw.table = esp::parse_partition_csv(std::string_view(reinterpret_cast<const char*>(csv.data()), csv.size()),
                                                table_shown, opts);
            binary = esp::encode_partition_table(fw.table, opts);
        } catch (const Error& e) {
            ctx.fail_at(table_line, "partition_table", e.what(), e.code());
        }
        const std::string name = "partition table (" + table_shown + ")";
        placed.push_back({profile.partition_table_offset, profile.partition_table_offset + binary.size(), name,
                          table_line, "partition_table"});
        fw.regions.push_back(esp::RegionSource{profile.partition_table_offset, std::move(binary), name});
    }

    // The images, each at its address or its partition's offset.
    // Until sorted at the end, fw.regions[i + 1] holds profile.images[i] (entry 0 is the table).
    std::optional<std::size_t> app_index;   // into profile.images
    std::optional<std::size_t> app_by_name; // fallback: the image named "app"
    for (std::size_t i = 0; i < profile.images.size(); ++i) {
        const ImageSpec& img = profile.images[i];
        const std::string sub = "images[" + std::to_string(i) + "]";
        const std::string shown = ctx.show(img.file);
        Bytes data = ctx.read(img.file, "image file", img.line, sub + ".file");

        const esp::Partition* part = nullptr;
        std::uint32_t address = 0;
        if (img.address) {
            address = *img.address;
            for (const auto& p : fw.table)
                if (p.offset == address) part = &p;
        } else {
            part = fw.table.find(img.partition);
            if (!part)
                ctx.fail_at(img.line, sub + ".partition",
                            "no partition " + quote_value(img.partition) + " in " + table_shown +
                                " (partitions: " + partition_names(fw.table) + ")");
            address = part->offset;
        }
        if (part && data.size() > part->size)
            ctx.fail_at(img.line, sub,
                        img.name + " " + shown + " is " + size_text(data.size()) + ", partition " + part->name +
                            " holds " + size_text(part->size));
        if (data.empty()) ctx.fail_at(img.line, sub + ".file", img.name + " " + shown + " is empty");

        const std::string name = img.name + " (" + shown + ")";
        placed.push_back({address, address + std::uint64_t{data.size()}, name, img.line, sub});
        if (part && part->type == esp::kTypeApp && !app_index) app_index = i;
        if (img.name == "app" && !app_by_name) app_by_name = i;
        fw.regions.push_back(esp::RegionSource{address, std::move(data), name});
    }
    if (!app_index) app_index = app_by_name;
    if (!app_index)
        ctx.fail_at(profile.line, "images",
                    "no app image: none goes to an app partition of " + table_shown + " and none is named 'app'");

    // The per-device NVS partition: must exist, be data/nvs, and not be covered by a fixed image.
    if (profile.nvs) {
        const NvsSpec& nvs = *profile.nvs;
        const esp::Partition* part = fw.table.find(nvs.partition);
        if (!part)
            ctx.fail_at(nvs.line, "nvs.partition",
                        "no partition " + quote_value(nvs.partition) + " in " + table_shown +
                            " (partitions: " + partition_names(fw.table) + ")");
        if (part->type != esp::kTypeData || part->subtype != esp::kSubtypeNvs)
            ctx.fail_at(nvs.line, "nvs.partition",
                        "partition " + quote_value(part->name) + " is " + kind_text(*part) + ", not data/nvs");
        try {
            nvs::check_partition_size(part->size); // whole pages, and enough of them for NVS
        } catch (const Error& e) {
            ctx.fail_at(nvs.line, "nvs.partition", "partition " + quote_value(part->name) + ": " + e.what(),
                        input_code(e));
        }
        try {
            fw.nvs_template = std::make_shared<const nvs::Template>(nvs::Template::load(nvs.template_file));
            fw.nvs_template->check_fields(identity_field_names()); // a name no device has fails every board
        } catch (const Error& e) {
            ctx.fail_at(nvs.line, "nvs.template", e.what(), e.code());
        }
        fw.nvs_partition = *part;
        fw.nvs_version = nvs.version;
        placed.push_back({part->offset, part->end(), "nvs partition " + part->name, nvs.line, "nvs"});
    }

    // Layout: sector alignment and the ROM's 24-bit limit per region, then overlaps.
    for (std::size_t r = 0; r < fw.regions.size(); ++r) {
        try {
            esp::check_layout(std::span<const esp::RegionSource>(&fw.regions[r], 1));
        } catch (const Error& e) {
            ctx.fail_at(placed[r].line, placed[r].field, e.what(), input_code(e));
        }
    }
    check_overlaps(ctx, placed);

    // The flash size the profile declares must hold the table's partitions and every region.
    if (profile.flash_size != esp::kKeep && profile.flash_size != "detect") {
        const auto flash = esp::flash_size_bytes(profile.flash_size);
        if (!flash) ctx.fail_at(profile.line, "flash.size", "unknown flash size " + quote_value(profile.flash_size));
        if (fw.table.flash_end() > *flash)
            ctx.fail_at(table_line, "partition_table",
                        table_shown + " ends at " + hex32(static_cast<std::uint32_t>(fw.table.flash_end())) +
                            ", beyond the profile's " + profile.flash_size + " flash",
                        ErrorCode::flash_out_of_range);
        for (const auto& p : placed)
            if (p.end > *flash)
                ctx.fail_at(p.line, p.field,
                            p.name + " (" + span_text(p.start, p.end) + ") ends beyond the profile's " +
                                profile.flash_size + " flash",
                            ErrorCode::flash_out_of_range);
    }

    // Chip gates. Images of a chip whose row has no image chip id (ESP8266) carry none to compare.
    const esp::RegionSource& app = fw.regions[*app_index + 1];
    const ImageSpec& app_spec = profile.images[*app_index];
    const std::string app_sub = "images[" + std::to_string(*app_index) + "]";
    if (chip.image_chip_id) {
        const auto info =
            check_image_chip(ctx, app.data, ctx.show(app_spec.file), chip, "app", app_spec.line, app_sub + ".file");
        if (info.role() == esp::ImageRole::bootloader)
            ctx.fail_at(app_spec.line, app_sub + ".file",
                        "app " + ctx.show(app_spec.file) + " is a bootloader image, not an app");
        if (info.app) {
            fw.firmware_version = info.app->version;
            fw.app_name = info.app->project_name;
        }
        fw.app_sha256 = to_hex(esp::running_app_sha256(info, app.data));
        for (std::size_t r = 1; r < fw.regions.size(); ++r) {
            if (fw.regions[r].address != chip.bootloader_offset) continue;
            const std::size_t i = r - 1;
            const std::string sub = "images[" + std::to_string(i) + "]";
            check_image_chip(ctx, fw.regions[r].data, ctx.show(profile.images[i].file), chip, "bootloader",
                             profile.images[i].line, sub + ".file");
            // The header patch the flasher will apply must work on this file; find out now, not per board.
            esp::FlashParams params{profile.flash_mode, profile.flash_size, profile.flash_freq};
            if (params.size == "detect") params.size = std::string(esp::kKeep);
            if (!params.keep_all()) {
                try {
                    (void)esp::patch_bootloader_header(fw.regions[r].data, chip, params, fw.regions[r].name);
                } catch (const Error& e) {
                    ctx.fail_at(profile.images[i].line, sub,
                                std::string("cannot apply the profile's flash settings: ") + e.what(), input_code(e));
                }
            }
        }
    }
    fw.firmware_sha256 = to_hex(sha256(app.data));

    std::stable_sort(fw.regions.begin(), fw.regions.end(),
                     [](const auto& a, const auto& b) { return a.address < b.address; });
    return fw;
}

esp::RegionSource render_nvs(const FirmwareSet& firmware, const nvs::Fields& fields, const std::string& serial) {
    const std::string profile = firmware.profile ? firmware.profile->name : "?";
    if (!firmware.nvs_template || !firmware.nvs_partition)
        fail(ErrorKind::input, "profile " + profile + " has no nvs: nothing to render for " + serial);
    const esp::Partition& part = *firmware.nvs_partition;
    const std::string tmpl = firmware.profile && firmware.profile->nvs
                                 ? firmware.profile->nvs->template_file.filename().string()
                                 : firmware.nvs_template->source();
    Bytes data;
    try {
        data = firmware.nvs_template->render(fields, part.size, static_cast<nvs::Version>(firmware.nvs_version));
    } catch (const Error& e) {
        fail(e, "nvs for " + serial + ": " + e.what());
    }
    return esp::RegionSource{part.offset, std::move(data), "nvs (" + tmpl + ") for " + serial};
}

void check_nvs(const FirmwareSet& firmware, const ledger::Device& sample, const std::string& mqtt_secret,
               const std::string& claim_secret) {
    if (!firmware.profile || !firmware.profile->nvs || !firmware.nvs_template) return;
    try {
        (void)render_nvs(firmware, identity_fields(sample, *firmware.nvs_template, mqtt_secret, claim_secret),
                         sample.serial);
    } catch (const Error& e) {
        Context(*firmware.profile, firmware.config_file)
            .fail_at(firmware.profile->nvs->line, "nvs.template", e.what(), e.code());
    }
}

} // namespace vesper::station
