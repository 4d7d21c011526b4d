// `nvs dump IMAGE` (and `image info` on an NVS partition): the image reader, then both presentations. The
// input is read as it is, then padded with 0xFF to whole pages so the fuzzer is not stuck at the size check.
#include "fuzz_support.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/nvs/dump_format.hpp"
#include "vesper/nvs/format.hpp"
#include "vesper/nvs/reader.hpp"

using namespace vesper;

namespace {

void dump(ByteView image) {
    const nvs::Dump d = nvs::read_image(image);
    (void)nvs::dump_text(d, "fuzz.bin");
    (void)json_text(nvs::dump_json(d, "fuzz.bin")); // as Context::print_json does: must not throw on any byte
    for (const auto& v : d.values)
        (void)nvs::value_text(v);
}

} // namespace

VESPER_FUZZ_TARGET(fuzz_nvs_dump)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] { dump(fuzz::bytes(data, size)); });
    if (size % nvs::page_size != 0) {
        Bytes padded(data, data + size);
        padded.resize((size / nvs::page_size + 1) * nvs::page_size, 0xFF);
        fuzz::expect_errors([&] { dump(padded); });
    }
    return 0;
}
