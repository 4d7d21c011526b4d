// The JSON shape of `vesperctl image info` (docs/cli.md).
#include <array>

#include "vesper/core/bytes.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_report.hpp"

namespace vesper::esp {

using nlohmann::json;

json image_json(const ImageInfo& im) {
    const ChipInfo* chip = im.chip;
    json header{{"segment_count", im.header.segment_count},
                {"flash_mode", flash_mode_name(im.header.flash_mode)},
                {"flash_mode_code", im.header.flash_mode},
                {"flash_size", flash_size_name(chip, im.header.flash_size_code())},
                {"flash_size_code", im.header.flash_size_code()},
                {"flash_freq", flash_freq_name(chip, im.header.flash_freq_code())},
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
        sha["stored"] = to_hex(im.sha256_stored);
        sha["computed"] = to_hex(im.sha256_computed);
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
               {"app_elf_sha256", to_hex(a.app_elf_sha256)},
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
    return {{"role", to_string(im.role())},
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

json identity_json(const std::string& file, std::size_t size, const FileIdentity& id) {
    // Each kind's details under its own key; the other kinds' keys are null.
    json doc{{"input", file},       {"size", size},     {"kind", to_string(id.kind)},
             {"valid", id.valid()}, {"image", nullptr}, {"partition_table", nullptr},
             {"nvs", nullptr}};
    switch (id.kind) {
    case FileKind::esp_image: doc["image"] = image_json(*id.image); break;
    case FileKind::partition_table:
        doc["partition_table"] = {
            {"entries", id.partitions.entries},
            {"md5", id.partitions.md5_present ? (id.partitions.md5_ok ? "valid" : "invalid") : "absent"}};
        break;
    case FileKind::nvs_partition: doc["nvs"] = {{"pages", id.nvs.pages}, {"used_pages", id.nvs.used_pages}}; break;
    case FileKind::erased: break;
    }
    return doc;
}

} // namespace vesper::esp
