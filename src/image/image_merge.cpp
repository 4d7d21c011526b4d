// Merging (address, file) regions into one image that starts at a fixed flash address.
#include <algorithm>

#include "image_detail.hpp"
#include "vesper/core/error.hpp"
#include "vesper/chip/flash_limits.hpp"
#include "vesper/image/image_merge.hpp"

namespace vesper::esp {

namespace {

using detail::hex;

std::string describe(const MergeRegion& r) {
    const std::uint64_t end = std::uint64_t{r.address} + r.data.size();
    return r.name + " at " + hex(r.address) + "-" + hex(end);
}

} // namespace

MergeResult merge_images(const ChipInfo& chip, std::vector<MergeRegion> regions, const MergeOptions& opts) {
    if (regions.empty()) fail(ErrorKind::input, "merge: no regions given");
    check_flash_params(chip, opts.flash);

    // The same rules as a flash of this chip: sector-aligned, not empty, within its largest flash, no overlaps.
    const RegionRules rules{chip_bound(chip)};
    std::vector<FlashRegion> spans;
    for (const MergeRegion& r : regions)
        spans.push_back({r.address, r.data.size(), r.name});
    check_flash_regions(spans, rules);
    if (opts.target_offset % kFlashSectorSize != 0)
        fail(ErrorCode::flash_out_of_range,
             "merge: the output's start " + hex(opts.target_offset) +
                 " is not on a 4 KiB sector boundary (0x1000), where a flash write must start");
    if (opts.fill_to) check_flash_size("merge: fill size", *opts.fill_to, rules.bound);

    std::stable_sort(regions.begin(), regions.end(),
                     [](const MergeRegion& a, const MergeRegion& b) { return a.address < b.address; });
    for (const MergeRegion& r : regions)
        if (r.address < opts.target_offset)
            fail(ErrorCode::flash_out_of_range, "merge: " + r.name + " at " + hex(r.address) +
                                                    " is below the output's start " + hex(opts.target_offset));

    const MergeRegion& last = regions.back();
    const std::uint64_t end = std::uint64_t{last.address} + last.data.size();
    if (opts.flash.size != kKeep) {
        const std::uint64_t flash = *flash_size_bytes(opts.flash.size); // check_flash_params() vetted the name
        if (end > flash)
            fail(ErrorCode::flash_out_of_range,
                 "merge: " + describe(last) + " does not fit in " + opts.flash.size + " of flash");
    }
    std::uint64_t out_end = end;
    if (opts.fill_to) {
        if (end > *opts.fill_to)
            fail(ErrorCode::flash_out_of_range,
                 "merge: " + describe(last) + " does not fit in the " + hex(*opts.fill_to) + " bytes to fill");
        out_end = std::max(out_end, *opts.fill_to);
    }

    MergeResult result;
    result.image.assign(static_cast<std::size_t>(out_end - opts.target_offset), 0xFF);
    bool bootloader_seen = false;
    for (const MergeRegion& r : regions) {
        Bytes patched;
        const Bytes* data = &r.data;
        if (r.address == chip.bootloader_offset) {
            bootloader_seen = true;
            if (!opts.flash.keep_all()) {
                patched = patch_bootloader_header(r.data, chip, opts.flash, r.name);
                data = &patched;
                result.bootloader_patched = true;
            }
        }
        std::copy(data->begin(), data->end(),
                  result.image.begin() + static_cast<std::ptrdiff_t>(r.address - opts.target_offset));
    }
    if (!opts.flash.keep_all() && !bootloader_seen)
        result.notes.push_back("no file at the " + std::string(chip.display_name) + " bootloader offset " +
                               hex(chip.bootloader_offset) + ": flash parameters not applied");
    return result;
}

} // namespace vesper::esp
