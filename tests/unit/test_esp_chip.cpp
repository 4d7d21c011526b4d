#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "vesper/chip/chip.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/loader.hpp"

using namespace vesper;
using namespace vesper::esp;

TEST_CASE("chip table: every row is found by its name, display name, id and magic", "[esp][chip]") {
    REQUIRE(all_chips().size() >= 8);
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        CHECK(find_chip_by_name(c.name) == &c);
        CHECK(find_chip_by_name(c.display_name) == &c);
        CHECK(&chip_info(c.chip) == &c);
        if (c.chip_id) CHECK(find_chip_by_id(*c.chip_id) == &c);
        if (c.image_chip_id) CHECK(find_chip_by_image_id(*c.image_chip_id) == &c);
        for (std::uint32_t m : c.magic_values)
            CHECK(find_chip_by_magic(m) == &c);
        // Every chip must be detectable one way or another.
        CHECK((c.chip_id || !c.magic_values.empty() || c.detect_register));
        CHECK((c.rom_status_len == 2 || c.rom_status_len == 4));
        CHECK(c.max_rom_flash_address == 16u * 1024 * 1024);
        CHECK(c.mac.addresses().size() == c.mac.word_count);
    }
}

TEST_CASE("chip table: every row has the SPI user-command registers", "[esp][chip]") {
    for (const ChipInfo& c : all_chips()) {
        INFO(c.name);
        const SpiUserCommandRegs& r = c.spi;
        CHECK(r.base != 0);
        CHECK(r.base % 4 == 0);
        // CMD sits at the base; the others are distinct word registers after it.
        std::set<unsigned> offsets{r.usr, r.usr1, r.usr2, r.w0};
        CHECK(offsets.size() == 4);
        for (unsigned off : offsets) {
            CHECK(off != 0);
            CHECK(off % 4 == 0);
        }
        // Either separate bit-length registers (ESP32 and later) or the ESP8266 USR1 packing.
        CHECK(r.mosi_dlen.has_value() == r.miso_dlen.has_value());
        if (r.miso_dlen) {
            CHECK(r.usr1_miso_bitlen_shift == 0);
            CHECK(*r.miso_dlen % 4 == 0);
            CHECK(*r.mosi_dlen % 4 == 0);
            CHECK(offsets.count(*r.miso_dlen) == 0);
            CHECK(offsets.count(*r.mosi_dlen) == 0);
        } else {
            CHECK(r.usr1_miso_bitlen_shift != 0);
        }
    }
}

TEST_CASE("SPI user-command registers as in esptool's targets", "[esp][chip]") {
    const SpiUserCommandRegs& e8266 = chip_info(Chip::esp8266).spi;
    CHECK(e8266.base == 0x60000200);
    CHECK(e8266.usr == 0x1C);
    CHECK(e8266.usr1 == 0x20);
    CHECK(e8266.usr2 == 0x24);
    CHECK(e8266.w0 == 0x40);
    CHECK_FALSE(e8266.miso_dlen);
    CHECK(e8266.usr1_miso_bitlen_shift == 8);

    const SpiUserCommandRegs& e32 = chip_info(Chip::esp32).spi;
    CHECK(e32.base == 0x3FF42000);
    CHECK(e32.usr == 0x1C);
    CHECK(e32.w0 == 0x80);
    CHECK(e32.mosi_dlen == 0x28);
    CHECK(e32.miso_dlen == 0x2C);

    struct Expect {
        Chip chip;
        std::uint32_t base;
    };
    for (const Expect& e :
         {Expect{Chip::esp32s2, 0x3F402000}, Expect{Chip::esp32s3, 0x60002000}, Expect{Chip::esp32c2, 0x60002000},
          Expect{Chip::esp32c3, 0x60002000}, Expect{Chip::esp32c5, 0x60003000}, Expect{Chip::esp32c6, 0x60003000},
          Expect{Chip::esp32h2, 0x60003000}, Expect{Chip::esp32p4, 0x5008D000}}) {
        const SpiUserCommandRegs& r = chip_info(e.chip).spi;
        INFO(chip_info(e.chip).name);
        CHECK(r.base == e.base);
        CHECK(r.usr == 0x18);
        CHECK(r.usr1 == 0x1C);
        CHECK(r.usr2 == 0x20);
        CHECK(r.mosi_dlen == 0x24);
        CHECK(r.miso_dlen == 0x28);
        CHECK(r.w0 == 0x58);
    }
}

TEST_CASE("chip table: no two rows share a name, magic or id", "[esp][chip]") {
    std::set<std::string> names;
    std::set<std::uint32_t> magics, ids, image_ids;
    std::size_t magic_count = 0, id_count = 0, image_count = 0;
    for (const ChipInfo& c : all_chips()) {
        names.insert(std::string(c.name));
        for (std::uint32_t m : c.magic_values) {
            magics.insert(m);
            ++magic_count;
        }
        if (c.chip_id) {
            ids.insert(*c.chip_id);
            ++id_count;
        }
        if (c.image_chip_id) {
            image_ids.insert(*c.image_chip_id);
            ++image_count;
        }
    }
    CHECK(names.size() == all_chips().size());
    CHECK(magics.size() == magic_count);
    CHECK(ids.size() == id_count);
    CHECK(image_ids.size() == image_count);
}

TEST_CASE("chip lookups by name accept dashes, underscores and any case", "[esp][chip]") {
    const ChipInfo* s3 = find_chip_by_name("esp32s3");
    REQUIRE(s3);
    CHECK(s3->chip == Chip::esp32s3);
    CHECK(s3->display_name == "ESP32-S3");
    CHECK(find_chip_by_name("esp32-s3") == s3);
    CHECK(find_chip_by_name("ESP32-S3") == s3);
    CHECK(find_chip_by_name("Esp32_S3") == s3);
    CHECK(find_chip_by_name("esp32") != s3);
    CHECK(find_chip_by_name("esp32s4") == nullptr);
    CHECK(find_chip_by_name("") == nullptr);
    CHECK(find_chip_by_name("-") == nullptr);
    CHECK(&chip_by_name("ESP8266") == &chip_info(Chip::esp8266));
    try {
        chip_by_name("esp31");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(), Catch::Contains("esp31") && Catch::Contains("esp32c3"));
    }
}

TEST_CASE("chip lookups by id and magic hit the documented chips", "[esp][chip]") {
    CHECK(find_chip_by_magic(0xFFF0C101)->chip == Chip::esp8266);
    CHECK(find_chip_by_magic(0x00F01D83)->chip == Chip::esp32);
    CHECK(find_chip_by_magic(0x000007C6)->chip == Chip::esp32s2);
    CHECK(find_chip_by_magic(0x00000009)->chip == Chip::esp32s3);
    CHECK(find_chip_by_magic(0x7C41A06F)->chip == Chip::esp32c2);
    CHECK(find_chip_by_magic(0x1B31506F)->chip == Chip::esp32c3);
    CHECK(find_chip_by_magic(0x4361606F)->chip == Chip::esp32c3);
    CHECK(find_chip_by_magic(0x5FD1406F)->chip == Chip::esp32c5);
    CHECK(find_chip_by_magic(0x2CE0806F)->chip == Chip::esp32c6);
    CHECK(find_chip_by_magic(0xD7B73E80)->chip == Chip::esp32h2);
    CHECK(find_chip_by_magic(0x00000000) == nullptr); // P4 reads 0 here; it must not match anything
    CHECK(find_chip_by_magic(0x0ADDBAD0) == nullptr);

    CHECK(find_chip_by_id(9)->chip == Chip::esp32s3);
    CHECK(find_chip_by_id(12)->chip == Chip::esp32c2);
    CHECK(find_chip_by_id(5)->chip == Chip::esp32c3);
    CHECK(find_chip_by_id(23)->chip == Chip::esp32c5);
    CHECK(find_chip_by_id(13)->chip == Chip::esp32c6);
    CHECK(find_chip_by_id(16)->chip == Chip::esp32h2);
    CHECK(find_chip_by_id(18)->chip == Chip::esp32p4);
    CHECK(find_chip_by_id(0) == nullptr); // ESP32 has no GET_SECURITY_INFO
    CHECK(find_chip_by_id(2) == nullptr); // ESP32-S2 replies without chip_id

    // App image header chip ids.
    CHECK(find_chip_by_image_id(0)->chip == Chip::esp32);
    CHECK(find_chip_by_image_id(2)->chip == Chip::esp32s2);
    CHECK(find_chip_by_image_id(5)->chip == Chip::esp32c3);
    CHECK(find_chip_by_image_id(9)->chip == Chip::esp32s3);
    CHECK(find_chip_by_image_id(12)->chip == Chip::esp32c2);
    CHECK(find_chip_by_image_id(13)->chip == Chip::esp32c6);
    CHECK(find_chip_by_image_id(16)->chip == Chip::esp32h2);

    const ChipInfo& p4 = chip_info(Chip::esp32p4);
    REQUIRE(p4.detect_register);
    CHECK(p4.detect_register->address == 0x500D0000);
}

TEST_CASE("bootloader offsets as in the notes", "[esp][chip]") {
    CHECK(chip_info(Chip::esp8266).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32).bootloader_offset == 0x1000);
    CHECK(chip_info(Chip::esp32s2).bootloader_offset == 0x1000);
    CHECK(chip_info(Chip::esp32s3).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32c2).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32c3).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32c5).bootloader_offset == 0x2000);
    CHECK(chip_info(Chip::esp32c6).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32h2).bootloader_offset == 0x0);
    CHECK(chip_info(Chip::esp32p4).bootloader_offset == 0x2000);
}

TEST_CASE("ESP8266 and ESP32 ROM capabilities match the notes", "[esp][chip]") {
    const ChipInfo& e8266 = chip_info(Chip::esp8266);
    CHECK(e8266.rom_status_len == 2);
    CHECK_FALSE(e8266.flash_begin_encrypted_word);
    CHECK_FALSE(e8266.rom.spi_attach);
    CHECK_FALSE(e8266.rom.spi_set_params);
    CHECK_FALSE(e8266.rom.change_baud);
    CHECK_FALSE(e8266.rom.deflate);
    CHECK_FALSE(e8266.rom.md5);
    CHECK_FALSE(e8266.rom.security_info);
    CHECK_FALSE(e8266.rom.read_flash_slow);
    CHECK(e8266.rom.erase_size_bug);
    CHECK_FALSE(e8266.chip_id);
    CHECK_FALSE(e8266.image_chip_id);
    CHECK_FALSE(e8266.usb_jtag_serial);

    const ChipInfo& e32 = chip_info(Chip::esp32);
    CHECK(e32.rom_status_len == 4);
    CHECK_FALSE(e32.flash_begin_encrypted_word);
    CHECK(e32.rom.spi_attach);
    CHECK(e32.rom.spi_set_params);
    CHECK(e32.rom.change_baud);
    CHECK(e32.rom.deflate);
    CHECK(e32.rom.md5);
    CHECK_FALSE(e32.rom.security_info);
    CHECK(e32.rom.read_flash_slow);
    CHECK_FALSE(e32.rom.erase_size_bug);
    CHECK(e32.baud.rule == BaudRule::esp32_ck8m);
    CHECK_FALSE(e32.usb_jtag_serial);

    // Newer ROMs: 4 status bytes, the 5th FLASH_BEGIN word, security info.
    for (Chip c : {Chip::esp32s2, Chip::esp32s3, Chip::esp32c2, Chip::esp32c3, Chip::esp32c5, Chip::esp32c6,
                   Chip::esp32h2, Chip::esp32p4}) {
        const ChipInfo& info = chip_info(c);
        INFO(info.name);
        CHECK(info.rom_status_len == 4);
        CHECK(info.flash_begin_encrypted_word);
        CHECK(info.rom.security_info);
        CHECK(info.rom.deflate);
    }
    CHECK(chip_info(Chip::esp32s3).usb_jtag_serial);
    CHECK(chip_info(Chip::esp32c3).usb_jtag_serial);
    CHECK_FALSE(chip_info(Chip::esp32s2).usb_jtag_serial);
    CHECK(chip_info(Chip::esp32s2).usb_otg);
}

TEST_CASE("MAC extraction: ESP32", "[esp][chip]") {
    // esptool's ESP32 read_mac packs eFuse word 2 then word 1 big-endian and drops the first two bytes
    // (CRC). Word 1 = C4 12 34 56, word 2 = xx AB 24 0A (AB = CRC, ignored) -> 24:0a:c4:12:34:56.
    const ChipInfo& c = chip_info(Chip::esp32);
    REQUIRE(c.mac.addresses().size() == 2);
    CHECK(c.mac.addresses()[0] == 0x3FF5A004);
    CHECK(c.mac.addresses()[1] == 0x3FF5A008);
    const std::uint32_t words[] = {0xC4123456, 0x00AB240A};
    CHECK(format_mac(extract_mac(c, words)) == "24:0a:c4:12:34:56");
}

TEST_CASE("MAC extraction: RISC-V chips (ESP32-C6, ESP32-C3)", "[esp][chip]") {
    // esptool's ESP32-C6 read_mac documents BASE MAC 60:55:f9:f7:2c:a2 with EXT_MAC ff:fe in the high
    // word's upper half: MAC_EFUSE_REG = F9 F7 2C A2, +4 = FF FE 60 55.
    const ChipInfo& c6 = chip_info(Chip::esp32c6);
    CHECK(c6.mac.addresses()[0] == 0x600B0844);
    CHECK(c6.mac.addresses()[1] == 0x600B0848);
    const std::uint32_t words[] = {0xF9F72CA2, 0xFFFE6055};
    CHECK(format_mac(extract_mac(c6, words)) == "60:55:f9:f7:2c:a2");

    const ChipInfo& c3 = chip_info(Chip::esp32c3);
    CHECK(c3.mac.addresses()[0] == 0x60008844);
    const std::uint32_t c3_words[] = {0xAABBCCDD, 0x00003485};
    CHECK(format_mac(extract_mac(c3, c3_words)) == "34:85:aa:bb:cc:dd");

    CHECK(chip_info(Chip::esp32c2).mac.addresses()[0] == 0x60008840); // C2's MAC sits at +0x40
    CHECK(chip_info(Chip::esp32s3).mac.addresses()[0] == 0x60007044);
    CHECK(chip_info(Chip::esp32s2).mac.addresses()[0] == 0x3F41A044);
}

TEST_CASE("MAC extraction: ESP8266 OTP words and its OUI rule", "[esp][chip]") {
    // Words: OTP_MAC0 (byte 5 in bits 31..24), OTP_MAC1 (bytes 3..4 in bits 15..0, OUI selector in
    // bits 23..16), OTP_MAC3 (explicit OUI when non-zero). Rule from esptool's ESP8266 read_mac.
    const ChipInfo& c = chip_info(Chip::esp8266);
    REQUIRE(c.mac.addresses().size() == 3);
    CHECK(c.mac.addresses()[0] == 0x3FF00050);
    CHECK(c.mac.addresses()[1] == 0x3FF00054);
    CHECK(c.mac.addresses()[2] == 0x3FF0005C);

    const std::uint32_t sel0[] = {0xAB123456, 0x0000CDEF, 0};
    CHECK(format_mac(extract_mac(c, sel0)) == "18:fe:34:cd:ef:ab");
    const std::uint32_t sel1[] = {0xAB123456, 0x0001CDEF, 0};
    CHECK(format_mac(extract_mac(c, sel1)) == "ac:d0:74:cd:ef:ab");
    const std::uint32_t explicit_oui[] = {0xAB123456, 0x0007CDEF, 0x005CCF7F};
    CHECK(format_mac(extract_mac(c, explicit_oui)) == "5c:cf:7f:cd:ef:ab");
    const std::uint32_t unknown[] = {0xAB123456, 0x0002CDEF, 0};
    CHECK_THROWS_AS(extract_mac(c, unknown), Error);
}

TEST_CASE("MAC extraction refuses blank eFuses and wrong word counts", "[esp][chip]") {
    const ChipInfo& c = chip_info(Chip::esp32s3);
    const std::uint32_t zeros[] = {0, 0};
    const std::uint32_t ones[] = {0xFFFFFFFF, 0xFFFFFFFF};
    const std::uint32_t one_word[] = {0x12345678};
    try {
        extract_mac(c, zeros);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::device);
        CHECK_THAT(e.what(), Catch::Contains("ESP32-S3") && Catch::Contains("00:00:00:00:00:00"));
    }
    CHECK_THROWS_AS(extract_mac(c, ones), Error);
    CHECK_THROWS_AS(extract_mac(c, one_word), Error);
}

TEST_CASE("ESP8266 ROM erase size workaround", "[esp][chip]") {
    const ChipInfo& e8266 = chip_info(Chip::esp8266);
    CHECK(rom_erase_size(e8266, 0x0, 0x1000) == 0x1000);
    CHECK(rom_erase_size(e8266, 0x0, 0x10000) == 0x8000);   // 16 sectors in one block: ask for half
    CHECK(rom_erase_size(e8266, 0x0, 0x40000) == 0x30000);  // 64 sectors: minus the 16 head sectors
    CHECK(rom_erase_size(e8266, 0xF000, 0x2000) == 0x1000); // one head sector, then one more
    CHECK(rom_erase_size(chip_info(Chip::esp32), 0x0, 0x10000) == 0x10000);
}

TEST_CASE("CHANGE_BAUDRATE word corrections", "[esp][chip]") {
    const ChipInfo& c2 = chip_info(Chip::esp32c2);
    CHECK(rom_baud_word(c2, 115200, {.xtal_mhz = 26}) == 115200u * 40 / 26);
    CHECK(rom_baud_word(c2, 921600, {.xtal_mhz = 40}) == 921600);
    CHECK(rom_baud_word(c2, 921600, {}) == 921600); // crystal unknown: nothing to correct with

    // ESP32: ROM crystal = cali * 15625 * ck8m / 40. cali 800, ck8m 128 -> exactly 40 MHz: no change;
    // cali 808 -> 40.4 MHz: scale by 1.01.
    const ChipInfo& e32 = chip_info(Chip::esp32);
    CHECK(rom_baud_word(e32, 921600, {.cali_reg_value = 800u << 7, .ck8m_efuse_value = 128}) == 921600);
    CHECK(rom_baud_word(e32, 921600, {.cali_reg_value = 808u << 7, .ck8m_efuse_value = 0xAB80}) == 930816);
    CHECK(rom_baud_word(e32, 921600, {}) == 921600);

    const ChipInfo& c5 = chip_info(Chip::esp32c5);
    CHECK(rom_baud_word(c5, 921600, {.xtal_mhz = 48, .rom_xtal_reg_value = 40u << 24}) == 768000);
    CHECK(rom_baud_word(c5, 768000, {.xtal_mhz = 40, .rom_xtal_reg_value = 48u << 24}) == 921600);
    CHECK(rom_baud_word(c5, 921600, {.xtal_mhz = 48, .rom_xtal_reg_value = 48u << 24}) == 921600);

    CHECK(rom_baud_word(chip_info(Chip::esp32s3), 921600, {.xtal_mhz = 26}) == 921600);
}

TEST_CASE("crystal estimate from the UART divider", "[esp][chip]") {
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32), 347, 115200) == 40);
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32), 226, 115200) == 26);
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp8266), 451, 115200) == 26); // APB = 2 x crystal
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32c2), 226, 115200) == 26);
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32c5), 417, 115200) == 48);
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32c5), 347, 115200) == 40);
    CHECK(estimate_xtal_mhz(chip_info(Chip::esp32s3), 347, 115200) == 0); // fixed crystal, not measured
}

TEST_CASE("chip table: RTC watchdog rows as in esptool's targets", "[esp][chip][watchdog]") {
    const auto wdt = [](const char* name) { return chip_by_name(name).rtc_watchdog; };
    // esptool: RTCCNTL_BASE_REG / DR_REG_LP_WDT_BASE + the WDTCONFIG0, WDTCONFIG1, WDTWPROTECT offsets.
    REQUIRE(wdt("esp32s3"));
    CHECK(wdt("esp32s3")->config0 == 0x60008098);
    CHECK(wdt("esp32s3")->config1 == 0x6000809C);
    CHECK(wdt("esp32s3")->wprotect == 0x600080B0);
    REQUIRE(wdt("esp32s2"));
    CHECK(wdt("esp32s2")->wprotect == 0x3F4080AC);
    REQUIRE(wdt("esp32c3"));
    CHECK(wdt("esp32c3")->config0 == 0x60008090);
    REQUIRE(wdt("esp32c2"));
    CHECK(wdt("esp32c2")->wprotect == 0x6000809C);
    REQUIRE(wdt("esp32c5"));
    CHECK(wdt("esp32c5")->wprotect == 0x600B1C18);
    REQUIRE(wdt("esp32p4"));
    CHECK(wdt("esp32p4")->config0 == 0x50116000);
    for (const char* none : {"esp8266", "esp32", "esp32c6", "esp32h2"}) {
        INFO(none);
        CHECK_FALSE(wdt(none));
    }
    // The values esptool writes: its unlock key, 2000 cycles, enable + stage 0 "reset system".
    CHECK(wdt("esp32s3")->key == 0x50D83AA1);
    CHECK(wdt("esp32s3")->timeout == 2000);
    CHECK(wdt("esp32s3")->enable == 0xD0000102);
}

TEST_CASE("chip table: --after watchdog-reset is refused on chips without it, naming the chip",
          "[esp][chip][watchdog]") {
    CHECK_NOTHROW(check_after_mode(chip_by_name("esp32s3"), AfterFlash::watchdog_reset));
    CHECK_NOTHROW(check_after_mode(chip_by_name("esp32"), AfterFlash::hard_reset));
    try {
        check_after_mode(chip_by_name("esp32c6"), AfterFlash::watchdog_reset);
        FAIL("no error");
    } catch (const vesper::Error& e) {
        CHECK(e.kind() == vesper::ErrorKind::input);
        CHECK_THAT(e.what(), Catch::StartsWith("--after watchdog-reset: the ESP32-C6 ROM has no RTC watchdog reset"));
        CHECK_THAT(e.what(), Catch::Contains("ESP32-S2, ESP32-S3, ESP32-C2, ESP32-C3, ESP32-C5, ESP32-P4"));
    }
}
