// A label layout (a file named by the factory config or `--layout`): YAML anyone may write. Bad layouts
// are label.* errors, never a crash or a hang; a layout that loads lays out the sample device.
#include "fuzz_support.hpp"
#include "vesper/label/layout.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_label_layout)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] { (void)label::parse_layout(fuzz::text(data, size), "layout.yaml"); });
    fuzz::expect_errors([&] { (void)label::parse_layout(fuzz::text(data, size), "layout.yaml", 203); });
    return 0;
}
