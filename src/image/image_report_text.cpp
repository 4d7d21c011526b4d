// `vesperctl image info` for people: the header, segments, footer and descriptions of an image, or
// what else the file is.
#include <array>

#include "vesper/core/bytes.hpp"
#include "vesper/core/text.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_report.hpp"

#include "image_detail.hpp"

namespace vesper::esp {

namespace {

using detail::hex;

std::string revision(std::uint16_t full) { return "v" + std::to_string(full / 100) + "." + std::to_string(full % 100); }

std::string max_revision(std::uint16_t full) {
    if (full == kMaxChipRevUnset) return "no maximum";
    if (full == 0) return "not set";
    return revision(full);
}

void field(std::ostream& out, const std::string& name, const std::string& value) {
    out << "  " << name << std::string(name.size() < 17 ? 17 - name.size() : 1, ' ') << value << "\n";
}

void write_image_text(std::ostream& out, const std::string& file, std::size_t size, const ImageInfo& im) {
    const ChipInfo* chip = im.chip;
    const std::string chip_name = chip ? std::string(chip->display_name) : "unknown-chip";
    out << file << ": " << chip_name << " " << to_string(im.role()) << " image, " << size << " bytes, "
        << (im.valid() ? "valid" : "INVALID") << "\n";

    out << "Header\n";
    field(out, "segments", std::to_string(im.header.segment_count));
    field(out, "flash mode", flash_mode_name(im.header.flash_mode) + " (" + std::to_string(im.header.flash_mode) + ")");
    field(out, "flash size",
          flash_size_name(chip, im.header.flash_size_code()) + " (code " + hex(im.header.flash_size_code()) + ")");
    field(out, "flash frequency",
          flash_freq_name(chip, im.header.flash_freq_code()) + " (code " + hex(im.header.flash_freq_code()) + ")");
    field(out, "entry point", hex(im.header.entry, 8));

    if (im.has_extended_header) {
        const auto& x = im.extended;
        out << "Extended header\n";
        field(out, "chip", chip_name + " (chip id " + std::to_string(x.chip_id) + ")");
        field(out, "WP pin", hex(x.wp_pin, 2) + (x.wp_pin == kWpPinDisabled ? " (disabled)" : ""));
        field(out, "pin drive bytes", to_hex(ByteView(x.spi_pin_drv)));
        field(out, "chip revision",
              revision(x.min_chip_rev_full) + " to " + max_revision(x.max_chip_rev_full) + " (legacy minimum " +
                  std::to_string(x.min_chip_rev) + ")");
        field(out, "hash appended", x.hash_appended == 1 ? "yes" : "no");
    }

    out << "Segments\n";
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < im.segments.size(); ++i) {
        const auto& s = im.segments[i];
        rows.push_back({std::to_string(i), hex(s.load_address, 8), hex(s.length, 5), hex(s.data_offset(), 8),
                        s.regions.empty() ? "-" : join(s.regions, ", ")});
    }
    print_table(out, {"#", "load addr", "length", "file offset", "memory"}, rows, "  ");

    out << "Footer\n";
    field(out, "checksum",
          hex(im.checksum_stored, 2) + " at " + hex(im.checksum_offset) +
              (im.checksum_ok() ? " (valid)" : " (INVALID: segments give " + hex(im.checksum_computed, 2) + ")"));
    if (!im.sha256_present)
        field(out, "SHA-256", "absent");
    else if (im.sha256_ok())
        field(out, "SHA-256", to_hex(im.sha256_stored) + " (valid)");
    else
        field(out, "SHA-256",
              to_hex(im.sha256_stored) + " (INVALID: image hashes to " + to_hex(im.sha256_computed) + ")");

    if (im.app) {
        const auto& a = *im.app;
        out << "App description\n";
        field(out, "project", a.project_name);
        field(out, "version", a.version);
        field(out, "secure version", std::to_string(a.secure_version));
        field(out, "compiled", a.date + " " + a.time);
        field(out, "ESP-IDF", a.idf_ver);
        field(out, "ELF SHA-256", to_hex(a.app_elf_sha256));
    }
    if (im.bootloader) {
        const auto& b = *im.bootloader;
        out << "Bootloader description\n";
        field(out, "version", std::to_string(b.version));
        field(out, "secure version", std::to_string(b.secure_version));
        field(out, "ESP-IDF", b.idf_ver);
        field(out, "compiled", b.date_time);
    }
    if (!im.warnings.empty()) {
        out << "Warnings\n";
        for (const auto& w : im.warnings)
            out << "  " << w << "\n";
    }
}

} // namespace

void write_identity_text(std::ostream& out, const std::string& file, std::size_t size, const FileIdentity& id) {
    switch (id.kind) {
    case FileKind::esp_image: write_image_text(out, file, size, *id.image); break;
    case FileKind::partition_table:
        out << file << " is a partition table (" << id.partitions.entries << " entries)\n";
        out << "  MD5 row: " << (id.partitions.md5_present ? (id.partitions.md5_ok ? "valid" : "INVALID") : "absent")
            << "\n"
            << "  (vesperctl part dump " << file << " shows the entries)\n";
        break;
    case FileKind::nvs_partition:
        out << file << " is an NVS partition image (" << id.nvs.pages << " pages, " << id.nvs.used_pages << " in use)\n"
            << "  (vesperctl nvs dump " << file << " shows the values)\n";
        break;
    case FileKind::erased: out << file << " is blank: all " << size << " bytes are 0xFF (erased flash)\n";
    }
}

std::string invalid_reason(const std::string& file, const FileIdentity& id) {
    if (id.kind == FileKind::partition_table) return file + ": the MD5 row does not match the partition rows before it";
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

} // namespace vesper::esp
