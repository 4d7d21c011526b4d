// Merging (address, file) regions into one image that starts at a fixed flash address.
#include <algorithm>

#include "image_detail.hpp"
#include "vesper/core/error.hpp"
#include "vesper/esp/image_merge.hpp"

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

    std::stable_sort(regions.begin(), regions.end(),
                     [](const MergeRegion& a, const MergeRegion& b) { return a.address < b.address; });
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const MergeRegion& r = regions[i];
        if (r.address < opts.target_offset)
            fail(ErrorKind::input, "merge: " + r.name + " at " + hex(r.address) + " is below the output's start " +
                                       hex(opts.target_offset));
        if (i > 0) {
            const MergeRegion& prev = regions[i - 1];
            if (std::uint64_t{prev.address} + prev.data.size() > r.address)
                fail(ErrorKind::input, "merge: " + describe(r) + " overlaps " + describe(prev));
        }
    }

    const MergeRegion& last = regions.back();
    const std::uint64_t end = std::uint64_t{last.address} + last.data.size();
    if (end > 0x100000000ull) fail(ErrorKind::input, "merge: " + describe(last) + " ends past the 4 GiB address space");
    if (opts.flash.size != kKeep) {
        const std::uint64_t flash = *flash_size_bytes(opts.flash.size); // check_flash_params() vetted the name
        if (end > flash)
            fail(ErrorKind::input, "merge: " + describe(last) + " does not fit in " + opts.flash.size + " of flash");
    }
    std::uint64_t out_end = end;
    if (opts.fill_to) {
        if (end > *opts.fill_to)
            fail(ErrorKind::input,
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
