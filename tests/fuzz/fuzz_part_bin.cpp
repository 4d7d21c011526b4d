// `part dump TABLE.bin`: the binary reader and validator, then the CSV it prints.
#include "fuzz_support.hpp"
#include "vesper/part/partition_table.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_part_bin)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] {
        const auto decoded = esp::decode_partition_table(fuzz::bytes(data, size), "fuzz.bin");
        (void)esp::format_partition_csv(decoded.table);
        for (const auto& p : decoded.table) {
            (void)esp::partition_type_name(p.type);
            (void)esp::partition_subtype_name(p.type, p.subtype);
        }
    });
    return 0;
}
