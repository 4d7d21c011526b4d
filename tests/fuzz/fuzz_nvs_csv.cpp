// `nvs build INPUT.csv`: the CSV reader, the compile of a plain CSV (placeholders off, `file` rows read
// relative to tests/vectors/nvs so the repository's seeds find their files) and the image render.
#include "fuzz_support.hpp"
#include "vesper/nvs/csv.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_nvs_csv)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] {
        const nvs::CsvFile csv =
            nvs::parse_csv(fuzz::text(data, size), "fuzz.csv", VESPER_SOURCE_DIR "/tests/vectors/nvs");
        const nvs::Template t = nvs::Template::compile(csv, {.placeholders = false});
        for (nvs::Version v : {nvs::Version::v1, nvs::Version::v2})
            fuzz::expect_errors([&] { (void)t.render({}, 0x6000, v); });
    });
    return 0;
}
