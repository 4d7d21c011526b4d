// What a board printed after reset, read when a connect fails: the boot-log triage and the reason it
// gives (kept in Connection::received(), at most Connection::kMaxReceived bytes).
#include "fuzz_support.hpp"
#include "vesper/rom/boot_log.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_boot_log)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] {
        const esp::BootTriage t = esp::triage_boot_log(fuzz::bytes(data, size));
        (void)esp::describe_boot_triage(t);
    });
    return 0;
}
