// `serial check SN...`, `serial gen --type/--rev/--date` and `batch create`: serial numbers, dates, board
// types and revisions as typed.
#include "fuzz_support.hpp"
#include "vesper/serial/serial_number.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_serial)(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = fuzz::text(data, size);
    std::string why;
    if (auto sn = serial::parse(in, &why)) {
        // A serial that parses must read back as itself.
        if (sn->str() != in) __builtin_trap();
        (void)sn->prefix();
    }
    fuzz::expect_errors([&] { (void)serial::parse_iso_date(in); });
    fuzz::expect_errors([&] { (void)serial::normalize_board_type(in); });
    fuzz::expect_errors([&] { (void)serial::normalize_revision(in); });
    return 0;
}
