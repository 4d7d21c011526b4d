// Pure parts of the loader: timeouts, reply status length, boot-log triage, JEDEC decoding, baud word.
#include <catch2/catch.hpp>

#include <string>

#include "vesper/chip/chip.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/boot_log.hpp"
#include "vesper/rom/connection.hpp"
#include "vesper/rom/loader.hpp"
#include "vesper/rom/spi_flash.hpp"
#include "vesper/rom/timeouts.hpp"

using namespace vesper;
using namespace vesper::esp;
using namespace std::chrono_literals;

namespace {

BootTriage triage(const std::string& text) { return triage_boot_log(as_bytes(text)); }

} // namespace

TEST_CASE("timeouts: defaults, SYNC, size scaling with a 3 s floor", "[esp][loader][timeouts]") {
    CHECK(command_timeout(Command::read_reg) == 3000ms);
    CHECK(command_timeout(Command::sync) == 100ms);
    CHECK(command_timeout(Command::spi_attach) == 3000ms);
    // Small sizes never go under the floor.
    CHECK(command_timeout(Command::flash_begin, 4096) == 3000ms);
    CHECK(command_timeout(Command::spi_flash_md5, 1000) == 3000ms);
    // 1 MB (1e6 bytes, as esptool counts): erase 40 s, MD5 8 s.
    CHECK(command_timeout(Command::flash_begin, 1000000) == 40000ms);
    CHECK(command_timeout(Command::flash_defl_begin, 2000000) == 80000ms);
    CHECK(command_timeout(Command::spi_flash_md5, 1000000) == 8000ms);
    CHECK(command_timeout(Command::spi_flash_md5, 4000000) == 32000ms);
    // A deflate block that inflates to 256 KiB gets more than the default.
    CHECK(command_timeout(Command::flash_defl_data, 256 * 1024) > 3000ms);
    // Capped.
    CHECK(command_timeout(Command::flash_begin, 16u * 1024 * 1024) == kMaxTimeout);
    CHECK(timeout_per_mb(8.0, 0) == kDefaultTimeout);
}

TEST_CASE("reply status length is inferred from the size field", "[esp][loader]") {
    CHECK(infer_status_len(4, 0) == 4);   // ROM SYNC / READ_REG reply
    CHECK(infer_status_len(2, 0) == 2);   // ESP8266 ROM
    CHECK(infer_status_len(24, 20) == 4); // GET_SECURITY_INFO, 20-byte form
    CHECK(infer_status_len(16, 12) == 4); // ESP32-S2's 12-byte form
    CHECK(infer_status_len(36, 32) == 4); // SPI_FLASH_MD5 in hex
    CHECK(infer_status_len(4, 20) == 4);  // a failure carries no payload
    CHECK(infer_status_len(2, 20) == 2);
    CHECK(infer_status_len(7, 0) == 0); // nothing sensible
}

TEST_CASE("boot log triage: normal boot, download mode, silence, other output", "[esp][loader][triage]") {
    SECTION("ESP32 booting from flash") {
        auto t = triage("ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
                        "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00\r\nmode:DIO, clock div:2\r\n");
        CHECK(t.state == BootState::normal_boot);
        CHECK_THAT(t.boot_line, Catch::StartsWith("boot:0x13 (SPI_FAST_FLASH_BOOT)"));
        const auto msg = describe_boot_triage(t);
        CHECK_THAT(msg, Catch::StartsWith("not in download mode: the board booted normally (boot:0x13"));
    }
    SECTION("ESP32 in download mode") {
        auto t = triage("ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 "
                        "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n");
        CHECK(t.state == BootState::download_mode);
        CHECK_THAT(describe_boot_triage(t), Catch::StartsWith("in download mode but no sync"));
        CHECK_THAT(t.boot_line, Catch::Contains("DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2)"));
    }
    SECTION("ESP32-C3 style log, normal boot") {
        auto t = triage("ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x1 (POWERON),boot:0xc "
                        "(SPI_FAST_FLASH_BOOT)\r\nSPIWP:0xee\r\n");
        CHECK(t.state == BootState::normal_boot);
        CHECK_THAT(t.boot_line, Catch::StartsWith("boot:0xc"));
    }
    SECTION("the last boot line counts") {
        auto t = triage("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nhello app\r\n"
                        "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0))\r\nwaiting for download\r\n");
        CHECK(t.state == BootState::download_mode);
    }
    SECTION("ESP8266 boot mode field") {
        CHECK(triage(" ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nload 0x4010f000").state ==
              BootState::normal_boot);
        CHECK(triage(" ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n").state == BootState::download_mode);
    }
    SECTION("nothing at all") {
        auto t = triage_boot_log(ByteView{});
        CHECK(t.state == BootState::silent);
        CHECK_THAT(describe_boot_triage(t), Catch::StartsWith("no answer at all"));
    }
    SECTION("application chatter") {
        Bytes junk = {0xC0, 0x00, 0x12, 0xC0};
        auto text = std::string("I (312) app: temperature 21.5\r\n");
        junk.insert(junk.end(), text.begin(), text.end());
        auto t = triage_boot_log(junk);
        CHECK(t.state == BootState::unrecognised);
        CHECK_THAT(t.excerpt, Catch::Contains("temperature 21.5"));
        CHECK_THAT(describe_boot_triage(t), Catch::Contains("temperature 21.5"));
    }
}

TEST_CASE("JEDEC id and flash size", "[esp][loader][flash-id]") {
    // W25Q32: EF 40 16 read as little-endian W0 = 0x1640EF.
    const auto w25q32 = decode_jedec_id(0x1640EF);
    CHECK(w25q32.manufacturer == 0xEF);
    CHECK(w25q32.device == 0x4016);
    CHECK(w25q32.capacity_byte == 0x16);
    CHECK(flash_size_from_jedec(w25q32) == 4u * 1024 * 1024);
    CHECK(w25q32.to_string() == "manufacturer 0xEF, device 0x4016");

    CHECK(flash_size_from_jedec(decode_jedec_id(0x1440C8)) == 1u * 1024 * 1024);
    CHECK(flash_size_from_jedec(decode_jedec_id(0x1840EF)) == 16u * 1024 * 1024);
    CHECK(flash_size_from_jedec(decode_jedec_id(0x1940EF)) == 32u * 1024 * 1024);
    CHECK(flash_size_from_jedec(decode_jedec_id(0x2020C2)) == 64u * 1024 * 1024);
    CHECK(flash_size_from_jedec(decode_jedec_id(0x3260C8)) == 256u * 1024);
    CHECK_FALSE(flash_size_from_jedec(decode_jedec_id(0)).has_value());
    CHECK_FALSE(flash_size_from_jedec(decode_jedec_id(0xFFFFFF)).has_value());
    CHECK_FALSE(flash_size_from_jedec(decode_jedec_id(0x0540EF)).has_value());

    CHECK(format_flash_size(4u * 1024 * 1024) == "4MB");
    CHECK(format_flash_size(512 * 1024) == "512KB");
}

TEST_CASE("every chip row has SPI user-command registers", "[esp][loader][flash-id]") {
    for (const auto& c : all_chips()) {
        INFO(c.name);
        const auto& r = spi_user_command_regs(c.chip);
        CHECK(r.base != 0);
        CHECK(r.w0 > r.usr2);
    }
    CHECK_FALSE(spi_user_command_regs(Chip::esp8266).miso_dlen.has_value());
    CHECK(spi_user_command_regs(Chip::esp32).w0 == 0x80);
    CHECK(spi_user_command_regs(Chip::esp32s3).base == 0x60002000);
}

TEST_CASE("CHANGE_BAUDRATE word from the chip row", "[esp][loader][baud]") {
    const BaudInputs none;
    CHECK(rom_baud_word(chip_info(Chip::esp32s3), 921600, none) == 921600);
    // ESP32-C2 with a 26 MHz crystal: the ROM assumes 40 MHz.
    BaudInputs c2;
    c2.xtal_mhz = 26;
    CHECK(rom_baud_word(chip_info(Chip::esp32c2), 460800, c2) == 460800u * 40 / 26);
    c2.xtal_mhz = 40;
    CHECK(rom_baud_word(chip_info(Chip::esp32c2), 460800, c2) == 460800);
    // ESP32: a ROM-calculated crystal slightly off 40 MHz scales the word the same way.
    const auto& esp32 = chip_info(Chip::esp32);
    BaudInputs e;
    // cali * 15625 * ck8m / 40 = 40.4 MHz with ck8m = 0x80: cali = 40.4e6 * 40 / 15625 / 128 = 808.
    e.cali_reg_value = 808u << esp32.baud.cali_shift;
    e.ck8m_efuse_value = 0x80;
    const std::uint64_t rom_hz = 808ull * 15625 * 0x80 / 40;
    CHECK(rom_baud_word(esp32, 921600, e) == static_cast<std::uint32_t>(921600ull * rom_hz / 40000000));
    // No inputs: nothing to correct with.
    CHECK(rom_baud_word(esp32, 921600, none) == 921600);
}

TEST_CASE("loader: a --chip mismatch message names both chips and the port", "[esp][loader]") {
    const auto msg = chip_mismatch_message(chip_info(Chip::esp32s3), chip_info(Chip::esp32c3),
                                           "socket://127.0.0.1:4000", "chip id 5");
    CHECK_THAT(msg, Catch::Contains("--chip esp32s3"));
    CHECK_THAT(msg, Catch::Contains("ESP32-C3"));
    CHECK_THAT(msg, Catch::Contains("socket://127.0.0.1:4000"));
}
