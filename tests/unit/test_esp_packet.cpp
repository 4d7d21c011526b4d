#include <catch2/catch.hpp>

#include <string>

#include "vesper/core/error.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/rom_error.hpp"
#include "vesper/rom/slip.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Hand-written header: direction 0, opcode, u16 size, u32 checksum.
Bytes hdr(std::uint8_t op, std::uint16_t size, std::uint32_t checksum = 0) {
    return {0x00,
            op,
            static_cast<std::uint8_t>(size),
            static_cast<std::uint8_t>(size >> 8),
            static_cast<std::uint8_t>(checksum),
            static_cast<std::uint8_t>(checksum >> 8),
            static_cast<std::uint8_t>(checksum >> 16),
            static_cast<std::uint8_t>(checksum >> 24)};
}

Bytes enc(const Request& r) { return encode_request(r); }

} // namespace

TEST_CASE("command opcodes and names", "[esp][packet]") {
    CHECK(static_cast<int>(Command::flash_begin) == 0x02);
    CHECK(static_cast<int>(Command::mem_end) == 0x06);
    CHECK(static_cast<int>(Command::mem_data) == 0x07);
    CHECK(static_cast<int>(Command::sync) == 0x08);
    CHECK(static_cast<int>(Command::read_flash_slow) == 0x0E);
    CHECK(static_cast<int>(Command::get_security_info) == 0x14);
    CHECK(static_cast<int>(Command::read_flash) == 0xD2);
    CHECK(command_name(Command::flash_data) == "FLASH_DATA");
    CHECK(command_name(Command::flash_defl_begin) == "FLASH_DEFL_BEGIN");
    CHECK(command_name(0x42) == "0x42");
    CHECK(is_known_command(0x13));
    CHECK_FALSE(is_known_command(0x0C));
    CHECK(is_stub_only(Command::erase_region));
    CHECK_FALSE(is_stub_only(Command::read_flash_slow));
    CHECK(uses_data_checksum(Command::mem_data));
    CHECK(uses_data_checksum(Command::flash_defl_data));
    CHECK_FALSE(uses_data_checksum(Command::flash_begin));
    CHECK(hex32(0x10400) == "0x10400");
}

TEST_CASE("data checksum is XOR seeded with 0xEF", "[esp][packet]") {
    CHECK(data_checksum(Bytes{}) == 0xEF);
    CHECK(data_checksum(Bytes{0xEF}) == 0x00);
    CHECK(data_checksum(Bytes{0x01, 0x02, 0x04}) == (0xEF ^ 0x07));
    CHECK(data_checksum(Bytes(4, 0xFF)) == 0xEF);
}

TEST_CASE("request encoding matches hand-computed bytes", "[esp][packet]") {
    SECTION("SYNC") {
        Bytes expected = cat({hdr(0x08, 36), {0x07, 0x07, 0x12, 0x20}, Bytes(32, 0x55)});
        CHECK(enc(sync_request()) == expected);
    }
    SECTION("READ_REG") { CHECK(enc(read_reg_request(0x40001000)) == cat({hdr(0x0A, 4), {0x00, 0x10, 0x00, 0x40}})); }
    SECTION("WRITE_REG") {
        CHECK(enc(write_reg_request(0x60008000, 0x50D83AA1)) == cat({hdr(0x09, 16),
                                                                     {0x00, 0x80, 0x00, 0x60},
                                                                     {0xA1, 0x3A, 0xD8, 0x50},
                                                                     {0xFF, 0xFF, 0xFF, 0xFF},
                                                                     {0, 0, 0, 0}}));
        CHECK(enc(write_reg_request(1, 2, 3, 4)) ==
              cat({hdr(0x09, 16), {1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0}, {4, 0, 0, 0}}));
    }
    SECTION("FLASH_BEGIN with and without the encrypted word") {
        BeginParams p{.size = 0x1000, .blocks = 4, .block_size = 0x400, .offset = 0x10000};
        Bytes four = {0x00, 0x10, 0, 0, 4, 0, 0, 0, 0x00, 0x04, 0, 0, 0x00, 0x00, 0x01, 0x00};
        CHECK(enc(flash_begin_request(p, EncryptedWord::omit)) == cat({hdr(0x02, 16), four}));
        CHECK(enc(flash_begin_request(p, EncryptedWord::plain)) == cat({hdr(0x02, 20), four, {0, 0, 0, 0}}));
        CHECK(enc(flash_begin_request(p, EncryptedWord::encrypted)) == cat({hdr(0x02, 20), four, {1, 0, 0, 0}}));
        CHECK(enc(flash_defl_begin_request(p, EncryptedWord::plain)) == cat({hdr(0x10, 20), four, {0, 0, 0, 0}}));
        CHECK(enc(mem_begin_request(p)) == cat({hdr(0x05, 16), four}));
    }
    SECTION("FLASH_DEFL_BEGIN size: exact for the stub, whole blocks for the ROM") {
        CHECK(deflate_begin_size(5000, 0x400, true) == 5000);
        CHECK(deflate_begin_size(5000, 0x400, false) == 5120);
        CHECK(deflate_begin_size(4096, 0x400, false) == 4096);
        CHECK_THROWS_AS(deflate_begin_size(1, 0, false), Error);
    }
    SECTION("FLASH_DATA pads the last block with 0xFF and checksums the padded data") {
        // 01 02 03 + 5 x FF: 01^02^03 = 0, five FF = FF, EF ^ FF = 0x10.
        Bytes expected = cat({hdr(0x03, 24, 0x10),
                              {8, 0, 0, 0},
                              {7, 0, 0, 0},
                              Bytes(8, 0),
                              {0x01, 0x02, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}});
        CHECK(enc(flash_data_request(Bytes{1, 2, 3}, 7, 8)) == expected);
        // No padding requested: sent as is.
        CHECK(enc(flash_data_request(Bytes{1, 2, 3}, 0, 0)) ==
              cat({hdr(0x03, 19, 0xEF), {3, 0, 0, 0}, Bytes(12, 0), {1, 2, 3}}));
        CHECK_THROWS_AS(flash_data_request(Bytes(9, 0), 0, 8), Error);
        CHECK_THROWS_AS(flash_data_request(Bytes(0x10000, 0), 0, 0), Error);
    }
    SECTION("compressed and RAM blocks are never padded") {
        Bytes expected_tail = cat({{2, 0, 0, 0}, {3, 0, 0, 0}, Bytes(8, 0), {0xAA, 0x55}});
        CHECK(enc(flash_defl_data_request(Bytes{0xAA, 0x55}, 3)) == cat({hdr(0x11, 18, 0x10), expected_tail}));
        CHECK(enc(mem_data_request(Bytes{0xAA, 0x55}, 3)) == cat({hdr(0x07, 18, 0x10), expected_tail}));
        Request r = flash_encrypt_data_request(Bytes{0xAA, 0x55}, 3, 0);
        CHECK(r.op == Command::flash_encrypt_data);
        CHECK(r.checksum == 0x10);
    }
    SECTION("FLASH_END, FLASH_DEFL_END, MEM_END") {
        CHECK(enc(flash_end_request(FlashEndAction::reboot)) == cat({hdr(0x04, 4), {0, 0, 0, 0}}));
        CHECK(enc(flash_end_request(FlashEndAction::run_user_code)) == cat({hdr(0x04, 4), {1, 0, 0, 0}}));
        CHECK(enc(flash_defl_end_request(FlashEndAction::run_user_code)) == cat({hdr(0x12, 4), {1, 0, 0, 0}}));
        CHECK(enc(mem_end_request(0x4009F000u)) == cat({hdr(0x06, 8), {0, 0, 0, 0}, {0x00, 0xF0, 0x09, 0x40}}));
        CHECK(enc(mem_end_request(std::nullopt)) == cat({hdr(0x06, 8), {1, 0, 0, 0}, {0, 0, 0, 0}}));
    }
    SECTION("SPI_ATTACH: 8 bytes to the ROM, 4 to the stub") {
        CHECK(enc(spi_attach_request(0, LoaderKind::rom)) == cat({hdr(0x0D, 8), Bytes(8, 0)}));
        CHECK(enc(spi_attach_request(0, LoaderKind::stub)) == cat({hdr(0x0D, 4), Bytes(4, 0)}));
        CHECK(enc(spi_attach_request(0x01020304, LoaderKind::rom)) ==
              cat({hdr(0x0D, 8), {0x04, 0x03, 0x02, 0x01}, Bytes(4, 0)}));
    }
    SECTION("SPI_SET_PARAMS: six words") {
        CHECK(enc(spi_set_params_request({.total_size = 4 * 1024 * 1024})) == cat({hdr(0x0B, 24),
                                                                                   {0, 0, 0, 0},
                                                                                   {0x00, 0x00, 0x40, 0x00},
                                                                                   {0x00, 0x00, 0x01, 0x00},
                                                                                   {0x00, 0x10, 0x00, 0x00},
                                                                                   {0x00, 0x01, 0x00, 0x00},
                                                                                   {0xFF, 0xFF, 0x00, 0x00}}));
    }
    SECTION("CHANGE_BAUDRATE: second word 0 for the ROM, current baud for the stub") {
        CHECK(enc(change_baudrate_request(921600, 0)) == cat({hdr(0x0F, 8), {0x00, 0x10, 0x0E, 0x00}, {0, 0, 0, 0}}));
        CHECK(enc(change_baudrate_request(921600, 115200)) ==
              cat({hdr(0x0F, 8), {0x00, 0x10, 0x0E, 0x00}, {0x00, 0xC2, 0x01, 0x00}}));
        CHECK_THROWS_AS(change_baudrate_request(0, 0), Error);
    }
    SECTION("SPI_FLASH_MD5, READ_FLASH_SLOW, GET_SECURITY_INFO") {
        CHECK(enc(spi_flash_md5_request(0x10000, 0x2000)) ==
              cat({hdr(0x13, 16), {0x00, 0x00, 0x01, 0x00}, {0x00, 0x20, 0x00, 0x00}, Bytes(8, 0)}));
        CHECK(enc(read_flash_slow_request(0x1000, 64)) ==
              cat({hdr(0x0E, 8), {0x00, 0x10, 0x00, 0x00}, {0x40, 0x00, 0x00, 0x00}}));
        CHECK_THROWS_AS(read_flash_slow_request(0x1000, 65), Error);
        CHECK_THROWS_AS(read_flash_slow_request(0x1000, 0), Error);
        CHECK(enc(get_security_info_request()) == hdr(0x14, 0));
    }
    SECTION("stub-only commands") {
        CHECK(enc(erase_flash_request()) == hdr(0xD0, 0));
        CHECK(enc(erase_region_request(0x9000, 0x6000)) ==
              cat({hdr(0xD1, 8), {0x00, 0x90, 0x00, 0x00}, {0x00, 0x60, 0x00, 0x00}}));
        CHECK(enc(read_flash_request(0, 0x1000, 0x1000, 64)) ==
              cat({hdr(0xD2, 16), {0, 0, 0, 0}, {0x00, 0x10, 0, 0}, {0x00, 0x10, 0, 0}, {64, 0, 0, 0}}));
        CHECK(enc(run_user_code_request()) == hdr(0xD3, 0));
    }
}

TEST_CASE("framed request is the SLIP-escaped packet", "[esp][packet]") {
    // Checksum 0xC0 must be escaped in the header too: data {0x2F} -> EF ^ 2F = C0.
    Request r = mem_data_request(Bytes{0x2F}, 0);
    REQUIRE(r.checksum == 0xC0);
    Bytes framed = frame_request(r);
    CHECK(framed == slip_encode(encode_request(r)));
    CHECK(framed[5] == 0xDB);
    CHECK(framed[6] == 0xDC);
    SlipDecoder d;
    d.feed(framed);
    auto back = d.pop_frame();
    REQUIRE(back);
    Request decoded = decode_request(*back);
    CHECK(decoded.op == Command::mem_data);
    CHECK(decoded.checksum == 0xC0);
    CHECK(decoded.data == r.data);
}

TEST_CASE("request decoding rejects malformed packets", "[esp][packet]") {
    CHECK_THROWS_AS(decode_request(Bytes{0x00, 0x08}), Error);
    CHECK_THROWS_AS(decode_request(cat({hdr(0x0A, 4), {1, 2, 3}})), Error); // size says 4, carries 3
    Bytes wrong_dir = hdr(0x0A, 0);
    wrong_dir[0] = 0x01;
    CHECK_THROWS_AS(decode_request(wrong_dir), Error);
}

TEST_CASE("response parse with 4 status bytes (ROM)", "[esp][packet]") {
    // READ_REG of the magic word on an ESP32 ROM: value in the header, 4 status bytes.
    Bytes frame = {0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00};
    Response r = decode_response(frame, 4);
    CHECK(r.op == 0x0A);
    CHECK(r.value == 0x00F01D83);
    CHECK(r.data.empty());
    CHECK(r.ok());
    CHECK(encode_response(0x0A, 0x00F01D83, {}, 0, 0, 4) == frame);

    // ROM MD5 reply: 32 hex digits then 4 status bytes.
    std::string hex = "d41d8cd98f00b204e9800998ecf8427e";
    Bytes md5_frame = encode_response(0x13, 0, as_bytes(hex), 0, 0, 4);
    CHECK(md5_frame[2] == 36);
    Response m = decode_response(md5_frame, 4);
    REQUIRE(m.data.size() == 32);
    auto digest = parse_md5_reply(m.data);
    CHECK(digest[0] == 0xD4);
    CHECK(digest[15] == 0x7E);
}

TEST_CASE("response parse with 2 status bytes (stub, ESP8266 ROM)", "[esp][packet]") {
    Bytes frame = {0x01, 0x0A, 0x02, 0x00, 0x01, 0xC1, 0xF0, 0xFF, 0x00, 0x00};
    Response r = decode_response(frame, 2);
    CHECK(r.value == 0xFFF0C101);
    CHECK(r.ok());

    Bytes raw(16);
    for (std::size_t i = 0; i < raw.size(); ++i)
        raw[i] = static_cast<std::uint8_t>(i * 17);
    Response m = decode_response(encode_response(0x13, 0, raw, 0, 0, 2), 2);
    CHECK(m.data == raw);
    auto digest = parse_md5_reply(m.data);
    CHECK(digest[1] == 17);
}

TEST_CASE("failure status produces the error code and a message with context", "[esp][packet]") {
    // ROM FLASH_DATA reply with status 1, error 0x07, two reserved bytes.
    Bytes frame = {0x01, 0x03, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x07, 0x00, 0x00};
    Response r = decode_response(frame, 4);
    CHECK_FALSE(r.ok());
    CHECK(r.status == 1);
    CHECK(r.error == 0x07);
    CHECK(failure_message(r, "FLASH_DATA at 0x10400") ==
          "FLASH_DATA at 0x10400 failed: ROM error 0x07 (invalid checksum in message)");
    try {
        check_response(r, "FLASH_DATA at 0x10400");
        FAIL("check_response should have thrown");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK_THAT(e.what(), Catch::Contains("ROM error 0x07"));
    }

    // Stub failure, 2 status bytes.
    Response s = decode_response(encode_response(0x11, 0, {}, 1, 0xC1, 2), 2);
    CHECK(failure_message(s, "FLASH_DEFL_DATA block 3") ==
          "FLASH_DEFL_DATA block 3 failed: stub error 0xC1 (bad data checksum)");

    // Status set but no code: still a failure.
    Response z = decode_response(encode_response(0x02, 0, {}, 1, 0, 4), 4);
    CHECK_FALSE(z.ok());
    CHECK_THAT(failure_message(z, "FLASH_BEGIN"), Catch::Contains("status 0x01"));
    Bytes sync_ok = {0x01, 0x08, 0x04, 0x00, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};
    CHECK_NOTHROW(check_response(decode_response(sync_ok, 4), "SYNC"));
}

TEST_CASE("status is read at size - status_len, never guessed", "[esp][packet]") {
    // A ROM READ_FLASH_SLOW failure whose data happens to end in zeros: with the right status length the
    // failure is seen; the same bytes read as a 2-byte status would look like success, which is why the
    // caller must pass the chip's status length.
    Bytes data(64, 0x00);
    Bytes frame = encode_response(0x0E, 0, data, 0x01, 0x09, 4);
    Response r = decode_response(frame, 4);
    CHECK_FALSE(r.ok());
    CHECK(r.error == 0x09);
    CHECK(r.data.size() == 64);
    CHECK(decode_response(frame, 2).ok()); // the pitfall, documented

    // size smaller than the status, size field disagreeing with the frame, wrong direction, too short.
    std::string problem;
    CHECK_FALSE(try_decode_response(Bytes{0x01, 0x0A, 0x02, 0x00, 0, 0, 0, 0, 0, 0}, 4, problem));
    CHECK_THAT(problem, Catch::Contains("cannot hold the 4 status bytes"));
    CHECK_FALSE(try_decode_response(Bytes{0x01, 0x0A, 0x04, 0x00, 0, 0, 0, 0, 0, 0}, 2, problem));
    CHECK_THAT(problem, Catch::Contains("size field says 4"));
    CHECK_FALSE(try_decode_response(Bytes{0x00, 0x0A, 0x02, 0x00, 0, 0, 0, 0, 0, 0}, 2, problem));
    CHECK_FALSE(try_decode_response(Bytes{0x01, 0x0A, 0x02}, 2, problem));
    CHECK_THROWS_AS(decode_response(Bytes{0x01, 0x0A, 0x02}, 2), Error);
    CHECK_THROWS_AS(decode_response(frame, 3), Error); // status length must be 2 or 4
}

TEST_CASE("response matching skips unrelated frames and a stray SYNC reply", "[esp][packet]") {
    std::vector<Bytes> frames = {
        encode_response(0x08, 0x12345678, {}, 0, 0, 4), // a late extra reply to SYNC
        encode_request(read_reg_request(0x40001000)),   // our own request echoed back
        Bytes{'O', 'H', 'A', 'I'},                      // the stub's hello
        Bytes{0x01},                                    // junk
        encode_response(0x0A, 0x00F01D83, {}, 0, 0, 4), // the answer
        encode_response(0x0A, 0xDEADBEEF, {}, 0, 0, 4), // a later one, not looked at
    };
    ResponseMatch m = match_response(frames, Command::read_reg, 4);
    REQUIRE(m.found());
    CHECK(m.index == 4);
    CHECK(m.response->value == 0x00F01D83);
    REQUIRE(m.skipped.size() == 4);
    CHECK_THAT(m.skipped[0].reason, Catch::Contains("response to SYNC, not to READ_REG"));
    CHECK_THAT(m.skipped[1].reason, Catch::Contains("a request (READ_REG)"));
    CHECK_THAT(m.skipped[2].reason, Catch::Contains("0x4F"));
    CHECK(m.skipped[3].index == 3);

    // Nothing matches: every frame is reported as skipped.
    ResponseMatch none = match_response(std::span<const Bytes>(frames.data(), 3), Command::flash_begin, 4);
    CHECK_FALSE(none.found());
    CHECK(none.skipped.size() == 3);

    // A failure reply is still the reply: matching does not judge the status.
    std::vector<Bytes> failing = {encode_response(0x03, 0, {}, 1, 0x07, 4)};
    ResponseMatch f = match_response(failing, Command::flash_data, 4);
    REQUIRE(f.found());
    CHECK_FALSE(f.response->ok());

    // The right opcode but broken: an error, not a skip.
    std::vector<Bytes> broken = {Bytes{0x01, 0x0A, 0x09, 0x00, 0, 0, 0, 0}};
    CHECK_THROWS_AS(match_response(broken, Command::read_reg, 4), Error);
}

TEST_CASE("GET_SECURITY_INFO reply parsing", "[esp][packet]") {
    Bytes full = {0x05, 0x00, 0x00, 0x00,             // flags: secure boot + SDM
                  0x01, 1,    2,    3,    4, 5, 6, 7, // crypt cnt + 7 key purposes
                  0x09, 0x00, 0x00, 0x00,             // chip id 9 (ESP32-S3)
                  0x00, 0x00, 0x00, 0x00};
    SecurityInfo s = parse_security_info(full);
    CHECK(s.flags == 5);
    CHECK(s.secure_boot());
    CHECK(s.secure_download_mode());
    CHECK(s.flash_crypt_cnt == 1);
    CHECK(s.key_purposes[6] == 7);
    REQUIRE(s.chip_id);
    CHECK(*s.chip_id == 9);
    CHECK(*s.eco_version == 0);

    SecurityInfo s2 = parse_security_info(ByteView(full).subspan(0, 12)); // ESP32-S2
    CHECK_FALSE(s2.chip_id);
    CHECK_FALSE(s2.eco_version);
    CHECK_THROWS_AS(parse_security_info(ByteView(full).subspan(0, 16)), Error);
}

TEST_CASE("MD5 reply parsing rejects bad lengths and digits", "[esp][packet]") {
    CHECK_THROWS_AS(parse_md5_reply(Bytes(20, 0)), Error);
    std::string bad = "d41d8cd98f00b204e9800998ecf8427g";
    CHECK_THROWS_AS(parse_md5_reply(as_bytes(bad)), Error);
    std::string upper = "D41D8CD98F00B204E9800998ECF8427E";
    CHECK(parse_md5_reply(as_bytes(upper))[0] == 0xD4);
}

TEST_CASE("ROM and stub error codes to words", "[esp][packet]") {
    for (std::uint8_t code :
         {0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x64, 0x65, 0x66, 0x67, 0x69}) {
        INFO("code " << int(code));
        CHECK(error_source(code) == ErrorSource::rom);
        CHECK_FALSE(rom_error_text(code).empty());
    }
    for (int code = 0xC0; code <= 0xC9; ++code) {
        INFO("code " << code);
        CHECK(error_source(static_cast<std::uint8_t>(code)) == ErrorSource::stub);
        CHECK_FALSE(rom_error_text(static_cast<std::uint8_t>(code)).empty());
    }
    CHECK(error_source(0xFF) == ErrorSource::stub);
    CHECK(describe_error_code(0x07) == "ROM error 0x07 (invalid checksum in message)");
    CHECK(describe_error_code(0xC9) == "stub error 0xC9 (too much data)");
    CHECK(describe_error_code(0xFF) == "stub error 0xFF (command not implemented)");
    CHECK(describe_error_code(0x42) == "error 0x42 (undocumented)");
    CHECK(describe_error_code(0x68) == "ROM error 0x68 (undocumented)");
}
