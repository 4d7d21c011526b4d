// Bytes from a device, one layer at a time: the SLIP decoder (fed in transport-sized chunks), then every
// frame as the loader reads it (response decoding with both status lengths, matching to each command),
// the payload parsers (GET_SECURITY_INFO, SPI_FLASH_MD5), and the request decoder the simulator runs on
// bytes from a client. Input: chunk byte + stream (fuzz_support.hpp).
#include <vector>

#include "fuzz_support.hpp"
#include "vesper/esp/command.hpp"
#include "vesper/esp/packet.hpp"
#include "vesper/esp/rom_error.hpp"
#include "vesper/esp/slip.hpp"

using namespace vesper;
using esp::Command;

namespace {

constexpr Command kCommands[] = {Command::sync,        Command::read_reg,        Command::spi_attach,
                                 Command::flash_begin, Command::flash_data,      Command::flash_defl_data,
                                 Command::spi_flash_md5, Command::get_security_info, Command::read_flash_slow,
                                 Command::change_baudrate, Command::flash_end};

void frame(const Bytes& f) {
    for (std::size_t status_len : {std::size_t{2}, std::size_t{4}}) {
        std::string problem;
        if (auto r = esp::try_decode_response(f, status_len, problem)) {
            (void)esp::failure_message(*r, "fuzz");
            fuzz::expect_errors([&] { (void)esp::parse_security_info(r->data); });
            fuzz::expect_errors([&] { (void)esp::parse_md5_reply(r->data); });
        }
        fuzz::expect_errors([&] { (void)esp::decode_response(f, status_len); });
        for (Command c : kCommands) {
            std::string reason;
            fuzz::expect_errors([&] { (void)esp::match_frame(f, c, status_len, reason); });
        }
    }
    fuzz::expect_errors([&] { (void)esp::decode_request(f); });
}

} // namespace

VESPER_FUZZ_TARGET(fuzz_slip_packet)(const std::uint8_t* data, std::size_t size) {
    fuzz::Chunks chunks(data, size);
    esp::SlipDecoder decoder;
    std::vector<Bytes> frames;
    while (!chunks.done()) {
        decoder.feed(chunks.next());
        while (auto f = decoder.pop_frame())
            frames.push_back(std::move(*f));
    }
    (void)decoder.take_noise();
    for (const auto& fault : decoder.take_faults())
        (void)fault.message;
    for (const Bytes& f : frames)
        frame(f);
    for (std::size_t status_len : {std::size_t{2}, std::size_t{4}})
        fuzz::expect_errors([&] { (void)esp::match_response(frames, Command::read_reg, status_len); });
    return 0;
}
