// Reading an ESP image: header, extended header, segments, checksum, SHA-256 and the ESP-IDF app and
// bootloader descriptions. Every read goes through need(), which refuses to look past the end of the data.
#include <algorithm>
#include <optional>

#include "image_detail.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"

namespace vesper::esp {

namespace {

using detail::hex;

[[noreturn]] void broken(std::string_view source, std::size_t offset, const std::string& why) {
    fail(ErrorCode::image_invalid, std::string(source) + ": offset " + hex(offset) + ": " + why);
}

// Bounds-checked access to the file's bytes.
class BoundedReader {
public:
    BoundedReader(ByteView data, std::string_view source) : data_(data), source_(source) {}

    const std::uint8_t* need(std::size_t offset, std::size_t length, const std::string& what) const {
        if (offset > data_.size() || length > data_.size() - offset)
            broken(source_, offset,
                   what + " needs " + std::to_string(length) + " bytes but the file ends at " + hex(data_.size()) +
                       " (truncated image)");
        return data_.data() + offset;
    }
    std::size_t size() const { return data_.size(); }

private:
    ByteView data_;
    std::string_view source_;
};

std::optional<AppDescription> read_app_description(ByteView data, const ImageSegment& seg,
                                                   std::vector<std::string>& warnings) {
    if (seg.length < 4 || get_le32(data.data() + seg.data_offset()) != kAppDescMagic) return std::nullopt;
    if (seg.length < kAppDescSize) {
        warnings.push_back("segment at " + hex(seg.header_offset) +
                           " starts with the app description magic but is only " + std::to_string(seg.length) +
                           " bytes, too short for the 256-byte description");
        return std::nullopt;
    }
    const std::uint8_t* p = data.data() + seg.data_offset();
    AppDescription d;
    d.offset = seg.data_offset();
    d.secure_version = get_le32(p + 4);
    d.version = detail::text_field(p + 16, 32);
    d.project_name = detail::text_field(p + 48, 32);
    d.time = detail::text_field(p + 80, 16);
    d.date = detail::text_field(p + 96, 16);
    d.idf_ver = detail::text_field(p + 112, 32);
    std::copy(p + 144, p + 176, d.app_elf_sha256.begin());
    d.min_efuse_blk_rev_full = get_le16(p + 176);
    d.max_efuse_blk_rev_full = get_le16(p + 178);
    return d;
}

std::optional<BootloaderDescription> read_bootloader_description(ByteView data, const ImageSegment& seg) {
    if (seg.length < kBootloaderDescSize) return std::nullopt;
    const std::uint8_t* p = data.data() + seg.data_offset();
    // One magic byte is weak evidence, so the two reserved bytes ESP-IDF zeroes must be zero as well.
    if (p[0] != kBootloaderDescMagic || p[1] != 0 || p[2] != 0) return std::nullopt;
    BootloaderDescription d;
    d.offset = seg.data_offset();
    d.secure_version = p[3];
    d.version = get_le32(p + 4);
    d.idf_ver = detail::text_field(p + 8, 32);
    d.date_time = detail::text_field(p + 40, 24);
    return d;
}

void read_descriptions(ByteView data, ImageInfo& info) {
    if (!info.has_extended_header || info.segments.empty()) return;
    // Unknown chips have no memory map: only the first segment is tried, and only for the 4-byte app magic.
    if (!info.chip) {
        info.app = read_app_description(data, info.segments.front(), info.warnings);
        return;
    }
    for (const auto& seg : info.segments)
        if (seg.in("DROM")) {
            info.app = read_app_description(data, seg, info.warnings);
            break;
        }
    if (info.app) return;
    for (const auto& seg : info.segments)
        if (seg.in("DRAM")) {
            info.bootloader = read_bootloader_description(data, seg);
            break;
        }
}

ImageInfo parse_layout(ByteView data, std::string_view source, bool extended, const ChipInfo* hint) {
    const BoundedReader in(data, source);
    ImageInfo info;
    info.file_size = data.size();
    info.has_extended_header = extended;

    const std::uint8_t* h = in.need(0, kImageHeaderSize, "the image header");
    if (h[0] != kImageMagic) broken(source, 0, "first byte is " + hex(h[0], 2) + ", not the image magic 0xE9");
    info.header = ImageHeader{h[0], h[1], h[2], h[3], get_le32(h + 4)};
    if (info.header.segment_count > kMaxImageSegments)
        broken(source, 1,
               "segment count " + std::to_string(info.header.segment_count) + " is more than the " +
                   std::to_string(kMaxImageSegments) + " an image can have");
    if (info.header.segment_count == 0) info.warnings.push_back("the image has no segments");

    std::size_t off = kImageHeaderSize;
    if (extended) {
        const std::uint8_t* e = in.need(off, kExtendedHeaderSize, "the extended header");
        ExtendedHeader& x = info.extended;
        x.wp_pin = e[0];
        x.spi_pin_drv = {e[1], e[2], e[3]};
        x.chip_id = get_le16(e + 4);
        x.min_chip_rev = e[6];
        x.min_chip_rev_full = get_le16(e + 7);
        x.max_chip_rev_full = get_le16(e + 9);
        x.reserved = {e[11], e[12], e[13], e[14]};
        x.hash_appended = e[15];
        off += kExtendedHeaderSize;

        info.chip = find_chip_by_image_id(x.chip_id);
        if (!info.chip)
            info.warnings.push_back("chip id " + std::to_string(x.chip_id) +
                                    " is not a chip vesperctl knows: memory regions are not shown");
        else if (hint && hint != info.chip)
            info.warnings.push_back("the image is for " + std::string(info.chip->display_name) + ", not " +
                                    std::string(hint->display_name));
        if (x.hash_appended > 1)
            info.warnings.push_back("hash-appended byte is " + hex(x.hash_appended, 2) +
                                    " (ESP-IDF writes 0 or 1): treated as no hash");
    } else {
        info.chip = hint ? hint : &chip_without_image_id();
    }

    std::uint8_t sum = kImageChecksumSeed;
    for (std::size_t i = 0; i < info.header.segment_count; ++i) {
        const std::string name = "segment " + std::to_string(i);
        const std::uint8_t* s = in.need(off, kSegmentHeaderSize, name + " header");
        ImageSegment seg;
        seg.header_offset = off;
        seg.load_address = get_le32(s);
        seg.length = get_le32(s + 4);
        const std::size_t left = data.size() - seg.data_offset();
        if (seg.length > left)
            broken(source, off + 4,
                   name + " length " + hex(seg.length) + " runs past the end of the file (" + hex(left) +
                       " bytes left; truncated or corrupted image)");
        if (seg.length % 4 != 0)
            info.warnings.push_back(name + " length " + hex(seg.length) +
                                    " is not a multiple of 4 (images ESP-IDF builds keep segments word-aligned)");
        if (info.chip) seg.regions = memory_regions(*info.chip, seg.load_address);
        sum = image_checksum(ByteView(data.data() + seg.data_offset(), seg.length), sum);
        off = seg.data_offset() + seg.length;
        info.segments.push_back(std::move(seg));
    }

    // Zero padding up to the last byte of a 16-byte line, which holds the checksum.
    info.checksum_offset = off + (15 - off % 16);
    info.checksum_stored = *in.need(info.checksum_offset, 1, "the checksum byte");
    info.checksum_computed = sum;
    info.image_size = info.checksum_offset + 1;

    if (extended && info.extended.hash_appended == 1) {
        info.sha256_present = true;
        info.sha256_offset = info.image_size;
        const std::uint8_t* digest = in.need(info.sha256_offset, kSha256Size, "the appended SHA-256");
        std::copy(digest, digest + kSha256Size, info.sha256_stored.begin());
        info.sha256_computed = sha256(ByteView(data.data(), info.sha256_offset));
        info.image_size += kSha256Size;
    }
    if (info.file_size > info.image_size)
        info.warnings.push_back(std::to_string(info.file_size - info.image_size) + " bytes follow the image at " +
                                hex(info.image_size) + " (padding or a signature block; not checked)");

    read_descriptions(data, info);
    return info;
}

} // namespace

std::uint8_t image_checksum(ByteView segment_data, std::uint8_t start) {
    std::uint8_t sum = start;
    for (std::uint8_t b : segment_data)
        sum ^= b;
    return sum;
}

const char* to_string(ImageRole role) {
    switch (role) {
    case ImageRole::app: return "app";
    case ImageRole::bootloader: return "bootloader";
    case ImageRole::unknown: break;
    }
    return "image";
}

ImageRole ImageInfo::role() const {
    if (app) return ImageRole::app;
    if (bootloader) return ImageRole::bootloader;
    return ImageRole::unknown;
}

std::optional<std::string> image_chip_mismatch(const ImageInfo& image, const ChipInfo& chip) {
    if (!image.has_extended_header || image.chip == &chip) return std::nullopt;
    const std::string id = "chip id " + std::to_string(image.extended.chip_id);
    return image.chip ? std::string(image.chip->display_name) + " (" + id + ")" : "an unknown chip (" + id + ")";
}

ImageInfo parse_image(ByteView data, std::string_view source, const ImageParseOptions& opts) {
    if (opts.chip) return parse_layout(data, source, opts.chip->image_chip_id.has_value(), opts.chip);

    // No hint. Only ESP8266 images lack the extended header, and nothing in the header says which layout
    // a file uses, so both readings are tried. The extended one wins unless it fails or its chip id is
    // unknown or its checksum is wrong while the ESP8266 reading has a good checksum. A broken image with
    // a known chip id is reported with the extended reading's error, which is the one that makes sense.
    std::optional<ImageInfo> ext;
    std::optional<Error> ext_error;
    try {
        ext = parse_layout(data, source, true, nullptr);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::input) throw;
        ext_error = e;
    }
    if (ext && ext->chip && ext->checksum_ok()) return *ext;

    std::optional<ImageInfo> v1;
    try {
        v1 = parse_layout(data, source, false, nullptr);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::input) throw;
    }
    if (v1 && v1->checksum_ok()) return *v1;
    if (ext) return *ext;
    const bool known_chip_id = data.size() >= 14 && find_chip_by_image_id(get_le16(data.data() + 12)) != nullptr;
    if (v1 && !known_chip_id) return *v1;
    throw *ext_error;
}

std::array<std::uint8_t, 32> running_app_sha256(const ImageInfo& image, ByteView data) {
    if (image.sha256_present) return image.sha256_stored;
    return sha256(data.first(std::min(image.image_size, data.size())));
}

} // namespace vesper::esp
