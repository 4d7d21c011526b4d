// Numbers and sizes as typed on the command line and in CSV/YAML values: core/text's integer parsing, hex
// strings, NVS partition sizes and integer values, flash mode/size/frequency names, chip names,
// --before/--after mode names.
#include "fuzz_support.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/nvs/encoding.hpp"
#include "vesper/nvs/format.hpp"
#include "vesper/port/reset.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_numbers)(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = fuzz::text(data, size);
    (void)trim(in);
    (void)split(in, ',');
    (void)parse_uint(in);
    (void)parse_uint(trim(in));
    (void)parse_int(in);
    fuzz::expect_errors([&] { (void)from_hex(in); });
    fuzz::expect_errors([&] { (void)nvs::decode_hex(in); });
    fuzz::expect_errors([&] { (void)nvs::parse_partition_size(in, "--size"); });
    for (nvs::Encoding e : {nvs::Encoding::u8, nvs::Encoding::i8, nvs::Encoding::u16, nvs::Encoding::i16,
                            nvs::Encoding::u32, nvs::Encoding::i32, nvs::Encoding::u64, nvs::Encoding::i64})
        fuzz::expect_errors([&] { (void)nvs::encode_integer(e, in); });
    (void)nvs::parse_encoding(in);
    (void)esp::find_chip_by_name(in);
    (void)esp::before_mode_from_name(in); // --before
    (void)esp::after_mode_from_name(in);  // --after
    (void)esp::flash_mode_code(in);
    (void)esp::flash_size_bytes(in);
    for (const esp::ChipInfo& chip : esp::all_chips()) {
        (void)esp::flash_size_code(chip, in);
        (void)esp::flash_freq_code(chip, in);
        fuzz::expect_errors([&] {
            esp::check_flash_params(chip, {std::string(in), std::string(in), std::string(in)});
        });
        fuzz::expect_errors([&] { esp::check_flash_param_names(&chip, {std::string(in), "keep", "keep"}); });
    }
    fuzz::expect_errors([&] { esp::check_flash_param_names(nullptr, {"keep", std::string(in), std::string(in)}); });
    return 0;
}
