// `part build TABLE.csv` and the station's partition_table: the gen_esp32part.py CSV reader and validator,
// the binary writer, and the CSV writer `part dump` uses (fed the table just read).
#include "fuzz_support.hpp"
#include "vesper/part/partition_table.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_part_csv)(const std::uint8_t* data, std::size_t size) {
    esp::TableOptions with_bootloaders;
    with_bootloaders.md5 = false;
    with_bootloaders.primary_bootloader_offset = 0x1000;
    with_bootloaders.recovery_bootloader_offset = 0x3F0000;
    for (const esp::TableOptions& opts : {esp::TableOptions{}, with_bootloaders}) {
        fuzz::expect_errors([&] {
            const auto table = esp::parse_partition_csv(fuzz::text(data, size), "fuzz.csv", opts);
            (void)esp::encode_partition_table(table, opts);
            (void)esp::format_partition_csv(table);
        });
    }
    return 0;
}
