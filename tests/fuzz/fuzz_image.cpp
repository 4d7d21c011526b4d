// `image info FILE` (and the station's firmware check): what kind of file it is, the ESP image parser with
// and without a chip hint, and the names the text output looks up. Seeds: synthesized app images, written
// when VESPER_FUZZ_WRITE_SEEDS is set (scripts/fuzz).
#include "fuzz_support.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

using namespace vesper;

VESPER_FUZZ_INIT(int*, char***) {
    if (fuzz::seed_dir().empty()) return 0;
    for (const esp::ChipInfo& chip : esp::all_chips()) {
        try {
            fuzz::write_seed("app-" + std::string(chip.name) + ".bin", esp::synthesize_app_image(chip, {.size = 4096}));
        } catch (const Error&) {
            // a chip the synthesizer does not make images for
        }
    }
    std::exit(0);
}

namespace {

void describe(const esp::ImageInfo& im) {
    (void)esp::flash_mode_name(im.header.flash_mode);
    (void)esp::flash_size_name(im.chip, im.header.flash_size_code());
    (void)esp::flash_freq_name(im.chip, im.header.flash_freq_code());
    (void)im.valid();
    (void)im.role();
}

} // namespace

VESPER_FUZZ_TARGET(fuzz_image)(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::expect_errors([&] {
        const auto id = esp::identify_file(in, "fuzz.bin");
        (void)id.valid();
        if (id.image) describe(*id.image);
    });
    fuzz::expect_errors(
        [&] { describe(esp::parse_image(in, "fuzz.bin", {.chip = &esp::chip_info(esp::Chip::esp8266)})); });
    return 0;
}
