// Bytes from a device, one layer at a time: the SLIP decoder (fed in transport-sized chunks), then every
// frame as the loader reads it (response decoding with both status lengths, matching to each command),
// the payload parsers (GET_SECURITY_INFO, SPI_FLASH_MD5), and the request decoder the simulator runs on
// bytes from a client. Input: chunk byte + stream (fuzz_support.hpp).
#include <vector>

#include "fuzz_support.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/rom_error.hpp"
#include "vesper/rom/slip.hpp"

using namespace vesper;
using esp::Command;

namespace {

constexpr Command kCommands[] = {Command::sync,
                                 Command::read_reg,
                                 Command::spi_attach,
                                 Command::flash_begin,
                                 Command::flash_data,
                                 Command::flash_defl_data,
                                 Command::spi_flash_md5,
                                 Command::get_security_info,
                                 Command::read_flash_slow,
                                 Command::change_baudrate,
                                 Command::flash_end};

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

// A start for the fuzzer: boot-log noise, then replies with and without payload (a security info of
// 20 bytes, an MD5 in 32 hex digits, a value with bytes that need SLIP escapes), a failure reply and a
// request as a client sends it.
void write_seeds() {
    Bytes stream{0x07}; // chunk byte: 8-byte reads
    const std::string boot = "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT)\r\nwaiting for download\r\n";
    stream.insert(stream.end(), boot.begin(), boot.end());
    auto reply = [&](Command op, std::uint32_t value, const Bytes& payload, std::uint8_t status, std::size_t sl) {
        esp::slip_encode_append(
            esp::encode_response(static_cast<std::uint8_t>(op), value, payload, status, status ? 0x05 : 0, sl), stream);
    };
    reply(Command::sync, 0, {}, 0, 4);
    reply(Command::read_reg, 0xC0DBC0DB, {}, 0, 4);
    Bytes security(20, 0);
    security[12] = 9; // chip id: ESP32-S3
    reply(Command::get_security_info, 0, security, 0, 4);
    const std::string md5 = "0123456789abcdef0123456789ABCDEF";
    reply(Command::spi_flash_md5, 0, Bytes(md5.begin(), md5.end()), 0, 2);
    reply(Command::flash_begin, 0, {}, 1, 2);
    esp::slip_encode_append(esp::encode_request(esp::read_reg_request(0x40001000)), stream);
    fuzz::write_seed("replies.bin", stream);
}

} // namespace

VESPER_FUZZ_INIT(int*, char***) {
    if (fuzz::seed_dir().empty()) return 0;
    write_seeds();
    std::exit(0);
}

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
