// `--port URL` on every device command and the station config's ports: device path, socket://HOST:PORT,
// rfc2217://HOST:PORT?options.
#include "fuzz_support.hpp"
#include "vesper/port/port_url.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_port_url)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] { (void)esp::parse_port_url(std::string(fuzz::text(data, size))); });
    return 0;
}
