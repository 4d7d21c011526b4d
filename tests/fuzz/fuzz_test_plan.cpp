// A factory test plan (vesperctl test --plan FILE, a board profile's test: in the config): YAML from a
// file anyone may write. Bad plans are config errors, never a crash or a hang.
#include "fuzz_support.hpp"
#include "vesper/factory/test_plan.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_test_plan)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] { (void)factory::parse_test_plan_text(fuzz::text(data, size), "plan.yaml"); });
    return 0;
}
